#include "va.h"
#include "../common/pkeyof.h"

#include <stdio.h>

long lib_sum(int n, ...)
{
	va_list ap;
	long s = 0;

	va_start(ap, n);
	while (n-- > 0)
		s += va_arg(ap, int);
	va_end(ap);
	return s;
}

double lib_dsum(int n, ...)
{
	va_list ap;
	double s = 0;

	va_start(ap, n);
	while (n-- > 0)
		s += va_arg(ap, double);
	va_end(ap);
	return s;
}

double lib_mixed(const char *fmt, ...)
{
	va_list ap;
	double s = 0;

	va_start(ap, fmt);
	for (; *fmt; fmt++)
		if (*fmt == 'i')
			s += va_arg(ap, int);
		else if (*fmt == 'd')
			s += va_arg(ap, double);
		else if (*fmt == 'L')
			s += (double)va_arg(ap, long double);
	va_end(ap);
	return s;
}

int lib_format(char *dst, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	return n;
}

double (*volatile lib_dsum_ptr)(int, ...) = lib_dsum;

double lib_self_dsum(void)
{
	return lib_dsum_ptr(3, 0.5, 1.5, 2.5);
}

long lib_call_sum(long (*cb)(int n, ...))
{
	return cb(3, 1, 2, 3) + cb(14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
}

double lib_call_dsum(double (*cb)(int n, ...))
{
	return cb(10, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0);
}

long lib_vsum(int n, va_list ap)
{
	long s = 0;

	while (n-- > 0)
		s += va_arg(ap, int);
	return s;
}

double lib_vmixed(const char *fmt, va_list ap)
{
	double s = 0;

	for (; *fmt; fmt++)
		if (*fmt == 'i')
			s += va_arg(ap, int);
		else if (*fmt == 'd')
			s += va_arg(ap, double);
	return s;
}

int lib_va_untagged(va_list ap)
{
	return pkey_untagged(ap->reg_save_area) && pkey_untagged(ap->overflow_arg_area);
}

long lib_vsum_indirect(int n, va_list *ap)
{
	return lib_vsum(n, *ap);
}

void lib_log(void (*logger)(void *cookie, const char *fmt, va_list ap), void *cookie,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	logger(cookie, fmt, ap);
	va_end(ap);
}
