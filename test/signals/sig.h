/* The signal test's two compartments: sig_main.c (1) and sig_lib.c (2). */
#ifndef SIG_H
#define SIG_H

#include <signal.h>

/* What a handler saw when it last ran. */
struct record {
	int count;
	int signo;            /* from siginfo */
	unsigned pkru;        /* PKRU inside the handler */
	void *stack;          /* the address of one of its locals */
	int order[4];         /* nested handlers: which ran when */
	int norder;
	int blocked[3];       /* in the handler: the signal, SIGUSR2, SIGTERM blocked */
	unsigned interrupted; /* the PKRU the signal interrupted, from the frame */
};

static inline unsigned read_pkru(void)
{
	unsigned eax, edx;

	__asm__ volatile("rdpkru" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

/* Compartment 2's handler and its record; lib_install blocks SIGUSR2 in
 * it (sa_mask). */
void lib_handler(int sig, siginfo_t *info, void *uctx);
int lib_install(int sig, int flags);
struct record lib_record(void);
void lib_reset(void);
void lib_raise(int sig);
/* Spins in compartment 2 until its handler has run n times. */
int lib_spin(int n);
/* Arms a one-shot ITIMER_REAL of usec microseconds, then spins until the
 * handler has run once: wherever the machine's load delays it, SIGALRM
 * lands in compartment 2. */
void lib_alarm_spin(long usec);
int lib_ping(int x);
/* A NULL dereference in compartment 2. */
int lib_fault(void);
/* Compartment 2 recovers from its own fault with siglongjmp. */
int lib_fault_recover(void);
/* Compartment 2's SIGUSR1 handler raises sig inside it; the handler
 * lib_install_nested installs records when it ran. */
int lib_install_nesting(int sig);
int lib_install_nested(int sig);
/* Compartment 2's handler reads p: compartment 1's data must fault. */
int lib_install_reader(int sig, const int *p);

#endif
