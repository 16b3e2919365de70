/* Variadic functions across compartments: va_main.c is compartment 1,
 * va_lib.c compartment 2. */
#ifndef VA_H
#define VA_H

#include <stdarg.h>
#include <stddef.h>

/* Sums n ints, n doubles; walks a format of 'i' (int), 'd' (double) and
 * 'L' (long double, always on the stack) and returns the sum. */
long lib_sum(int n, ...);
double lib_dsum(int n, ...);
double lib_mixed(const char *fmt, ...);
/* printf-like: formats into dst (shared memory) in compartment 2. */
int lib_format(char *dst, size_t size, const char *fmt, ...);
/* Calls lib_dsum through a pointer: the same-compartment path of the gate. */
double lib_self_dsum(void);
/* Calls back into compartment 1's variadic functions. */
long lib_call_sum(long (*cb)(int n, ...));
double lib_call_dsum(double (*cb)(int n, ...));
/* Takes the caller's va_list, which points into the caller's stack. */
long lib_vsum(int n, va_list ap);

#endif
