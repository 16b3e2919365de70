/* The library of the two-compartment program, written as for upstream
 * IA2: libupstream_two.so is compartment 2, the program compartment 1. */
#ifndef TWO_H
#define TWO_H

#include <stddef.h>

extern int lib_shared;

int lib_in_own_compartment(void);
int lib_stack_holds_locals(void);
int lib_read(const int *p);
void lib_write(int *p, int v);
int *lib_secret(void);
int *lib_heap_block(void);
int *lib_tls(void);
int *lib_shared_block(void);
int lib_apply(int (*op)(int), int x);
int (*lib_op(void))(int);
int lib_raise(int sig);

#endif
