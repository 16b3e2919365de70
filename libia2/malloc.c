/* The C library's allocation interface, on the heaps of heap.c.
 *
 * libia2 precedes libc in every compartment program's lookup scope, so
 * its malloc family is the process's, for glibc's own calls too (glibc
 * supports replacing malloc: its internal calls go through the PLT;
 * manual, "Replacing malloc"). Which heap a block comes from:
 *
 *  - malloc, calloc, ... by those names: the shared heap. Only code
 *    outside the compartments calls them by name: libc, ld.so, libgcc,
 *    libia2 itself. Their buffers (stdio's, getline's, dlerror's) serve
 *    whichever compartment uses them next, so they must be shared;
 *  - __ia2_heap_malloc, __ia2_heap_strdup, ...: the heap of the
 *    compartment the thread runs in (its PKRU, so code cannot pick another
 *    compartment's heap). ia2 binds every call of a compartment's own
 *    code to malloc, strdup, ... to these at link time
 *    (objrewrite/heapcalls.c). While the thread is inside a function
 *    that a share-heap rule names, they use the shared heap instead
 *    (objrewrite/heapshare.c);
 *  - ia2_shared_*: the shared heap, for compartments that want it.
 *
 * A block belongs to the heap it was allocated in; realloc keeps it
 * there. Freeing, reallocating or sizing a block of compartment k's heap
 * is allowed in compartment k and in the startup state; from another
 * compartment, 0 included, it is a bug or an attack on k's heap, and the
 * process aborts with a message (docs/runtime.md, "Heaps"). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ia2.h"
#include "ia2_allocator.h"
#include "runtime.h"

/* The heap of the compartment the thread runs in; 0, the shared heap,
 * before set_up_heaps has run (rdpkru must not run before libia2 has
 * checked that the CPU has it) and inside a share-heap function (its
 * wrapper raised the depth in CTB(c), which only c can write).
 * Compartment code only ever runs with its own PKRU, gates see to it. */
static int compartment_heap(void)
{
	int c;

	if (!__ia2_ro.s.heap_base)
		return 0;
	c = current_compartment();
	if (c && ctb_get(c, IA2_CTB_HEAP_DEPTH))
		return 0;
	return c;
}

/* A share-heap wrapper found every return slot in CTB(c) taken
 * (objrewrite/emit.c). */
API __attribute__((noreturn)) void __ia2_heap_too_deep(void)
{
	die("compartment %d nests calls of share-heap functions more than %d deep on this thread",
	    current_compartment(), IA2_HEAP_MAX_DEPTH);
}

static void check_owner(const void *p, const char *what)
{
	int owner = heap_owner(p);
	int c;

	if (!owner)
		return;
	c = current_compartment();
	if (!has_runtime_rights() && c != owner) {
		fprintf(stderr, "ia2: compartment %d called %s on %p, which belongs to compartment "
			"%d's heap; only the compartment that allocated a block may free or resize "
			"it (share blocks with ia2_shared_malloc)\n", c, what, p, owner);
		abort();
	}
}

static void *alloc_array(int heap, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return heap_alloc(heap, bytes, 0, true);
}

static void *resize(int heap, void *p, size_t size)
{
	if (!p)
		return heap_alloc(heap, size, 0, false);
	check_owner(p, "realloc");
	if (size == 0) {   /* glibc frees and returns NULL (malloc(3)) */
		heap_free(heap_owner(p), p);
		return NULL;
	}
	return heap_realloc(heap_owner(p), p, size);
}

static void *resize_array(int heap, void *p, size_t n, size_t size)
{
	size_t bytes;

	if (__builtin_mul_overflow(n, size, &bytes)) {
		errno = ENOMEM;
		return NULL;
	}
	return resize(heap, p, bytes);
}

static int aligned(int heap, void **out, size_t align, size_t size)
{
	if (align < sizeof(void *) || (align & (align - 1)))
		return EINVAL;
	*out = heap_alloc(heap, size, align, false);
	return *out ? 0 : ENOMEM;
}

static void *aligned_or_null(int heap, size_t align, size_t size)
{
	void *p;
	int err = aligned(heap, &p, align, size);

	if (err) {
		errno = err;
		return NULL;
	}
	return p;
}

/* glibc's memalign takes any alignment and rounds it up to a power of
 * two, at least a pointer's size (malloc/malloc.c, _int_memalign). */
static void *memalign_in(int heap, size_t align, size_t size)
{
	size_t a = sizeof(void *);

	while (a < align)
		a *= 2;
	return aligned_or_null(heap, a, size);
}

static void *pages(int heap, size_t size, bool round)
{
	return heap_alloc(heap, round ? (size + PAGE - 1) & ~(PAGE - 1) : size, PAGE, false);
}

static char *copy_string(int heap, const char *s, size_t n)
{
	char *d = heap_alloc(heap, n + 1, 0, false);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

static int format_string(int heap, char **out, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n >= 0 && !(*out = heap_alloc(heap, (size_t)n + 1, 0, false)))
		n = -1;
	if (n >= 0)
		vsnprintf(*out, (size_t)n + 1, fmt, again);
	va_end(again);
	return n;
}

/* Given a buffer, glibc's realpath does not allocate. */
static char *realpath_in(int heap, const char *path, char *resolved)
{
	char buf[PATH_MAX];

	if (resolved)
		return realpath(path, resolved);
	if (!realpath(path, buf))
		return NULL;
	return copy_string(heap, buf, strlen(buf));
}

/* getcwd(NULL, 0) allocates as much as it takes (getcwd(3)). */
static char *getcwd_in(int heap, char *buf, size_t size)
{
	size_t n = size ? size : PATH_MAX;
	char *tmp, *d;
	int err;

	if (buf)
		return getcwd(buf, size);
	for (;; n *= 2) {
		if (!(tmp = heap_alloc(0, n, 0, false)))
			return NULL;
		if (getcwd(tmp, n))
			break;
		err = errno;
		heap_free(0, tmp);
		errno = err;
		if (err != ERANGE || size)
			return NULL;
	}
	d = copy_string(heap, tmp, strlen(tmp));
	heap_free(0, tmp);
	return d;
}

/* The process's malloc family: the shared heap. */

API void *malloc(size_t size)
{
	return heap_alloc(0, size, 0, false);
}

/* libia2's own malloc, whatever the lookup order made of the name. */
extern __typeof(malloc) ia2_own_malloc
	__attribute__((alias("malloc"), copy(malloc), visibility("hidden")));

API void *calloc(size_t n, size_t size) { return alloc_array(0, n, size); }
API void *realloc(void *p, size_t size) { return resize(0, p, size); }
API void *reallocarray(void *p, size_t n, size_t size) { return resize_array(0, p, n, size); }
API int posix_memalign(void **out, size_t align, size_t size) { return aligned(0, out, align, size); }
API void *aligned_alloc(size_t align, size_t size) { return aligned_or_null(0, align, size); }
API void *memalign(size_t align, size_t size) { return memalign_in(0, align, size); }
API void *valloc(size_t size) { return pages(0, size, false); }
API void *pvalloc(size_t size) { return pages(0, size, true); }

API void free(void *p)
{
	if (!p)
		return;
	check_owner(p, "free");
	heap_free(heap_owner(p), p);
}

API size_t malloc_usable_size(void *p)
{
	if (!p)
		return 0;
	check_owner(p, "malloc_usable_size");
	return heap_usable_size(p);
}

/* The compartments' entry points (heapcalls.c lists them). Each is
 * called straight from the compartment's code, so its return address is
 * the allocating call, for audit mode's log (alloc_log.c). */
#define SITE __builtin_return_address(0)

API void *__ia2_heap_malloc(size_t size)
{
	return note_block(heap_alloc(compartment_heap(), size, 0, false), SITE);
}

API void *__ia2_heap_calloc(size_t n, size_t size)
{
	return note_block(alloc_array(compartment_heap(), n, size), SITE);
}

API void *__ia2_heap_realloc(void *p, size_t size)
{
	return note_block(resize(compartment_heap(), p, size), SITE);
}

API void *__ia2_heap_reallocarray(void *p, size_t n, size_t size)
{
	return note_block(resize_array(compartment_heap(), p, n, size), SITE);
}

API int __ia2_heap_posix_memalign(void **out, size_t align, size_t size)
{
	int rc = aligned(compartment_heap(), out, align, size);

	if (!rc)
		note_block(*out, SITE);
	return rc;
}

API void *__ia2_heap_aligned_alloc(size_t align, size_t size)
{
	return note_block(aligned_or_null(compartment_heap(), align, size), SITE);
}

API void *__ia2_heap_memalign(size_t align, size_t size)
{
	return note_block(memalign_in(compartment_heap(), align, size), SITE);
}

API void *__ia2_heap_valloc(size_t size)
{
	return note_block(pages(compartment_heap(), size, false), SITE);
}

API void *__ia2_heap_pvalloc(size_t size)
{
	return note_block(pages(compartment_heap(), size, true), SITE);
}

API char *__ia2_heap_strdup(const char *s)
{
	return note_block(copy_string(compartment_heap(), s, strlen(s)), SITE);
}

API char *__ia2_heap_strndup(const char *s, size_t n)
{
	return note_block(copy_string(compartment_heap(), s, strnlen(s, n)), SITE);
}

API char *__ia2_heap___strdup(const char *s)
	__attribute__((alias("__ia2_heap_strdup")));
API char *__ia2_heap___strndup(const char *s, size_t n)
	__attribute__((alias("__ia2_heap_strndup")));

API int __ia2_heap_vasprintf(char **out, const char *fmt, va_list ap)
{
	int n = format_string(compartment_heap(), out, fmt, ap);

	if (n >= 0)
		note_block(*out, SITE);
	return n;
}

API int __ia2_heap_asprintf(char **out, const char *fmt, ...)
{
	int n;
	va_list ap;

	va_start(ap, fmt);
	n = format_string(compartment_heap(), out, fmt, ap);
	va_end(ap);
	if (n >= 0)
		note_block(*out, SITE);
	return n;
}

API char *__ia2_heap_realpath(const char *path, char *resolved)
{
	return note_block(realpath_in(compartment_heap(), path, resolved), SITE);
}

API char *__ia2_heap_getcwd(char *buf, size_t size)
{
	return note_block(getcwd_in(compartment_heap(), buf, size), SITE);
}

/* The shared heap, asked for by name. */

API void *ia2_shared_malloc(size_t size) { return heap_alloc(0, size, 0, false); }
API void *ia2_shared_calloc(size_t n, size_t size) { return alloc_array(0, n, size); }
API void *ia2_shared_aligned_alloc(size_t align, size_t size) { return aligned_or_null(0, align, size); }
API char *ia2_shared_strdup(const char *s) { return copy_string(0, s, strlen(s)); }

API void *ia2_shared_realloc(void *p, size_t size)
{
	if (p && heap_owner(p)) {
		errno = EINVAL;
		return NULL;
	}
	return resize(0, p, size);
}

/* The same, by upstream IA2's names (ia2_allocator.h). */

API void *shared_malloc(size_t size) { return ia2_shared_malloc(size); }
API void *shared_calloc(size_t n, size_t size) { return ia2_shared_calloc(n, size); }
API void *shared_realloc(void *p, size_t size) { return ia2_shared_realloc(p, size); }
API void *shared_memalign(size_t align, size_t size) { return memalign_in(0, align, size); }
API int shared_posix_memalign(void **out, size_t align, size_t size) { return aligned(0, out, align, size); }
API char *shared_strdup(const char *s) { return ia2_shared_strdup(s); }
API void shared_free(void *p) { free(p); }
