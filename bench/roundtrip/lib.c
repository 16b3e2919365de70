/* The callee library: compartment 2 in the ia2 build. */
#include "roundtrip.h"

int f(int x)
{
	return x + 1;
}

/* Weighted, so that a swapped or dropped stack argument changes the sum. */
long g10(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j;
}

double d2(double x, double y)
{
	return x * y + 1.0;
}

/* A compartment DSO's own TLS, reached with __tls_get_addr (-fPIC): in
 * the ia2 build through libia2's __ia2_tls_get_addr (libia2/dyntls.c). */
static __thread int tls_counter = 41;

int tls_next(void)
{
	return ++tls_counter;
}
