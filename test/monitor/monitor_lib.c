/* Compartment 2: the victim, with a secret alone on a page of its data. */
#include "monitor.h"

__attribute__((aligned(4096))) int lib_secret[1024] = {SECRET};

int *lib_secret_address(void)
{
	return lib_secret;
}

int lib_read_secret(void)
{
	return lib_secret[0];
}

void lib_set_secret(int value)
{
	lib_secret[0] = value;
}
