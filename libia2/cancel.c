/* Thread cancellation across compartments: every cleanup handler a
 * cancelled thread has pushed (pthread_cleanup_push) runs, innermost
 * first, in the compartment that pushed it, on its own frames.
 *
 * glibc keeps the thread's cleanup regions as a chain of unwind buffers,
 * each in the frame that pushed it, and cancels by unwinding to the
 * innermost buffer and longjmping into it (nptl/unwind.c, unwind_stop);
 * the handler then goes on with __pthread_unwind_next. Across
 * compartments that chain would have glibc read, and jump into, another
 * compartment's stack with the rights of the one being cancelled. So
 * libia2 keeps the chain itself, per compartment, in CTB(c): the
 * compartment's innermost region, each region linking to the previous one
 * of the same compartment and naming the activation it belongs to (the
 * stack top CTB(c) had when it was pushed). glibc's own chain holds one
 * buffer only, the thread's landing buffer, in pkey-0 memory, which every
 * compartment can read. A cancellation anywhere then:
 *
 *  1. is unwound by glibc to the end of the compartment's frames (a gate,
 *     a signal entry, or the thread's start) and longjmps to the landing
 *     buffer, which ends in __ia2_cancel_landing (objrewrite/stubs.c);
 *     it moves to the landing stack of the compartment whose PKRU the
 *     thread has and calls __ia2_cancel_arrived;
 *  2. if that compartment's innermost region belongs to its current
 *     activation, glibc is pointed at it: it runs the handler, whose
 *     __pthread_unwind_next (below) drops the region and goes back to 1;
 *  3. otherwise the activation was entered by a gate: the thread leaves
 *     through that gate's return stub to the caller's compartment, which
 *     sees __ia2_cancel_crossing and goes on at 2 as if it had called
 *     __ia2_cancel_arrived itself;
 *  4. at the thread's first activation, glibc is pointed at the thread's
 *     own buffer (start_thread's, or __libc_start_call_main's), which
 *     ends the thread.
 *
 * SIGCANCEL's handler runs in the interrupted compartment for this
 * (stubs.c, emit_cancel_entry). Frames are unwound with libgcc's unwinder
 * as before, so __attribute__((cleanup)) and -fexceptions cleanups run
 * too, but only up to the end of each compartment's frames.
 *
 * glibc's cancellation state is in the thread control block, pkey 0, and
 * so is the landing buffer: a compartment can make another thread's
 * cancellation jump where it likes, in the compartment being cancelled
 * (docs/design.md, "Threat model"). */
#include <pthread.h>
#include <stdint.h>
#include <unistd.h>

#include "runtime.h"

/* glibc's __pthread_unwind_buf_t as nptl uses it (nptl/descr.h, struct
 * pthread_unwind_buf): a jmp_buf, then __pad[0] the previous region,
 * __pad[1] and [2] the old-style cleanup chain and cancel type; glibc
 * leaves __pad[3] unused, and libia2 keeps a region's activation there.
 * libia2 uses __pad[0] for the previous region of the same compartment:
 * glibc reads it only in the functions below, which libia2 replaces.
 * The jmp_buf words the landing buffer sets, mangled as setjmp leaves
 * them (sysdeps/x86_64/jmpbuf-offsets.h): */
#define JB_RBP 1
#define JB_RSP 6
#define JB_PC 7

/* stubs.c */
void __ia2_cancel_landing(void);
__attribute__((noreturn)) void __ia2_cancel_cross(int compartment);

/* The return stubs test it (stubs.c). */
__attribute__((visibility("hidden"), tls_model("initial-exec"))) __thread char
	__ia2_cancel_crossing;

static __thread __pthread_unwind_buf_t landing;
/* The buffer glibc ends this thread with, for compartment 0, which
 * trusts nothing; the thread's first compartment has it in its CTB. */
static __thread __pthread_unwind_buf_t *thread_end;

/* glibc's PTR_MANGLE for x86-64 (sysdeps/unix/sysv/linux/x86_64/
 * pointer_guard.h): xor with the pointer guard at %fs:0x30, rotate left
 * by 17. */
static long mangle(uintptr_t p)
{
	uintptr_t guard;

	__asm__("mov %%fs:0x30, %0" : "=r"(guard));
	p ^= guard;
	return (long)(p << 17 | p >> 47);
}

/* glibc's chain is read and written only through its own functions:
 * registering a buffer records the old head in it, unregistering makes
 * its recorded head the head again. */
static __pthread_unwind_buf_t *glibc_head(void)
{
	__pthread_unwind_buf_t probe;

	__ia2_ro.s.libc_cancel.register_cancel(&probe);
	__ia2_ro.s.libc_cancel.unregister_cancel(&probe);
	return probe.__pad[0];
}

static void set_glibc_head(__pthread_unwind_buf_t *head)
{
	__pthread_unwind_buf_t probe;

	__ia2_ro.s.libc_cancel.register_cancel(&probe);
	probe.__pad[0] = head;
	__ia2_ro.s.libc_cancel.unregister_cancel(&probe);
}

/* Has glibc unwind to buf and longjmp into it. */
static __attribute__((noreturn)) void unwind_to(__pthread_unwind_buf_t *buf)
{
	__pthread_unwind_buf_t next;

	next.__pad[0] = buf;
	__ia2_ro.s.libc_cancel.unwind_next(&next);
}

/* unwind_stop longjmps to the landing buffer once a frame's CFA is no
 * longer below the buffer's stack pointer, both taken as offsets from
 * the top of the thread's glibc stack (_JMPBUF_CFA_UNWINDS_ADJ), so the
 * stack pointer is one near that top, in that stack: every compartment
 * frame, on stacks of its own, compares below it, and glibc unwinds to
 * the end of them. sp is a local of the thread's first frames; the main
 * thread's glibc stack ends at __libc_stack_end. valgrind, though, takes
 * a move of the stack pointer by less than 2 MiB for a change of depth
 * and the frames below for dead, live as the cleanup regions in them
 * are: under valgrind the landing buffer's stack pointer is compartment
 * 0's landing stack, another stack, and glibc may longjmp to the landing
 * before it has unwound every frame. */
static uintptr_t landing_sp(uintptr_t sp)
{
	extern void *__libc_stack_end;

	if (RUNNING_ON_VALGRIND)
		return ctb_get(0, IA2_CTB_CANCEL_STACK);
	if (gettid() == getpid())
		return ((uintptr_t)__libc_stack_end & ~15UL) - 16;
	return sp & ~15UL;
}

/* The thread's first activation of c was begun by no gate (see
 * gate_caller): thread_entry starts it at CTB(c)'s stack top, or below it
 * with a return address there. */
static void mark_first_activation(int c)
{
	*(uintptr_t *)((ctb_get(c, IA2_CTB_FRAME) & ~15UL) - 8) = UINTPTR_MAX;
}

/* In a new thread, in its first compartment c (0 for the main thread,
 * before glibc has a buffer for it; its first region records it). */
void set_up_thread_cancel(int c)
{
	__pthread_unwind_buf_t *end = glibc_head();
	long *jb = landing.__cancel_jmp_buf[0].__cancel_jmp_buf;

	jb[JB_RBP] = mangle(0);
	jb[JB_RSP] = mangle(landing_sp((uintptr_t)&end));
	jb[JB_PC] = mangle((uintptr_t)__ia2_cancel_landing);
	landing.__cancel_jmp_buf[0].__mask_was_saved = 0;
	if (!end)
		return;
	thread_end = end;
	if (c) {
		ctb_set(c, IA2_CTB_CANCEL_BASE, (uintptr_t)end);
		mark_first_activation(c);
	}
	set_glibc_head(&landing);
}

/* A region of compartment c joins c's chain; glibc's keeps the landing
 * buffer only. glibc's own buffer for the main thread is the head the
 * first region finds. */
static void add_region(__pthread_unwind_buf_t *buf, int c)
{
	if (buf->__pad[0] != &landing)
		thread_end = buf->__pad[0];
	buf->__pad[0] = (void *)ctb_get(c, IA2_CTB_CANCEL_TOP);
	buf->__pad[3] = (void *)ctb_get(c, IA2_CTB_FRAME);
	ctb_set(c, IA2_CTB_CANCEL_TOP, (uintptr_t)buf);
	set_glibc_head(&landing);
}

API void __pthread_register_cancel(__pthread_unwind_buf_t *buf)
{
	set_up_libia2();
	__ia2_ro.s.libc_cancel.register_cancel(buf);
	add_region(buf, current_compartment());
}

/* pthread_cleanup_push_defer_np's. */
API void __pthread_register_cancel_defer(__pthread_unwind_buf_t *buf)
{
	set_up_libia2();
	__ia2_ro.s.libc_cancel.register_cancel_defer(buf);
	add_region(buf, current_compartment());
}

API void __pthread_unregister_cancel(__pthread_unwind_buf_t *buf)
{
	ctb_set(current_compartment(), IA2_CTB_CANCEL_TOP, (uintptr_t)buf->__pad[0]);
}

/* glibc's restores the cancel type, and with it may act on a pending
 * cancellation, after it has made the buffer's previous head the head. */
API void __pthread_unregister_cancel_restore(__pthread_unwind_buf_t *buf)
{
	__pthread_unregister_cancel(buf);
	buf->__pad[0] = &landing;
	__ia2_ro.s.libc_cancel.unregister_cancel_restore(buf);
}

/* After a region's handler has run. */
API __attribute__((noreturn)) void __pthread_unwind_next(__pthread_unwind_buf_t *buf)
{
	__pthread_unregister_cancel(buf);
	unwind_to(&landing);
}

/* Whose gate the current activation of c was entered by: the gate keeps
 * its caller's compartment right below the top it gives c's stack
 * (objrewrite/emit.c, emit_cross_call). -1 for the thread's start, where
 * thread_entry left a return address instead. Not handled: a thread
 * ended inside a signal handler of c when c has no other frames on it
 * (pthread_exit there, which is not async-signal-safe, or asynchronous
 * cancellation); the word is then whatever the last gate left. */
static int gate_caller(int c)
{
	uintptr_t frame = ctb_get(c, IA2_CTB_FRAME);
	uintptr_t caller = *(uintptr_t *)((frame & ~15UL) - 8);

	return caller <= IA2_LAST_COMPARTMENT ? (int)caller : -1;
}

__attribute__((noreturn)) void __ia2_cancel_arrived(void)
{
	int c = current_compartment(), caller;
	__pthread_unwind_buf_t *region = (void *)ctb_get(c, IA2_CTB_CANCEL_TOP);
	__pthread_unwind_buf_t *end = c ? (void *)ctb_get(c, IA2_CTB_CANCEL_BASE) : NULL;

	__ia2_cancel_crossing = 0;
	rearm_altstack();
	if (region && region->__pad[3] == (void *)ctb_get(c, IA2_CTB_FRAME))
		unwind_to(region);
	if (c && (caller = gate_caller(c)) >= 0) {
		__ia2_cancel_crossing = 1;
		__ia2_cancel_cross(caller);
	}
	if (!end)
		end = thread_end;
	if (!end)
		die("a thread was cancelled in compartment %d, and glibc has no buffer to end it with", c);
	unwind_to(end);
}
