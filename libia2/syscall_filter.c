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

static size_t rule_length(const struct syscall_rule *r)
{
	return r->arg < 0 ? 1 : 4;
}

/* Each rule jumps to the last instruction, which traps, when it matches;
 * the one before it allows. */
static size_t emit_rule(struct sock_filter *p, size_t i, size_t trap, const struct syscall_rule *r)
{
	if (r->arg < 0) {
		p[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, r->nr, trap - i - 1, 0);
		return i + 1;
	}
	/* The kernel reads ioctl's request as an unsigned int: the low half
	 * of the argument is what it compares (little-endian). */
	p[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, r->nr, 0, 3);
	p[i + 1] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						offsetof(struct seccomp_data, args[r->arg]));
	p[i + 2] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, r->value, trap - i - 3, 0);
	p[i + 3] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						offsetof(struct seccomp_data, nr));
	return i + 4;
}

/* Calls of another architecture (int $0x80 is i386's) and x32 calls
 * trap too: their numbers mean other calls. */
static size_t build_filter(struct sock_filter *p)
{
	size_t n = 6, i = 0, trap;

	for (size_t r = 0; r < ndenied_syscalls; r++)
		n += rule_length(&denied_syscalls[r]);
	trap = n - 1;
	p[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	p[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, trap - i - 1);
	i++;
	p[i++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	p[i] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, trap - i - 1, 0);
	i++;
	for (size_t r = 0; r < ndenied_syscalls; r++)
		i = emit_rule(p, i, trap, &denied_syscalls[r]);
	p[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	p[i++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
	return i;
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

/* The compartment whose PKRU the frame holds: reported, never trusted
 * (any thread of that compartment can write the frame). */
static void name_caller(unsigned pkru, char *buf, size_t size)
{
	for (int c = 0; c <= IA2_MAX_COMPARTMENTS; c++)
		if (pkru == IA2_PKRU(c)) {
			format_to(buf, size, "compartment %d", c);
			return;
		}
	format_to(buf, size, "code with PKRU %#x", pkru);
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
	name_caller(pkru, who, sizeof who);
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
	struct sock_filter insns[6 + 4 * ndenied_syscalls];
	struct sock_fprog prog;
	long rc;

	prog.len = (unsigned short)build_filter(insns);
	prog.filter = insns;
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
	install_reporter();
	install_filter();
	__ia2_ro.s.syscall_filter = 1;
}
