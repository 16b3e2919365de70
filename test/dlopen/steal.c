/* Not built by ia2: a DSO outside the compartments, with no PKRU writer,
 * whose constructor reads compartment 2's secret at the address that
 * dl_main.c puts in DL_GADGET_TARGET. Loaded by compartment 1 it faults;
 * loaded through compartment 2's loader slot, which runs with compartment
 * 2's rights, it must be refused before it runs. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void read_secret(void)
{
	const char *target = getenv("DL_GADGET_TARGET");
	volatile int *secret = target ? (volatile int *)strtoul(target, NULL, 16) : NULL;

	if (!secret)
		_exit(2);
	printf("the constructor read compartment 2's secret: %#x\n", *secret);
	fflush(stdout);
	_exit(0);
}
