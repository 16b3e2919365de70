/* The round-trip benchmark's functions: the library's (compartment 2 in
 * the ia2 build) and the executable's own (peer.c). */
#ifndef ROUNDTRIP_H
#define ROUNDTRIP_H

int f(int x);
/* Ten arguments: six in registers, four on the stack. */
long g10(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j);
double d2(double x, double y);
/* Increments a thread-local counter of the library. */
int tls_next(void);

/* In the executable, so a call stays in the caller's compartment. */
int same(int x);

#endif
