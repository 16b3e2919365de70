/* Compartment 2 of the cancellation test. */
#define _GNU_SOURCE
#include <pthread.h>
#include <unistd.h>

#include "cancel.h"
#include "ia2/pkru.h"

static struct ran ran[2];

static void record(void *which)
{
	struct ran *r = &ran[(long)which];

	r->order = __atomic_add_fetch(&cleanup_seq, 1, __ATOMIC_SEQ_CST);
	r->own_pkru = read_pkru() == IA2_PKRU(2);
}

static void wait_as(int *started, enum wait how, void (*wait_in_1)(int *))
{
	int old;

	if (how == CALLBACK) {
		wait_in_1(started);
		return;
	}
	if (how == ASYNC)
		pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
	/* Its thread ID, never 0: the test can see the thread wait in pause. */
	__atomic_store_n(started, gettid(), __ATOMIC_SEQ_CST);
	for (;;) {
		if (how == AT_PAUSE)
			pause();
		else if (how == AT_TESTCANCEL || how == BARE)
			pthread_testcancel();
		else if (how == EXIT)
			pthread_exit((void *)7);
	}
}

void lib_block(int *started, enum wait how, void (*wait_in_1)(int *))
{
	if (how == BARE) {
		wait_as(started, how, wait_in_1);
		return;
	}
	pthread_cleanup_push(record, (void *)0);
	pthread_cleanup_push(record, (void *)1);
	wait_as(started, how, wait_in_1);
	pthread_cleanup_pop(0);
	pthread_cleanup_pop(0);
}

void lib_exit(void)
{
	pthread_cleanup_push(record, (void *)1);
	pthread_exit(NULL);
	pthread_cleanup_pop(0);
}

static void *own_thread(void *started)
{
	lib_block(started, AT_TESTCANCEL, NULL);
	return NULL;
}

int lib_thread_cancelled(void)
{
	static int started;   /* compartment 2's own: both threads run in 2 */
	pthread_t t;
	void *ret = NULL;

	if (pthread_create(&t, NULL, own_thread, &started))
		return 0;
	while (!__atomic_load_n(&started, __ATOMIC_SEQ_CST))
		usleep(1000);
	pthread_cancel(t);
	pthread_join(t, &ret);
	return ret == PTHREAD_CANCELED;
}

struct ran lib_ran(int which)
{
	return ran[which];
}

void lib_reset(void)
{
	ran[0] = ran[1] = (struct ran){0, 0};
}

static void read_it(void *p)
{
	ran[0].order = *(const volatile int *)p;
}

void lib_block_reading(int *started, const int *p)
{
	pthread_cleanup_push(read_it, (void *)p);
	__atomic_store_n(started, gettid(), __ATOMIC_SEQ_CST);
	for (;;)
		pause();
	pthread_cleanup_pop(0);
}
