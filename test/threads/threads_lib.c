/* Compartment 2. */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include "threads.h"

int lib_counter;

/* glibc reuses a finished thread's stack and TLS for the next thread and
 * initializes the TLS again in the creator, whatever its compartment. */
static __thread int lib_tls = 3;

void *lib_worker(void *arg)
{
	__atomic_add_fetch(&lib_counter, 1, __ATOMIC_SEQ_CST);
	if (lib_tls++ != 3)
		return NULL;   /* this thread's TLS did not start initialized */
	return (char *)arg + 1;
}

void *lib_exit_worker(void *arg)
{
	pthread_exit((char *)arg + 2);
}

void *lib_exiting_worker(void *arg)
{
	(void)arg;
	exit(0);
}

/* Returns what the thread returned, or NULL if it could not be run. */
void *lib_spawn(void *(*start)(void *), void *arg)
{
	pthread_t t;
	void *ret;

	if (pthread_create(&t, NULL, start, arg) || pthread_join(t, &ret))
		return NULL;
	return ret;
}

int lib_read(const int *p)
{
	return *(const volatile int *)p;
}

void lib_block(int *started, int async)
{
	int old;

	if (async)
		pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
	__atomic_store_n(started, 1, __ATOMIC_SEQ_CST);
	for (;;)
		if (!async)
			pause();
}

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static int destructors_run;

/* Runs as glibc ends the thread: it must run in compartment 2, whose data
 * it counts in, and so cannot read compartment 1's *p. */
static void read_at_exit(void *p)
{
	destructors_run += 1 + 0 * *(const volatile int *)p;
}

static void make_key(void)
{
	pthread_key_create(&key, read_at_exit);
}

void lib_key_reading(const int *p)
{
	pthread_once(&key_once, make_key);
	pthread_setspecific(key, p);
}

int lib_destructors_run(void)
{
	return destructors_run;
}
