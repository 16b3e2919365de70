/* The runtime's privileged operations: the few things libia2 must do
 * with rights no compartment has, after startup.
 *
 * Some of libia2's work needs every key: jemalloc's fork handlers lock
 * and reinitialize every arena, compartment arenas included (fork.c), and
 * a thread's records, CTBs and TLS blocks must be written where no
 * compartment can write, then cleared before they are given back
 * (registry.c). That work is done here, as an operation of the read-only
 * table __ia2_privileged_ops, through the entry __ia2_privileged
 * (objrewrite/stubs.c, gate_abi.h): with the runtime's rights (pkru.h),
 * on the runtime's own stack, one operation at a time in the process,
 * with every signal blocked. Everything it trusts lives in the runtime's
 * private area or in memory it reaches from there, with pkey
 * IA2_RUNTIME_PKEY, which
 * no compartment's PKRU opens; whatever comes from a compartment, the
 * operations check.
 *
 * What an operation may not do: call code a compartment could have
 * chosen, through a function pointer in writable memory (glibc's printf
 * and stdio call such pointers, which is why die formats and writes its
 * messages itself, runtime.c); write where an argument points; or take
 * the address of a TLS variable, which goes through the thread control
 * block at %fs:0, writable by any compartment: the thread pointer comes
 * from the kernel instead (thread_pointer). */
#include <asm/prctl.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

_Static_assert(offsetof(struct private_state, lock) == IA2_PRIVATE_LOCK, "gate_abi.h");
_Static_assert(offsetof(struct private_state, fork_tid) == IA2_PRIVATE_FORK_TID, "gate_abi.h");
_Static_assert(offsetof(struct private_state, fork_pid) == IA2_PRIVATE_FORK_PID, "gate_abi.h");
_Static_assert(sizeof(struct private_state) <= PAGE, "gate_abi.h: one page of state");

struct private_state *private_state(void)
{
	return (struct private_state *)__ia2_ro.s.private_area;
}

/* Read-only (RELRO), and indexed by the entry only after a bounds check. */
__attribute__((visibility("hidden"))) const privileged_op __ia2_privileged_ops[IA2_OPS] = {
	[IA2_OP_FORK_PREPARE] = op_fork_prepare,
	[IA2_OP_FORK_PARENT] = op_fork_parent,
	[IA2_OP_FORK_CHILD] = op_fork_child,
	[IA2_OP_THREAD_NEW] = op_thread_new,
	[IA2_OP_THREAD_ABANDON] = op_thread_abandon,
	[IA2_OP_THREAD_START] = op_thread_start,
	[IA2_OP_THREAD_END] = op_thread_end,
	[IA2_OP_TRAP_WRITER] = op_trap_writer,
	[IA2_OP_TAKE_CALLBACK_SLOT] = op_take_callback_slot,
	[IA2_OP_SET_SIGNAL_HANDLER] = op_set_signal_handler,
};

/* objrewrite/stubs.c */
struct pair __ia2_privileged(long op, uintptr_t a, uintptr_t b);

/* In the startup state: the state page, the scratch pages, a guard
 * page, the stack (gate_abi.h), mapped apart from libia2's data, which
 * tools such as LeakSanitizer read. */
void set_up_private_memory(void)
{
	char *m = mmap(NULL, IA2_PRIVATE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t lo = (uintptr_t)m, hi = lo + IA2_PRIVATE_SIZE;
	uintptr_t stack = lo + IA2_PRIVATE_SCRATCH + IA2_PRIVATE_SCRATCH_SIZE + PAGE;

	if (m == MAP_FAILED)
		die("cannot map the runtime's private area: %s", strerrorname_np(errno));
	tag(lo, lo + PAGE, IA2_RUNTIME_PKEY, "the runtime's private state");
	tag(lo + IA2_PRIVATE_SCRATCH, lo + IA2_PRIVATE_SCRATCH + IA2_PRIVATE_SCRATCH_SIZE,
	    IA2_RUNTIME_PKEY, "the runtime's scratch pages");
	tag(stack, hi, IA2_RUNTIME_PKEY, "the runtime's stack");
	(void)VALGRIND_STACK_REGISTER(stack, hi);
	__ia2_ro.s.private_area = m;
}

/* replace_pages for an operation, which no compartment can redirect:
 * the copy is made in the scratch pages, which have the runtime's key,
 * then made read-only with pkey 0 and moved over the table (the syscall
 * monitor keeps every compartment off the private area, its hole
 * included, and off the tables, runtime.h). New pages fill the hole:
 * whatever a compartment writes to them before they get the runtime's
 * key again, the next copy overwrites. */
void replace_runtime_table(void *pages, size_t size, void (*change)(void *copy, const void *arg),
			   const void *arg, const char *what)
{
	char *scratch = __ia2_ro.s.private_area + IA2_PRIVATE_SCRATCH;
	uintptr_t lo = (uintptr_t)scratch;

	if (size > IA2_PRIVATE_SCRATCH_SIZE)
		die("%s is larger than the runtime's scratch pages", what);
	memcpy(scratch, pages, size);
	change(scratch, arg);
	tag_read_only(lo, lo + size, what);
	if (mremap(scratch, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, pages) == MAP_FAILED)
		die("cannot replace %s: %s", what, strerrorname_np(errno));
	if (mmap(scratch, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
	    MAP_FAILED)
		die("cannot map the runtime's scratch pages again: %s", strerrorname_np(errno));
	tag(lo, lo + size, IA2_RUNTIME_PKEY, "the runtime's scratch pages");
}

/* The kernel's rt_sigprocmask: glibc's sigprocmask never blocks its own
 * SIGCANCEL and SIGSETXID, which must not interrupt an operation either. */
static uint64_t set_signal_mask(uint64_t mask)
{
	uint64_t old;

	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, &old, sizeof mask))
		die("rt_sigprocmask: %s", strerrorname_np(errno));
	return old;
}

struct pair run_privileged(int op, uintptr_t a, uintptr_t b)
{
	struct pair r;
	uint64_t mask;

	/* libia2's own startup holds the rights already. */
	if (has_runtime_rights())
		return __ia2_privileged_ops[op](a, b, 0);
	mask = set_signal_mask(~0ull);
	r = __ia2_privileged(op, a, b);
	set_signal_mask(mask);
	return r;
}

uintptr_t thread_pointer(void)
{
	uintptr_t fs;

	if (syscall(SYS_arch_prctl, ARCH_GET_FS, &fs))
		die("arch_prctl(ARCH_GET_FS): %s", strerrorname_np(errno));
	return fs;
}

/* glibc and jemalloc find this thread's data through the thread control
 * block's pointer to itself at %fs:0 (tcbhead_t.tcb, sysdeps/x86_64/
 * nptl/tls.h), in pkey-0 memory. Before an operation lets them run with
 * the runtime's rights, it checks that the pointer still is the thread
 * pointer. */
void check_thread_control_block(void)
{
	uintptr_t self;

	__asm__("mov %%fs:0, %0" : "=r"(self));
	if (self != thread_pointer())
		die("the thread control block's self pointer (%#lx) is not the thread pointer "
		    "(%#lx): a compartment overwrote it", (unsigned long)self,
		    (unsigned long)thread_pointer());
}
