/* What the monitor hands ia2-symbolize to unwind for a fault report's
 * backtrace (backtrace.c writes it, symbolize.c's --unwind mode reads it
 * from its standard input): a sequence of segments, each this header
 * followed by `len` bytes of the thread's stack from `base` on.
 *
 * A segment is one compartment's part of the stack: from the faulting
 * instruction, or from the call through a gate that the compartment is
 * waiting in, up to the gate that entered it, where the gate's call
 * frame information ends (objrewrite/emit.c, .cfi_undefined). */
#ifndef IA2_UNWIND_H
#define IA2_UNWIND_H

#include <stdint.h>

/* The registers in DWARF's numbering for x86-64 (psABI 3.6.2, figure
 * 3.36): rax rdx rcx rbx rsi rdi rbp rsp r8..r15, then the return
 * address column, which holds rip. */
enum {
	DWARF_RBX = 3,
	DWARF_RBP = 6,
	DWARF_RSP = 7,
	DWARF_R12 = 12,
	DWARF_RIP = 16,
	UNWIND_NREGS = 17,
};

/* At most this much of a segment's stack is copied: a short backtrace
 * needs the frames nearest the top. */
#define UNWIND_MAX_STACK (64 << 10)

struct unwind_segment {
	uint64_t regs[UNWIND_NREGS];
	uint64_t base, len;
	int64_t compartment;
};

#endif
