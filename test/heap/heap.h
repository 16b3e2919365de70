/* The heap test's two compartments: heap_main.c (1) and heap_lib.c (2). */
#ifndef HEAP_H
#define HEAP_H

#include <stddef.h>

/* A block of at least 64 bytes that compartment 2 allocated with the
 * allocation function `how` (a name from ALLOCATORS in heap_main.c), or
 * NULL for an unknown name. */
void *lib_alloc(const char *how);
/* Compartment 2 checks its own block: usable size, contents and, if
 * check_pkey, its pkey. */
int lib_check(void *p, const char *how, int check_pkey);
void lib_free(void *p);
int lib_read(const char *p);
void lib_write(char *p);
char *lib_shared_string(void);
/* Buffers glibc allocates itself, made in compartment 2. */
char *lib_getline(const char *path);
char *lib_memstream(void);
void lib_print(const char *s);
/* Allocates in one thread of compartment 2 and frees in another. */
int lib_cross_thread(int check_pkey);

#endif
