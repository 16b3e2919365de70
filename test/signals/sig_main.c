/* Compartment 1 of the signal test. `sig CASE`; each case exits 0 only
 * if every check held (reader: must die with SEGV_PKUERR):
 *  lib-handler     SIGUSR1 raised in compartment 1, handled by compartment
 *                  2's handler: it runs with PKRU(2) on a stack with pkey 2
 *                  and gets its siginfo; SA_ONSTACK and SA_SIGINFO given
 *  main-installs   compartment 1 installs compartment 2's handler
 *  in-lib          SIGUSR1 raised inside compartment 2, handled in 1
 *  alarm           SIGALRM, armed inside compartment 2, lands there (the
 *                  frame holds PKRU(2)); then a 1 ms interval timer
 *                  while compartment 1 makes 100,000 calls into 2, and
 *                  more until three signals came, so that signals land
 *                  in gates: every call returns what it must and every
 *                  handler runs with PKRU(1)
 *  segv-lib        compartment 2 recovers from its own NULL dereference
 *                  with siglongjmp, twice
 *  segv-main       compartment 1 recovers with siglongjmp from a fault in
 *                  compartment 2, twice, and then calls into 2 as before
 *  mask            in the handler, sa_mask is blocked and the signal
 *                  too, or not with SA_NODEFER; the mask is back after it
 *  resethand       after one delivery, sigaction reports SIG_DFL
 *  restart         read() interrupted by SIGALRM, sent once the thread
 *                  waits in it: restarted with SA_RESTART, EINTR without
 *  nested          compartment 2's handler raises a signal handled in 1,
 *                  then one handled in 2: both run inside it, in order
 *  thread          pthread_kill to a new thread: handled in 2 on that
 *                  thread's own signal stack
 *  newborn         300 times, pthread_kill right after pthread_create:
 *                  each signal is handled in 2, whenever in the thread's
 *                  start it lands
 *  sigaltstack     the program's sigaltstack is reported back; handlers
 *                  keep working
 *  setuid          setuid(), seteuid(), setresgid(), setgroups() and
 *                  initgroups() with another thread inside compartment
 *                  2: glibc's SIGSETXID reaches it, and its handler,
 *                  with PKRU(0), reads the command and the group list
 *                  (root: the last two succeed; others: EPERM)
 *  table-race      while another thread calls sigaction 2,000 times,
 *                  compartment 1 keeps writing a handler back into
 *                  libia2's handler table (found in libia2's symbol
 *                  table): every write faults, as the table is never
 *                  writable
 *  reader          compartment 2's handler reads compartment 1's data
 *  handler-body    compartment 1 passes sigaction the body behind
 *                  compartment 2's gate for lib_handler, read from the
 *                  gate's bytes: refused with EINVAL
 *  handler-middle  ... an address inside that body: refused
 *  own-middle      ... an address inside its own main_handler: refused
 *  handler-body-exit  as handler-body, then exits 1 (for the message) */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "../common/gatebody.h"
#include "../common/insyscall.h"
#include "../common/pkeyof.h"
#include "ia2.h"
#include "ia2/pkru.h"
#include "sig.h"

static int failures;
static int main_data = 7;
static struct record main_rec;
static sigjmp_buf main_recover;

static void expect(int ok, const char *what)
{
	if (!ok) {
		printf("FAIL: %s\n", what);
		failures++;
	}
}

static void main_handler(int sig, siginfo_t *info, void *uctx)
{
	int local = 0;

	(void)uctx;
	main_rec.count++;
	main_rec.signo = info->si_signo;
	main_rec.stack = &local;
	if (read_pkru() != IA2_PKRU(1))
		main_rec.pkru = read_pkru();   /* only a wrong value is kept */
	main_rec.order[main_rec.norder++ % 4] = sig;
}

static void segv_handler(int sig, siginfo_t *info, void *uctx)
{
	main_handler(sig, info, uctx);
	siglongjmp(main_recover, 1);
}

static int install(int sig, void (*h)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = h;
	sa.sa_flags = flags | SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

static void expect_lib_ran(int count, int sig)
{
	struct record r = lib_record();

	expect(r.count == count, "compartment 2's handler ran");
	expect(r.signo == sig, "its siginfo names the signal");
	expect(r.pkru == IA2_PKRU(2), "it ran with compartment 2's PKRU");
	expect(pkey_of(r.stack) == 2, "it ran on a stack with pkey 2");
}

static void expect_main_ran(int count, int sig)
{
	expect(main_rec.count == count, "compartment 1's handler ran");
	expect(main_rec.signo == sig, "its siginfo names the signal");
	expect(main_rec.pkru == 0, "it ran with compartment 1's PKRU");
	expect(pkey_of(main_rec.stack) == 1, "it ran on a stack with pkey 1");
}

static void set_timer(long usec, long interval)
{
	struct itimerval t = {{0, interval}, {0, usec}};

	setitimer(ITIMER_REAL, &t, NULL);
}

static void run_alarm(void)
{
	long bad = 0;

	lib_install(SIGALRM, 0);
	lib_alarm_spin(20000);
	expect_lib_ran(1, SIGALRM);
	expect(lib_record().interrupted == IA2_PKRU(2), "SIGALRM interrupted compartment 2");
	install(SIGALRM, main_handler, SA_RESTART);
	/* Every 50 ms: each signal stops the thread for the syscall monitor
	 * at its delivery and its return, which in a TCG VM takes
	 * milliseconds; a timer faster than that would leave the loop no
	 * time between signals. */
	set_timer(50000, 50000);
	/* However slowly the calls go, they go on until signals came. */
	for (int i = 0; i < 100000 || main_rec.count < 3; i++)
		bad += lib_ping(i) != i + 1000;
	set_timer(0, 0);
	printf("sig: %d timer signals during 100000 calls\n", main_rec.count);
	expect(bad == 0, "every call through a gate returned its value");
	expect(main_rec.count > 0, "timer signals arrived during the calls");
	expect(main_rec.pkru == 0, "every handler ran with compartment 1's PKRU");
}

static void run_segv_main(void)
{
	install(SIGSEGV, segv_handler, SA_NODEFER);
	for (int i = 0; i < 2; i++) {
		if (!sigsetjmp(main_recover, 1)) {
			lib_fault();
			expect(0, "the fault in compartment 2 returned");
		}
	}
	expect_main_ran(2, SIGSEGV);
	expect(lib_ping(1) == 1001, "compartment 2 works after recovering from its fault");
}

/* The address of libia2's hidden __ia2_signal_handlers, from nm. */
static void **find_handler_table(void)
{
	Dl_info dl;
	char cmd[4200], line[512];
	unsigned long off = 0;
	FILE *p;

	if (!dladdr((void *)ia2_shared_malloc, &dl))
		return NULL;
	snprintf(cmd, sizeof cmd, "nm '%s'", dl.dli_fname);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof line, p))
		if (strstr(line, " __ia2_signal_handlers\n"))
			off = strtoul(line, NULL, 16);
	if (p)
		pclose(p);
	return off ? (void **)((char *)dl.dli_fbase + off) : NULL;
}

static volatile int churn_done;

static void *churn(void *arg)
{
	for (int i = 0; i < 2000; i++)
		install(SIGUSR2, i % 2 ? main_handler : segv_handler, 0);
	churn_done = 1;
	return arg;
}

static void run_table_race(void)
{
	void **table = find_handler_table();
	volatile long writes = 0, faults = 0;
	pthread_t t;

	expect(table != NULL, "found __ia2_signal_handlers in libia2's symbols");
	if (!table)
		return;
	install(SIGSEGV, segv_handler, SA_NODEFER);
	pthread_create(&t, NULL, churn, NULL);
	while (!churn_done) {
		if (sigsetjmp(main_recover, 1)) {
			faults++;
			continue;
		}
		/* The value it has: a successful write changes nothing. */
		((void *volatile *)table)[SIGSEGV] = table[SIGSEGV];
		writes++;
	}
	pthread_join(t, NULL);
	printf("sig: %ld writes to the handler table faulted, %ld did not\n", faults, writes);
	expect(faults > 0, "writes to the handler table were tried");
	expect(writes == 0, "no write to the handler table succeeded");
}

static void run_mask(void)
{
	struct record r;
	sigset_t now;

	lib_install(SIGUSR1, 0);
	raise(SIGUSR1);
	r = lib_record();
	expect(r.count == 1 && r.blocked[0] == 1 && r.blocked[1] == 1 && r.blocked[2] == 0,
	       "the handler ran with its signal and sa_mask blocked, nothing more");
	lib_install(SIGUSR1, SA_NODEFER);
	raise(SIGUSR1);
	r = lib_record();
	expect(r.count == 2 && r.blocked[0] == 0 && r.blocked[1] == 1,
	       "with SA_NODEFER the handler ran with its signal unblocked");
	sigprocmask(SIG_BLOCK, NULL, &now);
	expect(!sigismember(&now, SIGUSR1) && !sigismember(&now, SIGUSR2),
	       "the mask is as it was after the handlers");
}

static void run_resethand(void)
{
	struct sigaction now;

	lib_install(SIGUSR1, SA_RESETHAND);
	raise(SIGUSR1);
	expect_lib_ran(1, SIGUSR1);
	expect(sigaction(SIGUSR1, NULL, &now) == 0 && now.sa_handler == SIG_DFL,
	       "sigaction reports SIG_DFL after an SA_RESETHAND delivery");
}

static int pipe_fds[2];
static pthread_t reader_thread;
static pid_t reader_tid;

/* Signals the reader once it waits in read, never before; with
 * SA_RESTART, writes once the handler has run and the read waits
 * again. */
static void *signal_reader(void *restarts)
{
	wait_in_syscall(reader_tid, SYS_read);
	pthread_kill(reader_thread, SIGALRM);
	while (lib_record().count < 1)
		usleep(1000);
	if (restarts) {
		wait_in_syscall(reader_tid, SYS_read);
		write(pipe_fds[1], "x", 1);
	}
	return NULL;
}

/* A read interrupted by SIGALRM; returns read's result. */
static ssize_t interrupted_read(int flags)
{
	pthread_t t;
	char c;
	ssize_t n;

	reader_thread = pthread_self();
	reader_tid = gettid();
	if (pipe(pipe_fds) ||
	    pthread_create(&t, NULL, signal_reader, (void *)(long)(flags & SA_RESTART)))
		return -2;
	lib_install(SIGALRM, flags);
	n = read(pipe_fds[0], &c, 1);
	pthread_join(t, NULL);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	return n;
}

static void run_restart(void)
{
	ssize_t n = interrupted_read(SA_RESTART);

	expect(n == 1, "SA_RESTART restarted the interrupted read");
	lib_reset();
	n = interrupted_read(0);
	expect(n == -1 && errno == EINTR, "without SA_RESTART the read fails with EINTR");
	expect_lib_ran(1, SIGALRM);
}

static void run_nested(void)
{
	struct record r;

	install(SIGUSR2, main_handler, 0);
	lib_install_nesting(SIGUSR2);
	raise(SIGUSR1);
	r = lib_record();
	expect(r.norder == 2 && r.order[0] == SIGUSR1 && r.order[1] == -SIGUSR1,
	       "compartment 2's handler ran to its end");
	expect_main_ran(1, SIGUSR2);
	lib_reset();
	lib_install_nested(SIGUSR2);
	raise(SIGUSR1);
	r = lib_record();
	expect(r.norder == 3 && r.order[0] == SIGUSR1 && r.order[1] == SIGUSR2 &&
	       r.order[2] == -SIGUSR1, "compartment 2's handler ran inside its own");
}

static volatile int thread_ready;
static int thread_stack_pkey = -1;

/* Its stacks are gone once it is joined: the handler's is checked here. */
static void *sleeper(void *unused)
{
	(void)unused;
	thread_ready = 1;
	lib_spin(1);   /* in compartment 2 until its handler has run */
	thread_stack_pkey = pkey_of(lib_record().stack);
	return NULL;
}

static void run_thread(void)
{
	pthread_t t;
	void *main_thread_stack;

	lib_install(SIGUSR1, 0);
	raise(SIGUSR1);
	main_thread_stack = lib_record().stack;
	lib_reset();
	if (pthread_create(&t, NULL, sleeper, NULL))
		return expect(0, "pthread_create");
	while (!thread_ready)
		usleep(1000);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
	struct record r = lib_record();
	expect(r.count == 1 && r.signo == SIGUSR1 && r.pkru == IA2_PKRU(2),
	       "compartment 2's handler ran in the thread, with PKRU(2)");
	expect(thread_stack_pkey == 2, "on a signal stack of compartment 2");
	expect((unsigned long)r.stack >> 16 != (unsigned long)main_thread_stack >> 16,
	       "not the main thread's signal stack");
}

static sem_t go;

static void *wait_for_go(void *unused)
{
	(void)unused;
	while (sem_wait(&go))   /* EINTR: the signal came here */
		;
	return NULL;
}

/* Each signal lands somewhere in the new thread's start: in glibc, in
 * libia2's setup of the thread, or in the start routine. */
static void run_newborn(int n)
{
	int bad = 0;

	sem_init(&go, 0, 0);
	lib_install(SIGUSR1, 0);
	for (int i = 0; i < n; i++) {
		pthread_t t;
		if (pthread_create(&t, NULL, wait_for_go, NULL))
			return expect(0, "pthread_create");
		bad += pthread_kill(t, SIGUSR1) != 0;
		sem_post(&go);
		bad += pthread_join(t, NULL) != 0;
	}
	expect(!bad, "pthread_kill and pthread_join");
	expect(lib_record().count == n, "compartment 2's handler ran once in each new thread");
	expect(lib_record().pkru == IA2_PKRU(2), "with PKRU(2)");
}

static void run_sigaltstack(void)
{
	static char stack[65536];
	stack_t ss = {.ss_sp = stack, .ss_size = sizeof stack}, old;

	expect(sigaltstack(&ss, NULL) == 0, "sigaltstack accepts a stack");
	expect(sigaltstack(NULL, &old) == 0 && old.ss_sp == stack && old.ss_size == sizeof stack,
	       "sigaltstack reports the program's stack");
	lib_install(SIGUSR1, SA_ONSTACK);
	raise(SIGUSR1);
	expect_lib_ran(1, SIGUSR1);
}

static void run_setuid(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, sleeper, NULL))
		return expect(0, "pthread_create");
	while (!thread_ready)
		usleep(1000);
	usleep(10000);
	gid_t groups[256];
	int n = getgroups(256, groups), want = geteuid() == 0 ? 0 : -1;
	struct passwd *pw = getpwuid(getuid());

	/* A list on compartment 1's stack that the kernel must read. */
	if (n == 0)
		groups[n++] = getgid();
	expect(setuid(getuid()) == 0, "setuid with a thread in compartment 2");
	expect(seteuid(geteuid()) == 0, "seteuid with a thread in compartment 2");
	expect(setresgid(-1, -1, -1) == 0, "setresgid with a thread in compartment 2");
	expect(n >= 0 && setgroups((size_t)n, groups) == want,
	       "setgroups of the process's groups with a thread in compartment 2");
	expect(pw && initgroups(pw->pw_name, getgid()) == want,
	       "initgroups with a thread in compartment 2");
	lib_install(SIGUSR1, 0);
	pthread_kill(t, SIGUSR1);
	pthread_join(t, NULL);
}

/* The handler must be refused; were it not, it would run. */
static void expect_refused(const void *handler, const char *what)
{
	int rc;

	errno = 0;
	rc = install(SIGUSR1, (void (*)(int, siginfo_t *, void *))(uintptr_t)handler, 0);
	expect(rc == -1 && errno == EINVAL, what);
	if (rc == 0) {
		raise(SIGUSR1);
		expect(lib_record().count == 0 && main_rec.count == 0, "the handler did not run");
	}
}

int main(int argc, char **argv)
{
	const char *c = argc == 2 ? argv[1] : "";
	struct sigaction sa;

	if (!strcmp(c, "lib-handler")) {
		lib_install(SIGUSR1, SA_ONSTACK);
		raise(SIGUSR1);
		expect_lib_ran(1, SIGUSR1);
	} else if (!strcmp(c, "main-installs")) {
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = lib_handler;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGUSR1, &sa, NULL);
		raise(SIGUSR1);
		expect_lib_ran(1, SIGUSR1);
	} else if (!strcmp(c, "in-lib")) {
		install(SIGUSR1, main_handler, 0);
		lib_raise(SIGUSR1);
		expect_main_ran(1, SIGUSR1);
	} else if (!strcmp(c, "alarm")) {
		run_alarm();
	} else if (!strcmp(c, "segv-lib")) {
		expect(lib_fault_recover() == 1 && lib_fault_recover() == 1,
		       "compartment 2 recovered from its faults");
		expect_lib_ran(2, SIGSEGV);
	} else if (!strcmp(c, "segv-main")) {
		run_segv_main();
	} else if (!strcmp(c, "mask")) {
		run_mask();
	} else if (!strcmp(c, "resethand")) {
		run_resethand();
	} else if (!strcmp(c, "restart")) {
		run_restart();
	} else if (!strcmp(c, "nested")) {
		run_nested();
	} else if (!strcmp(c, "thread")) {
		run_thread();
	} else if (!strcmp(c, "newborn")) {
		run_newborn(300);
	} else if (!strcmp(c, "sigaltstack")) {
		run_sigaltstack();
	} else if (!strcmp(c, "setuid")) {
		run_setuid();
	} else if (!strcmp(c, "table-race")) {
		run_table_race();
	} else if (!strcmp(c, "handler-body") || !strcmp(c, "handler-body-exit")) {
		void *body = gate_body((const void *)lib_handler, 2);
		if (!body)
			return printf("FAIL: no body found behind lib_handler's gate\n"), 2;
		expect_refused(body, "sigaction refuses the body behind another compartment's gate");
		if (!strcmp(c, "handler-body-exit"))
			return 1;
	} else if (!strcmp(c, "handler-middle")) {
		void *body = gate_body((const void *)lib_handler, 2);
		if (!body)
			return printf("FAIL: no body found behind lib_handler's gate\n"), 2;
		expect_refused((char *)body + 4, "sigaction refuses the middle of another compartment's code");
	} else if (!strcmp(c, "own-middle")) {
		expect_refused((char *)(uintptr_t)main_handler + 4,
			       "sigaction refuses the middle of the caller's own function");
	} else if (!strcmp(c, "reader")) {
		lib_install_reader(SIGUSR1, &main_data);
		printf("sig: reader\n");
		fflush(stdout);
		raise(SIGUSR1);
		expect(0, "compartment 2's handler read compartment 1's data");
	} else {
		fprintf(stderr, "sig: unknown case '%s'\n", c);
		return 2;
	}
	printf("%s: %s, %d failures\n", failures ? "FAIL" : "PASS", c, failures);
	return failures != 0;
}
