/* Threads: pthread_create from any compartment, with a start routine in
 * any compartment.
 *
 * libia2's pthread_create runs in the creator's compartment c (libia2 is
 * compartment 0 code, called without a gate). It gives the new thread a
 * stack in every compartment and passes the start routine on c's new
 * stack, which only c can write. The thread inherits PKRU(c) from its
 * creator (clone keeps PKRU, pkeys(7)); it sets up its compartment thread
 * blocks, moves to c's stack and calls the start routine, which is a gate
 * if it lives in another compartment. A creator in compartment 0 (libc,
 * or any DSO outside the compartments) starts its thread there. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

struct thread_start {
	unsigned pkru;     /* the creator's */
	void *(*start)(void *);
	void *arg;
	uintptr_t tops[IA2_MAX_COMPARTMENTS + 1];
};

/* What the thread frees when it ends, however it ends: a TSD destructor
 * runs after a return, pthread_exit or cancellation alike. */
struct thread_stacks {
	uintptr_t tops[IA2_MAX_COMPARTMENTS + 1];
};

/* Calls fn(arg) with rsp = stack_top (stack.S). */
void *__ia2_run_on_stack(void *(*fn)(void *), void *arg, uintptr_t stack_top);

static pthread_key_t stacks_key;

static void free_stacks(const uintptr_t *tops)
{
	for (int c = 1; c <= IA2_MAX_COMPARTMENTS; c++)
		free_stack(tops[c]);
}

static void release_thread(void *p)
{
	struct thread_stacks *s = p;

	release_thread_signals();
	release_thread_blocks();
	release_thread_tls();
	free_stacks(s->tops);
	free(s);
}

void init_threads(void)
{
	int err = pthread_key_create(&stacks_key, release_thread);
	if (err)
		die("pthread_key_create: %s", strerror(err));
}

/* A creator in compartment 0 has no stack to start the thread on, nor
 * anything to protect: its thread starts on its pthread stack, and the
 * start block it was given is in the shared heap. ASan wraps the start
 * routine in its own, which must find itself on the pthread stack too
 * (asan_thread.cpp, SetThreadStackAndTls), so with a sanitizer's malloc,
 * in the emulated runtime, every thread starts there. */
static void *thread_entry(void *p)
{
	struct thread_start *ts = p, start = *ts;
	struct thread_stacks *s = malloc(sizeof *s);
	int c = compartment_of_pkru(ts->pkru);

	inherit_pkru(ts->pkru);
	if (!s)
		die("out of memory starting a thread");
	memcpy(s->tops, ts->tops, sizeof s->tops);
	pthread_setspecific(stacks_key, s);
	set_up_thread_blocks(ts->tops);
	tag_thread_tls();
	set_up_thread_signals();
	if (c == 0)
		free(ts);
	if (c == 0 || __ia2_ro.s.process.malloc)
		return start.start(start.arg);
	/* c's stack continues below ts; CTB(c) is c's, and so is this PKRU. */
	*(uintptr_t *)&__ia2_ctb[c][IA2_CTB_FRAME] = (uintptr_t)ts;
	return __ia2_run_on_stack(start.start, start.arg, (uintptr_t)ts);
}

__attribute__((visibility("default")))
int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg)
{
	int c = current_compartment();
	uintptr_t tops[IA2_MAX_COMPARTMENTS + 1] = {0};
	struct thread_start *ts;
	int err;

	if (in_startup_state())   /* before libia2's setup is done */
		return __ia2_ro.s.libc_pthread_create(thread, attr, start, arg);
	for (int k = 1; k <= IA2_MAX_COMPARTMENTS; k++)
		if (__ia2_ro.s.present[k])
			tops[k] = allocate_stack(k);
	/* On top of c's new stack, only c can change what the thread runs. */
	ts = c ? (struct thread_start *)((tops[c] - IA2_STACK_SLACK - sizeof *ts) & ~15UL)
	       : malloc(sizeof *ts);
	if (!ts) {
		free_stacks(tops);
		return EAGAIN;
	}
	ts->pkru = current_pkru();
	ts->start = start;
	ts->arg = arg;
	memcpy(ts->tops, tops, sizeof tops);
	err = __ia2_ro.s.libc_pthread_create(thread, attr, thread_entry, ts);
	if (err) {
		free_stacks(tops);
		if (c == 0)
			free(ts);
	} else
		wrap_glibc_handlers();
	return err;
}
