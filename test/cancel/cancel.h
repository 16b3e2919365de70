/* Cleanup handlers of a cancelled thread across compartments:
 * cancel_main.c (compartment 1) and cancel_lib.c (2). */
#ifndef CANCEL_H
#define CANCEL_H

/* How lib_block waits to be cancelled, inside compartment 2. */
enum wait {
	AT_PAUSE,        /* pause(): a cancellation point, so by SIGCANCEL */
	AT_TESTCANCEL,   /* pthread_testcancel() in a loop */
	ASYNC,           /* a busy loop with asynchronous cancellation */
	EXIT,            /* no cancellation: pthread_exit((void *)7) */
	BARE,            /* pthread_testcancel() with no handlers of its own */
	CALLBACK,        /* calls back into compartment 1, which waits there */
};

/* What one handler saw: the order it ran in (from the shared counter),
 * and whether it had its compartment's PKRU. */
struct ran {
	int order;
	int own_pkru;
};

/* The sequence every handler draws its order from: compartment 1's
 * shared variable (IA2_SHARED), which both compartments may write. */
extern int cleanup_seq;

/* Pushes two handlers (outer, inner) unless BARE, sets *started (shared
 * memory), then waits as `how` says; CALLBACK calls wait_in_1 instead. */
void lib_block(int *started, enum wait how, void (*wait_in_1)(int *started));
/* lib's handlers, outer and inner, as they last ran; then cleared. */
struct ran lib_ran(int which);
void lib_reset(void);
/* Pushes one handler (the inner one) and calls pthread_exit(NULL). */
void lib_exit(void);
/* Compartment 2 starts a thread of its own, in compartment 2, that
 * pushes both handlers and waits at pthread_testcancel(); cancels and
 * joins it; returns 1 if it ended with PTHREAD_CANCELED. */
int lib_thread_cancelled(void);
/* A handler of compartment 2 that reads *p as it runs. */
void lib_block_reading(int *started, const int *p);

/* The emulated-PKRU build (CANCEL_EMULATED) keeps PKRU in libia2's
 * variable, and runs natively, without rdpkru. */
#ifdef CANCEL_EMULATED
extern __thread unsigned __ia2_pkru;

static inline unsigned read_pkru(void)
{
	return __ia2_pkru;
}
#else
static inline unsigned read_pkru(void)
{
	unsigned eax, edx;

	__asm__ volatile("rdpkru" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}
#endif

#endif
