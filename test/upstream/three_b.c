/* Compartment 3. */
#include <ia2.h>
#include <ia2_allocator.h>
#include <stdlib.h>
#include "three.h"

#define IA2_COMPARTMENT 3
#include <ia2_compartment_init.inc>

static int data = 3;
static __thread int tls = 3;
static int *shared_block;

int *b_static(void) { return &data; }
int *b_tls(void) { return &tls; }
int b_read(const int *p) { return *(const volatile int *)p; }

int *b_heap(void)
{
	static int *block;

	if (!block && (block = malloc(sizeof *block)))
		*block = 3;
	return block;
}

int *b_shared(void)
{
	if (!shared_block && (shared_block = shared_malloc(sizeof *shared_block)))
		*shared_block = 3;
	return shared_block;
}

int b_chain(int (*back)(int), int x)
{
	return IA2_CALL(back, 0, x + (ia2_get_compartment() == 3 ? 30 : 0));
}
