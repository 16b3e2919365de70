/* Threads: pthread_create from any compartment, with a start routine in
 * any compartment.
 *
 * libia2's pthread_create runs in the creator's compartment c (libia2 is
 * compartment 0 code, called without a gate). It has the runtime give
 * the new thread a stack in every compartment (registry.c) and passes
 * the start routine on c's new stack, which only c can write. The thread
 * inherits PKRU(c) from its creator (clone keeps PKRU, pkeys(7)); the
 * runtime sets up its compartment thread blocks, and the thread moves to
 * c's stack and calls the start routine, which is a gate if it lives in
 * another compartment. A creator in compartment 0 (libc,
 * or any DSO outside the compartments) starts its thread there. */
#include <dlfcn.h>
#include <errno.h>
#include <jemalloc/jemalloc.h>
#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

struct thread_start {
	unsigned pkru;     /* the creator's */
	void *(*start)(void *);
	void *arg;
	uintptr_t record;  /* registry.c */
	sigset_t mask;     /* the creator's signal mask */
};

static pthread_key_t end_key;

/* This thread's record (registry.c), which its end gives back; the
 * runtime checks that it is this thread's. */
static __thread uintptr_t thread_record;
static __thread int end_rounds;

/* glibc calls the key destructors in key order, libia2's key first, in up
 * to PTHREAD_DESTRUCTOR_ITERATIONS rounds while any destructor sets a key
 * again (nptl/nptl_deallocate_tsd.c). The program's destructors are gates
 * into their compartments and need this thread's stacks, so libia2's sets
 * its key again until the last round, and ends the thread's record then. */
static void end_thread(void *p)
{
	if (++end_rounds < PTHREAD_DESTRUCTOR_ITERATIONS) {
		pthread_setspecific(end_key, p);
		return;
	}
	run_privileged(IA2_OP_THREAD_END, thread_record, 0);
}

void init_threads(void)
{
	int err = pthread_key_create(&end_key, end_thread);
	if (err)
		die("pthread_key_create: %s", strerrorname_np(err));
}

/* The start block of compartment c's thread, on top of c's new stack,
 * where only c can change what the thread runs. */
static struct thread_start *start_block(uintptr_t top)
{
	return (struct thread_start *)((top - IA2_STACK_SLACK - sizeof(struct thread_start)) & ~15UL);
}

/* What the runtime gives a thread of compartment c at its start
 * (registry.c): its record `record`, its CTBs, its stacks, which gates
 * find through CTB(c)'s frame. Returns the top of c's stack. */
static uintptr_t start_as(uintptr_t record, int c)
{
	struct pair tops = run_privileged(IA2_OP_THREAD_START, record, 0);

	thread_record = record;
	pthread_setspecific(end_key, (void *)1);
	/* The privileged entry gives CTB(c)'s frame and the shared stack
	 * pointer back as it found them (gate_abi.h): c's stack starts here.
	 * CTB(c) is c's, and so is this PKRU. */
	__safestack_unsafe_stack_ptr = tops.b;
	if (c)
		ctb_set(c, IA2_CTB_FRAME, no_call_frame(tops.a - IA2_STACK_SLACK));
	set_up_thread_cancel(c);
	return tops.a;
}

uintptr_t adopt_thread(void)
{
	static __thread uintptr_t stack;
	int c = current_compartment();
	uintptr_t top;

	if (!thread_record) {
		top = start_as(run_privileged(IA2_OP_THREAD_NEW, 0, 0).a, c);
		/* Where CTB(c)'s frame says c's stack starts; compartment 0, and
		 * every compartment under a sanitizer's malloc, stay on the
		 * thread's own stack, as in thread_entry. */
		stack = c && !__ia2_ro.s.process.malloc ? top - IA2_STACK_SLACK : 0;
	}
	return stack;
}

/* A creator in compartment 0 has no stack to start the thread on, nor
 * anything to protect: its thread starts on its pthread stack, and the
 * start block it was given is in the shared heap. ASan wraps the start
 * routine in its own, which must find itself on the pthread stack too
 * (asan_thread.cpp, SetThreadStackAndTls), so with a sanitizer's malloc,
 * in the emulated runtime, every thread starts there. */
static void *thread_entry(void *p)
{
	struct thread_start *ts = p, start;
	uintptr_t top;
	int c;

	/* Natively the thread has its creator's PKRU already, and ts could
	 * be anyone's until it is found where only c can write it; emulated,
	 * PKRU is a variable that starts at 0, and nothing is isolated. */
	inherit_pkru(ts->pkru);
	c = current_compartment();
	top = start_as(ts->record, c);
	if (c && ts != start_block(top))
		die("a new thread of compartment %d found its start block away from its stack", c);
	start = *ts;
	pthread_sigmask(SIG_SETMASK, &start.mask, NULL);
	if (c == 0)
		free(ts);
	if (c == 0 || __ia2_ro.s.process.malloc)
		return start.start(start.arg);
	/* c's stack continues below ts, whose contents are in start now. */
	ctb_set(c, IA2_CTB_FRAME, no_call_frame((uintptr_t)ts));
	return __ia2_run_on_stack(start.start, start.arg, (uintptr_t)ts);
}

/* jemalloc's background threads (MALLOC_CONF=background_thread:true)
 * start inside its first malloc, before libia2's setup, or as libia2
 * creates its arenas, in the startup state: they could get no
 * compartment, and libia2's setup from inside jemalloc's locks hung the
 * process. */
static void refuse_allocator_thread(void *(*start)(void *))
{
	Dl_info thread, jemalloc;

	if (dladdr((void *)start, &thread) && dladdr((void *)mallocx, &jemalloc) &&
	    thread.dli_fbase == jemalloc.dli_fbase)
		die("jemalloc's background threads are on (MALLOC_CONF=background_thread:true); "
		    "ia2 cannot give them a compartment, so they would run with every protection "
		    "key open: take background_thread out of MALLOC_CONF");
}

__attribute__((visibility("default")))
int pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *), void *arg)
{
	struct thread_start *ts;
	struct pair record;
	sigset_t all, mask;
	int c, err;

	if (!__ia2_ro.s.set_up_begun || has_runtime_rights())
		refuse_allocator_thread(start);
	set_up_libia2();
	c = current_compartment();
	if (has_runtime_rights())   /* inside libia2's setup */
		return __ia2_ro.s.libc_pthread_create(thread, attr, start, arg);
	record = run_privileged(IA2_OP_THREAD_NEW, 0, 0);
	ts = c ? start_block(record.b) : malloc(sizeof *ts);
	if (!ts) {
		run_privileged(IA2_OP_THREAD_ABANDON, record.a, 0);
		return EAGAIN;
	}
	ts->pkru = current_pkru();
	ts->start = start;
	ts->arg = arg;
	ts->record = record.a;
	/* The thread starts with every signal blocked, as glibc starts it
	 * with its creator's mask: until thread_entry has set up its signal
	 * stacks and CTBs, a signal entry would find none and trap. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	ts->mask = mask;
	err = __ia2_ro.s.libc_pthread_create(thread, attr, thread_entry, ts);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	if (err) {
		run_privileged(IA2_OP_THREAD_ABANDON, record.a, 0);
		if (c == 0)
			free(ts);
	} else
		wrap_glibc_handlers();
	return err;
}

/* glibc installs its SIGCANCEL handler in the first pthread_cancel, just
 * before it signals the target (nptl/pthread_cancel.c), too late for
 * libia2 to wrap it first (signals.c). So before the program's first
 * pthread_cancel, libia2 cancels a thread of its own, which makes glibc
 * install the handler, and wraps it. That thread disables cancellation,
 * blocks every signal and runs on its pthread stack only, so neither the
 * cancellation nor a signal can touch it before it returns. */
struct cancel_target {
	sem_t ready, go;
};

static void *wait_for_go(void *p)
{
	struct cancel_target *t = p;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	sem_post(&t->ready);
	while (sem_wait(&t->go))
		;
	return NULL;
}

static void install_cancel_handler(void)
{
	struct cancel_target t;
	sigset_t all, mask;
	pthread_t th;
	int err;

	sem_init(&t.ready, 0, 0);
	sem_init(&t.go, 0, 0);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	err = __ia2_ro.s.libc_pthread_create(&th, NULL, wait_for_go, &t);
	if (err)   /* pthread_create returns its error; errno is not set */
		die("cannot start the thread that sets up cancellation: %s", strerrorname_np(err));
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	while (sem_wait(&t.ready))
		;
	__ia2_ro.s.libc_pthread_cancel(th);
	wrap_glibc_handlers();
	sem_post(&t.go);
	pthread_join(th, NULL);
}

__attribute__((visibility("default")))
int pthread_cancel(pthread_t thread)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	set_up_libia2();
	run_once(&once, install_cancel_handler);
	return __ia2_ro.s.libc_pthread_cancel(thread);
}
