/* The share-heap test's library, compartment 2 (heapshare_lib.c). */
#ifndef HEAPSHARE_H
#define HEAPSHARE_H

#include <stddef.h>

/* A share-heap rule names lib_new_buffer, by_pointer (reached through
 * lib_allocator's pointer) and lib_nested; all three allocate through
 * the same helper as lib_private_buffer, which no rule names. */
void *lib_new_buffer(size_t n);
void *lib_private_buffer(size_t n);
void *(*lib_allocator(void))(size_t);
/* Allocates after `depth` nested calls of itself. */
void *lib_nested(int depth, size_t n);
int lib_pkey_of(const void *p);

#endif
