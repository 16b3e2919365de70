/* Compartment 1 of the cancellation test. `cancel CASE`; each case exits
 * 0 only if every check held (escape: must die with SEGV_PKUERR). A
 * thread of compartment 1 pushes a cleanup handler and calls into
 * compartment 2, which pushes two and waits there to be cancelled:
 *  pause       at pause(), a cancellation point, so by SIGCANCEL
 *  testcancel  at pthread_testcancel()
 *  async       in a busy loop, with asynchronous cancellation
 *  exit        pthread_exit((void *)7) instead, with no cancellation
 *  bare        at pthread_testcancel(), compartment 2 pushing nothing
 *  callback    compartment 2 calls back into compartment 1, which pushes
 *              a handler and waits at pthread_testcancel()
 * Each handler runs once, innermost first, in its own compartment with
 * its own PKRU, and the thread ends with PTHREAD_CANCELED (7 for exit).
 *  lib-thread  a thread that compartment 2 starts, in compartment 2, with
 *              both handlers there
 *  main-exit   the main thread pushes a handler and calls into
 *              compartment 2, which pushes one and calls pthread_exit:
 *              both run, and the process exits with status 0 once the
 *              main thread has ended (an atexit handler checks them)
 *  escape      compartment 2's handler reads compartment 1's data */
#include <ia2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../common/insyscall.h"
#include "cancel.h"
#include "ia2/pkru.h"

IA2_SHARED int cleanup_seq;

static int failures;
static int secret = 11;
static struct ran ran[2];   /* the worker's handler, the callback's */

struct job {
	int *started;   /* shared memory: the waiting thread sets its ID there */
	enum wait how;
	int escape;
};

static void expect(int ok, const char *what)
{
	if (!ok) {
		printf("FAIL: %s\n", what);
		failures++;
	}
}

static void record(void *which)
{
	struct ran *r = &ran[(long)which];

	r->order = __atomic_add_fetch(&cleanup_seq, 1, __ATOMIC_SEQ_CST);
	r->own_pkru = read_pkru() == IA2_PKRU(1);
}

static void wait_in_1(int *started)
{
	pthread_cleanup_push(record, (void *)1);
	__atomic_store_n(started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		pthread_testcancel();
	pthread_cleanup_pop(0);
}

static void *worker(void *p)
{
	struct job *j = p;

	pthread_cleanup_push(record, (void *)0);
	if (j->escape)
		lib_block_reading(j->started, &secret);
	else
		lib_block(j->started, j->how, wait_in_1);
	pthread_cleanup_pop(0);
	return NULL;
}

/* Runs a worker until it waits in compartment 2 (or 1), cancels it
 * unless it exits by itself, and returns how it ended. */
static void *run_worker(enum wait how, int escape)
{
	struct job j = {ia2_shared_calloc(1, sizeof(int)), how, escape};
	pthread_t t;
	void *ret = NULL;

	cleanup_seq = 0;
	lib_reset();
	memset(ran, 0, sizeof ran);
	if (pthread_create(&t, NULL, worker, &j))
		return NULL;
	while (!__atomic_load_n(j.started, __ATOMIC_SEQ_CST))
		usleep(1000);
	if (how == AT_PAUSE)
		wait_in_syscall(*j.started, SYS_pause);
	if (how != EXIT)
		pthread_cancel(t);
	pthread_join(t, &ret);
	free(j.started);
	return ret;
}

static void expect_ran(struct ran r, int order, int compartment, const char *who)
{
	char what[128];

	snprintf(what, sizeof what, "%s ran as handler %d", who, order);
	expect(r.order == order, what);
	snprintf(what, sizeof what, "%s ran with PKRU(%d)", who, compartment);
	expect(r.own_pkru, what);
}

static void run(enum wait how)
{
	void *ret = run_worker(how, 0);

	expect(ret == (how == EXIT ? (void *)7 : PTHREAD_CANCELED), "the thread's result");
	if (how == BARE) {
		expect_ran(ran[0], 1, 1, "compartment 1's handler");
		return;
	}
	if (how == CALLBACK) {
		expect_ran(ran[1], 1, 1, "the callback's handler");
		expect_ran(lib_ran(1), 2, 2, "compartment 2's inner handler");
		expect_ran(lib_ran(0), 3, 2, "compartment 2's outer handler");
		expect_ran(ran[0], 4, 1, "compartment 1's handler");
		return;
	}
	expect_ran(lib_ran(1), 1, 2, "compartment 2's inner handler");
	expect_ran(lib_ran(0), 2, 2, "compartment 2's outer handler");
	expect_ran(ran[0], 3, 1, "compartment 1's handler");
}

static void check_main_exit(void)
{
	expect_ran(lib_ran(1), 1, 2, "compartment 2's handler");
	expect_ran(ran[0], 2, 1, "the main thread's handler");
	if (failures)
		_exit(1);
}

static void run_main_exit(void)
{
	atexit(check_main_exit);
	pthread_cleanup_push(record, (void *)0);
	lib_exit();
	pthread_cleanup_pop(0);
	printf("FAIL: pthread_exit returned\n");
	exit(1);
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum wait how;
	} cases[] = {
		{"pause", AT_PAUSE}, {"testcancel", AT_TESTCANCEL}, {"async", ASYNC},
		{"exit", EXIT}, {"bare", BARE}, {"callback", CALLBACK},
	};
	const char *c = argc > 1 ? argv[1] : "";

	if (!strcmp(c, "lib-thread")) {
		expect(lib_thread_cancelled(), "compartment 2's own thread ended cancelled");
		expect_ran(lib_ran(1), 1, 2, "compartment 2's inner handler");
		expect_ran(lib_ran(0), 2, 2, "compartment 2's outer handler");
		return failures != 0;
	}
	if (!strcmp(c, "main-exit"))
		run_main_exit();
	if (!strcmp(c, "escape")) {
		run_worker(AT_PAUSE, 1);
		printf("compartment 2's handler read compartment 1's data\n");
		return 1;
	}
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		if (!strcmp(c, cases[i].name)) {
			run(cases[i].how);
			return failures != 0;
		}
	fprintf(stderr, "usage: cancel pause|testcancel|async|exit|bare|callback|lib-thread|"
			"main-exit|escape\n");
	return 2;
}
