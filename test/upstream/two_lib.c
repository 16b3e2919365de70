/* Compartment 2, declared the way upstream IA2 programs declare it. */
#include <ia2.h>
#include <ia2_allocator.h>
#include <signal.h>
#include <stdlib.h>
#include "two.h"

#define IA2_COMPARTMENT 2
#include <ia2_compartment_init.inc>

static int secret = 0x2222;
static __thread int tls = 2;
int lib_shared IA2_SHARED_DATA = 20;
static volatile int handled;

/* Runs in compartment 2 whoever raises the signal: it writes the
 * library's private `handled`. */
static void lib_handler(int sig)
{
	handled = (int)ia2_get_compartment() * 100 + sig;
}
IA2_DEFINE_SIGHANDLER(lib_handler, 2);

int lib_in_own_compartment(void)
{
	return ia2_get_tag() == PKRU(2) && ia2_get_compartment() == 2;
}

int lib_stack_holds_locals(void)
{
	volatile int local = 0;
	void *base;
	size_t size;

	ia2_get_compartment_stack(&base, &size);
	return (char *)&local >= (char *)base && (char *)&local < (char *)base + size;
}

int lib_read(const int *p) { return *(const volatile int *)p; }
void lib_write(int *p, int v) { *(volatile int *)p = v; }
int *lib_secret(void) { return &secret; }
int *lib_tls(void) { return &tls; }

int *lib_heap_block(void)
{
	static int *block;

	if (!block && (block = malloc(sizeof *block)))
		*block = 0x2233;
	return block;
}

int *lib_shared_block(void)
{
	int *p = shared_malloc(sizeof *p);

	if (p)
		*p = 0x2244;
	return p;
}

/* An indirect call into compartment 1, as upstream spells it. */
int lib_apply(int (*op)(int), int x)
{
	return IA2_CALL(op, 0, x) + 1;
}

static int lib_double(int x)
{
	return lib_in_own_compartment() ? 2 * x : -1;
}

int (*lib_op(void))(int)
{
	return IA2_FN(lib_double);
}

int lib_raise(int sig)
{
	struct sigaction sa = {.sa_handler = IA2_SIGHANDLER(lib_handler)};

	handled = 0;
	if (sigaction(sig, &sa, NULL) || raise(sig))
		return -1;
	return handled;
}
