/* Upstream IA2's shared heap (runtime/partition-alloc/include/
 * ia2_allocator.h): blocks every compartment can read and write. They
 * come from libia2's shared heap (ia2_shared_malloc in ia2.h), and
 * free() takes them as well as shared_free does. */
#ifndef IA2_ALLOCATOR_H
#define IA2_ALLOCATOR_H

#include <stddef.h>

void *shared_malloc(size_t bytes);
void shared_free(void *ptr);
void *shared_realloc(void *ptr, size_t size);
void *shared_calloc(size_t num, size_t size);
void *shared_memalign(size_t align, size_t size);
int shared_posix_memalign(void **res, size_t align, size_t size);
char *shared_strdup(const char *str);

#endif
