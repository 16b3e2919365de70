/* The syscall monitor's supervisor: a process of its own that traces
 * every thread of the program and of its fork children
 * (PTRACE_O_TRACECLONE, TRACEFORK, TRACEVFORK), so a compartment can
 * neither reach its state nor skip its checks; PTRACE_O_EXITKILL kills
 * the program if it dies.
 *
 * The syscall filter stops a thread at each call of monitored_syscalls
 * (SECCOMP_RET_TRACE); the caller is the compartment whose PKRU the
 * kernel reports for the stopped thread (PTRACE_GETREGSET,
 * NT_X86_XSTATE), which only ia2's gates write. A denied call becomes
 * exit_group(MONITOR_DENIED_STATUS), after one line on stderr.
 *
 * rt_sigreturn restores whatever the signal frame holds, and the frame
 * lies in memory that compartments can write. So at each signal delivery
 * the supervisor records the thread's registers and PKRU, and after each
 * rt_sigreturn checks that the registers and PKRU restored are those of
 * a delivery still pending on that thread (docs/design.md).
 *
 * The kernel writes a signal frame with the interrupted PKRU wherever
 * the thread's alternate stack points, and any compartment can point it
 * anywhere (a raw sigaltstack, or the uc_stack that rt_sigreturn
 * restores). So for a delivery that interrupts a compartment, the
 * supervisor gives the thread PKRU(0), with which the frame can land in
 * pkey-0 memory alone, and puts the interrupted PKRU into the frame
 * before the handler's first instruction (guard_frame).
 *
 * Which file an open call names is known only once the kernel has
 * resolved its path, so the supervisor judges the file that a
 * compartment's open opened (file_policy.c), at the call's exit. Until
 * then every other task that shares the caller's descriptor table is
 * held stopped (PTRACE_INTERRUPT), so none can use the new descriptor
 * before the verdict; a denied one never runs again.
 *
 * Code that a compartment maps from a file is a scanned copy
 * (new_code.c): the call maps anonymous memory instead, which the
 * supervisor fills at its exit, while every other task that shares the
 * caller's memory is held the same way. */
#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include <asm/processor-flags.h>
#include <linux/kcmp.h>
#include <linux/seccomp.h>

#include "ia2/syscall_names.h"
#include "runtime.h"

#define OPTIONS                                                                              \
	(PTRACE_O_TRACESECCOMP | PTRACE_O_TRACECLONE | PTRACE_O_TRACEFORK |                   \
	 PTRACE_O_TRACEVFORK | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD)

#define RUNTIME (-1)
#define NO_COMPARTMENT (-2)

/* Interrupted states a thread may return to with rt_sigreturn. */
#define MAX_FRAMES 32
struct delivery {
	struct user_regs_struct regs;
	unsigned pkru;
};

enum waiting { NOTHING, SIGRETURN, OPENING, MEMORY_CALL, AUDITED_CALL };

/* Why audit mode opened keys in a thread's PKRU: to step over one
 * faulting instruction, or to make again a call that failed with
 * EFAULT. */
enum opened { SHUT, FOR_STEP, FOR_CALL };

struct task {
	pid_t tid, tgid;
	enum waiting waiting;
	struct task *held_for;           /* stopped until this task's call is judged */
	bool interrupted;                /* held, and its stop not seen yet */
	bool in_vfork;                   /* waits for its vfork child to execute or exit */
	int shares;                      /* OPENING, MEMORY_CALL: KCMP_FILES or KCMP_VM, held tasks share it */
	int awaited;                     /* OPENING, MEMORY_CALL: held tasks not stopped yet */
	bool call_runs;                  /* OPENING, MEMORY_CALL: the call runs */
	bool framing;                    /* a signal frame is being written with PKRU(0) */
	bool ending;                     /* denied: on its way to exit_group */
	enum opened opened;              /* audit mode: keys opened in its PKRU */
	unsigned own_pkru;               /* opened: its PKRU before, which comes back */
	int compartment;                 /* MEMORY_CALL: the caller */
	unsigned caller_pkru;            /* SIGRETURN, MEMORY_CALL: the caller's */
	struct user_regs_struct call;    /* MEMORY_CALL: the call as made */
	bool copying;                    /* MEMORY_CALL: maps code, a copy of `code` */
	struct code_file code;           /* copying: the file, open in the monitor */
	int ndeliveries;
	struct delivery deliveries[MAX_FRAMES];
};

/* A traced process: foreign once it executes another program, which
 * has no compartments. */
struct process {
	pid_t tgid;
	bool foreign;
	struct address_space as;
};

/* IA2_FAULT_LOG: where each protection-key fault gets a line
 * "pkuerr PID ADDRESS PKEY", for test harnesses (test/runner). */
static int fault_log = -1;

static struct task **tasks;
static size_t ntasks;

/* The stops of held tasks, which wait until the open they are held for
 * is judged. */
struct stop {
	pid_t tid;
	int status;
};
static struct stop *deferred;
static size_t ndeferred;
static struct process **processes;
static size_t nprocesses;
static int pkru_offset;

static void *grow(void *v, size_t n, size_t size)
{
	void *p = realloc(v, (n + 1) * size);

	if (!p)
		die("syscall monitor: out of memory");
	return p;
}

static pid_t tgid_of(pid_t tid)
{
	return (pid_t)status_field(tid, "\nTgid:", 10, (unsigned long)tid);
}

static struct process *process_for(pid_t tgid)
{
	struct process *p;

	for (size_t i = 0; i < nprocesses; i++)
		if (processes[i]->tgid == tgid)
			return processes[i];
	p = calloc(1, sizeof *p);
	if (!p)
		die("syscall monitor: out of memory");
	p->tgid = tgid;
	processes = grow(processes, nprocesses, sizeof *processes);
	processes[nprocesses++] = p;
	return p;
}

static struct task *find_task(pid_t tid)
{
	for (size_t i = 0; i < ntasks; i++)
		if (tasks[i]->tid == tid)
			return tasks[i];
	return NULL;
}

static struct task *task_for(pid_t tid)
{
	struct task *t = find_task(tid);

	if (t)
		return t;
	t = calloc(1, sizeof *t);
	if (!t)
		die("syscall monitor: out of memory");
	t->tid = tid;
	t->tgid = tgid_of(tid);
	process_for(t->tgid);
	tasks = grow(tasks, ntasks, sizeof *tasks);
	tasks[ntasks++] = t;
	return t;
}

static void forget_task(pid_t tid)
{
	for (size_t i = 0; i < ntasks; i++)
		if (tasks[i]->tid == tid) {
			free(tasks[i]);
			tasks[i] = tasks[--ntasks];
			return;
		}
}

static void forget_process(pid_t tgid)
{
	for (size_t i = 0; i < nprocesses; i++)
		if (processes[i]->tgid == tgid) {
			free_address_space(&processes[i]->as);
			free(processes[i]);
			processes[i] = processes[--nprocesses];
			return;
		}
}

void attach_supervisor(pid_t program)
{
	char path[64];
	struct dirent *e;
	DIR *d;

	pkru_offset = __ia2_ro.s.pkru_xsave;
	format_to(path, sizeof path, "/proc/%d/task", program);
	d = opendir(path);
	if (!d)
		_exit(1);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' &&
		    ptrace(PTRACE_SEIZE, (pid_t)atoi(e->d_name), 0, OPTIONS))
			_exit(1);
	closedir(d);
	process_for(program);
}

/* A stopped thread's XSAVE state, which PTRACE_GETREGSET gives in the
 * standard layout, PKRU at the offset CPUID gives (Linux 6.1 copies
 * thread.pkru there, arch/x86/kernel/fpu/xstate.c,
 * __copy_xstate_to_uabi_buf). */
static unsigned char xsave[16384] __attribute__((aligned(64)));

static bool read_xsave(pid_t tid, struct iovec *iov)
{
	*iov = (struct iovec){xsave, sizeof xsave};
	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_X86_XSTATE, iov))
		return false;
	if (!pkru_offset || iov->iov_len < (size_t)pkru_offset + 4)
		die("syscall monitor: the kernel reports no PKRU for thread %d", tid);
	return true;
}

static bool read_state(pid_t tid, struct user_regs_struct *regs, unsigned *pkru)
{
	struct iovec iov;

	if (ptrace(PTRACE_GETREGS, tid, 0, regs) || !read_xsave(tid, &iov))
		return false;
	memcpy(pkru, xsave + pkru_offset, sizeof *pkru);
	return true;
}

/* The kernel takes PKRU from a PTRACE_SETREGSET buffer whose XSAVE
 * header (at byte 512) has PKRU's bit, 9, in its features, into
 * thread.pkru, which the thread has from when it next runs
 * (copy_uabi_to_xstate). */
static bool write_pkru(pid_t tid, unsigned pkru)
{
	struct iovec iov;
	uint64_t features;

	if (!read_xsave(tid, &iov))
		return false;
	memcpy(xsave + pkru_offset, &pkru, sizeof pkru);
	memcpy(&features, xsave + 512, sizeof features);
	features |= 1ull << 9;
	memcpy(xsave + 512, &features, sizeof features);
	return !ptrace(PTRACE_SETREGSET, tid, (void *)NT_X86_XSTATE, &iov);
}

/* RUNTIME, a compartment, or NO_COMPARTMENT. */
static int caller_of(unsigned pkru)
{
	int c = compartment_of_any_pkru(pkru);

	if (pkru == IA2_PKRU_RUNTIME)
		return RUNTIME;
	return c < 0 ? NO_COMPARTMENT : c;
}

static void resume(pid_t tid, int how, int sig)
{
	ptrace(how, tid, 0, sig);   /* ESRCH: killed meanwhile */
}

static const char *syscall_name(long nr)
{
	if (nr == MONITOR_TRAP_WRITER_CALL)
		return "libia2's request to write a trap";
	if (nr == MONITOR_SEAL_CALL)
		return "libia2's request to seal a DSO";
	if (nr == MONITOR_MAPPER_CALL)
		return "libia2's question who mapped code";
	for (size_t i = 0; i < sizeof ia2_syscall_names / sizeof *ia2_syscall_names; i++)
		if (ia2_syscall_names[i].nr == nr)
			return ia2_syscall_names[i].name;
	return "a syscall";
}

/* "symbol+offset (dso)" for addr, as this process, a copy of the
 * program at startup, has it mapped: DSOs loaded later show as '?'. */
static void name_place(uintptr_t addr, char *buf, size_t size)
{
	Dl_info at = {0};

	if (!dladdr((void *)addr, &at) || !at.dli_fname)
		format_to(buf, size, "%#lx", (unsigned long)addr);
	else if (at.dli_sname)
		format_to(buf, size, "%s+%#lx (%s)", at.dli_sname,
			  (unsigned long)(addr - (uintptr_t)at.dli_saddr), at.dli_fname);
	else
		format_to(buf, size, "%#lx (%s)", (unsigned long)(addr - (uintptr_t)at.dli_fbase),
			  at.dli_fname);
}

/* One line: who (c: RUNTIME for a program that a compartmentalized one
 * executed), what, from where, and why not. The return address at the
 * stack pointer is the caller of libc's wrapper, where there is one. */
static void report(const struct task *t, int c, unsigned pkru, const struct user_regs_struct *r,
		   const char *why)
{
	unsigned long ret = 0;
	char who[32], at[160], from[160], then[64];

	read_remote(t->tid, r->rsp, &ret, sizeof ret);
	if (c == RUNTIME)
		format_to(who, sizeof who, "an executed program");
	else
		name_pkru(pkru, who, sizeof who);
	name_place(r->rip, at, sizeof at);
	name_place(ret, from, sizeof from);
	if (__ia2_ro.s.monitor == MONITOR_PERMISSIVE)
		format_to(then, sizeof then, "IA2_MONITOR=permissive lets it run");
	else
		format_to(then, sizeof then, "The process stops with status %d", MONITOR_DENIED_STATUS);
	say("%s called %s(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) at %s, from %s, on thread %d: "
	    "denied, as %s. %s (docs/usage.md, \"Syscalls\")",
	    who, syscall_name((long)r->orig_rax), (unsigned long)r->rdi, (unsigned long)r->rsi,
	    (unsigned long)r->rdx, (unsigned long)r->r10, (unsigned long)r->r8,
	    (unsigned long)r->r9, at, from, t->tid, why, then);
}

/* At a seccomp stop: make the call exit_group instead, which the filter
 * allows (the kernel filters the changed call again, seccomp(2),
 * "SECCOMP_RET_TRACE"). */
static void deny_call(pid_t tid, struct user_regs_struct *r)
{
	r->orig_rax = SYS_exit_group;
	r->rdi = MONITOR_DENIED_STATUS;
	ptrace(PTRACE_SETREGS, tid, 0, r);
	resume(tid, PTRACE_CONT, 0);
}

/* The selectors of a 64-bit thread (arch/x86/include/asm/segment.h:
 * GDT_ENTRY_DEFAULT_USER_CS 6 and _USER_DS 5, RPL 3). */
#define USER_CS 0x33
#define USER_DS 0x2b

/* After a call has run: have the thread make exit_group at the
 * `syscall` instruction that it just left, which rt_sigreturn does not
 * leave behind it; libc's syscall() holds one. A signal that the call
 * left pending (rt_sigreturn's SIGSEGV for a frame it could not read)
 * would be delivered first: on_stop drops it. A forged frame may have
 * restored what the thread cannot run with: a trap flag (FIX_EFLAGS in
 * arch/x86/kernel/signal.c), whose SIGTRAP would come after every
 * instruction, or code and stack segments that the return to user mode
 * faults on, again each time (restore_sigcontext takes them from the
 * frame). Both are set back to a 64-bit thread's own. */
static void end_after_call(struct task *t, struct user_regs_struct *r)
{
	pid_t tid = t->tid;
	static const unsigned char *gadget;

	if (!gadget) {
		gadget = (const unsigned char *)dlsym(RTLD_DEFAULT, "syscall");
		while (gadget && !(gadget[0] == 0x0f && gadget[1] == 0x05))
			gadget++;
	}
	r->rip = (uintptr_t)gadget;
	r->rax = SYS_exit_group;
	r->rdi = MONITOR_DENIED_STATUS;
	r->eflags &= ~X86_EFLAGS_TF;
	r->cs = USER_CS;
	r->ss = USER_DS;
	ptrace(PTRACE_SETREGS, tid, 0, r);
	t->ending = true;
	resume(tid, PTRACE_CONT, 0);
}

/* prctl options that would undo the monitor or let another process
 * trace this one (prctl(2); PR_SET_MM needs CAP_SYS_RESOURCE, but
 * changes where the kernel finds the program's own memory). */
static const char *prctl_verdict(unsigned long option)
{
	switch (option) {
	case PR_SET_SECCOMP:
		return "a second seccomp filter could take calls away from the monitor";
	case 59: /* PR_SET_SYSCALL_USER_DISPATCH */
		return "syscall user dispatch would take calls away from the monitor";
	case PR_SET_PTRACER:
		return "another process could then trace this one and reach every compartment";
	case PR_SET_MM:
		return "it moves the kernel's record of the program's memory";
	}
	return NULL;
}

/* The rules for calls other than memory calls; c is a compartment. */
static const char *other_verdict(long nr, const unsigned long *a)
{
	switch (nr) {
	case SYS_pkey_alloc:
		return "protection keys are libia2's alone";
	case SYS_seccomp:
		return "a second seccomp filter could take calls away from the monitor";
	case SYS_prctl:
		return prctl_verdict(a[0]);
	case SYS_arch_prctl:
		/* ARCH_SET_GS, ARCH_SET_FS: gates find a thread's stacks
		 * through %fs. */
		if (a[0] == 0x1001 || a[0] == 0x1002)
			return "gates find the thread's stacks through %fs, which only libia2 sets";
		return NULL;
	case SYS_shmat:
		if (a[2] & (SHM_REMAP | SHM_EXEC))
			return "SHM_REMAP replaces memory the caller may not own, and SHM_EXEC makes "
			       "unchecked code";
		return NULL;
	case SYS_io_uring_setup:
		return "io_uring's madvise and open operations would run without the monitor";
	case SYS_clone:
		if (a[0] & CLONE_UNTRACED)
			return "a thread made with CLONE_UNTRACED would run unseen by the monitor";
		return NULL;
	}
	return NULL;
}

static bool is_memory_call(long nr)
{
	return nr == SYS_mmap || nr == SYS_mprotect || nr == SYS_pkey_mprotect ||
	       nr == SYS_munmap || nr == SYS_mremap || nr == SYS_madvise;
}

/* What an allowed call, by anyone, does to the ranges compartments
 * made, before it runs; a mapping's new address only its result gives
 * (on_syscall_exit). */
static void note_call(struct address_space *as, long nr, const unsigned long *a)
{
	if (nr == SYS_munmap || nr == SYS_mremap)
		note_unmapped(as, a[0], a[0] + a[1]);
	if (nr == SYS_mremap && (a[3] & MREMAP_FIXED))
		note_unmapped(as, a[4], a[4] + a[2]);
	if (nr == SYS_mmap && (a[3] & MAP_FIXED))
		note_unmapped(as, a[0], a[0] + a[1]);
	if (nr == SYS_pkey_mprotect)
		note_keyed(as, a[0], a[0] + a[1], (int)a[3]);
}

static bool is_open_call(long nr)
{
	return nr == SYS_open || nr == SYS_openat || nr == SYS_openat2 || nr == SYS_creat;
}

/* Whether an open call may open a file that exists: O_CREAT|O_EXCL
 * makes a new file and never follows a symlink, and O_TMPFILE makes an
 * unnamed one (open(2)); O_PATH drops both. openat2's flags lie in
 * memory that another thread may change, so it is always judged. */
static bool opens_existing(long nr, const unsigned long *a)
{
	unsigned long flags = nr == SYS_open ? a[1] : a[2];

	if (nr == SYS_creat || nr == SYS_openat2 || (flags & O_PATH))
		return true;
	return (flags & (O_CREAT | O_EXCL)) != (O_CREAT | O_EXCL) && !(flags & __O_TMPFILE);
}

/* Whether two tasks share a descriptor table (what KCMP_FILES) or
 * memory (KCMP_VM): threads, and clones with CLONE_FILES or CLONE_VM
 * (kcmp(2)); a kernel without kcmp says so of threads. */
static bool shares(const struct task *a, const struct task *b, int what)
{
	long rc = syscall(SYS_kcmp, a->tid, b->tid, what, 0, 0);

	return rc == 0 || (rc < 0 && errno == ENOSYS && a->tgid == b->tgid);
}

static bool has_deferred_stop(pid_t tid)
{
	for (size_t i = 0; i < ndeferred; i++)
		if (deferred[i].tid == tid)
			return true;
	return false;
}

static void release_held(struct task *o);
static void check_efault(struct task *t);
static void close_keys(struct task *t);
static unsigned own_pkru(const struct task *t, unsigned pkru);
static void judge_memory_call(struct task *t);

static bool holds_others(const struct task *t)
{
	return t->waiting == OPENING || t->waiting == MEMORY_CALL;
}

static void start_call_if_all_held(struct task *o)
{
	if (!holds_others(o) || o->awaited || o->call_runs)
		return;
	o->call_runs = true;
	if (o->waiting == MEMORY_CALL)
		judge_memory_call(o);
	else
		resume(o->tid, PTRACE_SYSCALL, 0);
}

/* At the seccomp stop of t's call (w: an open, or a memory call): hold
 * every task that shares `what` with it (KCMP_FILES: its descriptor
 * table, KCMP_VM: its memory), and let the call go on once all of them
 * have stopped (hold_stop). Only they: a vfork child that another
 * table's task waits for runs on. No other such call in flight shares
 * it, since its caller would be held. */
static void begin_held_call(struct task *t, enum waiting w, int what)
{
	t->waiting = w;
	t->shares = what;
	t->awaited = 0;
	t->call_runs = false;
	for (size_t i = 0; i < ntasks; i++) {
		struct task *s = tasks[i];

		if (s == t || s->held_for || !shares(t, s, what))
			continue;
		s->held_for = t;
		/* A task whose stop waits in `deferred` is stopped already,
		 * and PTRACE_INTERRUPT would trap it only once resumed. One
		 * that waits in vfork cannot stop until its child has executed
		 * or exited (kernel/fork.c, wait_for_vfork_done, a killable
		 * wait), which a hold of the child would prevent; it runs
		 * nothing until then, and the interrupt stops it as it
		 * returns. */
		if (!has_deferred_stop(s->tid) && !ptrace(PTRACE_INTERRUPT, s->tid, 0, 0) &&
		    !s->in_vfork) {
			s->interrupted = true;
			t->awaited++;
		}
	}
	start_call_if_all_held(t);
}

/* The task whose held call in flight would hold t, for a task the
 * monitor meets for the first time, or NULL. */
static struct task *held_call_sharing(const struct task *t)
{
	for (size_t i = 0; i < ntasks; i++)
		if (tasks[i] != t && holds_others(tasks[i]) && shares(tasks[i], t, tasks[i]->shares))
			return tasks[i];
	return NULL;
}

static bool holds_any(const struct task *t)
{
	for (size_t i = 0; i < ntasks; i++)
		if (tasks[i]->held_for == t)
			return true;
	return false;
}

/* A denied held call: the caller's process ends, and so do the other
 * processes that share what it shares (clones with CLONE_FILES or
 * CLONE_VM), which exit_group would not end. The held tasks stay stopped
 * until then. */
static void end_held_sharers(struct task *t)
{
	for (size_t i = 0; i < ntasks; i++)
		if (tasks[i]->held_for == t && tasks[i]->tgid != t->tgid)
			syscall(SYS_tgkill, tasks[i]->tgid, tasks[i]->tid, SIGKILL);
}

/* Ends the process of t, whose call holds others, at the call's entry
 * (before it runs) or at its exit. */
static void deny_held_call_at_entry(struct task *t, struct user_regs_struct *r)
{
	end_held_sharers(t);
	deny_call(t->tid, r);
}

static void deny_held_call_at_exit(struct task *t, struct user_regs_struct *r)
{
	end_held_sharers(t);
	end_after_call(t, r);
}

/* At the exit of t's open: judge the file it opened, then release the
 * tasks held for it. In audit mode an open that failed with EFAULT may
 * be made again with a key open (check_efault), and goes through
 * begin_held_call again. */
static void end_open(struct task *t)
{
	struct process *p = process_for(t->tgid);
	struct user_regs_struct r;
	unsigned pkru = 0;
	const char *why = NULL;

	t->waiting = NOTHING;
	if (!read_state(t->tid, &r, &pkru))
		r.rax = (unsigned long long)-ESRCH;
	if (auditing() && r.rax == (unsigned long long)-EFAULT) {
		release_held(t);
		check_efault(t);
		return;
	}
	close_keys(t);
	if ((long)r.rax >= 0)
		why = opened_file_verdict(t->tid, t->tgid, (int)r.rax, caller_of(pkru), p->foreign);
	if (why) {
		report(t, p->foreign ? RUNTIME : caller_of(pkru), pkru, &r, why);
		if (__ia2_ro.s.monitor != MONITOR_PERMISSIVE) {
			deny_held_call_at_exit(t, &r);
			return;   /* released when t's process is gone */
		}
	}
	resume(t->tid, PTRACE_CONT, 0);
	release_held(t);
}

/* At a seccomp stop: skip the call, which returns rc (orig_rax -1,
 * seccomp(2), "SECCOMP_RET_TRACE"). */
static void skip_call(pid_t tid, struct user_regs_struct *r, long rc)
{
	r->orig_rax = (unsigned long)-1;
	r->rax = (unsigned long)rc;
	ptrace(PTRACE_SETREGS, tid, 0, r);
	resume(tid, PTRACE_CONT, 0);
}

/* Flags of an executable mmap that its anonymous stand-in keeps: where
 * and how to map, never what backs it (MAP_HUGETLB, MAP_GROWSDOWN). */
#define CODE_MAP_FLAGS                                                                     \
	(MAP_FIXED | MAP_FIXED_NOREPLACE | MAP_NORESERVE | MAP_POPULATE | MAP_LOCKED | MAP_32BIT)

/* A memory call's arguments, as made. */
static void call_args(const struct task *t, unsigned long a[6])
{
	const struct user_regs_struct *r = &t->call;

	a[0] = r->rdi, a[1] = r->rsi, a[2] = r->rdx, a[3] = r->r10, a[4] = r->r8, a[5] = r->r9;
}

/* Whether the call maps memory whose start only its result gives. */
static bool maps_new(long nr)
{
	return nr == SYS_mmap || nr == SYS_mremap;
}

/* An executable mmap of t's, judged allowed: open the file it names, and
 * make the call map anonymous memory instead, which end_memory_call
 * fills (new_code.c says why). A call the kernel would fail gets the
 * kernel's error. */
static void start_code_mapping(struct task *t)
{
	struct user_regs_struct r = t->call;
	long err = open_code_file(t->tgid, t->tid, (int)r.r8, r.r9, &t->code);
	const char *why;

	if (err) {
		t->waiting = NOTHING;
		skip_call(t->tid, &r, err);
		release_held(t);
		return;
	}
	if ((why = code_file_verdict(&t->code))) {
		close(t->code.fd);
		report(t, t->compartment, t->caller_pkru, &r, why);
		if (__ia2_ro.s.monitor != MONITOR_PERMISSIVE) {
			deny_held_call_at_entry(t, &r);
			return;
		}
		resume(t->tid, PTRACE_SYSCALL, 0);   /* as it is */
		return;
	}
	t->copying = true;
	r.r10 = (r.r10 & CODE_MAP_FLAGS) | MAP_PRIVATE | MAP_ANONYMOUS;
	r.r8 = (unsigned long)-1;
	r.r9 = 0;
	ptrace(PTRACE_SETREGS, t->tid, 0, &r);
	resume(t->tid, PTRACE_SYSCALL, 0);
}

/* Every task that shares t's memory is held (begin_held_call), so the
 * memory map that the rules read is the one the call meets: judge it,
 * and let it run. Until its exit, which records what a compartment
 * mapped, nobody else runs. With nothing held and nothing to record, it
 * just runs. */
static void judge_memory_call(struct task *t)
{
	struct process *p = process_for(t->tgid);
	long nr = (long)t->call.orig_rax;
	unsigned long a[6];
	const char *why;

	call_args(t, a);
	t->copying = false;
	why = memory_verdict(t->tgid, &p->as, t->compartment, nr, a);
	if (why) {
		report(t, t->compartment, t->caller_pkru, &t->call, why);
		if (__ia2_ro.s.monitor != MONITOR_PERMISSIVE) {
			deny_held_call_at_entry(t, &t->call);
			return;
		}
	}
	note_call(&p->as, nr, a);
	if (nr == SYS_mmap && (a[2] & PROT_EXEC)) {
		start_code_mapping(t);
		return;
	}
	if (!maps_new(nr) && !holds_any(t)) {
		t->waiting = NOTHING;
		resume(t->tid, PTRACE_CONT, 0);
		return;
	}
	resume(t->tid, PTRACE_SYSCALL, 0);
}

/* At a memory call's exit: record a new mapping as the caller's, fill
 * it if it is code, and release the tasks held for the call. */
static void end_memory_call(struct task *t)
{
	struct process *p = process_for(t->tgid);
	bool permissive = __ia2_ro.s.monitor == MONITOR_PERMISSIVE;
	long nr = (long)t->call.orig_rax;
	unsigned long a[6], len;
	struct user_regs_struct r;
	const char *why = NULL;

	call_args(t, a);
	len = nr == SYS_mmap ? a[1] : a[2];
	t->waiting = NOTHING;
	if (maps_new(nr) && !ptrace(PTRACE_GETREGS, t->tid, 0, &r) && r.rax < -4096UL) {
		note_mapped(&p->as, t->compartment, r.rax, r.rax + len);
		if (t->copying)
			why = copy_code(t->tgid, &t->code, a[5], r.rax, len, t->compartment, permissive);
	}
	if (t->copying)
		close(t->code.fd);
	if (why) {
		report(t, t->compartment, t->caller_pkru, &t->call, why);
		if (!permissive) {
			deny_held_call_at_exit(t, &r);
			return;
		}
	}
	resume(t->tid, PTRACE_CONT, 0);
	release_held(t);
}

/* libia2's request to write a trap over a PKRU writer (writers.c,
 * op_trap_writer), through the supervisor's own /proc/PID/mem; nothing
 * but the trap's bytes. */
static long write_trap(pid_t tid, unsigned long at, unsigned long n)
{
	char path[64];
	long rc;
	int fd;

	if (n != 2 && n != 3)
		return -EINVAL;
	format_to(path, sizeof path, "/proc/%d/mem", tid);
	fd = open(path, O_RDWR | O_CLOEXEC);
	rc = fd >= 0 && pwrite(fd, trap_bytes, n, (off_t)at) == (ssize_t)n ? 0 : -EIO;
	if (fd >= 0)
		close(fd);
	return rc;
}

/* At a seccomp stop in audit mode: whether the filter stopped the call
 * only for audit mode's EFAULT check (TRACE_AUDIT_ONLY), and would
 * otherwise have allowed it. */
static bool allowed_by_filter(pid_t tid)
{
	unsigned long data = 0;

	return !ptrace(PTRACE_GETEVENTMSG, tid, 0, &data) && data == TRACE_AUDIT_ONLY;
}

static void on_syscall(struct task *t)
{
	struct process *p = process_for(t->tgid);
	struct user_regs_struct r;
	unsigned pkru;
	long nr;
	int c;
	const char *why = NULL;

	if (!read_state(t->tid, &r, &pkru))
		return;
	nr = (long)r.orig_rax;
	/* A call that check_efault makes again was allowed before; an open
	 * is checked again, as its file's verdict comes at its exit. */
	if (t->opened == FOR_CALL && !is_open_call(nr)) {
		t->waiting = AUDITED_CALL;
		resume(t->tid, PTRACE_SYSCALL, 0);
		return;
	}
	pkru = own_pkru(t, pkru);
	if (auditing() && allowed_by_filter(t->tid)) {
		if (!p->foreign && caller_of(pkru) > 0) {
			t->waiting = AUDITED_CALL;
			resume(t->tid, PTRACE_SYSCALL, 0);
		} else {
			resume(t->tid, PTRACE_CONT, 0);
		}
		return;
	}
	const unsigned long a[6] = {r.rdi, r.rsi, r.rdx, r.r10, r.r8, r.r9};
	c = p->foreign ? RUNTIME : caller_of(pkru);
	if (nr == SYS_rt_sigreturn) {
		if (p->foreign) {
			resume(t->tid, PTRACE_CONT, 0);
			return;
		}
		t->waiting = SIGRETURN;
		t->caller_pkru = pkru;
		resume(t->tid, PTRACE_SYSCALL, 0);
		return;
	}
	/* Whoever asks, before any rule that could deny it: sealing only
	 * takes rights away. */
	if (nr == MONITOR_SEAL_CALL) {
		if (!p->foreign)
			note_sealed(&p->as, a[0], a[0] + a[1]);
		skip_call(t->tid, &r, p->foreign ? -ENOSYS : 0);
		return;
	}
	/* Whoever asks: it tells only whose code a page is. */
	if (nr == MONITOR_MAPPER_CALL) {
		int m = p->foreign ? -ENOSYS : mapper_of(&p->as, a[0]);
		skip_call(t->tid, &r, m >= 0 || p->foreign ? m : -ESRCH);
		return;
	}
	if (c == NO_COMPARTMENT)
		why = "its PKRU is no compartment's";
	else if (c > 0 && config_denies_call(c, nr))
		why = "the program's config denies it to this compartment (a syscalls rule)";
	else if (nr == MONITOR_TRAP_WRITER_CALL) {
		/* An executed program's libia2 has no monitor of its own. */
		if (p->foreign || c == RUNTIME) {
			skip_call(t->tid, &r, p->foreign ? -ENOSYS : write_trap(t->tid, a[0], a[1]));
			return;
		}
		why = "only libia2 asks the monitor to write code";
	} else if (is_open_call(nr) && (c != RUNTIME || p->foreign)) {
		if (opens_existing(nr, a)) {
			begin_held_call(t, OPENING, KCMP_FILES);
			return;
		}
	} else if (c != RUNTIME && is_memory_call(nr)) {
		t->call = r;
		t->compartment = c;
		t->caller_pkru = pkru;
		begin_held_call(t, MEMORY_CALL, KCMP_VM);
		return;
	} else if (c != RUNTIME)
		why = other_verdict(nr, a);
	if (why) {
		report(t, c, pkru, &r, why);
		if (__ia2_ro.s.monitor != MONITOR_PERMISSIVE) {
			deny_call(t->tid, &r);
			return;
		}
	}
	note_call(&p->as, nr, a);
	if (auditing() && c > 0) {
		t->waiting = AUDITED_CALL;
		resume(t->tid, PTRACE_SYSCALL, 0);
		return;
	}
	resume(t->tid, PTRACE_CONT, 0);
}

/* After a signal is delivered and before its handler runs, the kernel
 * may restart the call the signal interrupted (arch/x86/kernel/signal.c,
 * handle_signal): rax becomes -EINTR, or the call's number again with
 * rip back on the `syscall` instruction. */
static bool same_state(const struct delivery *d, const struct user_regs_struct *r, unsigned pkru)
{
	const struct user_regs_struct *e = &d->regs;
	long rv = (long)e->rax;
	bool restartable = (long)e->orig_rax >= 0 && rv <= -512 && rv >= -516;

	if (pkru != d->pkru || r->rsp != e->rsp)
		return false;
	if (r->rip != e->rip && !(restartable && r->rip == e->rip - 2))
		return false;
	if (r->rax != e->rax && !(restartable && (r->rax == (unsigned long)-EINTR || r->rax == e->orig_rax)))
		return false;
	return r->rbx == e->rbx && r->rbp == e->rbp && r->r12 == e->r12 && r->r13 == e->r13 &&
	       r->r14 == e->r14 && r->r15 == e->r15 && r->rdi == e->rdi && r->rsi == e->rsi &&
	       r->rdx == e->rdx && r->r8 == e->r8 && r->r9 == e->r9 && r->r10 == e->r10;
}

/* The newest pending delivery that the restored state matches; it and
 * those after it (handlers left by longjmp) are done. */
static void check_sigreturn(struct task *t)
{
	struct user_regs_struct r;
	unsigned pkru;

	if (!read_state(t->tid, &r, &pkru))
		return;
	for (int i = t->ndeliveries - 1; i >= 0; i--)
		if (same_state(&t->deliveries[i], &r, pkru)) {
			t->ndeliveries = i;
			resume(t->tid, PTRACE_CONT, 0);
			return;
		}
	r.orig_rax = SYS_rt_sigreturn;
	report(t, caller_of(t->caller_pkru), t->caller_pkru, &r,
	       "the registers and PKRU it restored are no interrupted state of this thread: "
	       "the signal frame was changed or forged");
	if (__ia2_ro.s.monitor == MONITOR_PERMISSIVE)
		resume(t->tid, PTRACE_CONT, 0);
	else
		end_after_call(t, &r);
}

/* The first argument of call r that points to memory whose key PKRU
 * denies: its key, and the argument in *addr; -1 if none does. */
static int denied_argument(pid_t pid, const struct user_regs_struct *r, unsigned pkru, uintptr_t *addr)
{
	const unsigned long a[6] = {r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9};

	for (int i = 0; i < 6; i++) {
		int k = a[i] >= PAGE ? pkey_at(pid, a[i]) : -1;
		if (k > 0 && k < 16 && (pkru >> 2 * k & 3)) {
			*addr = a[i];
			return k;
		}
	}
	return -1;
}

/* Audit mode opens pkey in t's PKRU, pkru now; close_keys gives the
 * thread back the PKRU it had before the first key was opened. */
static void open_key(struct task *t, enum opened why, unsigned pkru, unsigned pkey)
{
	if (t->opened == SHUT)
		t->own_pkru = pkru;
	t->opened = why;
	write_pkru(t->tid, pkru & ~(3u << 2 * pkey));
}

static void close_keys(struct task *t)
{
	if (t->opened != SHUT)
		write_pkru(t->tid, t->own_pkru);
	t->opened = SHUT;
}

/* The thread's own PKRU, when pkru is what it has now. */
static unsigned own_pkru(const struct task *t, unsigned pkru)
{
	return t->opened == SHUT ? pkru : t->own_pkru;
}

/* Audit mode: the kernel checks the caller's PKRU when it reads or
 * writes user memory for a call (copy_to_user and copy_from_user fault,
 * arch/x86/mm/fault.c), and the call fails with EFAULT, no signal. A
 * compartment's call that fails so because an argument points to
 * another compartment's memory is recorded like a fault, and made again
 * with that key open: the thread goes back to its syscall instruction
 * (two bytes, 0f 05) with the call's number in rax, and gets its PKRU
 * back at the exit of the call made again. A pointer inside a struct
 * (readv's iovecs) is not looked at. */
static void check_efault(struct task *t)
{
	struct user_regs_struct r;
	unsigned pkru;
	uintptr_t addr;
	char who[32];
	int k;

	if (!read_state(t->tid, &r, &pkru) || r.rax != (unsigned long long)-EFAULT ||
	    (k = denied_argument(t->tgid, &r, pkru, &addr)) < 0) {
		close_keys(t);
		resume(t->tid, PTRACE_CONT, 0);
		return;
	}
	name_pkru(own_pkru(t, pkru), who, sizeof who);
	audit_fault(t->tgid, t->tid, who, r.rip - 2, addr, (unsigned)k);
	open_key(t, FOR_CALL, pkru, (unsigned)k);
	r.rip -= 2;
	r.rax = r.orig_rax;
	ptrace(PTRACE_SETREGS, t->tid, 0, &r);
	resume(t->tid, PTRACE_CONT, 0);
}

static void on_syscall_exit(struct task *t)
{
	enum waiting w = t->waiting;

	if (w == OPENING) {
		end_open(t);
		return;
	}
	if (w == MEMORY_CALL) {
		end_memory_call(t);
		return;
	}
	t->waiting = NOTHING;
	if (w == SIGRETURN) {
		check_sigreturn(t);
		return;
	}
	if (w == AUDITED_CALL) {
		check_efault(t);
		return;
	}
	resume(t->tid, PTRACE_CONT, 0);
}

/* Whether the process has a handler for sig (/proc/PID/status, SigCgt). */
static bool catches(pid_t tid, int sig)
{
	return status_field(tid, "\nSigCgt:", 16, 0) >> (sig - 1) & 1;
}

/* Audit mode lets the faulting instruction run once with the key
 * open: the thread steps over it (PTRACE_SINGLESTEP) with the key's
 * rights in its PKRU, and gets its own PKRU back at the next stop
 * (end_step). PKRU is the thread's own, so the other threads keep
 * faulting meanwhile. An instruction that touches two keys faults again
 * in its step, and the second key is opened as well. */
static void let_access_once(struct task *t, unsigned pkru, unsigned pkey)
{
	open_key(t, FOR_STEP, pkru, pkey);
	resume(t->tid, PTRACE_SINGLESTEP, 0);
}

/* The stop after a step of let_access_once: the thread's PKRU goes back,
 * unless the step faulted on another key. True if that ends the stop: a
 * step that ran (TRAP_TRACE). Any other stop, a signal that came
 * first, is handled as usual, and the instruction faults again later. */
static bool end_step(struct task *t, int event, int sig)
{
	siginfo_t si = {0};

	if (event || (sig != SIGTRAP && sig != SIGSEGV) || ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si))
		si.si_code = 0;
	if (sig == SIGSEGV && si.si_code == SEGV_PKUERR)
		return false;
	close_keys(t);
	if (sig != SIGTRAP || si.si_code != TRAP_TRACE)
		return false;
	resume(t->tid, PTRACE_CONT, 0);
	return true;
}

/* A protection-key fault: logged for IA2_FAULT_LOG; in audit mode,
 * recorded and let through (true); otherwise reported when no handler
 * will see it, as the process is about to die of it. */
static bool on_pkey_fault(struct task *t, const siginfo_t *si)
{
	struct user_regs_struct r;
	unsigned pkru;
	char line[96], who[32];
	struct fault f;

	if (fault_log >= 0) {
		size_t n = format_to(line, sizeof line, "pkuerr %d %#lx %u\n", t->tgid,
				     (unsigned long)si->si_addr, si->si_pkey);
		if (write(fault_log, line, n) < 0)
			return false;
	}
	if ((!auditing() && catches(t->tid, SIGSEGV)) || !read_state(t->tid, &r, &pkru))
		return false;
	name_pkru(own_pkru(t, pkru), who, sizeof who);
	if (auditing()) {
		audit_fault(t->tgid, t->tid, who, r.rip, (uintptr_t)si->si_addr, si->si_pkey);
		let_access_once(t, pkru, si->si_pkey);
		return true;
	}
	describe_fault(t->tgid, r.rip, (uintptr_t)si->si_addr, si->si_pkey, &f);
	say("%s touched %#lx, which has pkey %u, at %s, on thread %d: a protection-key fault, "
	    "which kills the process. It is %s. Rule that would allow it: %s "
	    "(docs/usage.md, \"Porting a program\")",
	    who, (unsigned long)si->si_addr, si->si_pkey, f.at, t->tid, f.what, f.rule);
	say_backtrace(t->tgid, &r, compartment_of_any_pkru(own_pkru(t, pkru)));
	return false;
}

static bool record_delivery(struct task *t)
{
	struct delivery d;

	if (process_for(t->tgid)->foreign || !read_state(t->tid, &d.regs, &d.pkru))
		return false;
	if (t->ndeliveries == MAX_FRAMES)
		memmove(t->deliveries, t->deliveries + 1, sizeof *t->deliveries * (MAX_FRAMES - 1)),
			t->ndeliveries--;
	t->deliveries[t->ndeliveries++] = d;
	return true;
}

/* At a signal-delivery stop, before the kernel writes the frame: a
 * handler that interrupts anything but PKRU(0) or the kernel's default
 * PKRU, which open pkey 0 alone already, gets its frame written with
 * PKRU(0). PTRACE_SINGLESTEP has the thread stop again once the handler
 * is set up, before its first instruction (kernel/signal.c,
 * signal_delivered: ptrace_notify(SIGTRAP)). */
static void guard_frame(struct task *t, int sig)
{
	unsigned pkru = t->deliveries[t->ndeliveries - 1].pkru;

	if (pkru == IA2_PKRU(0) || pkru == IA2_PKRU_KERNEL_DEFAULT || !catches(t->tid, sig) ||
	    !write_pkru(t->tid, IA2_PKRU(0))) {
		resume(t->tid, PTRACE_CONT, sig);
		return;
	}
	t->framing = true;
	resume(t->tid, PTRACE_SINGLESTEP, sig);
}

/* The frame (struct rt_sigframe, arch/x86/include/asm/sigframe.h) is at
 * the handler's stack pointer, and its XSAVE area 456 bytes above:
 * get_sigframe puts the XSAVE area 64-byte aligned below the stack's top
 * and the frame's 440 bytes below it, 16-byte aligned less 8. The
 * frame's own pointer to it (uc_mcontext.fpregs) must agree, or another
 * thread has written over the frame meanwhile. */
#define FRAME_TO_XSAVE 456

/* The handler is set up: the frame gets the PKRU that the delivery
 * interrupted, which rt_sigreturn restores and the signal entries read. */
static bool put_frame_pkru(pid_t tid, unsigned pkru)
{
	struct user_regs_struct r;
	unsigned long fp, at, word;

	if (ptrace(PTRACE_GETREGS, tid, 0, &r))
		return true;   /* killed meanwhile */
	errno = 0;
	fp = (unsigned long)ptrace(PTRACE_PEEKDATA, tid, r.rsp + 8 + IA2_UC_FPREGS, 0);
	if (errno || fp != r.rsp + FRAME_TO_XSAVE)
		return false;
	at = fp + (unsigned long)pkru_offset;
	word = (unsigned long)ptrace(PTRACE_PEEKDATA, tid, at & ~7ul, 0);
	if (errno)
		return false;
	word &= ~(0xfffffffful << (at & 7) * 8);
	word |= (unsigned long)pkru << (at & 7) * 8;
	return !ptrace(PTRACE_POKEDATA, tid, at & ~7ul, word);
}

/* One line, and the process ends with the monitor's status (with
 * IA2_MONITOR=permissive, the kernel's SIGSEGV ends it). */
static void end_for_frame(struct task *t, unsigned pkru, const char *why)
{
	struct user_regs_struct r;
	char who[32], then[64];
	bool permissive = __ia2_ro.s.monitor == MONITOR_PERMISSIVE;

	name_pkru(pkru, who, sizeof who);
	if (permissive)
		format_to(then, sizeof then, "The kernel's SIGSEGV ends the process");
	else
		format_to(then, sizeof then, "The process stops with status %d", MONITOR_DENIED_STATUS);
	say("a signal interrupted %s on thread %d, and %s. %s (docs/design.md, \"Signal frames\")",
	    who, t->tid, why, then);
	if (permissive || ptrace(PTRACE_GETREGS, t->tid, 0, &r))
		resume(t->tid, PTRACE_CONT, SIGSEGV);
	else
		end_after_call(t, &r);
}

/* The stop after a guarded delivery: the handler's first instruction
 * (a SIGTRAP whose si_code is SIGTRAP, ptrace_notify's), or the
 * kernel's SIGSEGV when it could not write the frame with PKRU(0)
 * (force_sigsegv, SI_KERNEL); or, had the program's handler gone
 * meanwhile, the trap of the one instruction it ran (TRAP_TRACE), or
 * another signal: then the thread gets its PKRU back. */
static void end_framing(struct task *t, int sig)
{
	unsigned pkru = t->deliveries[t->ndeliveries - 1].pkru;
	siginfo_t si = {0};

	t->framing = false;
	ptrace(PTRACE_GETSIGINFO, t->tid, 0, &si);
	if (sig == SIGTRAP && si.si_code == SIGTRAP) {
		if (put_frame_pkru(t->tid, pkru))
			resume(t->tid, PTRACE_CONT, 0);
		else
			end_for_frame(t, pkru, "another thread wrote over its signal frame before the "
				      "handler ran");
		return;
	}
	if (sig == SIGSEGV && si.si_code == SI_KERNEL) {
		end_for_frame(t, pkru, "the kernel could not write the signal frame with compartment "
			      "0's rights: the thread's alternate signal stack is not pkey-0 memory "
			      "(a raw sigaltstack, or a uc_stack that rt_sigreturn restored, put it "
			      "elsewhere)");
		return;
	}
	t->ndeliveries--;
	write_pkru(t->tid, pkru);
	if (sig == SIGTRAP && si.si_code == TRAP_TRACE)
		resume(t->tid, PTRACE_CONT, 0);
	else if (record_delivery(t))
		guard_frame(t, sig);
	else
		resume(t->tid, PTRACE_CONT, sig);
}

/* A fork, vfork, or clone without CLONE_THREAD: a process with a copy
 * of the parent's memory (or, with CLONE_VM, the same memory). The
 * child runs as soon as it exists, and waitpid reports its stops and
 * its parent's event stop in either order, all the more when the
 * parent's is held (begin_held_call): a vfork child may have executed
 * another program already, and is foreign then, whatever its parent. */
static void on_new_task(struct task *t)
{
	unsigned long child = 0;
	struct process *p = process_for(t->tgid), *q;

	ptrace(PTRACE_GETEVENTMSG, t->tid, 0, &child);
	if (tgid_of((pid_t)child) != (pid_t)child)
		return;   /* a thread */
	q = process_for((pid_t)child);
	if (q->foreign)
		return;
	if (!q->as.n)
		copy_address_space(&q->as, &p->as);
	q->foreign = p->foreign;
}

/* The thread that executed is now the process's only one, under the
 * process's pid (execve(2)). */
static void on_exec(struct task *t)
{
	struct process *p = process_for(t->tgid);

	for (size_t i = 0; i < ntasks;)
		if (tasks[i]->tgid == t->tgid && tasks[i] != t)
			forget_task(tasks[i]->tid);
		else
			i++;
	p->foreign = true;
	p->as.n = 0;
	t->ndeliveries = 0;
}

/* A process's record goes with its last known thread. A held task that
 * dies no longer needs to stop, and its waiting stop goes; when the task
 * whose open held others dies (a denied open), they go on. */
static void on_exit_of(pid_t tid)
{
	struct task *t = find_task(tid), *o = NULL;
	pid_t tgid = t ? t->tgid : -1;

	for (size_t i = 0; i < ndeferred;)
		if (deferred[i].tid == tid)
			memmove(deferred + i, deferred + i + 1, (--ndeferred - i) * sizeof *deferred);
		else
			i++;
	if (t && t->interrupted)
		o = t->held_for, o->awaited--;
	if (t) {
		t->waiting = NOTHING;
		release_held(t);
	}
	forget_task(tid);
	if (o)
		start_call_if_all_held(o);
	for (size_t i = 0; i < ntasks; i++)
		if (tasks[i]->tgid == tgid)
			return;
	if (tgid > 0)
		forget_process(tgid);
}

static bool is_stop_signal(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void on_stop(pid_t tid, int status)
{
	struct task *t = task_for(tid);
	int sig = WSTOPSIG(status), event = (unsigned)status >> 16;

	if (t->opened == FOR_STEP && end_step(t, event, sig))
		return;
	switch (event) {
	case PTRACE_EVENT_SECCOMP:
		on_syscall(t);
		return;
	case PTRACE_EVENT_FORK:
	case PTRACE_EVENT_VFORK:
	case PTRACE_EVENT_CLONE:
		on_new_task(t);
		t->in_vfork = event == PTRACE_EVENT_VFORK;
		resume(tid, PTRACE_CONT, 0);
		return;
	case PTRACE_EVENT_EXEC:
		on_exec(t);
		resume(tid, PTRACE_CONT, 0);
		return;
	case PTRACE_EVENT_STOP:
		/* A group stop stays one until SIGCONT (ptrace(2),
		 * PTRACE_LISTEN); the other event stops, PTRACE_INTERRUPT's
		 * among them, just continue, to the exit stop of a call the
		 * task is in, if the monitor waits for one. */
		if (is_stop_signal(sig))
			resume(tid, PTRACE_LISTEN, 0);
		else
			resume(tid, t->waiting != NOTHING ? PTRACE_SYSCALL : PTRACE_CONT, 0);
		return;
	}
	if (sig == (SIGTRAP | 0x80)) {
		on_syscall_exit(t);
		return;
	}
	/* A signal came before the call made again: the handler runs with
	 * the thread's own PKRU, and the call fails and is made again after. */
	if (t->opened == FOR_CALL)
		close_keys(t);
	if (t->ending) {
		resume(tid, PTRACE_CONT, 0);
		return;
	}
	if (t->framing) {
		end_framing(t, sig);
		return;
	}
	if (sig == SIGSEGV) {
		siginfo_t si;
		if (!ptrace(PTRACE_GETSIGINFO, tid, 0, &si) && si.si_code == SEGV_PKUERR &&
		    on_pkey_fault(t, &si))
			return;
	}
	if (record_delivery(t))
		guard_frame(t, sig);
	else
		resume(tid, PTRACE_CONT, sig);
}

/* A held task's stop: it stays stopped, and its stop is handled once
 * the open it is held for is judged. */
static void hold_stop(struct task *t, int status)
{
	struct task *o = t->held_for;

	deferred = grow(deferred, ndeferred, sizeof *deferred);
	deferred[ndeferred++] = (struct stop){t->tid, status};
	if (t->interrupted) {
		t->interrupted = false;
		o->awaited--;
		start_call_if_all_held(o);
	}
}

/* o's open is judged: handle the stops of the tasks it held, in order
 * (one of them may be an open that holds tasks in turn). */
static void release_held(struct task *o)
{
	for (size_t i = 0; i < ntasks; i++)
		if (tasks[i]->held_for == o)
			tasks[i]->held_for = NULL, tasks[i]->interrupted = false;
	for (size_t i = 0; i < ndeferred;) {
		struct task *s = find_task(deferred[i].tid);
		struct stop st = deferred[i];

		if (s && s->held_for) {
			i++;
			continue;
		}
		memmove(deferred + i, deferred + i + 1, (--ndeferred - i) * sizeof *deferred);
		on_stop(st.tid, st.status);
		i = 0;   /* on_stop may have judged an open and released others */
	}
}

/* A task the monitor meets for the first time (a new thread or clone)
 * is held if an open in flight shares its descriptor table. */
static void on_any_stop(pid_t tid, int status)
{
	bool known = find_task(tid);
	struct task *t = task_for(tid);

	t->in_vfork = false;   /* a task that stops waits no more */
	if (!known)
		t->held_for = held_call_sharing(t);
	if (t->held_for)
		hold_stop(t, status);
	else
		on_stop(tid, status);
}

static void on_event(pid_t tid, int status)
{
	if (WIFSTOPPED(status))
		on_any_stop(tid, status);
	else if (WIFEXITED(status) || WIFSIGNALED(status))
		on_exit_of(tid);
}

void supervise(void)
{
	struct stop *batch = NULL;

	if (getenv("IA2_FAULT_LOG"))
		fault_log = open(getenv("IA2_FAULT_LOG"), O_WRONLY | O_APPEND | O_CLOEXEC);
	start_audit();
	for (;;) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL);
		size_t n = 0;

		if (tid < 0 && errno == EINTR)
			continue;
		if (tid < 0)
			_exit(0);   /* ECHILD: nothing is traced any more */
		/* Every stop that is ready is handled before the next wait.
		 * waitpid reports the first ready task on the tracer's list
		 * (kernel/exit.c, do_wait walks ->ptraced in order), so one
		 * thread that stops again as soon as it is resumed (a signal
		 * raised in a loop) would otherwise starve the others. A task
		 * reports no other stop until it is resumed, so the batch
		 * ends. */
		do {
			batch = grow(batch, n, sizeof *batch);
			batch[n++] = (struct stop){tid, status};
		} while ((tid = waitpid(-1, &status, __WALL | WNOHANG)) > 0);
		for (size_t i = 0; i < n; i++)
			on_event(batch[i].tid, batch[i].status);
	}
}
