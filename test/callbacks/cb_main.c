/* usage: callbacks CASE
 *
 * Compartment 1 hands libc code pointers to call later, and compartment
 * 2 (cb_lib.c) triggers them. libia2 makes each run in compartment 1,
 * whoever triggers it (libia2/callbacks.c).
 *
 *   ok              compartment 1's own functions, handed to libc as
 *                   their bodies and as gates, run in compartment 1
 *                   when compartment 2 triggers them (a key destructor,
 *                   a fork handler, a cookie stream's write) or 1 itself
 *                   does (a printf handler, which libc passes pointers
 *                   to its caller's stack): each writes compartment 1's
 *                   data
 *   steal-printf    a printf handler, atexit handler, fork handler,
 *   steal-atexit    key destructor or cookie stream function that is the
 *   steal-atfork    body behind one of compartment 1's gates reads
 *   steal-key       compartment 2's secret when compartment 2 triggers
 *   steal-cookie    it: it must run in compartment 1 and fault
 *                   (SEGV_PKUERR) */
#define _GNU_SOURCE
#include "cb.h"
#include "../common/gatebody.h"
#include "../common/pkru.h"
#include "ia2.h"
#include "ia2/pkru.h"

#include <printf.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Where the secret is, in shared memory: what steal reads in whichever
 * compartment runs it. */
IA2_SHARED static volatile int *target;
static int ran;
static unsigned ran_pkru;

/* Compartment 1's code; compartment 2's secret is out of its reach. */
static long steal(void *a, void *b, void *c)
{
	(void)a, (void)b, (void)c;
	printf("stole compartment 2's secret: %#x\n", *target);
	fflush(stdout);
	_exit(0);   /* not exit: it would flush the cookie stream again */
}

/* Writes compartment 1's data: faults unless it runs in compartment 1. */
static long note_ran(void *a, void *b, void *c)
{
	(void)a, (void)b, (void)c;
	ran++;
	ran_pkru = read_pkru();
	return 0;
}

static int render(FILE *f, const struct printf_info *info, const void *const *args)
{
	note_ran(NULL, NULL, NULL);
	(void)info, (void)args;
	return fprintf(f, "<%d>", ran);
}

static int arginfo(const struct printf_info *info, size_t n, int *types, int *size)
{
	(void)info;
	if (n > 0) {
		types[0] = PA_INT;
		size[0] = sizeof(int);
	}
	return 1;
}

static void *body_of(const void *gate)
{
	void *body = gate_body(gate, 1);

	if (!body) {
		puts("no body behind the gate");
		exit(3);
	}
	return body;
}

static ssize_t cookie_write(void *cookie, const char *buf, size_t n)
{
	(void)cookie, (void)buf;
	note_ran(NULL, NULL, NULL);
	return (ssize_t)n;
}

static int failures;

static void check(int ok, const char *what)
{
	if (!ok) {
		printf("FAIL: %s\n", what);
		failures++;
	}
}

/* %Y is registered below, which gcc's format check does not know. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
static void run_ok(void)
{
	pthread_key_t key;
	cookie_io_functions_t io = {.write = body_of((const void *)cookie_write)};
	FILE *f;

	/* libc hands a printf handler its caller's printf_info and argument
	 * array, on the caller's stack: compartment 1 prints itself. */
	register_printf_specifier('Y', body_of((const void *)render),
				  body_of((const void *)arginfo));
	printf("compartment 1 prints %Y\n", 7);
	check(ran == 1 && ran_pkru == IA2_PKRU(1), "a printf handler ran in compartment 1");
	check(pthread_key_create(&key, body_of((const void *)note_ran)) == 0, "pthread_key_create");
	cb_lib_thread(key);
	check(ran == 2 && ran_pkru == IA2_PKRU(1), "a key destructor ran in compartment 1");
	pthread_atfork(body_of((const void *)note_ran), NULL, NULL);
	cb_lib_fork();
	check(ran == 3 && ran_pkru == IA2_PKRU(1), "a fork handler ran in compartment 1");
	f = fopencookie(NULL, "w", io);
	cb_lib_write(f);
	check(ran == 4 && ran_pkru == IA2_PKRU(1), "a cookie stream's write ran in compartment 1");
	register_printf_specifier('Y', (printf_function *)render, arginfo);
	printf("compartment 1 prints %Y\n", 7);
	check(ran == 5 && ran_pkru == IA2_PKRU(1), "a printf handler given as a gate ran in 1");
}

int main(int argc, char **argv)
{
	const char *c = argc == 2 ? argv[1] : "";
	void *body = body_of((const void *)steal);
	pthread_key_t key;

	target = cb_secret_address();
	if (!strcmp(c, "ok")) {
		run_ok();
		if (!failures)
			puts("callbacks: ok");
		return failures != 0;
	}
	if (!strcmp(c, "steal-printf")) {
		register_printf_specifier('Y', body, body_of((const void *)arginfo));
		cb_lib_printf();
	} else if (!strcmp(c, "steal-atexit")) {
		atexit(body);
		cb_lib_exit();
	} else if (!strcmp(c, "steal-atfork")) {
		pthread_atfork(body, NULL, NULL);
		cb_lib_fork();
	} else if (!strcmp(c, "steal-key")) {
		pthread_key_create(&key, body);
		cb_lib_thread(key);
	} else if (!strcmp(c, "steal-cookie")) {
		cookie_io_functions_t io = {.write = body};
		cb_lib_write(fopencookie(NULL, "w", io));
	} else {
		puts("usage: callbacks ok|steal-printf|steal-atexit|steal-atfork|steal-key|steal-cookie");
		return 2;
	}
	puts("the trigger returned without running the stolen pointer");
	return 1;
}
