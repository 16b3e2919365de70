/* Compartment 2. */
#include <pthread.h>
#include <stdlib.h>
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
