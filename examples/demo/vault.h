/* A password vault: the library that holds a secret (compartment 2). */
#ifndef VAULT_H
#define VAULT_H

/* Stores `secret` inside the vault's compartment. */
void vault_store(const char *secret);

/* Checks a guess without revealing the secret. Calls `log` (a function of
 * the caller's compartment) with a message, through a gate. */
int vault_check(const char *guess, void (*log)(const char *msg));

/* Where the vault keeps the secret: handed out to show that knowing an
 * address is not enough to read it. */
const char *vault_secret_address(void);

#endif
