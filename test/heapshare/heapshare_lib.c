/* Compartment 2 of the share-heap test: the allocations happen in one
 * helper, so a block's heap depends only on which function called it. */
#include <stdlib.h>
#include <string.h>

#include "../common/pkeyof.h"
#include "heapshare.h"

__attribute__((noinline)) static void *grab(size_t n)
{
	void *p = malloc(n);
	if (p)
		memset(p, 2, n);
	return p;
}

void *lib_new_buffer(size_t n) { return grab(n); }
void *lib_private_buffer(size_t n) { return grab(n); }

static void *by_pointer(size_t n) { return grab(n); }
void *(*lib_allocator(void))(size_t) { return by_pointer; }

/* Each level calls the next through a pointer the compiler cannot see
 * through, so it can neither inline the recursion nor make it a loop,
 * and every level goes through the gate and the wrapper. */
void *lib_nested(int depth, size_t n);
static void *(*volatile nest)(int, size_t) = lib_nested;

void *lib_nested(int depth, size_t n)
{
	void *p = depth > 0 ? nest(depth - 1, n) : grab(n);
	__asm__ volatile("" ::: "memory");
	return p;
}

int lib_pkey_of(const void *p) { return pkey_of(p); }
