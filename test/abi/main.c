/* Compartment 1 of the ABI test: calls every shape into compartment 2,
 * has compartment 2 call every shape back, recursion across the
 * boundary, callbacks, and function-pointer identity. Exit status 0
 * only if every check passed. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "abi.h"

#define PREFIX main
#define SALT MAIN_SALT
#include "shapes.inc"
#undef PREFIX
#undef SALT

int main_pong(int depth)
{
	return depth <= 0 ? 0 : 1 + lib_ping(depth - 1);
}

static int add_ten(int x) { return x + 10; }
static double hypot2(double a, double b) { return a * a + b * b; }

#define PREFIX lib
#define SALT LIB_SALT
#include "check_shapes.inc"

int main(void)
{
	int failures = check_shapes();
	pthread_key_t key;

	CHECK(lib_call_main_shapes(), 0);
	CHECK(lib_ping(150), 150);
	CHECK(main_pong(151), 151);
	CHECK(lib_apply(add_ten, 5), 16);
	CHECK(lib_apply(lib_args1, 5), 23);    /* a pointer into the callee's own compartment */
	CHECK(lib_apply_d(hypot2, 3, 4), 50);
	CHECK(lib_addr_of_lib_args1() == (void *)lib_args1, 1);
	CHECK(lib_identity((void *)add_ten) == (void *)add_ten, 1);
	/* free is no gate: libc gets a callback slot of compartment 1, which
	 * a privileged operation takes (libia2/callbacks.c), emulated too. */
	CHECK(pthread_key_create(&key, free), 0);
	printf("%s: %d failures\n", failures ? "FAIL" : "PASS", failures);
	return failures != 0;
}
