/* ia2's public header. Programs need none of it to be compartmentalized;
 * it offers what a program may want to say explicitly. */
#ifndef IA2_H
#define IA2_H

/* Place a global in the DSO's shared section: it keeps pkey 0, so every
 * compartment can read and write it. Each such variable occupies whole
 * pages, so nothing private shares its page. */
#define IA2_SHARED __attribute__((section("ia2_shared"), aligned(4096)))

#include <stddef.h>

/* The shared heap: blocks every compartment can read, write and free.
 * malloc and its family allocate in the calling compartment's own heap,
 * which no other compartment can touch (docs/runtime.md, "Heaps");
 * free() takes blocks of either kind. */
void *ia2_shared_malloc(size_t size);
void *ia2_shared_calloc(size_t n, size_t size);
void *ia2_shared_realloc(void *p, size_t size);  /* EINVAL for a compartment's block */
void *ia2_shared_aligned_alloc(size_t align, size_t size);
char *ia2_shared_strdup(const char *s);

/* Upstream IA2's macros and functions, for programs written for it. */
#include <ia2/upstream.h>

#endif
