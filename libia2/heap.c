/* The heaps, built on jemalloc (5.3): one arena per compartment, and the
 * shared heap, jemalloc's automatic arenas in ordinary pkey-0 memory.
 *
 * A compartment's arena gets all its memory, its own metadata included,
 * from extent hooks that carve it out of a range reserved for that
 * compartment and tagged with its pkey: jemalloc creates an arena's base
 * allocator with the arena's hooks (arenas.create). So only the
 * compartment, or the startup state, can touch its heap, and a pointer's
 * owner is a subtraction away. Which heap a call uses, and who may free
 * what, is malloc.c's business.
 *
 * Compartment arenas bypass jemalloc's thread caches (MALLOCX_TCACHE_NONE):
 * a cache lives in pkey-0 memory, where any compartment could plant
 * pointers for another to allocate. */
#include <dlfcn.h>
#include <errno.h>
#include <jemalloc/jemalloc.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

/* Virtual space reserved per compartment: 64 GiB, or less where the
 * address space is smaller (valgrind's is). Memory is committed (tagged
 * read-write) only as jemalloc asks for extents. */
#define MAX_SPAN (64UL << 30)
#define MIN_SPAN (256UL << 20)

/* The first page of compartment c's range, tagged c like the rest, holds
 * where its next extent starts: only c can move it. */
struct heap_state {
	_Atomic uintptr_t next;
};

static uintptr_t range_lo(int c)
{
	return __ia2_ro.s.heap_base + (uintptr_t)(c - 1) * __ia2_ro.s.heap_span;
}

int heap_owner(const void *p)
{
	uintptr_t off = (uintptr_t)p - __ia2_ro.s.heap_base;

	if (!__ia2_ro.s.heap_base || off >= __ia2_ro.s.heap_size)
		return 0;
	return (int)(off / __ia2_ro.s.heap_span) + 1;
}

static const extent_hooks_t compartment_hooks[IA2_LAST_COMPARTMENT + 1];

/* Each compartment's arena has its own copy of the hooks, so a hook knows
 * its compartment from the copy jemalloc passes it (the arena's index is
 * not known until arenas.create returns). */
static int hooks_compartment(extent_hooks_t *hooks)
{
	return (int)(hooks - (extent_hooks_t *)compartment_hooks);
}

/* Bump allocation in c's range. jemalloc retains the extents it no
 * longer needs (dalloc opts out) and reuses them itself, so nothing is
 * ever given back here. */
static void *extent_alloc(extent_hooks_t *hooks, void *new_addr, size_t size, size_t align,
			  bool *zero, bool *commit, unsigned arena)
{
	int c = hooks_compartment(hooks);
	struct heap_state *st = (struct heap_state *)range_lo(c);
	uintptr_t hi = range_lo(c) + __ia2_ro.s.heap_span, start, old = atomic_load(&st->next);

	(void)arena;
	do {
		start = new_addr ? (uintptr_t)new_addr : (old + align - 1) & ~(uintptr_t)(align - 1);
		if (start != old && new_addr)
			return NULL;   /* only the next extent can be had at a given address */
		if (start < old || start > hi || size > hi - start)
			return NULL;
	} while (!atomic_compare_exchange_weak(&st->next, &old, start + size));
	if (try_tag(start, start + size, c))
		return NULL;
	*zero = true;     /* never handed out before: fresh zero pages */
	*commit = true;
	return (void *)start;
}

static bool extent_dalloc(extent_hooks_t *hooks, void *addr, size_t size, bool committed,
			  unsigned arena)
{
	(void)hooks, (void)addr, (void)size, (void)committed, (void)arena;
	return true;   /* opt out: jemalloc retains the extent */
}

static bool extent_commit(extent_hooks_t *hooks, void *addr, size_t size, size_t offset,
			  size_t length, unsigned arena)
{
	(void)hooks, (void)addr, (void)size, (void)offset, (void)length, (void)arena;
	return false;  /* never decommitted, so already committed */
}

static bool extent_decommit(extent_hooks_t *hooks, void *addr, size_t size, size_t offset,
			    size_t length, unsigned arena)
{
	(void)hooks, (void)addr, (void)size, (void)offset, (void)length, (void)arena;
	return true;   /* opt out: the pages stay mapped with their pkey */
}

/* madvise keeps the mapping and its pkey; MADV_DONTNEED makes the pages
 * read back as zeros (madvise(2)), as a forced purge must. */
static bool extent_purge(void *addr, size_t offset, size_t length, int advice)
{
	return madvise((char *)addr + offset, length, advice) != 0;
}

static bool extent_purge_lazy(extent_hooks_t *hooks, void *addr, size_t size, size_t offset,
			      size_t length, unsigned arena)
{
	(void)hooks, (void)size, (void)arena;
	return extent_purge(addr, offset, length, MADV_FREE);
}

static bool extent_purge_forced(extent_hooks_t *hooks, void *addr, size_t size, size_t offset,
				size_t length, unsigned arena)
{
	(void)hooks, (void)size, (void)arena;
	return extent_purge(addr, offset, length, MADV_DONTNEED);
}

/* One mapping per compartment: any extents of it may split and merge. */
static bool extent_split(extent_hooks_t *hooks, void *addr, size_t size, size_t size_a,
			 size_t size_b, bool committed, unsigned arena)
{
	(void)hooks, (void)addr, (void)size, (void)size_a, (void)size_b, (void)committed, (void)arena;
	return false;
}

static bool extent_merge(extent_hooks_t *hooks, void *addr_a, size_t size_a, void *addr_b,
			 size_t size_b, bool committed, unsigned arena)
{
	(void)hooks, (void)addr_a, (void)size_a, (void)addr_b, (void)size_b, (void)committed,
		(void)arena;
	return false;
}

/* Read-only (RELRO): arenas call through them with their compartment's rights. */
static const extent_hooks_t compartment_hooks[IA2_LAST_COMPARTMENT + 1] = {
	[0 ... IA2_LAST_COMPARTMENT] = {
		.alloc = extent_alloc,
		.dalloc = extent_dalloc,
		.commit = extent_commit,
		.decommit = extent_decommit,
		.purge_lazy = extent_purge_lazy,
		.purge_forced = extent_purge_forced,
		.split = extent_split,
		.merge = extent_merge,
	},
};

/* One reservation for compartments 1..last, so that a block's owner is a
 * division. */
static void reserve_heaps(int last)
{
	for (uintptr_t span = MAX_SPAN; span >= MIN_SPAN; span /= 2) {
		void *m = mmap(NULL, last * span, PROT_NONE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (m != MAP_FAILED) {
			__ia2_ro.s.heap_base = (uintptr_t)m;
			__ia2_ro.s.heap_span = span;
			__ia2_ro.s.heap_size = last * span;
			return;
		}
	}
	die("cannot reserve address space for %d compartments' heaps: %s", last, strerrorname_np(errno));
}

/* In the startup state, before __ia2_ro becomes read-only. The state page
 * is committed here so that the first extent can be had. */
void set_up_heaps(void)
{
	int last = IA2_LAST_COMPARTMENT;

	while (last > 0 && !__ia2_ro.s.present[last])
		last--;
	if (!last)
		return;
	reserve_heaps(last);
	for (int c = 1; c <= last; c++) {
		extent_hooks_t *hooks = (extent_hooks_t *)&compartment_hooks[c];
		size_t sz = sizeof __ia2_ro.s.heap_arena[c];
		struct heap_state *st = (struct heap_state *)range_lo(c);
		int err;

		if (!__ia2_ro.s.present[c])
			continue;
		tag(range_lo(c), range_lo(c) + PAGE, c, "a heap's state page");
		atomic_store(&st->next, range_lo(c) + PAGE);
		err = mallctl("arenas.create", &__ia2_ro.s.heap_arena[c], &sz, &hooks, sizeof hooks);
		if (err)
			die("jemalloc could not create compartment %d's arena: %s", c, strerrorname_np(err));
	}
}

/* Another malloc ahead of libia2's in the lookup order (ASan, under the
 * emulated-PKRU runtime) gets every block, so that its free takes them. */
void use_process_malloc(void)
{
	struct process_malloc *m = &__ia2_ro.s.process;

	m->malloc = dlsym(RTLD_DEFAULT, "malloc");
	m->calloc = dlsym(RTLD_DEFAULT, "calloc");
	m->realloc = dlsym(RTLD_DEFAULT, "realloc");
	m->free = dlsym(RTLD_DEFAULT, "free");
	m->aligned_alloc = dlsym(RTLD_DEFAULT, "aligned_alloc");
	m->malloc_usable_size = dlsym(RTLD_DEFAULT, "malloc_usable_size");
	if (!m->malloc || !m->calloc || !m->realloc || !m->free || !m->aligned_alloc ||
	    !m->malloc_usable_size)
		die("the malloc in use lacks part of the malloc family");
}

static void *process_alloc(size_t size, size_t align, bool zero)
{
	const struct process_malloc *m = &__ia2_ro.s.process;

	if (align)
		return m->aligned_alloc(align, (size + align - 1) & ~(align - 1));
	return zero ? m->calloc(1, size) : m->malloc(size);
}

/* jemalloc takes no size 0 (mallocx(3)); malloc(0) must return a
 * pointer that free accepts. */
static int flags_for(int heap, size_t align, bool zero)
{
	int f = heap ? MALLOCX_ARENA(__ia2_ro.s.heap_arena[heap]) | MALLOCX_TCACHE_NONE : 0;

	if (align)
		f |= MALLOCX_ALIGN(align);
	if (zero)
		f |= MALLOCX_ZERO;
	return f;
}

void *heap_alloc(int heap, size_t size, size_t align, bool zero)
{
	void *p = __ia2_ro.s.process.malloc ? process_alloc(size, align, zero)
					    : mallocx(size ? size : 1, flags_for(heap, align, zero));

	if (!p)
		errno = ENOMEM;
	return p;
}

void *heap_realloc(int heap, void *p, size_t size)
{
	void *q = __ia2_ro.s.process.malloc ? __ia2_ro.s.process.realloc(p, size)
					    : rallocx(p, size ? size : 1, flags_for(heap, 0, false));

	if (!q)
		errno = ENOMEM;
	return q;
}

void heap_free(int heap, void *p)
{
	if (__ia2_ro.s.process.malloc)
		__ia2_ro.s.process.free(p);
	else
		dallocx(p, flags_for(heap, 0, false));
}

size_t heap_usable_size(const void *p)
{
	if (__ia2_ro.s.process.malloc)
		return __ia2_ro.s.process.malloc_usable_size((void *)p);
	return sallocx(p, 0);
}
