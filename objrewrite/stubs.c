/* stubs: libia2's half of the gate ABI, written at ia2's build time by
 * the same code as the gates (ia2-genstubs): the return stubs that gates
 * dispatch to, the signal entries and their tables, and the entry of the
 * runtime's privileged operations. */
#include "asm.h"
#include "rewrite.h"

#include "ia2/gate_abi.h"
#include "ia2/pkru.h"

/* An sret result arrives in xmm8-xmm15. The size (rcx) and the buffer
 * (rdi) come from the caller's own frame, never from the callee: spill
 * the registers below the caller's stack pointer, copy exactly rcx bytes
 * (the gate left DF clear) and return the buffer in rax, as the psABI
 * requires of sret functions. */
static void emit_copy_sret(struct out *out)
{
	for (int i = 0; i < IA2_GATE_MAX_SRET_BYTES / 16; i++)
		fprintf(out->f, "\tmovdqu %%xmm%d, %d(%%rsp)\n", 8 + i, -IA2_GATE_MAX_SRET_BYTES + 16 * i);
	fprintf(out->f, "\tlea %d(%%rsp), %%rsi\n"
		     "\tmov %%rdi, %%r10\n"
		     "\trep movsb\n"
		     "\txor %%esi, %%esi\n",
		-IA2_GATE_MAX_SRET_BYTES);
	for (int i = 0; i < IA2_GATE_MAX_SRET_BYTES / 16; i++)
		fprintf(out->f, "\tpxor %%xmm%d, %%xmm%d\n", 8 + i, 8 + i);
}

/* A copied argument (gate_abi.h, IA2_COPY_ALIGN) goes back to the
 * caller's struct, r9, r8 bytes: both come from the caller's own frame,
 * and the copy's place from the shared stack pointer saved there, now in
 * the variable again (rsi: its TLS offset). rcx and rdi, the sret size
 * and buffer, wait in rax and rdx, whose values r10 and r11 keep. */
static void emit_copy_back(struct out *out)
{
	fprintf(out->f, "\ttest %%r9, %%r9\n"
		     "\tjz 2f\n"
		     "\tmov %%rcx, %%rax\n"
		     "\tmov %%rdi, %%rdx\n"
		     "\tmov %%fs:(%%rsi), %%rsi\n"
		     "\tsub %%r8, %%rsi\n"
		     "\tand $%d, %%rsi\n"
		     "\tmov %%r9, %%rdi\n"
		     "\tmov %%r8, %%rcx\n"
		     "\trep movsb\n"
		     "\tmov %%rax, %%rcx\n"
		     "\tmov %%rdx, %%rdi\n"
		     "\txor %%r8d, %%r8d\n"
		     "\txor %%r9d, %%r9d\n"
		     "2:\n",
		-IA2_COPY_ALIGN);
}

/* A return stub reached while c has no call pending on this thread, by a
 * jump from any compartment, finds at CTB(c).frame its own address plus
 * 1 (libia2/runtime.c, no_call_frame), where a gate frame's link is the
 * 16-byte aligned address of an older frame. It stops the program there,
 * on c's empty stack. Compartment 0 has no stack of its own, and its
 * CTB's frame is 0 until a gate returns to it: that traps. */
static void emit_check_call_pending(struct out *out, int c)
{
	if (c == 0) {
		fprintf(out->f, "\ttest %%rsp, %%rsp\n\tjnz 1f\n\tud2\n1:\n");
		return;
	}
	fprintf(out->f, "\tlea 1(%%rsp), %%rax\n"
		     "\tcmp %%rax, (%%rsp)\n"
		     "\tjne 1f\n"
		     "\tmov $%d, %%edi\n"
		     "\tand $-16, %%rsp\n"
		     "\tcall __ia2_no_call_pending\n"
		     "1:\n", c);
}

/* __ia2_return_to_<c>, which a gate returning to compartment c ends in. */
static void emit_return_stub(struct out *out, int c)
{
	int slot = c * IA2_CTB_SIZE + IA2_CTB_FRAME;

	fprintf(out->f, "\n\t.p2align 4\n\t.type __ia2_return_to_%d, @function\n"
		     "__ia2_return_to_%d:\n"
		     "\tendbr64\n"
		     "\tmov %%rax, %%r10\n"
		     "\tmov %%rdx, %%r11\n", c, c);
	emit_write_pkru(out, IA2_PKRU(c));
	fprintf(out->f, "\tmov __ia2_ctb@gottpoff(%%rip), %%rcx\n"
		     "\tmov %%fs:%d(%%rcx), %%rsp\n", slot);
	emit_check_call_pending(out, c);
	fprintf(out->f, "\tpop %%fs:%d(%%rcx)\n"
		     "\tpop %%rcx\n"
		     "\tpop %%rdi\n"
		     "\tpop %%r8\n"
		     "\tpop %%r9\n"
		     "\tpop %%rsi\n"   /* the gate slot */
		     "\tmov " IA2_SHARED_STACK_PTR "@gottpoff(%%rip), %%rsi\n"
		     "\tpop %%fs:(%%rsi)\n",
		slot);
	emit_copy_back(out);
	fprintf(out->f, "\txor %%esi, %%esi\n"
		     "\tjrcxz 1f\n");
	emit_copy_sret(out);
	/* A cancellation that crossed the gate goes on in c, as if the
	 * caller had called __ia2_cancel_arrived (libia2/cancel.c). */
	fprintf(out->f, "1:\tpop %%r15\n\tpop %%r14\n\tpop %%r13\n\tpop %%r12\n\tpop %%rbp\n\tpop %%rbx\n"
		     "\tmov __ia2_cancel_crossing@gottpoff(%%rip), %%rcx\n"
		     "\tcmpb $0, %%fs:(%%rcx)\n"
		     "\tjne __ia2_cancel_arrived\n"
		     "\tmov %%r10, %%rax\n"
		     "\tmov %%r11, %%rdx\n"
		     "\txor %%ecx, %%ecx\n"
		     "\txor %%edi, %%edi\n"
		     "\txor %%r10d, %%r10d\n"
		     "\txor %%r11d, %%r11d\n"
		     "\tret\n"
		     "\t.size __ia2_return_to_%d, .-__ia2_return_to_%d\n",
		c, c);
}

/* libia2's startup ends by moving from the startup state to PKRU(0),
 * where libc and ld.so then run: pkey 0 alone (init.c). Any code may call
 * this; it only gives up rights. */
static void emit_leave_startup(struct out *out)
{
	fprintf(out->f, "\n\t.p2align 4\n\t.globl __ia2_leave_startup\n"
		     "\t.hidden __ia2_leave_startup\n"
		     "\t.type __ia2_leave_startup, @function\n"
		     "__ia2_leave_startup:\n"
		     "\tendbr64\n");
	emit_write_pkru(out, IA2_PKRU(0));
	fprintf(out->f, "\tret\n\t.size __ia2_leave_startup, .-__ia2_leave_startup\n");
}

/* Moves to k's signal stack on this thread, below the interrupted stack
 * pointer if a handler of k was interrupted there (r14: the ucontext). */
static void emit_to_signal_stack(struct out *out, int k)
{
	fprintf(out->f, "\tmov __ia2_ctb@gottpoff(%%rip), %%r11\n"
		     "\tmov %%fs:%d(%%r11), %%rcx\n"
		     "\ttest %%rcx, %%rcx\n"
		     "\tjz .Ltrap\n"
		     "\tmov %d(%%r14), %%rax\n"
		     "\tlea -%d(%%rcx), %%rdx\n"
		     "\tcmp %%rdx, %%rax\n"
		     "\tjb 1f\n"
		     "\tcmp %%rcx, %%rax\n"
		     "\tja 1f\n"
		     "\tlea -128(%%rax), %%rcx\n"
		     "1:\tand $-16, %%rcx\n"
		     "\tmov %%rcx, %%rsp\n",
		k * IA2_CTB_SIZE + IA2_CTB_SIGSTACK, IA2_UC_RSP, IA2_SIGSTACK_SIZE);
}

/* sigaltstack({uc_stack.ss_sp, this frame - ss_sp, uc_stack's
 * SS_AUTODISARM}), if that leaves room for a frame (rbx: this frame). */
static void emit_rearm_altstack(struct out *out)
{
	fprintf(out->f, "\tmov %d(%%r14), %%rax\n"
		     "\tmov %%rbx, %%rdx\n"
		     "\tsub %%rax, %%rdx\n"
		     "\tcmp $%d, %%rdx\n"
		     "\tjb 2f\n"
		     "\tsub $32, %%rsp\n"
		     "\tmov %%rax, (%%rsp)\n"
		     "\tmov %d(%%r14), %%eax\n"
		     "\tand $%#x, %%eax\n"
		     "\tmov %%eax, 8(%%rsp)\n"
		     "\tmov %%rdx, 16(%%rsp)\n"
		     "\tmov %%rsp, %%rdi\n"
		     "\txor %%esi, %%esi\n"
		     "\tmov $131, %%eax\n"    /* sigaltstack */
		     "\tsyscall\n"
		     "\tadd $32, %%rsp\n"
		     "2:\n",
		IA2_UC_STACK, IA2_MIN_ALTSTACK, IA2_UC_STACK + 8, IA2_SS_AUTODISARM);
}

/* The kernel blocked every signal for the entry (signals.c); the handler
 * gets the mask it asked for: the interrupted one, plus its sa_mask, plus
 * the signal itself unless SA_NODEFER, as __ia2_signal_handlers has it
 * after the handlers. rt_sigprocmask(SIG_SETMASK, ...). */
static void emit_unblock(struct out *out)
{
	fprintf(out->f, "\tlea __ia2_signal_handlers(%%rip), %%rax\n"
		     "\tmov %d(%%rax,%%r12,8), %%rax\n"
		     "\tor %d(%%r14), %%rax\n"
		     "\tpush %%rax\n"
		     "\tmov $2, %%edi\n"
		     "\tmov %%rsp, %%rsi\n"
		     "\txor %%edx, %%edx\n"
		     "\tmov $8, %%r10d\n"
		     "\tmov $14, %%eax\n"     /* rt_sigprocmask */
		     "\tsyscall\n"
		     "\tpop %%rax\n",
		8 * IA2_NSIG, IA2_UC_SIGMASK);
}

/* The kernel's handler for a signal whose handler is in compartment k, or
 * for k = 0 outside every compartment (libia2/signals.c installs them,
 * with SA_SIGINFO and SA_ONSTACK). The kernel enters it on the thread's
 * alternate stack, pkey-0 memory, with its default PKRU, which opens pkey
 * 0 alone (pkeys(7)); rdi, rsi and rdx are the handler's arguments, and
 * every register may be clobbered, since rt_sigreturn restores them all
 * from the frame. It
 *  0. refuses a signal whose handler is not `owner`'s (gate_abi.h): code
 *     that jumps here itself, with a signal number whose handler another
 *     compartment installed, would have that handler run with k's rights;
 *  1. moves to PKRU(k), and to k's signal stack on this thread;
 *  2. arms the alternate stack again, below this frame: the kernel
 *     disarmed it for this delivery (SS_AUTODISARM), so a nested signal
 *     would land on k's signal stack, where another compartment's entry
 *     could not read it, and an alternate stack armed as a whole would
 *     take the nested frame from its top, over this one. rt_sigreturn
 *     restores the stack as it was (uc_stack). Until then every signal is
 *     blocked; now the handler's own mask is set;
 *  3. calls the handler from __ia2_signal_handlers (a gate, or k's code);
 *  4. returns through rt_sigreturn, as if it had popped the frame's return
 *     address (the kernel finds the frame 8 bytes below the stack pointer,
 *     arch/x86/kernel/signal_64.c).
 * Handlers outside every compartment (k = 0: code of a DSO that has no
 * compartment, and glibc's SIGCANCEL handler when it interrupts one) run
 * with PKRU(0) on the alternate stack itself; a nested signal lands
 * below, in pkey-0 memory still. Never the startup state for SIGCANCEL:
 * when it cancels the thread, glibc unwinds and runs the thread's key
 * destructors and TLS destructors with the PKRU the handler had, and
 * gates take a compartment's destructor into that compartment only from
 * a real compartment PKRU.
 * __ia2_signal_entry_setxid is entry 0 for glibc's SIGSETXID handler
 * alone, which makes the call that a command in pkey-0 memory names
 * (libia2/ids.c puts it there) and calls no compartment code: with
 * PKRU(0), code that jumps here with a command and a frame of its own
 * gains nothing a compartment lacks. The frame stays in pkey-0 memory, where
 * the kernel's XRSTOR can read it whatever PKRU it restores first.
 * Emulated, the kernel knows nothing of __ia2_pkru, so the entry keeps
 * the interrupted value in r15 and puts it back. */
static void emit_check_owner(struct out *out, int owner)
{
	fprintf(out->f, "\tcmp $%d, %%r12\n"
		     "\tjae .Ltrap\n"
		     "\tlea __ia2_signal_handlers(%%rip), %%rax\n"
		     "\tmov %d(%%rax,%%r12,8), %%rax\n"
		     "\tcmp $%d, %%rax\n",
		IA2_NSIG, 16 * IA2_NSIG, owner);
	if (owner != IA2_SIGNAL_OWNER_SETXID)
		fprintf(out->f, "\tje 2f\n"
			     "\tcmp $%d, %%rax\n"
			     "2:\n", IA2_SIGNAL_OWNER_ANY);
	fprintf(out->f, "\tjne .Ltrap\n");
}

static void emit_signal_entry(struct out *out, const char *name, int k, int owner, unsigned pkru)
{
	fprintf(out->f, "\n\t.p2align 4\n\t.type %s, @function\n"
		     "%s:\n"
		     "\tendbr64\n"
		     "\tmov %%rdi, %%r12\n"
		     "\tmov %%rsi, %%r13\n"
		     "\tmov %%rdx, %%r14\n"
		     "\tmov %%rsp, %%rbx\n", name, name);
	if (out->emulate)
		fprintf(out->f, "\tmov __ia2_pkru@gottpoff(%%rip), %%rax\n"
				"\tmov %%fs:(%%rax), %%r15d\n");
	emit_check_owner(out, owner);
	emit_write_pkru(out, pkru);
	if (k) {
		emit_to_signal_stack(out, k);
		emit_check_shared_stack(out, k, "r11");
		emit_rearm_altstack(out);
		emit_unblock(out);
	} else {
		fprintf(out->f, "\tlea -128(%%rbx), %%rsp\n"
				"\tand $-16, %%rsp\n");
	}
	fprintf(out->f, "\tlea __ia2_signal_handlers(%%rip), %%rax\n"
		     "\tmov (%%rax,%%r12,8), %%rax\n"
		     "\tmov %%r12, %%rdi\n"
		     "\tmov %%r13, %%rsi\n"
		     "\tmov %%r14, %%rdx\n"
		     "\tcall *%%rax\n"
		     "\tlea 8(%%rbx), %%rsp\n");
	if (out->emulate)
		fprintf(out->f, "\tmov __ia2_pkru@gottpoff(%%rip), %%rax\n"
				"\tmov %%r15d, %%fs:(%%rax)\n");
	fprintf(out->f, "\tmov $15, %%eax\n"     /* rt_sigreturn */
		     "\tsyscall\n"
		     "\tud2\n"
		     "\t.size %s, .-%s\n", name, name);
}

/* Where glibc's unwinder, having unwound a cancelled thread to the end
 * of a compartment's frames, longjmps to (libia2/cancel.c): the stack
 * pointer it sets means nothing, so this moves to the landing stack of
 * the compartment whose PKRU the thread has, and calls on. */
static void emit_cancel_landing(struct out *out)
{
	fprintf(out->f, "\n\t.p2align 4\n\t.globl __ia2_cancel_landing\n"
		     "\t.hidden __ia2_cancel_landing\n"
		     "\t.type __ia2_cancel_landing, @function\n"
		     "__ia2_cancel_landing:\n"
		     "\t.cfi_startproc\n"
		     "\t.cfi_undefined %%rip\n"
		     "\tendbr64\n");
	emit_read_pkru(out);
	for (int c = 0; c <= IA2_LAST_COMPARTMENT; c++)
		fprintf(out->f, "\tmov $%d, %%r11d\n"
			     "\tcmp $%#x, %%eax\n"
			     "\tje 1f\n", c * IA2_CTB_SIZE + IA2_CTB_CANCEL_STACK, IA2_PKRU(c));
	fprintf(out->f, "\tjmp .Ltrap\n"
		     "1:\tmov __ia2_ctb@gottpoff(%%rip), %%rcx\n"
		     "\tadd %%r11, %%rcx\n"
		     "\tmov %%fs:(%%rcx), %%rsp\n"
		     "\ttest %%rsp, %%rsp\n"
		     "\tjz .Ltrap\n"
		     "\tcall __ia2_cancel_arrived\n"
		     "\tud2\n"
		     "\t.cfi_endproc\n"
		     "\t.size __ia2_cancel_landing, .-__ia2_cancel_landing\n");
}

/* __ia2_cancel_cross(c): leave the compartment through the innermost
 * gate, to c, as its return would, with nothing of this compartment's
 * registers; __ia2_cancel_crossing makes the return stub go on with the
 * cancellation. */
static void emit_cancel_cross(struct out *out)
{
	fprintf(out->f, "\n\t.p2align 4\n\t.globl __ia2_cancel_cross\n"
		     "\t.hidden __ia2_cancel_cross\n"
		     "\t.type __ia2_cancel_cross, @function\n"
		     "__ia2_cancel_cross:\n"
		     "\tendbr64\n"
		     "\tmov %%edi, %%r11d\n");
	emit_scrub_vectors(out, 0, 0);
	fprintf(out->f, "\txor %%eax, %%eax\n"
		     "\txor %%edx, %%edx\n"
		     "\txor %%esi, %%esi\n"
		     "\txor %%edi, %%edi\n"
		     "\txor %%r8d, %%r8d\n"
		     "\txor %%r9d, %%r9d\n"
		     "\tcmp $%d, %%r11\n"
		     "\tja .Ltrap\n"
		     "\tmov __ia2_return_table@GOTPCREL(%%rip), %%r10\n"
		     "\tjmp *(%%r10,%%r11,8)\n"
		     "\t.size __ia2_cancel_cross, .-__ia2_cancel_cross\n",
		IA2_LAST_COMPARTMENT);
}

/* The kernel's handler for glibc's SIGCANCEL: entry k for the compartment
 * whose PKRU the signal interrupted, found in the XSAVE image of the
 * signal frame (rdx: the ucontext), so that glibc's handler, when it
 * cancels the thread, unwinds that compartment's frames with its rights
 * (libia2/cancel.c). The image is in pkey-0 memory, so another thread
 * could change the PKRU in it first; then the entry of another
 * compartment runs glibc's handler, which can cancel only what that
 * compartment has on this thread. Not a compartment's PKRU (the startup
 * state, or XSTATE_BV bit 9 clear: PKRU was 0): entry 0. */
static void emit_cancel_entry(struct out *out)
{
	fprintf(out->f, "\n\t.p2align 4\n\t.globl __ia2_signal_entry_cancel\n"
		     "\t.hidden __ia2_signal_entry_cancel\n"
		     "\t.type __ia2_signal_entry_cancel, @function\n"
		     "__ia2_signal_entry_cancel:\n"
		     "\tendbr64\n");
	if (out->emulate)
		fprintf(out->f, "\tmov __ia2_pkru@gottpoff(%%rip), %%rax\n"
				"\tmov %%fs:(%%rax), %%eax\n");
	else
		fprintf(out->f, "\tmov %d(%%rdx), %%rax\n"
			     "\ttest %%rax, %%rax\n"
			     "\tjz __ia2_signal_entry_0\n"
			     "\tbtq $9, 512(%%rax)\n"
			     "\tjnc __ia2_signal_entry_0\n"
			     "\tmov __ia2_ro@GOTPCREL(%%rip), %%rcx\n"
			     "\tmovzwl %d(%%rcx), %%ecx\n"
			     "\ttest %%ecx, %%ecx\n"
			     "\tjz __ia2_signal_entry_0\n"
			     "\tmov (%%rax,%%rcx), %%eax\n",
			IA2_UC_FPREGS, IA2_RO_PKRU_XSAVE);
	for (int c = 1; c <= IA2_LAST_COMPARTMENT; c++)
		fprintf(out->f, "\tcmp $%#x, %%eax\n"
			     "\tje __ia2_signal_entry_%d\n", IA2_PKRU(c), c);
	fprintf(out->f, "\tjmp __ia2_signal_entry_0\n"
		     "\t.size __ia2_signal_entry_cancel, .-__ia2_signal_entry_cancel\n");
}

/* r11 = the compartment c whose PKRU eax holds, 0..IA2_LAST_COMPARTMENT;
 * any other value traps. */
static void emit_compartment_of_pkru(struct out *out)
{
	for (int c = 0; c <= IA2_LAST_COMPARTMENT; c++)
		fprintf(out->f, "\tmov $%d, %%r11d\n"
			     "\tcmp $%#x, %%eax\n"
			     "\tje .Lpriv_caller\n", c, IA2_PKRU(c));
	fprintf(out->f, "\tjmp .Ltrap\n"
		     ".Lpriv_caller:\n");
}

/* Takes the lock of the privileged operations (rbx: the private area), as
 * Drepper's "Futexes Are Tricky", mutex3: 1 taken, 2 taken and waited
 * for; the waiting thread uses no stack. */
static void emit_private_lock(struct out *out)
{
	fprintf(out->f, "\txor %%eax, %%eax\n"
		     "\tmov $1, %%ecx\n"
		     "\tlock cmpxchg %%ecx, %d(%%rbx)\n"
		     "\tje .Lpriv_locked\n"
		     ".Lpriv_wait:\n"
		     "\tmov $2, %%eax\n"
		     "\txchg %%eax, %d(%%rbx)\n"
		     "\ttest %%eax, %%eax\n"
		     "\tje .Lpriv_locked\n"
		     "\tlea %d(%%rbx), %%rdi\n"
		     "\tmov $128, %%esi\n"      /* FUTEX_WAIT_PRIVATE */
		     "\tmov $2, %%edx\n"
		     "\txor %%r10d, %%r10d\n"
		     "\tmov $202, %%eax\n"      /* futex */
		     "\tsyscall\n"
		     "\tjmp .Lpriv_wait\n"
		     ".Lpriv_locked:\n",
		IA2_PRIVATE_LOCK, IA2_PRIVATE_LOCK, IA2_PRIVATE_LOCK);
}

static void emit_private_unlock(struct out *out)
{
	fprintf(out->f, "\txor %%eax, %%eax\n"
		     "\txchg %%eax, %d(%%rbx)\n"
		     "\tcmp $2, %%eax\n"
		     "\tjne .Lpriv_unlocked\n"
		     "\tlea %d(%%rbx), %%rdi\n"
		     "\tmov $129, %%esi\n"      /* FUTEX_WAKE_PRIVATE */
		     "\tmov $1, %%edx\n"
		     "\tmov $202, %%eax\n"
		     "\tsyscall\n"
		     ".Lpriv_unlocked:\n",
		IA2_PRIVATE_LOCK, IA2_PRIVATE_LOCK);
}

/* A fork keeps the lock from its prepare operation on (gate_abi.h): its
 * parent operation must come from the thread and process that began
 * it, its child operation from another process (fork.c tells a real
 * child from one that shares the parent's memory). gettid and getpid
 * come from the kernel, not from memory a compartment could write. */
static void emit_fork_holds_lock(struct out *out)
{
	fprintf(out->f, ".Lpriv_parent:\n"
		     "\tmov $186, %%eax\n"      /* gettid */
		     "\tsyscall\n"
		     "\tcmp %d(%%rbx), %%eax\n"
		     "\tjne .Ltrap\n"
		     "\tmov $39, %%eax\n"       /* getpid */
		     "\tsyscall\n"
		     "\tcmp %d(%%rbx), %%eax\n"
		     "\tjne .Ltrap\n"
		     "\tjmp .Lpriv_run\n"
		     ".Lpriv_child:\n"
		     "\tcmpl $0, %d(%%rbx)\n"
		     "\tje .Ltrap\n"
		     "\tmov $39, %%eax\n"
		     "\tsyscall\n"
		     "\tcmp %d(%%rbx), %%eax\n"
		     "\tje .Ltrap\n"
		     "\tjmp .Lpriv_run\n",
		IA2_PRIVATE_FORK_TID, IA2_PRIVATE_FORK_PID, IA2_PRIVATE_FORK_PID,
		IA2_PRIVATE_FORK_PID);
}

/* Traps unless every signal is blocked (rt_sigprocmask(SIG_BLOCK, NULL,
 * &old)): a signal delivered with the runtime's rights would run a
 * handler, and leave a frame, in the middle of an operation. The kernel
 * never reports SIGKILL (bit 8) and SIGSTOP (bit 18) as blocked. */
static void emit_require_signals_blocked(struct out *out)
{
	fprintf(out->f, "\tsub $16, %%rsp\n"
		     "\txor %%edi, %%edi\n"
		     "\txor %%esi, %%esi\n"
		     "\tmov %%rsp, %%rdx\n"
		     "\tmov $8, %%r10d\n"
		     "\tmov $14, %%eax\n"       /* rt_sigprocmask */
		     "\tsyscall\n"
		     "\ttest %%rax, %%rax\n"
		     "\tjnz .Ltrap\n"
		     "\tpop %%rax\n"
		     "\tadd $8, %%rsp\n"
		     "\tnot %%rax\n"
		     "\tcmp $%#x, %%rax\n"
		     "\tjne .Ltrap\n",
		(1u << 8) | (1u << 18));
}

/* __ia2_privileged(op, a, b): runs __ia2_privileged_ops[op](a, b, c),
 * where c is the caller's compartment, with the runtime's rights, on
 * the runtime's stack, and returns its two words in rax and rdx. From
 * the gate frame on: r12 op, r13 a, r15 b, r14 c, rbx the runtime's
 * private area (__ia2_ro, read-only).
 * libia2's C code calls it with every signal blocked (privilege.c).
 * Under the caller's PKRU it builds a gate frame on the caller's stack,
 * as a gate would (gate_abi.h), and it leaves through the caller's
 * return stub, which restores the caller's PKRU, stack and registers
 * from that frame alone. So a compartment that jumps into the middle,
 * to the wrpkru with eax = 0, runs one of the operations, which check
 * their own arguments, and leaves as through __ia2_return_to_<r15>:
 * what any compartment can do by jumping to a return stub
 * (docs/design.md, "Threat model"). */
static void emit_privileged_entry(struct out *out)
{
	fprintf(out->f, "\n\t.p2align 4\n\t.globl __ia2_privileged\n"
		     "\t.hidden __ia2_privileged\n"
		     "\t.type __ia2_privileged, @function\n"
		     "__ia2_privileged:\n"
		     "\t.cfi_startproc\n"
		     "\tendbr64\n");
	emit_read_pkru(out);
	emit_compartment_of_pkru(out);
	emit_save_caller(out, NULL, 0);
	fprintf(out->f, "\tmov %%rdi, %%r12\n"
		     "\tmov %%rsi, %%r13\n"
		     "\tmov %%rdx, %%r15\n");
	emit_write_pkru(out, IA2_PKRU_RUNTIME);
	fprintf(out->f, "\tmov __ia2_ro@GOTPCREL(%%rip), %%rbx\n"
		     "\tmov %d(%%rbx), %%rbx\n"
		     "\tcmp $%d, %%r12\n"
		     "\tje .Lpriv_parent\n"
		     "\tcmp $%d, %%r12\n"
		     "\tje .Lpriv_child\n",
		IA2_RO_PRIVATE, IA2_OP_FORK_PARENT, IA2_OP_FORK_CHILD);
	emit_private_lock(out);
	fprintf(out->f, ".Lpriv_run:\n"
		     "\tlea %d(%%rbx), %%rsp\n"
		     "\t.cfi_undefined %%rip\n",
		IA2_PRIVATE_SIZE);
	emit_require_signals_blocked(out);
	fprintf(out->f, "\tcmp $%d, %%r12\n"
		     "\tjae .Ltrap\n"
		     "\tmov %%r13, %%rdi\n"
		     "\tmov %%r15, %%rsi\n"
		     "\tmov %%r14, %%rdx\n"
		     "\tlea __ia2_privileged_ops(%%rip), %%rax\n"
		     "\tcall *(%%rax,%%r12,8)\n"
		     "\tmov %%rax, %%r13\n"
		     "\tmov %%rdx, %%r15\n"
		     "\tcmp $%d, %%r12\n"
		     "\tje .Lpriv_keep_lock\n",
		IA2_OPS, IA2_OP_FORK_PREPARE);
	emit_private_unlock(out);
	fprintf(out->f, ".Lpriv_keep_lock:\n"
		     "\tmov %%r13, %%rax\n"
		     "\tmov %%r15, %%rdx\n");
	emit_scrub_vectors(out, 0, 0);
	fprintf(out->f, "\txor %%esi, %%esi\n"
		     "\txor %%edi, %%edi\n"
		     "\txor %%r8d, %%r8d\n"
		     "\txor %%r9d, %%r9d\n"
		     "\txor %%r10d, %%r10d\n"
		     "\txor %%r11d, %%r11d\n"
		     "\txor %%r12d, %%r12d\n"
		     "\txor %%r13d, %%r13d\n"
		     "\txor %%r15d, %%r15d\n"
		     "\tcmp $%d, %%r14\n"
		     "\tja .Ltrap\n"
		     "\tmov __ia2_return_table@GOTPCREL(%%rip), %%rcx\n"
		     "\tjmp *(%%rcx,%%r14,8)\n",
		IA2_LAST_COMPARTMENT);
	emit_fork_holds_lock(out);
	fprintf(out->f, "\t.cfi_endproc\n"
		     "\t.size __ia2_privileged, .-__ia2_privileged\n");
}

/* Callback slots (libia2/callbacks.c): for each compartment c and slot
 * i, __ia2_callback_c_i is a gate into c, with the widest register
 * signature, whose body jumps to the function in slot i of c's row of
 * __ia2_callback_targets, libia2's read-only table. A code pointer that
 * compartment c hands libc to call later is replaced by a slot, so it
 * runs with c's rights, whoever calls it. __ia2_callback_slots lists
 * them, row by row, with zeros for compartment 0. */
static void emit_callback_slots(struct out *out)
{
	fprintf(out->f, "\n\t.text\n");
	for (int c = 1; c <= IA2_LAST_COMPARTMENT; c++) {
		for (int i = 0; i < IA2_CALLBACK_SLOTS; i++) {
			char gate[48], body[48];
			struct func f = {.gate = gate, .body = body, .bind = STB_GLOBAL,
					 .vis = STV_HIDDEN};
			snprintf(gate, sizeof gate, "__ia2_callback_%d_%d", c, i);
			snprintf(body, sizeof body, "__ia2_callback_body_%d_%d", c, i);
			f.name = gate;
			conservative_signature(&f.sig);
			emit_gate(out, &f, c);
			fprintf(out->f, "\t.p2align 4\n%s:\n"
				     "\tjmp *__ia2_callback_targets+%d(%%rip)\n",
				body, 8 * (c * IA2_CALLBACK_SLOTS + i));
		}
	}
	fprintf(out->f, "\n\t.section .data.rel.ro, \"aw\"\n"
		     "\t.p2align 3\n"
		     "\t.globl __ia2_callback_slots\n"
		     "\t.hidden __ia2_callback_slots\n"
		     "__ia2_callback_slots:\n"
		     "\t.fill %d, 8, 0\n", IA2_CALLBACK_SLOTS);
	for (int c = 1; c <= IA2_LAST_COMPARTMENT; c++)
		for (int i = 0; i < IA2_CALLBACK_SLOTS; i++)
			fprintf(out->f, "\t.quad __ia2_callback_%d_%d\n", c, i);
	fprintf(out->f, "\t.text\n");
}

/* A read-only table of stubs `entry`0..15: the return stubs for gates in
 * every DSO, the signal entries for libia2's sigaction alone. */
static void emit_table(struct out *out, const char *name, const char *entry, bool exported)
{
	fprintf(out->f, "\n\t.section .data.rel.ro, \"aw\"\n"
		     "\t.p2align 3\n"
		     "\t.globl %s\n", name);
	if (!exported)
		fprintf(out->f, "\t.hidden %s\n", name);
	fprintf(out->f, "\t.type %s, @object\n"
		     "%s:\n", name, name);
	for (int c = 0; c <= IA2_LAST_COMPARTMENT; c++)
		fprintf(out->f, "\t.quad %s%d\n", entry, c);
	fprintf(out->f, "\t.size %s, .-%s\n\t.text\n", name, name);
}

int emit_runtime(const char *asm_path, bool emulate)
{
	struct out o, *out = &o;

	if (open_out(out, asm_path, emulate))
		return -1;
	fprintf(out->f, "# libia2's return stubs, generated by objrewrite/emit.c\n\t.text\n");
	for (int c = 0; c <= IA2_LAST_COMPARTMENT; c++)
		emit_return_stub(out, c);
	emit_leave_startup(out);
	for (int c = 0; c <= IA2_LAST_COMPARTMENT; c++) {
		char name[32];
		snprintf(name, sizeof name, "__ia2_signal_entry_%d", c);
		emit_signal_entry(out, name, c, c, IA2_PKRU(c));
	}
	fprintf(out->f, "\n\t.globl __ia2_signal_entry_setxid\n"
		     "\t.hidden __ia2_signal_entry_setxid\n");
	emit_signal_entry(out, "__ia2_signal_entry_setxid", 0, IA2_SIGNAL_OWNER_SETXID, IA2_PKRU(0));
	emit_cancel_entry(out);
	emit_cancel_landing(out);
	emit_cancel_cross(out);
	emit_privileged_entry(out);
	emit_callback_slots(out);
	emit_runtime_branch_thunks(out);
	fprintf(out->f, "\n.Ltrap:\n\tud2\n");
	emit_table(out, "__ia2_return_table", "__ia2_return_to_", true);
	emit_table(out, "__ia2_signal_entries", "__ia2_signal_entry_", false);
	fprintf(out->f, "\t.section .note.GNU-stack, \"\", @progbits\n");
	return close_out(out, asm_path);
}
