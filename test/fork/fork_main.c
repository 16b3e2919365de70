/* Compartment 1 of the fork test. `fork CASE`:
 *   main-OP, lib-OP  run_op(OP) (procs.c) in compartment 1 or 2: fork,
 *              vfork, system, popen, spawn, spawnp, daemon, exec
 *   thread-fork  fork from each compartment in a thread other than main
 *   threads    fork from each compartment while three threads work in
 *              both; the child works too, and finds what the threads
 *              left behind gone: their TLS of compartment 2 cleared and
 *              untagged, their compartment-2 stacks unmapped
 *   stress N   N forks, from each compartment in turn, while threads work
 *   atfork-main, atfork-lib  fork from compartment 1 or 2 with fork
 *              handlers of both: each runs in its own compartment, in
 *              glibc's order
 *   exec-target  what `exec` runs: this program again, whole
 *   child-*    the child breaks isolation, and must die of SEGV_PKUERR:
 *              reads-lib-global, reads-lib-heap, reads-lib-tls,
 *              reads-lib-stack and reads-new-lib-heap read compartment
 *              2's memory from 1;
 *              lib-reads-main has 2 read 1's data; lib-forks-reads-main
 *              forks in 2, whose child reads 1's data
 *   abuse-HOW  attacks of compartment 2 on libia2's privileged entry
 *              (fork_lib.c); each must end the process */
#include <ia2.h>
#include <ia2/pkru.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/pkeyof.h"
#include "../common/pkru.h"
#include "fork.h"

static int main_secret = MAIN_SECRET;
static __thread int main_tls = 1;
static char atfork_log[64];

HIDDEN const int here = 1;

static int main_add(int x)
{
	return x + main_secret;
}

static void *main_thread(void *arg)
{
	(void)arg;
	main_tls++;
	return has_pkey(&main_tls, 1) && main_secret == MAIN_SECRET ? NULL : (void *)1;
}

HIDDEN int call_other(void)
{
	return lib_add(1) != 1 + LIB_SECRET || lib_read(lib_block()) != LIB_SECRET;
}

HIDDEN void *(*thread_in(int compartment))(void *)
{
	return compartment == 1 ? main_thread : lib_thread;
}

void log_atfork(char what, char where)
{
	size_t n = strlen(atfork_log);

	if (n + 2 < sizeof atfork_log) {
		atfork_log[n] = what;
		atfork_log[n + 1] = where;
	}
}

static char where(void)
{
	return read_pkru() == IA2_PKRU(1) ? '1' : 'X';
}

static void prepare1(void) { log_atfork('p', where()); }
static void parent1(void) { log_atfork('a', where()); }
static void child1(void) { log_atfork('c', where()); }

static int fail(const char *what)
{
	printf("FAIL: %s\n", what);
	return 1;
}

static int wait_for(pid_t pid)
{
	int s;

	if (pid < 0 || waitpid(pid, &s, 0) != pid)
		return -1;
	return WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
}

/* Threads that work until stopped: two in compartment 2, one in 1. */
#define NCHURN 3
static struct churn *churn;
static pthread_t churners[NCHURN];

static void *main_churn(void *arg)
{
	struct churn *ch = arg;

	__atomic_store_n(&ch->running, 1, __ATOMIC_SEQ_CST);
	while (!ch->stop) {
		int *p = malloc(48);
		if (!p || lib_add(1) != 1 + LIB_SECRET)
			ch->failures++;
		free(p);
	}
	return NULL;
}

static void start_churn(void)
{
	churn = ia2_shared_calloc(NCHURN, sizeof *churn);
	for (int i = 0; i < NCHURN; i++)
		if (pthread_create(&churners[i], NULL, i ? lib_churn : main_churn, &churn[i]))
			exit(fail("pthread_create"));
	for (int i = 0; i < NCHURN; i++)
		while (!__atomic_load_n(&churn[i].running, __ATOMIC_SEQ_CST))
			sched_yield();
}

static int stop_churn(void)
{
	int bad = 0;

	for (int i = 0; i < NCHURN; i++)
		churn[i].stop = 1;
	for (int i = 0; i < NCHURN; i++) {
		pthread_join(churners[i], NULL);
		bad |= churn[i].failures ? fail("a working thread's calls") : 0;
	}
	return bad;
}

/* In a child: the threads of compartment 2 that did not come along left
 * their TLS cleared, with pkey 0, and their stacks unmapped. */
static int churners_gone(void)
{
	int bad = 0;

	for (int i = 1; i < NCHURN; i++) {
		bad |= *churn[i].tls != 0 ? fail("a dead thread's TLS of compartment 2 was not cleared") : 0;
		bad |= !has_pkey(churn[i].tls, 0) ? fail("a dead thread's TLS kept its pkey") : 0;
		bad |= pkey_of(churn[i].stack) != -1 ? fail("a dead thread's stack is still mapped") : 0;
	}
	return bad;
}

static int fork_with_threads(int from_lib)
{
	pid_t pid = from_lib ? lib_fork() : fork();

	if (pid == 0)
		_exit(work_here() | churners_gone());
	return wait_for(pid) != 0 ? fail(from_lib ? "fork in 2" : "fork in 1") : work_here();
}

static int run_threads(void)
{
	int bad;

	start_churn();
	bad = fork_with_threads(0) | fork_with_threads(1);
	return bad | stop_churn();
}

static void *fork_in_thread(void *arg)
{
	(void)arg;
	return (void *)(long)(run_op("fork") | lib_run("fork"));
}

static int run_thread_fork(void)
{
	pthread_t t;
	void *r = (void *)1;

	return pthread_create(&t, NULL, fork_in_thread, NULL) || pthread_join(t, &r) || r;
}

static int run_stress(int n)
{
	int bad = 0;

	start_churn();
	for (int i = 0; i < n && !bad; i++)
		bad = i % 2 ? lib_run("fork") : run_op("fork");
	return bad | stop_churn();
}

/* glibc runs prepare handlers in reverse order of registration, the
 * others in order (pthread_atfork(3)): 1's were registered first. */
static int run_atfork(int from_lib)
{
	pid_t pid;

	pthread_atfork(prepare1, parent1, child1);
	lib_register_atfork();
	pid = from_lib ? lib_fork() : fork();
	if (pid == 0)
		_exit(strcmp(atfork_log, "p2p1c1c2") != 0);
	if (strcmp(atfork_log, "p2p1a1a2"))
		return fail(atfork_log);
	return wait_for(pid) ? fail("the child's handlers") : 0;
}

static int run_exec_target(void)
{
	return lib_add(1) != 1 + LIB_SECRET || !has_pkey(&lib_secret, 2) || work_here();
}

/* The child's attack; the parent must never see it end. */
static int in_child(void (*attack)(void))
{
	pid_t pid = fork();

	if (pid == 0) {
		attack();
		_exit(0);
	}
	printf("the child ended with %d, not with a protection-key fault\n", wait_for(pid));
	return 1;
}

static volatile int sink;

static void reads_lib_global(void) { sink = lib_secret; }
static void reads_lib_heap(void) { sink = *lib_block(); }
static void reads_lib_tls(void) { sink = *lib_tls(); }
static void reads_lib_stack(void) { sink = *lib_stack(); }
static void reads_new_lib_heap(void) { sink = *lib_new_block(); }
static void lib_reads_main(void) { sink = lib_read(&main_secret); }

/* A thread of compartment 1 with a secret in its TLS, for abuse-vfork. */
static volatile int *target_tls;
static volatile int target_stop;

static void *hold_secret(void *arg)
{
	(void)arg;
	main_tls = MAIN_SECRET;
	target_tls = &main_tls;
	while (!target_stop)
		sched_yield();
	return NULL;
}

static int run_abuse(const char *how)
{
	pthread_t t;
	int r;

	if (pthread_create(&t, NULL, hold_secret, NULL))
		return fail("pthread_create");
	while (!target_tls)
		sched_yield();
	r = lib_abuse(how, (const int *)target_tls);
	printf("the attack %s was not stopped (%d)\n", how, r);
	target_stop = 1;
	pthread_join(t, NULL);
	return 1;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	lib_set_callbacks(main_add, main_thread);
	if (!strncmp(c, "main-", 5))
		return run_op(c + 5);
	if (!strncmp(c, "lib-", 4) && strcmp(c, "lib-forks-reads-main"))
		return lib_run(c + 4);
	if (!strcmp(c, "threads"))
		return run_threads();
	if (!strcmp(c, "thread-fork"))
		return run_thread_fork();
	if (!strcmp(c, "stress") && argc == 3)
		return run_stress(atoi(argv[2]));
	if (!strcmp(c, "atfork-main") || !strcmp(c, "atfork-lib"))
		return run_atfork(!strcmp(c, "atfork-lib"));
	if (!strcmp(c, "exec-target"))
		return run_exec_target();
	if (!strcmp(c, "child-reads-lib-global"))
		return in_child(reads_lib_global);
	if (!strcmp(c, "child-reads-lib-heap"))
		return in_child(reads_lib_heap);
	if (!strcmp(c, "child-reads-lib-tls"))
		return in_child(reads_lib_tls);
	if (!strcmp(c, "child-reads-lib-stack"))
		return in_child(reads_lib_stack);
	if (!strcmp(c, "child-reads-new-lib-heap"))
		return in_child(reads_new_lib_heap);
	if (!strcmp(c, "child-lib-reads-main"))
		return in_child(lib_reads_main);
	if (!strcmp(c, "lib-forks-reads-main")) {
		pid_t pid = lib_fork();
		if (pid == 0)
			_exit(lib_read(&main_secret));
		printf("the child ended with %d\n", wait_for(pid));
		return 1;
	}
	if (!strncmp(c, "abuse-", 6))
		return run_abuse(c + 6);
	fprintf(stderr, "fork: unknown case '%s'\n", c);
	return 2;
}
