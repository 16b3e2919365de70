/* The stack segments of a fault report's backtrace across gates, in the
 * monitor (unwind.h; fault_report.c runs ia2-symbolize on them).
 *
 * Call frame information ends at each gate's stack switch, so unwinding
 * alone stops in the compartment that faulted. What lies beyond is in
 * libia2's records of the crossings: a gate into compartment k switches
 * to the stack CTB(k).frame names, and leaves the caller's compartment
 * c in the word just below it, 16-byte aligned (emit.c,
 * emit_cross_call); c's gate frame, the innermost in CTB(c) not yet
 * walked, holds c's return address, stack pointer and callee-saved
 * registers (gate_abi.h), from which unwinding goes on in c. Each step
 * moves c's cursor to the frame's link.
 *
 * All of it is read from the program, which the faulting compartment
 * may have written: every value is checked only for being usable, and
 * the backtrace is for porting, like the rest of the report. */
#include <stdbool.h>
#include <string.h>
#include <sys/user.h>
#include <unistd.h>

#include "runtime.h"
#include "unwind.h"

static void registers_of_fault(const struct user_regs_struct *r, uint64_t *regs)
{
	const uint64_t order[UNWIND_NREGS] = {r->rax, r->rdx, r->rcx, r->rbx, r->rsi, r->rdi,
					       r->rbp, r->rsp, r->r8, r->r9, r->r10, r->r11,
					       r->r12, r->r13, r->r14, r->r15, r->rip};

	memcpy(regs, order, sizeof order);
}

/* The caller's registers when its call through the gate returns, from
 * the gate frame at `frame`: r15 r14 r13 r12 rbp rbx above the shared
 * stack pointer's slot, then the return address (gate_abi.h). The
 * others are the callee's to clobber (psABI 3.2.1) and unknown. */
static bool registers_of_frame(pid_t pid, uintptr_t frame, uint64_t *regs)
{
	uint64_t w[IA2_FRAME_ARGS / 8];
	int saved = IA2_FRAME_SHARED / 8 + 1;

	if (!read_remote(pid, frame, w, sizeof w))
		return false;
	memset(regs, 0, UNWIND_NREGS * sizeof *regs);
	for (int i = 0; i < 4; i++)
		regs[15 - i] = w[saved + i];   /* r15 r14 r13 r12 */
	regs[DWARF_RBP] = w[saved + 4];
	regs[DWARF_RBX] = w[saved + 5];
	regs[DWARF_RIP] = w[IA2_FRAME_ARGS / 8 - 1];
	regs[DWARF_RSP] = frame + IA2_FRAME_ARGS;
	return true;
}

/* The stack a segment whose compartment entered at `entry` may need:
 * from its stack pointer up to there, or UNWIND_MAX_STACK where that is
 * more or makes no sense (a signal stack, a forged record). */
static void set_span(struct unwind_segment *s, uintptr_t entry)
{
	uint64_t sp = s->regs[DWARF_RSP];

	s->base = sp;
	s->len = entry > sp && entry - sp < UNWIND_MAX_STACK ? entry - sp : UNWIND_MAX_STACK;
}

/* Whether sp is on compartment k's signal stack on the thread whose
 * thread pointer is fs (CTB(k).sigstack, signals.c): a handler's frames
 * end at the signal entry, and what the signal interrupted is in the
 * kernel's frame, not in libia2's records. */
static bool on_signal_stack(pid_t pid, uintptr_t fs, int k, uint64_t sp)
{
	uintptr_t top;

	return read_remote(pid, (uintptr_t)ctb_at(fs, k, IA2_CTB_SIGSTACK), &top, sizeof top) &&
	       top && sp < top && top - sp <= IA2_SIGSTACK_SIZE;
}

int gate_segments(pid_t pid, const struct user_regs_struct *r, int k, struct unwind_segment *segs,
		  int max)
{
	uintptr_t cursor[IA2_LAST_COMPARTMENT + 1], link;
	uint64_t regs[UNWIND_NREGS], c;
	int n = 0;

	for (int i = 0; i <= IA2_LAST_COMPARTMENT; i++)
		if (!read_remote(pid, (uintptr_t)ctb_at(r->fs_base, i, IA2_CTB_FRAME), &cursor[i],
				 sizeof cursor[i]))
			cursor[i] = 0;
	registers_of_fault(r, regs);
	while (n < max && k >= 0 && k <= IA2_LAST_COMPARTMENT) {
		struct unwind_segment *s = &segs[n++];
		uintptr_t entry = cursor[k] & -(uintptr_t)16;

		memcpy(s->regs, regs, sizeof regs);
		s->compartment = k;
		set_span(s, entry);
		if (!entry || (n == 1 && on_signal_stack(pid, r->fs_base, k, r->rsp)) || !read_remote(pid, entry - 8, &c, sizeof c) || c > IA2_LAST_COMPARTMENT ||
		    (int)c == k || !cursor[c] || (cursor[c] & 15) ||
		    !read_remote(pid, cursor[c], &link, sizeof link) || (link & 1) ||
		    !registers_of_frame(pid, cursor[c], regs))
			break;
		cursor[c] = link;
		k = (int)c;
	}
	return n;
}

/* Each segment's header and stack into fd, as much of the stack as can
 * be read, a page at a time. */
bool write_segments(int fd, pid_t pid, struct unwind_segment *segs, int n)
{
	static unsigned char stack[UNWIND_MAX_STACK];

	for (int i = 0; i < n; i++) {
		struct unwind_segment *s = &segs[i];
		uint64_t got = 0;

		while (got < s->len) {
			uint64_t chunk = PAGE - ((s->base + got) & (PAGE - 1));
			if (chunk > s->len - got)
				chunk = s->len - got;
			if (!read_remote(pid, s->base + got, stack + got, chunk))
				break;
			got += chunk;
		}
		s->len = got;
		if (write(fd, s, sizeof *s) != (ssize_t)sizeof *s ||
		    write(fd, stack, got) != (ssize_t)got)
			return false;
	}
	return true;
}
