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
/* Take the caller's va_list, which points into the caller's stack: the
 * gate passes a copy (docs/design.md, "Variadic functions"). lib_vmixed
 * walks a format like lib_mixed's; lib_va_untagged says whether what its
 * va_list points to, reg_save_area and overflow_arg_area, is untagged. */
long lib_vsum(int n, va_list ap);
double lib_vmixed(const char *fmt, va_list ap);
int lib_va_untagged(va_list ap);
/* A pointer to a va_list is not copied: reading it faults. */
long lib_vsum_indirect(int n, va_list *ap);
/* Calls logger(cookie, fmt, its own va_list), as dav1d calls its logger. */
void lib_log(void (*logger)(void *cookie, const char *fmt, va_list ap), void *cookie,
	     const char *fmt, ...);

#endif
