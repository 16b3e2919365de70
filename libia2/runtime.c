/* Helpers shared by startup (init.c), threads (threads.c, registry.c) and
 * dlopen (dso.c). */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

__attribute__((visibility("default"))) __thread char __ia2_ctb[IA2_LAST_COMPARTMENT + 1][IA2_CTB_SIZE]
	__attribute__((aligned(IA2_CTB_SIZE), tls_model("initial-exec")));

__attribute__((visibility("default"))) union ia2_ro __ia2_ro __attribute__((aligned(PAGE)));

/* The shared stack pointer (gate_abi.h): SafeStack's name for it, so that
 * code compiled with -fsanitize=safe-stack uses libia2's shared stacks. */
__attribute__((visibility("default"))) __thread uintptr_t __safestack_unsafe_stack_ptr
	__attribute__((tls_model("initial-exec")));

_Static_assert(offsetof(struct ia2_settings, xfeatures) == IA2_RO_XFEATURES, "gate_abi.h");
_Static_assert(offsetof(struct ia2_settings, pkru_xsave) == IA2_RO_PKRU_XSAVE, "gate_abi.h");
_Static_assert(offsetof(struct ia2_settings, private_area) == IA2_RO_PRIVATE, "gate_abi.h");

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
		die("cannot map a copy of %s: %s", what, strerrorname_np(errno));
	memcpy(copy, pages, size);
	change(copy, arg);
	if (mprotect(copy, size, PROT_READ) ||
	    mremap(copy, size, size, MREMAP_MAYMOVE | MREMAP_FIXED, pages) == MAP_FAILED)
		die("cannot replace %s: %s", what, strerrorname_np(errno));
}

/* die's printf, for the conversions libia2's messages use: %s, %d, %u,
 * %x, %p, %%, with l or z, and # for 0x. die may run with the runtime's
 * rights (privilege.c), where glibc's printf would not do: it calls the
 * handlers that register_printf_specifier left in pkey-0 memory, for any
 * conversion, and stdio calls a cookie stream's functions. */
struct message {
	char text[1024];
	size_t n;
};

static void put(struct message *m, const char *s, size_t n)
{
	while (n-- && m->n < sizeof m->text - 1)
		m->text[m->n++] = *s++;
}

static void put_number(struct message *m, unsigned long v, unsigned base, bool negative)
{
	char digits[24];
	int i = sizeof digits;

	do
		digits[--i] = "0123456789abcdef"[v % base];
	while (v /= base);
	if (negative)
		digits[--i] = '-';
	put(m, digits + i, sizeof digits - i);
}

static void format_message(struct message *m, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		bool alt = false, wide = false;
		const char *s;
		long v;

		if (*fmt != '%') {
			put(m, fmt, 1);
			continue;
		}
		if (*++fmt == '#')
			alt = true, fmt++;
		if (*fmt == 'l' || *fmt == 'z')
			wide = true, fmt++;
		switch (*fmt) {
		case 's':
			s = va_arg(ap, const char *);
			put(m, s ? s : "(null)", s ? strlen(s) : 6);
			break;
		case 'd':
			v = wide ? va_arg(ap, long) : va_arg(ap, int);
			put_number(m, v < 0 ? -(unsigned long)v : (unsigned long)v, 10, v < 0);
			break;
		case 'u':
		case 'x':
		case 'p':
			v = *fmt == 'p' || wide ? va_arg(ap, long) : va_arg(ap, unsigned);
			if (alt || *fmt == 'p')
				put(m, "0x", 2);
			put_number(m, (unsigned long)v, *fmt == 'u' ? 10 : 16, false);
			break;
		case '\0':
			return;
		default:   /* %%: the compiler checks the rest (die's format attribute) */
			put(m, fmt, 1);
		}
	}
}

size_t format_to(char *buf, size_t size, const char *fmt, ...)
{
	struct message m = {.n = 0};
	va_list ap;

	va_start(ap, fmt);
	format_message(&m, fmt, ap);
	va_end(ap);
	m.n = m.n < size ? m.n : size - 1;
	memcpy(buf, m.text, m.n);
	buf[m.n] = '\0';
	return m.n;
}

static void write_line(const char *fmt, va_list ap)
{
	struct message m = {.n = 0};

	put(&m, "ia2: ", 5);
	format_message(&m, fmt, ap);
	m.text[m.n++] = '\n';
	if (write(2, m.text, m.n) < 0)
		return;
}

void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	write_line(fmt, ap);
	va_end(ap);
}

bool explaining(void)
{
	const char *e = getenv("IA2_EXPLAIN");

	return e && !strcmp(e, "1");
}

void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	write_line(fmt, ap);
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
		die("cannot map a stack for compartment %d: %s", c, strerrorname_np(errno));
	tag(top - IA2_STACK_SIZE, top, c, "a compartment stack");
	tag(sigstack_top(top) - IA2_SIGSTACK_SIZE, sigstack_top(top), c, "a signal stack");
	tag(c ? dyntls_area(top) : landing_top(top) - IA2_CANCEL_STACK_SIZE, landing_top(top), c,
	    "a dynamic TLS area and a landing stack");
	(void)VALGRIND_STACK_REGISTER(top - IA2_STACK_SIZE, top);
	(void)VALGRIND_STACK_REGISTER(sigstack_top(top) - IA2_SIGSTACK_SIZE, sigstack_top(top));
	(void)VALGRIND_STACK_REGISTER(landing_top(top) - IA2_CANCEL_STACK_SIZE, landing_top(top));
	return top;
}

uintptr_t no_call_frame(uintptr_t at)
{
	*(uintptr_t *)at = at + 1;
	return at;
}

/* Where compartment c's return stub stops when c has no call pending on
 * this thread (objrewrite/stubs.c): some code jumped to the stub. */
__attribute__((noreturn)) void __ia2_no_call_pending(int c)
{
	die("a return to compartment %d, which has no call pending on thread %d: some code "
	    "jumped to ia2's return stub __ia2_return_to_%d instead of returning from a call "
	    "that compartment %d made", c, gettid(), c, c);
}

void allocate_stacks(uintptr_t *tops)
{
	for (int c = 0; c <= IA2_LAST_COMPARTMENT; c++)
		tops[c] = c == 0 || __ia2_ro.s.present[c] ? allocate_stack(c) : 0;
}

void free_stacks(const uintptr_t *tops)
{
	for (int c = 0; c <= IA2_LAST_COMPARTMENT; c++)
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

uintptr_t stack_top_above_landing(uintptr_t landing)
{
	return landing + IA2_SIGSTACK_SIZE + PAGE + IA2_STACK_SIZE + PAGE;
}

uintptr_t dyntls_area(uintptr_t top)
{
	return landing_top(top) - IA2_CANCEL_STACK_SIZE - IA2_DYNTLS_SIZE;
}

void free_stack(uintptr_t top)
{
	if (top && munmap((void *)(top + PAGE - STACKS_SIZE), STACKS_SIZE))
		die("cannot unmap a compartment stack: %s", strerrorname_np(errno));
}

/* __ia2_ctb's offset from the thread pointer, from the GOT (RELRO): the
 * runtime's privileged operations find a thread's CTBs from its thread
 * pointer, not through %fs:0 (privilege.c). */
static intptr_t ctb_offset(void)
{
	intptr_t off;

	__asm__("mov __ia2_ctb@gottpoff(%%rip), %0" : "=r"(off));
	return off;
}

uintptr_t *ctb_at(uintptr_t fs, int c, int offset)
{
	return (uintptr_t *)(fs + ctb_offset() + c * IA2_CTB_SIZE + offset);
}

/* Each CTB is tagged with its compartment's pkey before it is written,
 * so no other compartment can change what it is given. CTB(keep)'s frame
 * is the privileged entry's until it returns (gate_abi.h). */
void set_up_thread_blocks(uintptr_t fs, const uintptr_t *tops, int keep)
{
	uintptr_t ctb = (uintptr_t)ctb_at(fs, 0, 0);

	if (ctb & (PAGE - 1))
		die("the TLS block __ia2_ctb at %#lx is not page-aligned", (unsigned long)ctb);
	*ctb_at(fs, 0, IA2_CTB_CANCEL_STACK) = landing_top(tops[0]);
	for (int c = 1; c <= IA2_LAST_COMPARTMENT; c++) {
		if (!tops[c])   /* a compartment the program has not */
			continue;
		tag(ctb + c * IA2_CTB_SIZE, ctb + (c + 1) * IA2_CTB_SIZE, c,
		    "a compartment's thread block");
		*ctb_at(fs, c, IA2_CTB_SHARED_LO) = tops[0] - IA2_STACK_SIZE;
		*ctb_at(fs, c, IA2_CTB_SHARED_HI) = tops[0];
		if (c != keep)
			*ctb_at(fs, c, IA2_CTB_FRAME) = no_call_frame(tops[c] - IA2_STACK_SLACK);
		*ctb_at(fs, c, IA2_CTB_SIGSTACK) = sigstack_top(tops[c]) - IA2_STACK_SLACK;
		*ctb_at(fs, c, IA2_CTB_DYNTLS) = dyntls_area(tops[c]);
		*ctb_at(fs, c, IA2_CTB_CANCEL_STACK) = landing_top(tops[c]);
	}
}

/* glibc caches thread stacks with their static TLS and re-initializes
 * the TLS from the creating thread, which must be able to write it. The
 * thread that ends itself keeps CTB(keep).frame, where its return stub
 * finds its way back to its caller (gate_abi.h). */
void clear_thread_blocks(uintptr_t fs, int keep)
{
	uintptr_t ctb = (uintptr_t)ctb_at(fs, 1, 0);
	uintptr_t end = (uintptr_t)ctb_at(fs, IA2_LAST_COMPARTMENT + 1, 0);
	uintptr_t frame = keep ? *ctb_at(fs, keep, IA2_CTB_FRAME) : 0;

	for (int c = 1; c <= IA2_LAST_COMPARTMENT; c++)
		if (__ia2_ro.s.present[c])
			memset(ctb_at(fs, c, 0), 0, IA2_CTB_SIZE);
	if (keep)
		*ctb_at(fs, keep, IA2_CTB_FRAME) = frame;
	tag(ctb, end, 0, "a thread's compartment thread blocks");
}
