/* The syscall filter: a seccomp filter, installed at the end of libia2's
 * startup for every thread, that refuses the calls syscall_policy.c
 * lists, and reports the one refused before the process dies.
 *
 * Seccomp sees the syscall number and its six arguments, never PKRU
 * (`../shared/DESIGN.md`, "Facts for closing the escapes"), so the
 * filter refuses only what no code in the process may do, whichever
 * compartment it runs in. It cannot be lifted: a thread may add filters
 * but never remove one, the strictest verdict of all filters wins
 * (seccomp(2), "Filter return values"), and fork, clone and execve keep
 * it. */
#include <dlfcn.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mman.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "runtime.h"

/* x32 syscalls are x86-64's with this bit set (asm/unistd.h): a filter
 * that compares numbers alone would let them by. */
#define X32_SYSCALL_BIT 0x40000000u

/* Whether the program asked for no filter: IA2_SYSCALL_FILTER=off. */
static bool filter_wanted(void)
{
	const char *v = getenv("IA2_SYSCALL_FILTER");

	if (!v || !strcmp(v, "on"))
		return true;
	if (strcmp(v, "off"))
		die("IA2_SYSCALL_FILTER is '%s': it takes 'on' (the default) or 'off'", v);
	say("warning: IA2_SYSCALL_FILTER=off: compartments may call ptrace, "
	    "process_vm_readv and the rest of docs/usage.md's list, which reach every "
	    "compartment's memory");
	return false;
}

/* A filter under construction. A jump names its targets as a number of
 * instructions to skip, or as one of the four verdicts at the end,
 * which finish() resolves. */
#define MAX_INSNS 255
enum { ALLOW = -1, TRACE = -2, TRAP = -3, NOSYS = -4 };

struct filter {
	struct sock_filter insn[MAX_INSNS];
	int jt[MAX_INSNS], jf[MAX_INSNS];
	size_t n;
};

static void emit(struct filter *f, uint16_t code, uint32_t k, int jt, int jf)
{
	if (f->n == MAX_INSNS)
		die("the syscall filter has too many instructions");
	f->insn[f->n] = (struct sock_filter){code, 0, 0, k};
	f->jt[f->n] = jt;
	f->jf[f->n] = jf;
	f->n++;
}

static void load(struct filter *f, uint32_t offset)
{
	emit(f, BPF_LD | BPF_W | BPF_ABS, offset, 0, 0);
}

/* The kernel reads int arguments (ioctl's request, prctl's option) as
 * their low half: that is what the filter compares (little-endian). */
static void load_arg(struct filter *f, int arg)
{
	load(f, offsetof(struct seccomp_data, args[arg]));
}

static void load_nr(struct filter *f)
{
	load(f, offsetof(struct seccomp_data, nr));
}

/* Jumps to `then` if the loaded word is nr; else falls through. */
static void if_equal(struct filter *f, uint32_t value, int then)
{
	emit(f, BPF_JMP | BPF_JEQ | BPF_K, value, then, 0);
}

static void denied_rule(struct filter *f, const struct syscall_rule *r)
{
	if (r->arg < 0) {
		if_equal(f, r->nr, TRAP);
		return;
	}
	emit(f, BPF_JMP | BPF_JEQ | BPF_K, r->nr, 0, 3);
	load_arg(f, r->arg);
	if_equal(f, r->value, TRAP);
	load_nr(f);
}

/* A monitored call: past its number, the filter decides without
 * falling through. */
static void monitored_rule(struct filter *f, const struct monitored_rule *r)
{
	if (r->arg < 0) {
		if_equal(f, r->nr, TRACE);
		return;
	}
	emit(f, BPF_JMP | BPF_JEQ | BPF_K, r->nr, 0, (int)r->nvalues + 2);
	load_arg(f, r->arg);
	for (size_t v = 0; v < r->nvalues; v++)
		if_equal(f, r->values[v], r->only ? TRACE : ALLOW);
	emit(f, BPF_JMP | BPF_JA, 0, 0, 0);
	f->jt[f->n - 1] = r->only ? ALLOW : TRACE;
}

/* mmap goes to the monitor unless it makes fresh anonymous memory that
 * is inaccessible, or writable and not executable: memory_policy.c
 * allows that to everyone, and nothing needs to know who made it. */
static void mmap_rule(struct filter *f)
{
	emit(f, BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 7);
	load_arg(f, 3);
	emit(f, BPF_JMP | BPF_JSET | BPF_K, MAP_FIXED, TRACE, 0);
	emit(f, BPF_JMP | BPF_JSET | BPF_K, MAP_ANONYMOUS, 0, TRACE);
	load_arg(f, 2);
	emit(f, BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, TRACE, 0);
	if_equal(f, PROT_NONE, ALLOW);
	emit(f, BPF_JMP | BPF_JSET | BPF_K, PROT_WRITE, ALLOW, TRACE);
}

/* A thread made with CLONE_UNTRACED would run unseen by the monitor:
 * its monitored calls fail (SECCOMP_RET_TRACE finds no tracer), but the
 * rest, a read of a descriptor the monitor has yet to judge among them,
 * run. So clone goes to the monitor with that flag, and clone3, whose
 * flags lie in memory that the filter cannot read and another thread
 * may change, fails with ENOSYS, on which glibc falls back to clone
 * (sysdeps/unix/sysv/linux/clone-internal.c). */
static void clone_rule(struct filter *f)
{
	if_equal(f, SYS_clone3, NOSYS);
	emit(f, BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 3);
	load_arg(f, 0);
	emit(f, BPF_JMP | BPF_JSET | BPF_K, CLONE_UNTRACED, TRACE, ALLOW);
	load_nr(f);
}

/* The calls that the config's syscalls rules deny to some compartment
 * go to the monitor, which knows whose they are. */
static void config_rules(struct filter *f)
{
	for (int nr = 0; nr < 1024; nr++)
		for (int c = 1; c <= IA2_LAST_COMPARTMENT; c++)
			if (config_denies_call(c, nr)) {
				if_equal(f, (uint32_t)nr, TRACE);
				break;
			}
}

/* Appends the verdicts and turns named targets into offsets. Audit
 * mode's monitor sees the calls the filter allows too, to make again one
 * that failed with EFAULT on another compartment's memory (supervisor.c,
 * check_efault): they stop for it marked TRACE_AUDIT_ONLY, which it
 * reads as the allowed calls they are. */
static void finish(struct filter *f)
{
	size_t allow = f->n;

	emit(f, BPF_RET | BPF_K,
	     __ia2_ro.s.audit ? SECCOMP_RET_TRACE | TRACE_AUDIT_ONLY : SECCOMP_RET_ALLOW, 0, 0);
	emit(f, BPF_RET | BPF_K, SECCOMP_RET_TRACE, 0, 0);
	emit(f, BPF_RET | BPF_K, SECCOMP_RET_TRAP, 0, 0);
	emit(f, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, 0, 0);
	for (size_t i = 0; i < allow; i++) {
		int t[2] = {f->jt[i], f->jf[i]};
		for (int k = 0; k < 2; k++)
			if (t[k] < 0)
				t[k] = (int)(allow + (size_t)(-t[k] - 1) - i - 1);
		if (BPF_CLASS(f->insn[i].code) == BPF_JMP && BPF_OP(f->insn[i].code) == BPF_JA)
			f->insn[i].k = (uint32_t)t[0];
		else
			f->insn[i].jt = (uint8_t)t[0], f->insn[i].jf = (uint8_t)t[1];
	}
}

/* Calls of another architecture (int $0x80 is i386's) and x32 calls
 * trap too: their numbers mean other calls. */
static void build_filter(struct filter *f)
{
	load(f, offsetof(struct seccomp_data, arch));
	emit(f, BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, TRAP);
	load_nr(f);
	emit(f, BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, TRAP, 0);
	for (size_t r = 0; r < ndenied_syscalls; r++)
		denied_rule(f, &denied_syscalls[r]);
	/* SECCOMP_RET_TRACE stops the thread for its tracer, the monitor,
	 * which decides (ptrace(2), PTRACE_O_TRACESECCOMP). */
	if (__ia2_ro.s.monitor) {
		config_rules(f);
		mmap_rule(f);
		clone_rule(f);
		for (size_t r = 0; r < nmonitored_syscalls; r++)
			monitored_rule(f, &monitored_syscalls[r]);
	}
	emit(f, BPF_JMP | BPF_JA, 0, 0, 0);
	f->jt[f->n - 1] = ALLOW;
	finish(f);
}

/* The registers of a syscall's six arguments (x86-64 psABI, A.2.1). */
static const int arg_regs[6] = {REG_RDI, REG_RSI, REG_RDX, REG_R10, REG_R8, REG_R9};

static const struct syscall_rule *rule_for(long nr, const greg_t *regs)
{
	for (size_t r = 0; r < ndenied_syscalls; r++) {
		const struct syscall_rule *d = &denied_syscalls[r];
		if (d->nr == nr && (d->arg < 0 || (uint32_t)regs[arg_regs[d->arg]] == d->value))
			return d;
	}
	return NULL;
}


/* The kernel starts this handler with its default PKRU, pkey 0 alone
 * open, on the alternate stack (pkey 0): it reads nothing else. The
 * syscall was not made; the signal, once the handler returns and
 * unblocks it, ends the process as seccomp's own kill would. */
static void report_denied(int sig, siginfo_t *si, void *context)
{
	const ucontext_t *uc = context;
	const greg_t *g = uc->uc_mcontext.gregs;
	const struct syscall_rule *r = si->si_arch == AUDIT_ARCH_X86_64 ? rule_for(si->si_syscall, g) : NULL;
	const char *fp = (const char *)uc->uc_mcontext.fpregs;
	unsigned pkru = 0;
	char who[32], call[48];
	/* SIG_DFL in the kernel's struct sigaction: handler, flags,
	 * restorer, mask. */
	const unsigned long dfl[4] = {0};
	Dl_info at = {0};

	if (fp && __ia2_ro.s.pkru_xsave)
		memcpy(&pkru, fp + __ia2_ro.s.pkru_xsave, sizeof pkru);
	/* The PKRU the frame holds: reported, never trusted (any thread of
	 * that compartment can write the frame). */
	name_pkru(pkru, who, sizeof who);
	if (r)
		format_to(call, sizeof call, "%s", r->name);
	else
		format_to(call, sizeof call, "syscall %d of the %s ABI", si->si_syscall & ~X32_SYSCALL_BIT,
			  si->si_arch == AUDIT_ARCH_X86_64 ? "x32" : "i386");
	dladdr(si->si_call_addr, &at);
	say("%s called %s(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) at %p (%s, %s): denied, as it %s. "
	    "The process stops; docs/usage.md, \"Syscalls\", says why and how to turn the "
	    "filter off",
	    who, call, (long)g[arg_regs[0]], (long)g[arg_regs[1]], (long)g[arg_regs[2]],
	    (long)g[arg_regs[3]], (long)g[arg_regs[4]], (long)g[arg_regs[5]], si->si_call_addr,
	    at.dli_fname ? at.dli_fname : "?", at.dli_sname ? at.dli_sname : "?",
	    r ? r->why : "is not an x86-64 call, which the filter could check");
	syscall(SYS_rt_sigaction, sig, dfl, NULL, 8);
	syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
}

static void install_reporter(void)
{
	struct sigaction sa = {.sa_sigaction = report_denied, .sa_flags = SA_SIGINFO | SA_ONSTACK};

	sigemptyset(&sa.sa_mask);
	if (__ia2_ro.s.libc_sigaction(SIGSYS, &sa, NULL))
		die("cannot install the syscall filter's SIGSYS handler: %s", strerrorname_np(errno));
}

/* Without CAP_SYS_ADMIN a thread must set no_new_privs first
 * (seccomp(2)); TSYNC gives the filter, and no_new_privs, to every
 * thread, those that constructors of DSOs outside the compartments
 * started before libia2 too. */
static void install_filter(void)
{
	static struct filter f;
	struct sock_fprog prog;
	long rc;

	build_filter(&f);
	prog.len = (unsigned short)f.n;
	prog.filter = f.insn;
	rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (rc < 0 && errno == EACCES) {
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			die("cannot set no_new_privs for the syscall filter: %s", strerrorname_np(errno));
		rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
	}
	if (rc > 0)
		die("cannot install the syscall filter: thread %ld has a seccomp filter of its own", rc);
	if (rc < 0)
		die("cannot install the syscall filter: %s; a kernel without seccomp filters cannot "
		    "run compartments safely (IA2_SYSCALL_FILTER=off runs without it)",
		    strerrorname_np(errno));
}

/* The emulated runtime isolates nothing, and valgrind, which runs it,
 * does not emulate seccomp. */
void set_up_syscall_filter(void)
{
	if (pkru_emulated || !filter_wanted())
		return;
	start_monitor();
	install_reporter();
	install_filter();
	__ia2_ro.s.syscall_filter = 1;
}
