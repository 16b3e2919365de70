/* A DSO outside the compartments whose constructor runs before libia2's
 * (early.c), and the compartment-1 program that uses it (early_main.c). */
#ifndef EARLY_H
#define EARLY_H

/* What early.c's constructor saw. */
struct early_ctor {
	unsigned pkru_before;  /* PKRU as the constructor began */
	unsigned pkru_after;   /* after its pthread_create */
	int created;           /* pthread_create returned 0 */
	int handler_set;       /* its sigaction returned 0 */
	int jumped;            /* its longjmp came back to setjmp */
};

/* What early.c's SIGUSR1 handler saw when it last ran. */
struct early_signal {
	int count;
	unsigned pkru;
	int on_thread;         /* it ran on the constructor's thread */
};

struct early_ctor early_ctor_record(void);
struct early_signal early_signal_record(void);
void early_usr1(int sig);
/* Run on the thread the constructor started: fn(arg), and the thread's
 * PKRU at the time of the request. */
int early_call(int (*fn)(int), int arg);
unsigned early_thread_pkru(void);
/* That thread reads *p. */
int early_read(const int *p);
/* Send sig to that thread and wait until it has handled it. */
void early_signal_thread(int sig);
int early_is_thread(void);

static inline unsigned read_pkru(void)
{
	unsigned eax, edx;

	__asm__ volatile("rdpkru" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

#endif
