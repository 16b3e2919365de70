/* Compartment 1: the application. It uses the vault through its API,
 * which works, and then tries to read the secret directly, which the CPU
 * stops: the vault's memory carries pkey 2, and compartment 1's PKRU
 * denies access to it. */
#include <stdio.h>
#include <string.h>
#include "vault.h"

static void log_line(const char *msg)
{
	printf("  [callback into compartment 1] %s\n", msg);
}

int main(int argc, char **argv)
{
	printf("demo: compartment 1 stores a secret in the vault (compartment 2)\n");
	vault_store("hunter2");
	printf("demo: guessing through the API, which calls back into compartment 1:\n");
	printf("  vault_check(\"letmein\") = %d\n", vault_check("letmein", log_line));
	printf("  vault_check(\"hunter2\") = %d\n", vault_check("hunter2", log_line));
	if (argc > 1 && !strcmp(argv[1], "steal")) {
		const char *p = vault_secret_address();
		printf("demo: now compartment 1 reads the secret directly at %p ...\n", (void *)p);
		fflush(stdout);
		printf("demo: stole \"%s\" -- isolation FAILED\n", p);
		return 1;
	}
	return 0;
}
