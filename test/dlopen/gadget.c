/* Not built by ia2: a DSO outside the compartments whose constructor
 * opens every key with wrpkru and reads compartment 2's secret, at the
 * address dl_main.c puts in DL_GADGET_TARGET. The syscall monitor
 * refuses to map its code (libia2/new_code.c). Without the monitor,
 * libia2 scans a DSO that dlopen loads before ld.so runs any of its code
 * (libia2/loads.c), so the wrpkru is a ud2 by then and this dies of
 * SIGILL. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void open_every_key(void)
{
	const char *target = getenv("DL_GADGET_TARGET");
	volatile int *secret = target ? (volatile int *)strtoul(target, NULL, 16) : NULL;

	if (!secret)
		_exit(2);
	__asm__ volatile("wrpkru" : : "a"(0), "c"(0), "d"(0));
	printf("the gadget read compartment 2's secret: %#x\n", *secret);
	fflush(stdout);
	_exit(0);
}
