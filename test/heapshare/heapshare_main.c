/* Compartment 1 of the share-heap test (docs/usage.md, "Config file").
 *
 *  - pkeys: blocks that share-heap functions allocate, called across the
 *    gate, through a pointer and nested 8 deep, are shared (pkey 0) and
 *    compartment 1 writes them; the helper's blocks for anyone else stay
 *    compartment 2's, before and after, so the wrapper leaves the depth
 *    as it found it;
 *  - writes-private: compartment 1 writes a block of lib_private_buffer
 *    and must die with SEGV_PKUERR;
 * *  - too-deep: nesting past IA2_HEAP_MAX_DEPTH stops the program with a
 *    message. */
#include <stdio.h>
#include <string.h>

#include "heapshare.h"

static int failures;

static void expect_pkey(void *p, int want, const char *what)
{
	int got = lib_pkey_of(p);

	if (got != want) {
		printf("FAIL: %s: pkey %d, want %d\n", what, got, want);
		failures++;
	}
}

static void expect_shared(void *p, const char *what)
{
	expect_pkey(p, 0, what);
	memset(p, 1, 64);   /* faults if it is compartment 2's */
}

int main(int argc, char **argv)
{
	const char *c = argc == 2 ? argv[1] : "";

	if (!strcmp(c, "pkeys")) {
		expect_pkey(lib_private_buffer(64), 2, "lib_private_buffer before");
		expect_shared(lib_new_buffer(64), "lib_new_buffer");
		expect_pkey(lib_private_buffer(64), 2, "lib_private_buffer after lib_new_buffer");
		expect_shared(lib_allocator()(64), "by_pointer through its pointer");
		expect_shared(lib_nested(8, 64), "lib_nested 8 deep");
		expect_pkey(lib_private_buffer(64), 2, "lib_private_buffer after lib_nested");
		printf("heapshare: %s\n", failures ? "FAILED" : "ok");
		return failures != 0;
	}
	if (!strcmp(c, "writes-private"))
		return memset(lib_private_buffer(64), 1, 64) != NULL;
	if (!strcmp(c, "too-deep"))
		return lib_nested(40, 64) != NULL;
	fprintf(stderr, "usage: heapshare pkeys|writes-private|too-deep\n");
	return 2;
}
