/* Compartment 2. */
#include <ia2.h>
#include <ia2_allocator.h>
#include <stdlib.h>
#include "three.h"

#define IA2_COMPARTMENT 2
#include <ia2_compartment_init.inc>

static int data = 2;
static __thread int tls = 2;
static int shared IA2_SHARED_DATA = 2;

int *a_static(void) { return &data; }
int *a_tls(void) { return &tls; }
int *a_shared(void) { return &shared; }
int a_read(const int *p) { return *(const volatile int *)p; }

int *a_heap(void)
{
	static int *block;

	if (!block && (block = malloc(sizeof *block)))
		*block = 2;
	return block;
}

int a_chain(int (*back)(int), int x)
{
	return b_chain(back, x + (ia2_get_compartment() == 2 ? 20 : 0));
}
