/* Compartment 1 of a three-compartment program written for upstream IA2
 * (its tests/three_keys_minimal, redone): each compartment's static,
 * heap and TLS variables are its own, the shared ones everyone's, and
 * calls go 1 -> 2 -> 3 -> 1 directly and through pointers.
 *
 * `three` checks what must work and exits 0; `three CASE` makes an
 * access that must fault. */
#include <ia2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "three.h"

INIT_RUNTIME(3);
#define IA2_COMPARTMENT 1
#include <ia2_compartment_init.inc>

void ia2_main(void)
{
	ia2_register_compartment("main", 1, NULL);
	ia2_register_compartment("libupstream_a.so", 2, NULL);
	ia2_register_compartment("libupstream_b.so", 3, NULL);
}

static int data = 1;
static int shared IA2_SHARED_DATA = 1;

static int back_in_main(int x)
{
	return x + (ia2_get_compartment() == 1 ? 10 : 0) + data;
}

int main(int argc, char **argv)
{
	const char *c = argc == 2 ? argv[1] : "";
	int failures = 0;

	if (!strcmp(c, "a-reads-b-static"))
		return a_read(b_static());
	if (!strcmp(c, "b-reads-a-heap"))
		return b_read(a_heap());
	if (!strcmp(c, "a-reads-b-tls"))
		return a_read(b_tls());
	if (!strcmp(c, "main-reads-b-static"))
		return *(volatile int *)b_static();
	if (argc != 1)
		return 2;

	/* 0 + 20 + 30 + 10 + data */
	if (a_chain(IA2_FN(back_in_main), 0) != 61) {
		printf("FAIL: the call chain 1 -> 2 -> 3 -> 1 did not run in each compartment\n");
		failures++;
	}
	if (a_read(a_static()) != 2 || b_read(b_static()) != 3 || a_read(a_heap()) != 2 ||
	    b_read(b_heap()) != 3 || a_read(a_tls()) != 2 || b_read(b_tls()) != 3) {
		printf("FAIL: a compartment cannot reach its own data\n");
		failures++;
	}
	if (a_read(&shared) != 1 || b_read(&shared) != 1 || *a_shared() != 2 ||
	    b_read(a_shared()) != 2 || *b_shared() != 3 || a_read(b_shared()) != 3) {
		printf("FAIL: shared data is not shared\n");
		failures++;
	}
	printf("upstream three: %d failures\n", failures);
	return failures != 0;
}
