/* Signals: every handler runs in its own compartment, on that
 * compartment's signal stack on the thread (docs/runtime.md, "Signals").
 *
 * The kernel starts a handler with its default PKRU, which opens pkey 0
 * alone, and writes the signal frame with the interrupted PKRU onto the
 * interrupted stack, unless the handler asks for the alternate stack
 * (pkeys(7); shared/DESIGN.md, "PKRU and signals"). So libia2's sigaction
 * registers, for a handler of compartment k, the signal entry
 * __ia2_signal_entry_<k> (objrewrite/stubs.c) with SA_ONSTACK, and gives
 * every thread an alternate stack in pkey-0 memory. The entry moves to
 * PKRU(k) and k's signal stack and calls the handler, which it finds in
 * __ia2_signal_handlers, a table that is never writable: sigaction
 * replaces its page by a changed copy (runtime.c, replace_pages).
 *
 * The program's own sigaltstack is recorded and reported, not installed:
 * handlers already run on a stack of their own. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

_Static_assert(offsetof(ucontext_t, uc_stack.ss_sp) == IA2_UC_STACK, "gate_abi.h");
_Static_assert(offsetof(ucontext_t, uc_stack.ss_size) == IA2_UC_STACK + 16, "gate_abi.h");
_Static_assert(offsetof(ucontext_t, uc_mcontext.gregs[REG_RSP]) == IA2_UC_RSP, "gate_abi.h");
_Static_assert(offsetof(ucontext_t, uc_sigmask) == IA2_UC_SIGMASK, "gate_abi.h");
_Static_assert(offsetof(ucontext_t, uc_mcontext.fpregs) == IA2_UC_FPREGS, "gate_abi.h");
_Static_assert(NSIG == IA2_NSIG, "gate_abi.h");

/* The handlers the entries call and the masks they set (stubs.c), and
 * what the program asked sigaction for, each on read-only pages of their
 * own, which only sigaction replaces. */
union handlers {
	struct {
		void *v[IA2_NSIG];
		uint64_t mask[IA2_NSIG];
		uint64_t owner[IA2_NSIG];
	};
	char page[PAGE];
};

union actions {
	struct sigaction v[IA2_NSIG];
	char pages[(IA2_NSIG * sizeof(struct sigaction) + PAGE - 1) & ~(PAGE - 1)];
};

__attribute__((visibility("hidden"))) union handlers __ia2_signal_handlers REPLACEABLE_TABLE;
_Static_assert(offsetof(union handlers, mask) == 8 * IA2_NSIG, "stubs.c");
_Static_assert(offsetof(union handlers, owner) == 16 * IA2_NSIG, "stubs.c");
static union actions asked REPLACEABLE_TABLE;

/* stubs.c: entry k for handlers of compartment k, entry 0 for those
 * outside every compartment, and the setxid entry, with PKRU(0), for
 * glibc's SIGSETXID handler. */
extern void *const __ia2_signal_entries[IA2_LAST_COMPARTMENT + 1];
void __ia2_signal_entry_setxid(int sig, siginfo_t *si, void *uc);
void __ia2_signal_entry_cancel(int sig, siginfo_t *si, void *uc);

pthread_mutex_t signals_lock = PTHREAD_MUTEX_INITIALIZER;

/* This thread's alternate stack, and the one the program asked for. */
static __thread void *altstack;
static __thread stack_t asked_altstack = {.ss_flags = SS_DISABLE};

void set_up_signals(void)
{
	if (mprotect(&__ia2_signal_handlers, sizeof __ia2_signal_handlers, PROT_READ) ||
	    mprotect(&asked, sizeof asked, PROT_READ))
		die("cannot make the signal tables read-only: %s", strerrorname_np(errno));
}

/* One signal's new handler, mask and owner (gate_abi.h), and what the
 * program asked for (NULL: unchanged). */
struct table_change {
	int sig;
	void *handler;
	uint64_t mask, owner;
	const struct sigaction *asked;
};

static void change_handlers(void *copy, const void *arg)
{
	const struct table_change *c = arg;
	union handlers *h = copy;

	h->v[c->sig] = c->handler;
	h->mask[c->sig] = c->mask;
	h->owner[c->sig] = c->owner;
}

static void change_asked(void *copy, const void *arg)
{
	const struct table_change *c = arg;

	((union actions *)copy)->v[c->sig] = *c->asked;
}

/* Under the lock. */
static void change_tables(const struct table_change *c)
{
	replace_pages(&__ia2_signal_handlers, sizeof __ia2_signal_handlers, change_handlers, c,
		      "the signal handler table");
	if (c->asked)
		replace_pages(&asked, sizeof asked, change_asked, c, "the signal action table");
}

static bool is_entry(const void *handler)
{
	for (int k = 0; k <= IA2_LAST_COMPARTMENT; k++)
		if (handler == __ia2_signal_entries[k])
			return true;
	return handler == (void *)__ia2_signal_entry_setxid ||
	       handler == (void *)__ia2_signal_entry_cancel;
}

static int libc_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	return __ia2_ro.s.libc_sigaction(sig, act, old);
}

/* What the program installed, as the kernel now has it: SA_RESETHAND may
 * have reset the entry to SIG_DFL since. */
static int report(int sig, struct sigaction *old)
{
	if (libc_sigaction(sig, NULL, old))
		return -1;
	if (is_entry((void *)old->sa_sigaction))
		*old = asked.v[sig];
	return 0;
}

/* A handler runs in the compartment whose code it is: a pointer to a
 * compartment's function is its gate, in that compartment's DSO. One
 * outside every compartment (libc's, say) runs in the compartment that
 * installs it. */
static int handler_compartment(const struct sigaction *act)
{
	int k = code_compartment((uintptr_t)act->sa_sigaction);

	return k ? k : current_compartment();
}

/* The mask the entry gives the handler, on top of the interrupted one:
 * the kernel's 64 signals are the first word of glibc's sigset_t. */
static uint64_t handler_mask(int sig, const struct sigaction *act)
{
	uint64_t mask;

	memcpy(&mask, &act->sa_mask, sizeof mask);
	if (!(act->sa_flags & SA_NODEFER))
		mask |= 1ull << (sig - 1);
	return mask;
}

/* The handler runs in the compartment k whose code it is, so what may
 * name it is limited: another compartment's code only at one of its
 * gates' entries, which make k's checks, never in the middle of k's code
 * or at a body its gate guards; the caller's own code at the start of a
 * function. Code outside every compartment runs with the caller's
 * rights, wherever it starts. */
static int check_handler(int sig, const struct sigaction *act, int k)
{
	int caller = current_compartment();
	struct code_place p;

	if (!k)
		return 0;
	find_code_place((uintptr_t)act->sa_sigaction, &p);
	if (p.gate || (k == caller && p.function))
		return 0;
	if (k != caller)
		say("compartment %d called sigaction(%d) with the handler %p, at %s+%#lx in "
		    "compartment %d's code, which is not one of that compartment's gates: refused "
		    "(EINVAL); pass a function of compartment %d whose address compartment %d may "
		    "take", caller, sig, (void *)act->sa_sigaction, p.dso, (unsigned long)p.offset,
		    k, k, caller);
	else
		say("compartment %d called sigaction(%d) with the handler %p, at %s+%#lx, which "
		    "is not the start of a function: refused (EINVAL)", caller, sig,
		    (void *)act->sa_sigaction, p.dso, (unsigned long)p.offset);
	errno = EINVAL;
	return -1;
}

static int install(int sig, const struct sigaction *act)
{
	struct sigaction entry = *act;
	int k;

	if (act->sa_handler == SIG_DFL || act->sa_handler == SIG_IGN)
		return libc_sigaction(sig, act, NULL);
	k = handler_compartment(act);
	if (check_handler(sig, act, k))
		return -1;
	entry.sa_sigaction = __ia2_signal_entries[k];
	entry.sa_flags |= SA_ONSTACK | SA_SIGINFO;
	if (k) {
		/* The entry runs with every signal blocked until it has made
		 * room for nested frames, then sets the handler's mask; entry 0
		 * stays on the alternate stack and leaves the mask to the
		 * kernel (stubs.c). */
		entry.sa_flags &= ~SA_NODEFER;
		sigfillset(&entry.sa_mask);
	}
	/* The table first: an entry already registered finds the new handler. */
	change_tables(&(struct table_change){sig, (void *)act->sa_sigaction,
					     handler_mask(sig, act), (uint64_t)k, act});
	return libc_sigaction(sig, &entry, NULL);
}

/* sigaction is async-signal-safe (signal-safety(7)): the lock is taken
 * with every signal blocked, so a handler on this thread cannot wait for
 * it. */
API int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	sigset_t all, mask;
	int rc = 0;

	if (sig < 1 || sig >= IA2_NSIG) {
		errno = EINVAL;
		return -1;
	}
	set_up_libia2();
	/* SIGSYS reports the filter's refusals (syscall_filter.c). */
	if (sig == SIGSYS && act && __ia2_ro.s.syscall_filter) {
		errno = EINVAL;
		return -1;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	pthread_mutex_lock(&signals_lock);
	if (old)
		rc = report(sig, old);
	if (!rc && act)
		rc = install(sig, act);
	pthread_mutex_unlock(&signals_lock);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
	return rc;
}

/* glibc's signal(): BSD semantics, SA_RESTART and the signal blocked in
 * its own handler (sysdeps/posix/signal.c). */
API sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction act = {.sa_handler = handler, .sa_flags = SA_RESTART}, old;

	sigemptyset(&act.sa_mask);
	if (sig > 0 && sig < IA2_NSIG)
		sigaddset(&act.sa_mask, sig);
	return sigaction(sig, &act, &old) ? SIG_ERR : old.sa_handler;
}

API int sigaltstack(const stack_t *ss, stack_t *old)
{
	if (old)
		*old = asked_altstack;
	if (ss) {
		if (!(ss->ss_flags & SS_DISABLE) && ss->ss_size < (size_t)MINSIGSTKSZ) {
			errno = ENOMEM;
			return -1;
		}
		asked_altstack = *ss;
	}
	return 0;
}

/* The kernel's sigaltstack, not the one above. */
static int set_altstack(void *sp, size_t size, int flags)
{
	stack_t ss = {.ss_sp = sp, .ss_size = size, .ss_flags = flags};

	return syscall(SYS_sigaltstack, &ss, NULL);
}

/* SS_AUTODISARM: each delivery disarms the stack and rt_sigreturn arms
 * it again as it was; the entries arm what is left below their frame in
 * between (stubs.c). The stack is the signal stack of the mapping that
 * holds the thread's shared stack, pkey 0 like it (runtime.c). */
void set_up_thread_signals(uintptr_t shared_top)
{
	altstack = (void *)(sigstack_top(shared_top) - IA2_SIGSTACK_SIZE);
	/* Linux before 4.7, and valgrind, know no SS_AUTODISARM: the entries
	 * arm the stack below their frame all the same. */
	if (set_altstack(altstack, IA2_SIGSTACK_SIZE, IA2_SS_AUTODISARM) &&
	    set_altstack(altstack, IA2_SIGSTACK_SIZE, 0))
		die("sigaltstack: %s", strerrorname_np(errno));
}

/* A handler that leaves by siglongjmp skips rt_sigreturn, so the
 * alternate stack stays armed as its entry left it, short of that
 * entry's frame; every longjmp arms all of it again. A longjmp from a
 * nested handler into an outer one is not told apart: the outer frame is
 * then open to a further nested signal. */
void rearm_altstack(void)
{
	if (altstack && set_altstack(altstack, IA2_SIGSTACK_SIZE, IA2_SS_AUTODISARM))
		set_altstack(altstack, IA2_SIGSTACK_SIZE, 0);
}

/* The longjmp family goes on to glibc's, which __ia2_ro holds. */
static void before_longjmp(void)
{
	set_up_libia2();
	rearm_altstack();
}

API __attribute__((noreturn)) void siglongjmp(sigjmp_buf env, int val)
{
	before_longjmp();
	__ia2_ro.s.libc_longjmp.siglongjmp(env, val);
}

API __attribute__((noreturn)) void longjmp(jmp_buf env, int val)
{
	before_longjmp();
	__ia2_ro.s.libc_longjmp.longjmp(env, val);
}

API __attribute__((noreturn)) void _longjmp(jmp_buf env, int val)
{
	before_longjmp();
	__ia2_ro.s.libc_longjmp._longjmp(env, val);
}

/* _FORTIFY_SOURCE's longjmp (debug/longjmp_chk.c). */
API __attribute__((noreturn)) void __longjmp_chk(sigjmp_buf env, int val)
{
	before_longjmp();
	__ia2_ro.s.libc_longjmp.longjmp_chk(env, val);
}

void release_thread_signals(void)
{
	if (set_altstack(NULL, 0, SS_DISABLE))
		die("sigaltstack: %s", strerrorname_np(errno));
	altstack = NULL;
}

/* The kernel's struct sigaction (arch/x86/include/uapi/asm/signal.h). */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

/* glibc installs handlers of its own with internal calls: SIGSETXID's in
 * the first pthread_create, which set*id() signals every thread with, and
 * SIGCANCEL's in the first pthread_cancel (nptl/pthread_create.c,
 * pthread_cancel.c; threads.c makes it happen early). They would run on a
 * compartment's stack with the kernel's PKRU, which cannot touch it.
 * SIGCANCEL's runs through the entry of the interrupted compartment, so
 * that a cancellation unwinds that compartment's frames with its rights
 * (cancel.c), with every signal blocked until the entry sets glibc's mask
 * (the signal itself, unless SA_NODEFER); SIGSETXID's, which reads its
 * command from a stack that the thread which called setuid ran glibc's
 * setuid on, in pkey-0 memory (ids.c), through the setxid entry, on the
 * alternate stack with PKRU(0) (stubs.c says why). glibc refuses these
 * signals to sigaction, so their table slots are free. */
void wrap_glibc_handlers(void)
{
	/* glibc's sysdeps/unix/sysv/linux/internal-signals.h */
	static const struct {
		int sig;
		void *entry;
		uint64_t owner;
	} glibc[] = {
		{__SIGRTMIN, (void *)__ia2_signal_entry_cancel, IA2_SIGNAL_OWNER_ANY},  /* SIGCANCEL */
		{__SIGRTMIN + 1, (void *)__ia2_signal_entry_setxid, IA2_SIGNAL_OWNER_SETXID},
	};
	sigset_t all, mask;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask);
	pthread_mutex_lock(&signals_lock);
	for (size_t i = 0; i < sizeof glibc / sizeof *glibc; i++) {
		struct kernel_sigaction k;
		int sig = glibc[i].sig;
		if (syscall(SYS_rt_sigaction, sig, NULL, &k, sizeof k.mask))
			continue;
		if (k.handler == SIG_DFL || k.handler == SIG_IGN || is_entry(k.handler))
			continue;
		uint64_t own = k.flags & SA_NODEFER ? 0 : 1ull << (sig - 1);
		change_tables(&(struct table_change){sig, k.handler, k.mask | own, glibc[i].owner, NULL});
		k.handler = glibc[i].entry;
		k.flags |= SA_ONSTACK | SA_SIGINFO;
		if (glibc[i].entry == (void *)__ia2_signal_entry_cancel) {
			k.flags &= ~(unsigned long)SA_NODEFER;
			k.mask = ~0ul;
		}
		syscall(SYS_rt_sigaction, sig, &k, NULL, sizeof k.mask);
	}
	pthread_mutex_unlock(&signals_lock);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);
}
