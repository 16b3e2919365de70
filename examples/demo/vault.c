/* Compartment 2: the vault. Its globals are tagged with pkey 2. */
#include <string.h>
#include "vault.h"

static char secret[64];
static int attempts;

void vault_store(const char *s)
{
	strncpy(secret, s, sizeof secret - 1);
}

int vault_check(const char *guess, void (*log)(const char *msg))
{
	int ok = strcmp(guess, secret) == 0;
	attempts++;
	log(ok ? "vault: correct guess" : "vault: wrong guess");
	return ok;
}

const char *vault_secret_address(void)
{
	return secret;
}
