/* usage: va CASE
 *
 *   ok      every variadic call shape across the gates works, and so do
 *           va_lists passed to and from compartment 2: the gates pass
 *           copies, in shared memory
 *   va-list-pointer
 *           compartment 2 reads a va_list of compartment 1 through a
 *           pointer, which the gate does not copy: dies with
 *           SEGV_PKUERR */
#include "va.h"
#include "../common/pkeyof.h"

#include <ia2.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "FAIL: %s\n", what);
		failures++;
	}
}

static long main_sum(int n, ...)
{
	va_list ap;
	long s = 0;

	va_start(ap, n);
	while (n-- > 0)
		s += va_arg(ap, int);
	va_end(ap);
	return s;
}

static double main_dsum(int n, ...)
{
	va_list ap;
	double s = 0;

	va_start(ap, n);
	while (n-- > 0)
		s += va_arg(ap, double);
	va_end(ap);
	return s;
}

static long pass_va_list(int n, ...)
{
	va_list ap;
	long s;

	va_start(ap, n);
	s = lib_vsum(n, ap);
	va_end(ap);
	return s;
}

/* The va_list, one argument already taken, as vprintf's callers do. */
static long pass_rest(int n, ...)
{
	va_list ap;
	long s;

	va_start(ap, n);
	s = va_arg(ap, int) * 1000;
	s += lib_vsum(n - 1, ap);
	va_end(ap);
	return s;
}

static double pass_vmixed(const char *fmt, ...)
{
	va_list ap;
	double s;

	va_start(ap, fmt);
	s = lib_vmixed(fmt, ap);
	va_end(ap);
	return s;
}

static int pass_va_untagged(int n, ...)
{
	va_list ap;
	int k;

	va_start(ap, n);
	k = lib_va_untagged(ap);
	va_end(ap);
	return k;
}

static long pass_va_list_pointer(int n, ...)
{
	va_list ap;
	long s;

	va_start(ap, n);
	s = lib_vsum_indirect(n, &ap);
	va_end(ap);
	return s;
}

static void main_logger(void *cookie, const char *fmt, va_list ap)
{
	vsnprintf(cookie, 128, fmt, ap);
}

/* The gate copies a fixed window of the caller's stack: these run where
 * the caller's frame is near the top of its stack. */
static void *thread_main(void *arg)
{
	return (void *)lib_sum(2, 20, 22);
}

static volatile long handler_result;

static void on_usr1(int sig)
{
	handler_result = lib_sum(16, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1);
}

static void run_ok(void)
{
	char *buf = ia2_shared_malloc(128), *log = calloc(1, 128);
	pthread_t t;
	void *r;

	check(lib_sum(0) == 0, "lib_sum()");
	check(lib_sum(5, 1, 2, 3, 4, 5) == 15, "lib_sum, registers only");
	/* 20 ints: 5 in registers after n, 15 on the stack (120 bytes). */
	check(lib_sum(20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20) ==
		      210, "lib_sum, 15 ints on the stack");
	check(lib_dsum(3, 1.25, 2.5, 4.0) == 7.75, "lib_dsum, xmm registers and al");
	/* 12 doubles: 8 in xmm0-7, 4 on the stack. */
	check(lib_dsum(12, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0) == 78.0,
	      "lib_dsum, 4 doubles on the stack");
	check(lib_mixed("idLidL", 1, 0.5, (long double)2.25, 3, 0.25, (long double)4.0) == 11.0,
	      "lib_mixed, long double on the stack");
	check(lib_format(buf, 128, "%s %d %.2f %c", "x", 42, 3.14159, 'z') == 11 &&
		      !strcmp(buf, "x 42 3.14 z"), "lib_format (printf-like)");
	check(lib_self_dsum() == 4.5, "variadic call through a pointer inside compartment 2");
	check(lib_call_sum(main_sum) == 6 + 105, "variadic callback into compartment 1");
	check(lib_call_dsum(main_dsum) == 55.0, "variadic callback with doubles on the stack");
	check(pass_va_list(3, 1, 2, 3) == 6, "a va_list into compartment 2");
	check(pass_rest(4, 7, 1, 2, 3) == 7006, "a va_list with one argument taken");
	/* 20 ints (15 on the stack, 120 bytes), then 4 doubles in xmm. */
	check(pass_vmixed("iiiiiiiiiiiiiiiiiiiidddd", 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
			  16, 17, 18, 19, 20, 0.5, 0.25, 0.125, 0.125) == 211.0,
	      "a va_list with 120 bytes of stack arguments");
	check(pass_va_untagged(8, 1, 2, 3, 4, 5, 6, 7, 8), "the callee's va_list points to shared memory");
	lib_log(main_logger, log, "%d %d %d %d %d %d %d %d %s %.1f", 1, 2, 3, 4, 5, 6, 7, 8, "eight",
		2.5);
	check(!strcmp(log, "1 2 3 4 5 6 7 8 eight 2.5"), "a logger callback gets compartment 2's va_list");
	check(pthread_create(&t, NULL, thread_main, NULL) == 0 && pthread_join(t, &r) == 0 &&
		      (long)r == 42, "variadic call from the top of a new thread's stack");
	signal(SIGUSR1, on_usr1);
	raise(SIGUSR1);
	check(handler_result == 16, "variadic call from the top of a signal stack");
	free(buf);
	free(log);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "ok")) {
		run_ok();
		if (!failures)
			puts("varargs: ok");
		return failures != 0;
	}
	if (argc == 2 && !strcmp(argv[1], "va-list-pointer")) {
		long s = pass_va_list_pointer(3, 1, 2, 3);
		printf("compartment 2 read compartment 1's stack through a va_list *: %ld\n", s);
		return 0;
	}
	fprintf(stderr, "usage: va ok|va-list-pointer\n");
	return 2;
}
