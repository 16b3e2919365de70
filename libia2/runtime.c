/* Helpers shared by startup (init.c), threads (threads.c) and dlopen (dso.c). */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

__attribute__((visibility("default"))) __thread char __ia2_ctb[IA2_MAX_COMPARTMENTS + 1][IA2_CTB_SIZE]
	__attribute__((aligned(IA2_CTB_SIZE), tls_model("initial-exec")));

__attribute__((visibility("default"))) union ia2_ro __ia2_ro __attribute__((aligned(PAGE)));

/* The shared stack pointer (gate_abi.h): SafeStack's name for it, so that
 * code compiled with -fsanitize=safe-stack uses libia2's shared stacks. */
__attribute__((visibility("default"))) __thread uintptr_t __safestack_unsafe_stack_ptr
	__attribute__((tls_model("initial-exec")));

_Static_assert(offsetof(struct ia2_settings, xfeatures) == IA2_RO_XFEATURES, "gate_abi.h");
_Static_assert(offsetof(struct ia2_settings, pkru_xsave) == IA2_RO_PKRU_XSAVE, "gate_abi.h");

/* A copy of the pages is changed aside, made read-only and moved over the
 * old pages with mremap, which replaces the mapping in one step
 * (mremap(2), MREMAP_FIXED), so no thread ever finds them writable or
 * half-changed. mmap, mprotect and mremap are system calls, safe in a
 * signal handler as sigaction must be (signal-safety(7)). */
void replace_pages(void *pages, size_t size, void (*change)(void *copy, const void *arg),
		   const void *arg, const char *what)
{
	void *copy = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (copy == MAP_FAILED)
		die("cannot map a copy of %s: %s", what, strerror(errno));
	memcpy(copy, pages, size);
	change(copy, arg);
	if (mprotect(copy, size, PROT_READ) ||
	    mremap(copy, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, pages) == MAP_FAILED)
		die("cannot replace %s: %s", what, strerror(errno));
}

struct settings_change {
	void (*change)(struct ia2_settings *);
};

static void change_settings(void *copy, const void *arg)
{
	const struct settings_change *c = arg;

	c->change(&((union ia2_ro *)copy)->s);
}

/* After startup __ia2_ro changes only as a whole page. */
void update_settings(void (*change)(struct ia2_settings *))
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct settings_change c = {change};

	pthread_mutex_lock(&lock);
	replace_pages(&__ia2_ro, PAGE, change_settings, &c, "ia2's settings");
	pthread_mutex_unlock(&lock);
}

void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ia2: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	_exit(1);
}

/* A compartment's memory on one thread, in one mapping from the bottom:
 * a guard page, its dynamic TLS area (dyntls.c), its landing stack
 * (cancel.c), a guard page, the signal stack, a guard page, the stack, a
 * guard page. Frames start IA2_STACK_SLACK bytes below each top
 * (gate_abi.h). "Compartment 0's" stack is the thread's shared stack,
 * pkey 0, with a landing stack but no TLS area. */
#define STACKS_SIZE (IA2_DYNTLS_SIZE + IA2_CANCEL_STACK_SIZE + IA2_SIGSTACK_SIZE + IA2_STACK_SIZE + \
		     4 * PAGE)

uintptr_t allocate_stack(int c)
{
	char *m = mmap(NULL, STACKS_SIZE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	uintptr_t top = (uintptr_t)m + STACKS_SIZE - PAGE;

	if (m == MAP_FAILED)
		die("cannot map a stack for compartment %d: %s", c, strerror(errno));
	tag(top - IA2_STACK_SIZE, top, c, "a compartment stack");
	tag(sigstack_top(top) - IA2_SIGSTACK_SIZE, sigstack_top(top), c, "a signal stack");
	tag(c ? dyntls_area(top) : landing_top(top) - IA2_CANCEL_STACK_SIZE, landing_top(top), c,
	    "a dynamic TLS area and a landing stack");
	(void)VALGRIND_STACK_REGISTER(top - IA2_STACK_SIZE, top);
	(void)VALGRIND_STACK_REGISTER(sigstack_top(top) - IA2_SIGSTACK_SIZE, sigstack_top(top));
	(void)VALGRIND_STACK_REGISTER(landing_top(top) - IA2_CANCEL_STACK_SIZE, landing_top(top));
	return top;
}

void allocate_stacks(uintptr_t *tops)
{
	for (int c = 0; c <= IA2_MAX_COMPARTMENTS; c++)
		tops[c] = c == 0 || __ia2_ro.s.present[c] ? allocate_stack(c) : 0;
}

void free_stacks(const uintptr_t *tops)
{
	for (int c = 0; c <= IA2_MAX_COMPARTMENTS; c++)
		free_stack(tops[c]);
}

uintptr_t sigstack_top(uintptr_t top)
{
	return top - IA2_STACK_SIZE - PAGE;
}

uintptr_t landing_top(uintptr_t top)
{
	return sigstack_top(top) - IA2_SIGSTACK_SIZE - PAGE;
}

uintptr_t dyntls_area(uintptr_t top)
{
	return landing_top(top) - IA2_CANCEL_STACK_SIZE - IA2_DYNTLS_SIZE;
}

void free_stack(uintptr_t top)
{
	if (top && munmap((void *)(top + PAGE - STACKS_SIZE), STACKS_SIZE))
		die("cannot unmap a compartment stack: %s", strerror(errno));
}

/* Each CTB is written while its page still has pkey 0 (a new thread's
 * TLS, or one returned by release_thread_blocks), then tagged: no PKRU
 * change is needed, so this code holds no wrpkru. */
void set_up_thread_blocks(const uintptr_t *tops)
{
	uintptr_t ctb = (uintptr_t)&__ia2_ctb[0][0];

	if (ctb & (PAGE - 1))
		die("the TLS block __ia2_ctb at %#lx is not page-aligned", (unsigned long)ctb);
	__safestack_unsafe_stack_ptr = tops[0];
	*ctb_word(0, IA2_CTB_CANCEL_STACK) = landing_top(tops[0]);
	for (int c = 1; c <= IA2_MAX_COMPARTMENTS; c++) {
		*ctb_word(c, IA2_CTB_SHARED_LO) = tops[0] - IA2_STACK_SIZE;
		*ctb_word(c, IA2_CTB_SHARED_HI) = tops[0];
		*ctb_word(c, IA2_CTB_FRAME) = tops[c] ? tops[c] - IA2_STACK_SLACK : 0;
		*ctb_word(c, IA2_CTB_SIGSTACK) = tops[c] ? sigstack_top(tops[c]) - IA2_STACK_SLACK : 0;
		*ctb_word(c, IA2_CTB_DYNTLS) = tops[c] ? dyntls_area(tops[c]) : 0;
		*ctb_word(c, IA2_CTB_CANCEL_STACK) = tops[c] ? landing_top(tops[c]) : 0;
		tag(ctb + c * IA2_CTB_SIZE, ctb + (c + 1) * IA2_CTB_SIZE, c,
		    "a compartment's thread block");
	}
}

/* glibc caches thread stacks with their static TLS and re-initializes
 * the TLS from the creating thread, which must be able to write it. */
void release_thread_blocks(void)
{
	uintptr_t ctb = (uintptr_t)&__ia2_ctb[0][0];

	tag(ctb + IA2_CTB_SIZE, ctb + (IA2_MAX_COMPARTMENTS + 1) * IA2_CTB_SIZE, 0,
	    "this thread's compartment thread blocks");
}
