/* Compartment 2 of the fork test (fork.h). */
#define _GNU_SOURCE
#include <ia2/gate_abi.h>
#include <ia2/pkru.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/hidden.h"
#include "../common/rawcall.h"
#include "../common/pkru.h"
#include "fork.h"

int lib_secret = LIB_SECRET;
static __thread int lib_tls_var = 1;
static int *startup_block;
static int (*main_add)(int);
static void *(*main_thread)(void *);

HIDDEN const int here = 2;

__attribute__((constructor)) static void make_block(void)
{
	startup_block = malloc(sizeof *startup_block);
	*startup_block = LIB_SECRET;
}

int lib_add(int x)
{
	return x + lib_secret;
}

int *lib_block(void)
{
	return startup_block;
}

int *lib_new_block(void)
{
	int *p = malloc(sizeof *p);

	*p = LIB_SECRET;
	return p;
}

int *lib_tls(void)
{
	return &lib_tls_var;
}

int *lib_stack(void)
{
	return __builtin_frame_address(0);
}

int lib_read(const int *p)
{
	return *p;
}

pid_t lib_fork(void)
{
	return fork();
}

int lib_run(const char *op)
{
	return run_op(op);
}

void lib_set_callbacks(int (*add)(int), void *(*thread)(void *))
{
	main_add = add;
	main_thread = thread;
}

void *lib_thread(void *arg)
{
	(void)arg;
	lib_tls_var++;
	return has_pkey(&lib_tls_var, 2) && *startup_block == LIB_SECRET ? NULL : (void *)1;
}

HIDDEN int call_other(void)
{
	return main_add(1) != 1 + MAIN_SECRET;
}

HIDDEN void *(*thread_in(int compartment))(void *)
{
	return compartment == 2 ? lib_thread : main_thread;
}

void *lib_churn(void *arg)
{
	struct churn *ch = arg;
	volatile int local = 0;

	lib_tls_var = TLS_SECRET;
	ch->tls = &lib_tls_var;
	ch->stack = (void *)&local;
	__atomic_store_n(&ch->running, 1, __ATOMIC_SEQ_CST);
	while (!ch->stop) {
		int *p = malloc(32 + local % 512);
		if (!p || main_add(1) != 1 + MAIN_SECRET)
			ch->failures++;
		free(p);
		local++;
	}
	return NULL;
}

static char where(void)
{
	return read_pkru() == IA2_PKRU(2) ? '2' : 'X';
}

static void prepare2(void) { log_atfork('p', where()); }
static void parent2(void) { log_atfork('a', where()); }
static void child2(void) { log_atfork('c', where()); }

void lib_register_atfork(void)
{
	pthread_atfork(prepare2, parent2, child2);
}

/* Attacks on libia2's privileged entry (objrewrite/stubs.c), which this
 * compartment finds in libia2's symbol table. Each must end the process;
 * returning means it went through. */
static const void *privileged;

static void block_signals(void)
{
	uint64_t all = ~0ull;

	syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, sizeof all);
}

/* A stream whose writes this compartment's code does: had libia2 told
 * of an error through stdio while it had the runtime's rights, this
 * would run with every key open and read what target points to. */
static const int *cookie_target;
static ssize_t cookie_write(void *cookie, const char *buf, size_t size)
{
	(void)cookie, (void)buf;
	return write(1, "cookie read ", 12) + (ssize_t)size * 0 + *cookie_target;
}

static void *end_main_thread(void *arg)
{
	(void)arg;
	block_signals();
	raw_call(privileged, IA2_OP_THREAD_END, 0, 0);   /* record 0: the main thread's */
	return NULL;
}

/* A fork's child operation in a vfork child, which shares this process's
 * memory: had it run, the other threads' CTBs and TLS blocks would have
 * been cleared and given pkey 0 here, the parent, where target, a TLS
 * variable of compartment 1 in another thread, would then read as 0. */
static int abuse_vfork(const int *target)
{
	pid_t pid;
	int status;

	block_signals();
	raw_call(privileged, IA2_OP_FORK_PREPARE, 0, 0);
	pid = vfork();
	if (pid == 0) {
		raw_call(privileged, IA2_OP_FORK_CHILD, 0, 0);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	raw_call(privileged, IA2_OP_FORK_PARENT, 0, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
		return 3;   /* the child operation was not refused */
	return *target;
}

int lib_abuse(const char *how, const int *target)
{
	pthread_t t;

	privileged = hidden_symbol("libia2", "__ia2_privileged");
	if (!privileged)
		return 2;
	if (!strcmp(how, "vfork"))
		return abuse_vfork(target);
	if (!strcmp(how, "end-other"))
		return pthread_create(&t, NULL, end_main_thread, NULL) || pthread_join(t, NULL);
	if (!strcmp(how, "stderr")) {
		cookie_target = target;
		stderr = fopencookie(NULL, "w", (cookie_io_functions_t){.write = cookie_write});
		setvbuf(stderr, NULL, _IONBF, 0);
		return pthread_create(&t, NULL, end_main_thread, NULL) || pthread_join(t, NULL);
	}
	if (!strcmp(how, "tcb")) {
		/* glibc and jemalloc find this thread's data through %fs:0,
		 * which jemalloc's fork handlers would then write, with every
		 * key, where this compartment points it. */
		static int fake_tcb[1024];
		__asm__ volatile("mov %0, %%fs:0" : : "r"(&fake_tcb[512]) : "memory");
		return fork() >= 0;
	}
	if (strcmp(how, "unblocked"))
		block_signals();
	if (!strcmp(how, "parent"))
		raw_call(privileged, IA2_OP_FORK_PARENT, 0, 0);
	else if (!strcmp(how, "child"))
		raw_call(privileged, IA2_OP_FORK_CHILD, 0, 0);
	else if (!strcmp(how, "op"))
		raw_call(privileged, IA2_OPS, 0, 0);
	else if (!strcmp(how, "start-live"))
		raw_call(privileged, IA2_OP_THREAD_START, 0, 0);
	else if (!strcmp(how, "unblocked"))
		raw_call(privileged, IA2_OP_THREAD_NEW, 0, 0);
	else
		return 2;
	return 0;
}
