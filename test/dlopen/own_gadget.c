/* Not built by ia2: a DSO that claims compartment 1 with a note of its
 * own making (own_note.S), which compartment 1 may load into itself.
 * Its constructor holds what looks like one of ia2's checked gates, but
 * to compartment 2's PKRU, reads compartment 2's secret at the address
 * dl_main.c puts in DL_GADGET_TARGET, and goes back to compartment 1's
 * PKRU through a gate to its own. libia2 keeps in a
 * compartment DSO only the gates to its own compartment's PKRU
 * (libia2/writers.c), so the wrpkru is a ud2 and this dies of SIGILL. */
#include <ia2/pkru.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void become_compartment_2(void)
{
	const char *target = getenv("DL_GADGET_TARGET");
	const int *secret = target ? (const int *)strtoul(target, NULL, 16) : NULL;
	int value;

	if (!secret)
		_exit(2);
	/* No stack while PKRU is compartment 2's: the stack is 1's. */
	__asm__ volatile("mov %[p2], %%eax\n\txor %%ecx, %%ecx\n\txor %%edx, %%edx\n\t"
			 "wrpkru\n\tcmp %[p2], %%eax\n\tjne 1f\n1:\n\t"
			 "mov (%[s]), %%esi\n\t"
			 "mov %[p1], %%eax\n\txor %%ecx, %%ecx\n\txor %%edx, %%edx\n\t"
			 "wrpkru\n\tcmp %[p1], %%eax\n\tjne 2f\n2:"
			 : "=S"(value)
			 : [s] "r"(secret), [p1] "i"(IA2_PKRU(1)), [p2] "i"(IA2_PKRU(2))
			 : "rax", "rcx", "rdx", "memory");
	printf("the gadget read compartment 2's secret: %#x\n", value);
	fflush(stdout);
	_exit(0);
}
