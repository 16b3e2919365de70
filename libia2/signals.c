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
 * __ia2_signal_handlers, a runtime table that only a privileged
 * operation changes (privilege.c, replace_runtime_table). k is the
 * compartment of a handler that is a gate, and otherwise the compartment
 * that installed the handler, as the operation's entry tells it
 * (handler_owner): a handler that is not a gate runs with the rights of
 * its installer, whatever a compartment forges elsewhere.
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

/* The handlers the entries call, the masks they set and the compartments
 * whose entries may call them (stubs.c), a runtime table; and what the
 * program asked sigaction for, which sigaction only reports back, a
 * replaceable one (runtime.h). */
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

__attribute__((visibility("hidden"))) union handlers __ia2_signal_handlers RUNTIME_TABLE;
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

/* The kernel's struct sigaction (arch/x86/include/uapi/asm/signal.h). */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

/* glibc's own signals (sysdeps/unix/sysv/linux/internal-signals.h). */
#define SIGCANCEL __SIGRTMIN
#define SIGSETXID (__SIGRTMIN + 1)

/* This thread's alternate stack, and the one the program asked for. */
static __thread void *altstack;
static __thread stack_t asked_altstack = {.ss_flags = SS_DISABLE};

void set_up_signals(void)
{
	if (mprotect(&__ia2_signal_handlers, sizeof __ia2_signal_handlers, PROT_READ) ||
	    mprotect(&asked, sizeof asked, PROT_READ))
		die("cannot make the signal tables read-only: %s", strerrorname_np(errno));
}

/* One signal's new handler, mask and owner (gate_abi.h). */
struct table_change {
	int sig;
	void *handler;
	uint64_t mask, owner;
};

static void change_handlers(void *copy, const void *arg)
{
	const struct table_change *c = arg;
	union handlers *h = copy;

	h->v[c->sig] = c->handler;
	h->mask[c->sig] = c->mask;
	h->owner[c->sig] = c->owner;
}

struct asked_change {
	int sig;
	const struct sigaction *act;
};

static void change_asked(void *copy, const void *arg)
{
	const struct asked_change *c = arg;

	((union actions *)copy)->v[c->sig] = *c->act;
}

/* The operation's argument word: the handler, whose address is below
 * 2^57 even with five-level paging (Documentation/arch/x86/x86_64/
 * mm.rst), with the signal number in the top seven bits. */
#define SIGNAL_SHIFT 57

static bool is_entry(const void *handler)
{
	for (int k = 0; k <= IA2_LAST_COMPARTMENT; k++)
		if (handler == __ia2_signal_entries[k])
			return true;
	return handler == (void *)__ia2_signal_entry_setxid ||
	       handler == (void *)__ia2_signal_entry_cancel;
}

/* glibc's own handler for its signal sig, as the kernel has it now, in
 * *c; false if it is not a function in libc's code, as libia2 recorded
 * that at startup (known_code.c), or if the table holds another handler
 * for sig already: glibc installs each of its handlers once. For code
 * outside the compartments known_code_place asks no dladdr, which takes
 * ld.so's load lock (gate_compartment says why that matters here). */
static bool glibc_handler(struct table_change *c)
{
	struct kernel_sigaction k;
	struct code_place h, libc;
	uint64_t recorded = (uint64_t)__ia2_signal_handlers.v[c->sig];

	if (syscall(SYS_rt_sigaction, c->sig, NULL, &k, sizeof k.mask) || is_entry(k.handler))
		return false;
	if (!known_code_place((uintptr_t)k.handler, &h) || !h.function || h.compartment ||
	    h.runtime || !known_code_place((uintptr_t)__ia2_ro.s.libc_sigaction, &libc) ||
	    (uintptr_t)k.handler - h.offset != (uintptr_t)__ia2_ro.s.libc_sigaction - libc.offset)
		return false;
	if (recorded && recorded != (uint64_t)k.handler)
		return false;
	c->handler = k.handler;
	c->mask = k.mask | (k.flags & SA_NODEFER ? 0 : 1ull << (c->sig - 1));
	c->owner = c->sig == SIGCANCEL ? IA2_SIGNAL_OWNER_ANY : IA2_SIGNAL_OWNER_SETXID;
	return true;
}

/* The compartment whose entry runs handler h that the caller installs: a
 * gate's own compartment k, since a gate that an entry of another
 * compartment called asynchronously would run on k's stack from its top,
 * over the frames of k that the signal interrupted; the caller for
 * anything else, which then runs with the caller's rights. Startup code
 * is judged by libia2's record of it (known_code.c); for later code the
 * link maps, which any compartment can write, say where gates are, and
 * the monitor must say that k mapped the gate: no compartment can then
 * pass its own code off as k's gate. */
static int handler_owner(uintptr_t h, int caller)
{
	bool startup;
	int k = gate_compartment(h, &startup);
	long m;

	if (!k || k == caller || startup)
		return k ? k : caller;
	m = mapper_of_code(h);
	return m == k || m == -ENOSYS ? k : caller;
}

/* The privileged operation: sets the handler and mask of the signal that
 * a names (SIGNAL_SHIFT), with handler_owner as its owner, whose entry
 * alone will call it. For glibc's SIGCANCEL and SIGSETXID, which glibc
 * refuses to sigaction, the handler is glibc's, as the kernel has it,
 * and the owner is the entry that glibc's handler needs; the handler and
 * mask given are ignored. Returns 0, or -1 for anything else. */
struct pair op_set_signal_handler(uintptr_t a, uintptr_t mask, int caller)
{
	struct table_change c = {(int)(a >> SIGNAL_SHIFT),
				 (void *)(a & (((uintptr_t)1 << SIGNAL_SHIFT) - 1)), mask, 0};

	if (c.sig < 1 || c.sig >= IA2_NSIG || caller < 0 || caller > IA2_LAST_COMPARTMENT)
		return (struct pair){(uintptr_t)-1, 0};
	c.owner = (uint64_t)handler_owner((uintptr_t)c.handler, caller);
	if ((c.sig == SIGCANCEL || c.sig == SIGSETXID) && !glibc_handler(&c))
		return (struct pair){(uintptr_t)-1, 0};
	replace_runtime_table(&__ia2_signal_handlers, sizeof __ia2_signal_handlers,
			      change_handlers, &c, "the signal handler table");
	return (struct pair){0, 0};
}

/* The compartment whose entry is to run the handler, or -1, with errno,
 * if the handler cannot be named to the operation. */
static int set_handler(int sig, void *handler, uint64_t mask)
{
	uintptr_t h = (uintptr_t)handler;

	if (h >> SIGNAL_SHIFT) {
		errno = EINVAL;
		return -1;
	}
	if (run_privileged(IA2_OP_SET_SIGNAL_HANDLER, h | (uintptr_t)sig << SIGNAL_SHIFT, mask).a)
		die("the signal handler table refused signal %d", sig);
	return (int)__ia2_signal_handlers.owner[sig];
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

/* A handler that is not a gate runs with the rights of the compartment
 * that installs it (handler_owner), so one that another compartment
 * forged can do no more than the installer's own code. Still, sigaction takes another compartment's code
 * only at one of its gates' entries, which switch to that compartment,
 * never in the middle of its code or at a body its gate guards, and the
 * caller's own code at the start of a function (issue 17): anything else
 * is a bug or an attack, refused with EINVAL. Code outside every
 * compartment runs with the caller's rights, wherever it starts. */
static int check_handler(int sig, const struct sigaction *act, int caller)
{
	struct code_place p;
	int k;

	find_code_place((uintptr_t)act->sa_sigaction, &p);
	k = p.compartment;
	if (!k || p.gate || (k == caller && p.function))
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
	if (check_handler(sig, act, current_compartment()))
		return -1;
	/* The table first: an entry already registered finds the new handler. */
	k = set_handler(sig, (void *)act->sa_sigaction, handler_mask(sig, act));
	if (k < 0)
		return -1;
	replace_pages(&asked, sizeof asked, change_asked, &(struct asked_change){sig, act},
		      "the signal action table");
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
	} glibc[] = {
		{SIGCANCEL, (void *)__ia2_signal_entry_cancel},
		{SIGSETXID, (void *)__ia2_signal_entry_setxid},
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
		if (run_privileged(IA2_OP_SET_SIGNAL_HANDLER, (uintptr_t)sig << SIGNAL_SHIFT, 0).a)
			die("glibc's handler %p for signal %d is not a function of libc's: refused",
			    k.handler, sig);
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
