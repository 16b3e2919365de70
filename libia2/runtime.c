/* Helpers shared by startup (init.c) and threads (threads.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

#define STACK_SIZE (8UL << 20)

__attribute__((visibility("default"))) __thread char __ia2_ctb[IA2_MAX_COMPARTMENTS + 1][IA2_CTB_SIZE]
	__attribute__((aligned(IA2_CTB_SIZE), tls_model("initial-exec")));

__attribute__((visibility("default"))) union ia2_ro __ia2_ro __attribute__((aligned(PAGE)));

_Static_assert(offsetof(struct ia2_settings, xfeatures) == IA2_RO_XFEATURES, "gate_abi.h");
_Static_assert(offsetof(struct ia2_settings, libc_exit) == IA2_RO_LIBC_EXIT, "gate_abi.h");

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

/* The page above the top makes a return stub that finds no pending
 * frame fault instead of reading past the stack. */
uintptr_t allocate_stack(int c)
{
	char *m = mmap(NULL, STACK_SIZE + 2 * PAGE, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
	if (m == MAP_FAILED)
		die("cannot map a stack for compartment %d: %s", c, strerror(errno));
	tag((uintptr_t)m + PAGE, (uintptr_t)m + PAGE + STACK_SIZE, c, "a compartment stack");
	(void)VALGRIND_STACK_REGISTER(m + PAGE, m + PAGE + STACK_SIZE);
	return (uintptr_t)m + PAGE + STACK_SIZE;
}

void free_stack(uintptr_t top)
{
	if (top && munmap((void *)(top - STACK_SIZE - PAGE), STACK_SIZE + 2 * PAGE))
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
	for (int c = 1; c <= IA2_MAX_COMPARTMENTS; c++) {
		*(uintptr_t *)&__ia2_ctb[c][IA2_CTB_FRAME] = tops[c];
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
