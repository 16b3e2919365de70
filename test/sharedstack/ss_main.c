/* usage: ss CASE
 *
 *   ok             locals passed by pointer to compartment 2 and back:
 *                  buffers, arrays, structs, a callback's argument, from a
 *                  thread and from a signal handler too; compartment 2
 *                  moving the shared stack pointer is undone on return
 *   frame          compartment 2 writes compartment 1's own stack frame
 *                  (its return address lives there): SEGV_PKUERR
 *   redirect       compartment 2 points the shared stack pointer into
 *                  compartment 1's data and calls back: the gate traps
 *   below          compartment 2 moves the shared stack pointer below the
 *                  shared stack and calls back: the gate traps */
#include "ss.h"
#include "../common/pkeyof.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static int failures;
static long main_data[64];

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "FAIL: %s\n", what);
		failures++;
	}
}

static int add_two(int *p)
{
	*p += 2;
	return 0;
}

static int calls;
static void count_call(void) { calls++; }

/* Locals whose address is taken live on the shared stack, pkey 0. */
static int pass_locals(void)
{
	char buf[256];
	int v[5] = {1, 2, 3, 4, 5};
	struct pair p = {1, 2};

	lib_fill(buf, sizeof buf, 'x');
	return buf[0] == 'x' && buf[255] == 'x' && lib_sum(v, 5) == 15 &&
	       (lib_swap(&p), p.a == 2 && p.b == 1) && pkey_of(buf) == 0;
}

static void *thread_main(void *arg)
{
	(void)arg;
	return (void *)(long)pass_locals();
}

static volatile int handler_ok;
static void on_usr1(int sig)
{
	(void)sig;
	handler_ok = pass_locals();
}

static void run_ok(void)
{
	pthread_t t;
	void *r;
	void *before;

	check(pass_locals(), "locals passed to compartment 2");
	check(lib_call_with_local(add_two) == 42, "a local of compartment 2 passed back to 1");
	check(pthread_create(&t, NULL, thread_main, NULL) == 0 && pthread_join(t, &r) == 0 &&
		      r == (void *)1, "locals passed from a new thread");
	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	check(handler_ok, "locals passed from a signal handler");
	before = __safestack_unsafe_stack_ptr;
	lib_move_shared_stack(-4096, NULL);
	check(__safestack_unsafe_stack_ptr == before, "the shared stack pointer is restored on return");
	lib_move_shared_stack(-4096, count_call);
	check(calls == 1 && __safestack_unsafe_stack_ptr == before,
	      "a callback with the pointer moved within the shared stack runs");
}

int main(int argc, char **argv)
{
	const char *c = argc == 2 ? argv[1] : "";

	if (!strcmp(c, "ok")) {
		run_ok();
		if (!failures)
			puts("sharedstack: ok");
		return failures != 0;
	}
	if (!strcmp(c, "frame")) {
		lib_write(__builtin_frame_address(0));
		puts("compartment 2 wrote compartment 1's stack frame");
		return 0;
	}
	if (!strcmp(c, "redirect")) {
		lib_redirect_shared_stack(&main_data[63], count_call);
		puts("compartment 1 ran with its shared stack pointer in its own data");
		return 0;
	}
	if (!strcmp(c, "below")) {
		lib_move_shared_stack(-(16 << 20), count_call);
		puts("compartment 1 ran with its shared stack pointer below the shared stack");
		return 0;
	}
	fprintf(stderr, "usage: ss ok|frame|redirect|below\n");
	return 2;
}
