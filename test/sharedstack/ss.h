/* Pointers to locals across compartments, with --ia2-shared-stack:
 * ss_main.c is compartment 1, ss_lib.c compartment 2. */
#ifndef SS_H
#define SS_H

#include <stddef.h>
#include <stdint.h>

struct pair {
	int a, b;
};

void lib_fill(char *buf, size_t n, char c);      /* writes the caller's buffer */
int lib_sum(const int *v, int n);                 /* reads the caller's array */
void lib_swap(struct pair *p);
/* Calls back with a pointer to a local of compartment 2. */
int lib_call_with_local(int (*cb)(int *));
/* Writes *p, for a pointer to the caller's own stack frame. */
void lib_write(void *p);
/* Moves the shared stack pointer by `delta` bytes and returns without
 * putting it back, or with `callback`, calls it first. */
void lib_move_shared_stack(intptr_t delta, void (*callback)(void));
/* Points the shared stack pointer at p and calls back. */
void lib_redirect_shared_stack(void *p, void (*callback)(void));

extern __thread void *__safestack_unsafe_stack_ptr;

#endif
