/* Processes across compartments: fork_main.c is compartment 1,
 * fork_lib.c compartment 2, and each has its own copy of procs.c. */
#ifndef FORK_H
#define FORK_H

#include <sys/types.h>

#define HIDDEN __attribute__((visibility("hidden")))

#define LIB_SECRET 4242
#define MAIN_SECRET 4141
#define TLS_SECRET 0x5ec2e7

/* A thread that keeps working in a compartment until *stop, and what
 * the fork tests want to know of it once it runs: where its TLS variable
 * of compartment 2 and a local of its compartment-2 stack are. Shared
 * memory (ia2_shared_calloc). */
struct churn {
	volatile int stop, running;
	int *tls;
	void *stack;
	int failures;
};

/* fork_lib.c, compartment 2. */
extern int lib_secret;                 /* LIB_SECRET */
int lib_add(int x);                    /* x + lib_secret */
int *lib_block(void);                  /* a block of 2's heap holding LIB_SECRET */
int *lib_new_block(void);              /* a new one */
int *lib_tls(void);                    /* this thread's TLS variable of 2 */
int *lib_stack(void);                  /* a place on this thread's stack of 2 */
int lib_read(const int *p);            /* 2 reads *p */
pid_t lib_fork(void);                  /* fork, called in 2 */
int lib_run(const char *op);           /* run_op(op) in 2 */
void lib_set_callbacks(int (*add)(int), void *(*thread)(void *));
void *lib_thread(void *arg);           /* a thread's start in 2: 0 if its TLS is 2's */
void *lib_churn(void *churn);          /* a struct churn's thread in 2 */
void lib_register_atfork(void);
/* Attacks on libia2's privileged entry; see fork_lib.c. */
int lib_abuse(const char *how, const int *target);

/* procs.c: each compartment's copy runs `op` there: fork, vfork,
 * system, popen, spawn, spawnp, daemon or exec; 0 if it worked. */
HIDDEN int run_op(const char *op);
/* What a process does in the compartment it runs in, after a fork or in
 * a daemon: allocations, calls across, threads; 0 if all worked. */
HIDDEN int work_here(void);

/* Whether p's memory has pkey k; always, in the emulated-PKRU build,
 * where memory has none (procs.c). */
HIDDEN int has_pkey(const void *p, int k);

/* Each compartment's part of work_here: its number, a call into the
 * other compartment (0 if it returned what it should), and start
 * routines of a thread in each compartment. */
HIDDEN extern const int here;
HIDDEN int call_other(void);
HIDDEN void *(*thread_in(int compartment))(void *);

/* fork_main.c, compartment 1: the log of the fork handlers of both
 * compartments, two characters a handler: what ran ('p'repare,
 * p'a'rent, 'c'hild) and with which rights ('1', '2', or 'X' for
 * neither compartment's PKRU). */
void log_atfork(char what, char where);

#endif
