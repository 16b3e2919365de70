/* The round-trip benchmark's caller: compartment 1 in the ia2 build, and
 * the same source in the plain baseline build.
 *
 * Each bench_call_* wrapper makes exactly one call. bench/count.py
 * single-steps every wrapper from its first instruction until it has
 * returned, so everything the call costs (gate, callee, return stub) is
 * counted, plus the few instructions of the wrapper itself, which are the
 * same in both builds. The wrappers are static, so that ia2 gives them no
 * gate and the breakpoint is on the code main really calls, and noinline,
 * so that they exist to break on. Their results go to volatile variables
 * instead of being returned, so that the call is a real call and not a
 * tail jump. */
#include <stdio.h>
#include "roundtrip.h"

#define WRAPPER static __attribute__((noinline)) void

static volatile long result;
static volatile double dresult;
/* Loaded through a volatile pointer so that the compiler cannot turn it
 * into a direct call: in the ia2 build the pointer is same's gate. */
static int (*volatile same_ptr)(int) = same;
/* The library's f through a pointer: in the ia2 build, f's gate, which
 * the executable's indirect-branch thunk checks first, as a target
 * outside its own image (docs/design.md, "Indirect calls"). */
static int (*volatile f_ptr)(int) = f;

WRAPPER bench_call_f(void)
{
	result = f(41);
}

WRAPPER bench_call_g10(void)
{
	result = g10(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
}

WRAPPER bench_call_d2(void)
{
	dresult = d2(1.5, 2.0);
}

WRAPPER bench_call_tls(void)
{
	result = tls_next();
}

WRAPPER bench_call_same(void)
{
	result = same(41);
}

WRAPPER bench_call_same_ptr(void)
{
	result = same_ptr(41);
}

WRAPPER bench_call_f_ptr(void)
{
	result = f_ptr(41);
}

/* Checks each result, so that a count is never taken of a wrong call. */
int main(void)
{
	int failures = 0;

	bench_call_f();
	failures += result != 42;
	bench_call_g10();
	failures += result != 385;
	bench_call_d2();
	failures += dresult != 4.0;
	bench_call_tls();
	failures += result != 42;
	bench_call_same();
	failures += result != 42;
	bench_call_same_ptr();
	failures += result != 42;
	bench_call_f_ptr();
	failures += result != 42;
	if (failures)
		fprintf(stderr, "roundtrip: %d wrong results\n", failures);
	return failures != 0;
}
