/* Compartment 1. `threads CASE`:
 *   cross      threads start in either compartment, created from either
 *   exits      return, and pthread_exit in another compartment
 *   many N     N threads created and joined in turn leave no mappings behind
 *   exit       exit(0) from a thread running in compartment 2
 *   isolation  a thread running in compartment 2 reads compartment 1's
 *              data (must die with SEGV_PKUERR)
 *   cancel     threads cancelled while inside compartment 2, at a
 *              cancellation point and asynchronously, end and are joined;
 *              their pthread key destructors run in compartment 2
 *   cancel-escape  a thread cancelled inside compartment 2 has a key
 *              destructor of compartment 2 that reads compartment 1's
 *              data: it must die with SEGV_PKUERR, as the destructor runs
 *              with compartment 2's rights, not more */
#include <ia2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "../common/mappings.h"
#include "threads.h"

static int main_data = 5;

static __thread int main_tls = 4;

static void *main_worker(void *arg)
{
	main_data++;   /* compartment 1's data: only compartment 1 may write it */
	if (main_tls++ != 4)
		return NULL;   /* this thread's TLS did not start initialized */
	return (char *)arg + 10;
}

static void *isolation_worker(void *arg)
{
	(void)arg;
	return (void *)(long)lib_read(&main_data);
}

static int failures;

static void expect(int ok, const char *what)
{
	if (!ok) {
		printf("FAIL: %s\n", what);
		failures++;
	}
}

static void *join(pthread_t t)
{
	void *ret;
	expect(pthread_join(t, &ret) == 0, "pthread_join");
	return ret;
}

static void run_cross(void)
{
	pthread_t t;
	char base[16];

	expect(pthread_create(&t, NULL, lib_worker, base) == 0, "create lib_worker");
	expect(join(t) == base + 1, "1 -> thread in 2");
	expect(pthread_create(&t, NULL, main_worker, base) == 0, "create main_worker");
	expect(join(t) == base + 10, "1 -> thread in 1");
	expect(lib_spawn(main_worker, base) == base + 10, "2 -> thread in 1");
	expect(lib_spawn(lib_worker, base) == base + 1, "2 -> thread in 2");
	expect(main_data == 7, "compartment 1's data written by its threads");
	expect(lib_read(&lib_counter) == 2, "compartment 2's data written by its threads");
}

static void run_exits(void)
{
	pthread_t t;
	char base[16];

	expect(pthread_create(&t, NULL, lib_exit_worker, base) == 0, "create lib_exit_worker");
	expect(join(t) == base + 2, "pthread_exit in compartment 2");
}

struct block_arg {
	int *started;
	int async;
	const int *read_at_exit;
};

static void *blocking_worker(void *p)
{
	struct block_arg *a = p;

	lib_key_reading(a->read_at_exit);
	lib_block(a->started, a->async);
	return NULL;
}

/* Cancels a thread once it waits inside compartment 2. */
static void *cancel_in_lib(int async, const int *read_at_exit)
{
	struct block_arg a = {ia2_shared_calloc(1, sizeof(int)), async, read_at_exit};
	pthread_t t;
	void *ret = NULL;

	if (pthread_create(&t, NULL, blocking_worker, &a))
		return NULL;
	while (!__atomic_load_n(a.started, __ATOMIC_SEQ_CST))
		usleep(1000);
	pthread_cancel(t);
	pthread_join(t, &ret);
	free(a.started);
	return ret;
}

static void run_cancel(void)
{
	char base[16];
	/* The destructors read compartment 2's own data here. */
	const int *own = &lib_counter;

	expect(cancel_in_lib(0, own) == PTHREAD_CANCELED, "cancelled at pause() in compartment 2");
	expect(lib_destructors_run() == 1, "its key destructor ran");
	expect(cancel_in_lib(1, own) == PTHREAD_CANCELED, "cancelled asynchronously in compartment 2");
	expect(lib_destructors_run() == 2, "its key destructor ran");
	expect(lib_spawn(lib_worker, base) == base + 1, "threads still work after cancellations");
}

static void run_many(int n)
{
	char base[16];
	pthread_t t;

	/* The first thread fills glibc's stack cache; count after it. */
	expect(pthread_create(&t, NULL, lib_worker, base) == 0 && join(t) == base + 1, "warm-up");
	int before = count_mappings();
	for (int i = 0; i < n && !failures; i++) {
		int lib = i % 2;
		expect(pthread_create(&t, NULL, lib ? lib_worker : main_worker, base) == 0, "create");
		expect(join(t) == base + (lib ? 1 : 10), "each thread starts with fresh TLS");
	}
	int after = count_mappings();
	printf("threads: %d mappings before, %d after %d threads\n", before, after, n);
	expect(after == before, "no mappings leaked");
}

static void run_exit(void)
{
	pthread_t t;
	pthread_create(&t, NULL, lib_exiting_worker, NULL);
	join(t);
	printf("FAIL: exit() in a thread returned\n");
	exit(1);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (!strcmp(argv[1], "cross"))
		run_cross();
	else if (!strcmp(argv[1], "exits"))
		run_exits();
	else if (!strcmp(argv[1], "many") && argc == 3)
		run_many(atoi(argv[2]));
	else if (!strcmp(argv[1], "exit"))
		run_exit();
	else if (!strcmp(argv[1], "cancel"))
		run_cancel();
	else if (!strcmp(argv[1], "cancel-escape")) {
		cancel_in_lib(0, &main_data);
		printf("a destructor of compartment 2 read compartment 1's data\n");
		return 1;
	} else if (!strcmp(argv[1], "isolation")) {
		pthread_t t;
		pthread_create(&t, NULL, isolation_worker, NULL);
		join(t);
		return 1;
	} else
		return 2;
	printf("%s: %d failures\n", failures ? "FAIL" : "PASS", failures);
	return failures != 0;
}
