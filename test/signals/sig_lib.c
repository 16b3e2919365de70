/* Compartment 2 of the signal test. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>

#include "sig.h"

static struct record rec;
static volatile int lib_data;
static int nest_sig;
static const int *volatile read_target;
static sigjmp_buf recover;

static void note(int sig, siginfo_t *info)
{
	int local = 0;
	sigset_t now;

	sigprocmask(SIG_BLOCK, NULL, &now);
	rec.blocked[0] = sigismember(&now, sig);
	rec.blocked[1] = sigismember(&now, SIGUSR2);
	rec.blocked[2] = sigismember(&now, SIGTERM);

	rec.count++;
	rec.signo = info ? info->si_signo : sig;
	rec.pkru = read_pkru();
	rec.stack = &local;
	lib_data++;   /* compartment 2's data: only its own rights can write it */
}

/* The frame's XSAVE area holds the interrupted PKRU at the offset that
 * CPUID leaf 0DH, sub-leaf 9 gives (Intel SDM vol. 1, 13.2). */
static unsigned interrupted_pkru(const void *uctx)
{
	const char *fp = (const char *)((const ucontext_t *)uctx)->uc_mcontext.fpregs;
	unsigned a, b, c, d, pkru;

	if (!__get_cpuid_count(0xd, 9, &a, &b, &c, &d))
		return 0;
	memcpy(&pkru, fp + b, sizeof pkru);
	return pkru;
}

void lib_handler(int sig, siginfo_t *info, void *uctx)
{
	note(sig, info);
	rec.interrupted = interrupted_pkru(uctx);
}

/* block: a signal for sa_mask, or 0. */
static int install(int sig, void (*h)(int, siginfo_t *, void *), int flags, int block)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = h;
	sa.sa_flags = flags | SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	if (block)
		sigaddset(&sa.sa_mask, block);
	return sigaction(sig, &sa, NULL);
}

int lib_install(int sig, int flags)
{
	return install(sig, lib_handler, flags, sig == SIGUSR2 ? 0 : SIGUSR2);
}
struct record lib_record(void) { return rec; }
void lib_reset(void) { memset(&rec, 0, sizeof rec); }
void lib_raise(int sig) { raise(sig); }

int lib_spin(int n)
{
	long spins = 0;

	while (*(volatile int *)&rec.count < n)
		spins++;
	return spins > 0;
}

void lib_alarm_spin(long usec)
{
	struct itimerval t = {{0, 0}, {0, usec}};

	setitimer(ITIMER_REAL, &t, NULL);
	lib_spin(1);
}

int lib_ping(int x) { return x + 1000; }

int lib_fault(void) { return *(volatile int *)NULL; }

static void recover_handler(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	note(sig, info);
	siglongjmp(recover, 1);
}

int lib_fault_recover(void)
{
	if (install(SIGSEGV, recover_handler, SA_NODEFER, 0))
		return -1;
	if (sigsetjmp(recover, 1))
		return 1;
	lib_fault();
	return 0;
}

static void nesting_handler(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	rec.order[rec.norder++] = sig;
	raise(nest_sig);
	note(sig, info);
	rec.order[rec.norder++] = -sig;
}

int lib_install_nesting(int sig)
{
	nest_sig = sig;
	return install(SIGUSR1, nesting_handler, 0, 0);
}

static void nested_handler(int sig, siginfo_t *info, void *uctx)
{
	(void)info, (void)uctx;
	rec.order[rec.norder++] = sig;
}

static void reader_handler(int sig, siginfo_t *info, void *uctx)
{
	(void)uctx;
	note(sig, info);
	lib_data = *read_target;
}

int lib_install_reader(int sig, const int *p)
{
	read_target = p;
	return install(sig, reader_handler, 0, 0);
}

int lib_install_nested(int sig) { return install(sig, nested_handler, 0, 0); }
