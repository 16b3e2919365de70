/* Compartment 2: the victim, with a secret in its data. */
#include "writers.h"

int lib_secret = SECRET;

const int *lib_secret_address(void)
{
	return &lib_secret;
}
