/* Layout shared by generated call gates (objrewrite/emit.c) and the runtime
 * (libia2/). Plain #defines so that assembly can include it too.
 *
 * Each thread has a Compartment Thread Block (CTB) per compartment c: page c
 * of the initial-exec TLS array __ia2_ctb, tagged with pkey c so only
 * compartment c (or the startup state) can read or write it. CTB(0), for
 * code outside every compartment, keeps pkey 0: PKRU(0) has no rights a
 * compartment lacks, so its frames need no protection. */
#ifndef IA2_GATE_ABI_H
#define IA2_GATE_ABI_H

#define IA2_CTB_SIZE 4096

/* Where compartment c continues its stack on this thread: the innermost
 * gate frame it left through, or the top of its stack if it has none. */
#define IA2_CTB_FRAME 0
/* The top of compartment c's signal stack on this thread, where its
 * handlers run (libia2/signals.c); 0 if the thread has none. */
#define IA2_CTB_SIGSTACK 8
/* The bounds of this thread's shared stack (below), which compartment c's
 * gates and signal entries require the shared stack pointer to be in. */
#define IA2_CTB_SHARED_LO 16
#define IA2_CTB_SHARED_HI 24
/* How many calls of functions that a share-heap rule names (config.h)
 * compartment c is in on this thread, and their return addresses, one
 * slot a level. While the depth is not 0, c's allocations come from the
 * shared heap (libia2/malloc.c). The depth lives in CTB(c) so that no
 * other compartment can make c's private blocks shared. */
#define IA2_CTB_HEAP_DEPTH 32
#define IA2_CTB_HEAP_RETURNS 40
#define IA2_HEAP_MAX_DEPTH 32
/* This thread's area for compartment c's blocks of dynamic TLS, those of
 * its DSOs loaded with dlopen (libia2/dyntls.c); 0 if it has none. */
#define IA2_CTB_DYNTLS (IA2_CTB_HEAP_RETURNS + 8 * IA2_HEAP_MAX_DEPTH)
/* Thread cancellation (libia2/cancel.c): compartment c's innermost
 * cleanup region on this thread, 0 if none; the unwind buffer glibc ends
 * the thread with, in the compartment the thread started in; and the top
 * of c's landing stack, where a cancellation that glibc has unwound to
 * the end of c's frames goes on. */
#define IA2_CTB_CANCEL_TOP (IA2_CTB_DYNTLS + 8)
#define IA2_CTB_CANCEL_BASE (IA2_CTB_DYNTLS + 16)
#define IA2_CTB_CANCEL_STACK (IA2_CTB_DYNTLS + 24)
/* Not 0 while compartment c runs dlopen on this thread for another
 * compartment, through its loader slot (libia2/loads.c). */
#define IA2_CTB_LOADING_FOR_OTHER (IA2_CTB_DYNTLS + 32)

/* The shared stack: code compiled with clang's SafeStack
 * (-fsanitize=safe-stack, which ia2-cc adds with --ia2-shared-stack)
 * keeps the locals whose address it takes on a second stack, whose
 * pointer is the TLS variable IA2_SHARED_STACK_PTR. libia2 defines it and
 * gives each thread one such stack, pkey 0, so that a pointer to a local
 * passed to another compartment can be used there, while return
 * addresses, saved registers and every other local stay on the
 * compartment's own stack (docs/runtime.md, "Shared stack"). Gates save
 * the pointer in the caller's frame and restore it on return. */
#define IA2_SHARED_STACK_PTR "__safestack_unsafe_stack_ptr"

#define IA2_STACK_SIZE (8 << 20)
#define IA2_SIGSTACK_SIZE (64 << 10)
#define IA2_DYNTLS_SIZE (1 << 20)
#define IA2_CANCEL_STACK_SIZE (16 << 10)

/* Signal entry (libia2/signals.c, objrewrite/stubs.c): where the kernel's
 * ucontext (as glibc's ucontext_t begins) holds the alternate stack as it
 * was before delivery (uc_stack: ss_sp, ss_flags at +8, ss_size at +16),
 * the interrupted stack pointer (uc_mcontext.gregs[REG_RSP]), the pointer
 * to the XSAVE image of its registers (uc_mcontext.fpregs) and signal
 * mask (uc_sigmask, the kernel's 64 bits); the alternate stack's flags
 * (SS_AUTODISARM, linux/signal.h) and the least size worth arming it
 * with; and how many signals __ia2_signal_handlers has a handler, then
 * a mask, then an owner for. */
#define IA2_UC_STACK 16
#define IA2_UC_RSP 160
#define IA2_UC_SIGMASK 296
#define IA2_UC_FPREGS 224
#define IA2_SS_AUTODISARM (1u << 31)
#define IA2_MIN_ALTSTACK 8192
#define IA2_NSIG 65
/* A signal's owner in __ia2_signal_handlers: the compartment 0..15 whose
 * entry alone may call its handler, or one of these: glibc's SIGCANCEL
 * handler, which every compartment's entry calls (stubs.c, cancel
 * entry), and glibc's SIGSETXID handler, which only the setxid entry
 * calls. */
#define IA2_SIGNAL_OWNER_ANY 16
#define IA2_SIGNAL_OWNER_SETXID 17

/* A gate frame on the caller's stack, from its lowest address: the link to
 * the previous frame, the size of an sret result (0 if none), the caller's
 * sret buffer, the size and the address of an argument the gate copied
 * (both 0 if none, below), the gate, its shared stack pointer, then
 * r15 r14 r13 r12 rbp rbx as pushed, then the caller's return address.
 * Stack arguments follow it. The frame is a multiple of 16 bytes, so the
 * link is 16-byte aligned like the caller's stack at its call (psABI
 * 3.2.2) and a callback's gate starts its frame there exactly: valgrind
 * 3.19 loses track of the stack pointer when the callee's alignment
 * moves it right after the switch.
 * The gate slot holds the gate's address, which names the function
 * called, even through a pointer, for fault reports
 * (libia2/fault_report.c); it is 0 in the frames of __ia2_privileged,
 * which is no gate. Only reports read it: the caller can write its own
 * frame, so nothing may trust it. */
#define IA2_FRAME_COPY_SIZE 24
#define IA2_FRAME_COPY_DST 32
#define IA2_FRAME_GATE 40
#define IA2_FRAME_SHARED 48
#define IA2_FRAME_SAVED 13
#define IA2_FRAME_ARGS (8 * IA2_FRAME_SAVED + 8)

/* A copy-arg rule (config.h) makes a gate pass the callee a copy of the
 * struct its pointer argument points to, on the shared stack just below
 * the caller's shared stack pointer: at (pointer - size) rounded down to
 * IA2_COPY_ALIGN, so that the return stub finds it again from the frame
 * alone. The return stub copies it back to the address in the frame
 * under the caller's PKRU; that address is 0 for a pointer to const,
 * which is copied in only. */
#define IA2_COPY_MAX_BYTES 4096
#define IA2_COPY_ALIGN 64
/* A copy-arg rule may also name parameters: a buffer whose length
 * another argument gives, or a string, which the gate measures. Each is
 * copied below the one before; a buffer or string longer than this is
 * passed as it is, uncopied. */
#define IA2_COPY_MAX_BUFFER (1 << 20)

/* A va_list argument points at its creator's register save area and
 * stack arguments, on the creator's own stack. A gate passes a copy of
 * the va_list, 32 bytes on the shared stack below any argument copy,
 * followed by copies of the register save area (psABI 3.5.7, 176 bytes)
 * and of IA2_GATE_MAX_STACK_BYTES from the next stack argument on; the
 * copy's pointers point to those. Nothing is copied back: the caller
 * may not use a va_list after passing it to a function that reads it
 * (C11 7.16p3). */
#define IA2_VA_TAG_BYTES 32
#define IA2_VA_SAVE_BYTES 176
#define IA2_VA_COPY_BYTES (IA2_VA_TAG_BYTES + IA2_VA_SAVE_BYTES + IA2_GATE_MAX_STACK_BYTES)

/* Bytes of stack arguments, and of an sret result, that a gate carries
 * across the PKRU switch in xmm8..xmm15, the registers no argument uses. */
#define IA2_GATE_MAX_STACK_BYTES 128
#define IA2_GATE_MAX_SRET_BYTES 128

/* A variadic function's gate cannot know how many bytes of arguments its
 * caller pushed, so it carries the most a gate can (objrewrite/plan.c).
 * The top IA2_STACK_SLACK bytes of every compartment stack and signal
 * stack hold no frame, so that this copy never runs off the stack into
 * its guard page, however shallow the caller. */
#define IA2_STACK_SLACK IA2_GATE_MAX_STACK_BYTES

/* Each compartment DSO carries a note (name "IA2", type IA2_NOTE_TYPE)
 * whose descriptor is fourteen 32-bit words: its compartment; the start and
 * end of its ia2_shared section; its flags (below);
 * its init and fini entry pair (two pointers: the entry that registers
 * the DSO with libia2 and then runs its init array, and the gate that
 * runs its fini array); the linker's init array and its size in bytes,
 * and the fini array and its size, which objrewrite/postlink.c writes
 * after the link; and the compartments the program may load with dlopen,
 * bit c for compartment c (every compartment the config names), for which
 * libia2 sets up stacks and heaps at startup; and the start and end of
 * its ia2_gates section, a table of 32-bit offsets, each from its own
 * place to the entry of one of the DSO's gates (libia2/signals.c accepts
 * another compartment's code as a signal handler only there); and the
 * start and end of its ia2_loads section, the config's path rules, each
 * a compartment byte and a NUL-terminated glob (libia2/loads.c); and the
 * start and end of its ia2_syscalls section, the config's syscalls
 * rules, each a 32-bit word, compartment << 16 | syscall number
 * (libia2/syscall_policy.c). Addresses are offsets from the word's own. */
#define IA2_NOTE_TYPE 0x1a2
#define IA2_NOTE_DESCSZ 64
#define IA2_NOTE_FLAGS 12
#define IA2_NOTE_INITFINI 16
#define IA2_NOTE_INIT_ARRAY 20
#define IA2_NOTE_FINI_ARRAY 28
#define IA2_NOTE_LOADABLE 36
#define IA2_NOTE_GATES 40
#define IA2_NOTE_LOADS 48
#define IA2_NOTE_SYSCALLS 56
/* Flags: the gates keep PKRU in a variable; objrewrite/postlink.c has
 * redirected the DSO's init and fini arrays. */
#define IA2_NOTE_EMULATED 1
#define IA2_NOTE_FINISHED 2

/* Code pointers that a compartment hands libc to call later run through
 * one of its callback slots (libia2/callbacks.c, objrewrite/stubs.c):
 * this many per compartment. */
#define IA2_CALLBACK_SLOTS 16

/* The runtime's privileged operations (libia2/privilege.c). The entry
 * __ia2_privileged(op, a, b) (objrewrite/stubs.c) runs operation op of
 * the read-only table __ia2_privileged_ops with the runtime's rights
 * (pkru.h) on the runtime's stack, one operation at a time in the
 * process. Both live in the runtime's private area, IA2_PRIVATE_SIZE
 * bytes with pkey IA2_RUNTIME_PKEY mapped at startup, whose address
 * __ia2_ro holds at IA2_RO_PRIVATE: its first page holds the lock of the
 * operations (a
 * futex word: 0 free, 1 taken, 2 taken with waiters) and the thread and
 * process that began a fork, which keeps the lock from its prepare
 * operation to its parent or child operation, so that no operation is
 * half done in the child; then come the scratch pages where operations
 * build the new copy of a table they replace (privilege.c), a guard
 * page, and the stack, which ends at the area's end. */
#define IA2_PRIVATE_LOCK 0
#define IA2_PRIVATE_FORK_TID 4
#define IA2_PRIVATE_FORK_PID 8
#define IA2_PRIVATE_SCRATCH 4096
#define IA2_PRIVATE_SCRATCH_SIZE (4 * 4096)
#define IA2_PRIVATE_STACK_SIZE (64 << 10)
#define IA2_PRIVATE_SIZE (IA2_PRIVATE_STACK_SIZE + IA2_PRIVATE_SCRATCH_SIZE + 2 * 4096)

/* The operations, by number: fork's three (libia2/fork.c), which the
 * entry treats apart, then those of the thread records
 * (libia2/registry.c), the neutralization of a PKRU writer in code
 * that dlopen loads (libia2/writers.c), a callback slot for a
 * compartment's function (libia2/callbacks.c), and a signal's handler
 * (libia2/signals.c). */
#define IA2_OP_FORK_PREPARE 0
#define IA2_OP_FORK_PARENT 1
#define IA2_OP_FORK_CHILD 2
#define IA2_OP_THREAD_NEW 3
#define IA2_OP_THREAD_ABANDON 4
#define IA2_OP_THREAD_START 5
#define IA2_OP_THREAD_END 6
#define IA2_OP_TRAP_WRITER 7
#define IA2_OP_TAKE_CALLBACK_SLOT 8
#define IA2_OP_SET_SIGNAL_HANDLER 9
#define IA2_OPS 10

/* Compartment code's calls to malloc, strdup, ... are bound to
 * IA2_HEAP_PREFIX + the name (objrewrite/heapcalls.c, libia2/malloc.c). */
#define IA2_HEAP_PREFIX "__ia2_heap_"

/* __ia2_ro: a page of settings made read-only once startup sets them. */
#define IA2_RO_XFEATURES 0  /* byte: IA2_XF_* bits, which register state to scrub */
/* 16 bits: where XSAVE's standard format keeps PKRU (CPUID.(EAX=0DH,
 * ECX=9):EBX, Intel SDM vol. 1, 13.4), for the SIGCANCEL entry to read
 * the interrupted PKRU from the signal frame; 0 if unknown. */
#define IA2_RO_PKRU_XSAVE 2
/* 64 bits: the runtime's private area (above). */
#define IA2_RO_PRIVATE 8
#define IA2_XF_AVX 1
#define IA2_XF_AVX512 2

/* The symbols objrewrite/plan.c (name_gate) gives function NAME's gate
 * and body: the prefix, then NAME; for a static function, which several
 * objects may each have, the object's number and '_' come first. */
#define IA2_GATE_PREFIX "__ia2_gate_"
#define IA2_BODY_PREFIX "__ia2_body_"

#ifndef __ASSEMBLER__
#include <string.h>

/* Whether symbol is named as a gate, or as a body. */
static inline int ia2_is_gate_symbol(const char *symbol)
{
	return !strncmp(symbol, IA2_GATE_PREFIX, sizeof IA2_GATE_PREFIX - 1);
}

static inline int ia2_is_body_symbol(const char *symbol)
{
	return !strncmp(symbol, IA2_BODY_PREFIX, sizeof IA2_BODY_PREFIX - 1);
}

/* The source name of a gate's or body's symbol; any other symbol as it
 * is. */
static inline const char *ia2_source_name(const char *symbol)
{
	const char *s = symbol + sizeof IA2_GATE_PREFIX - 1, *d = s;

	if (!ia2_is_gate_symbol(symbol) && !ia2_is_body_symbol(symbol))
		return symbol;
	while (*d >= '0' && *d <= '9')
		d++;
	return d > s && *d == '_' ? d + 1 : s;
}
#endif

#endif
