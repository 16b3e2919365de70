/* The three-compartment program, written as for upstream IA2: the
 * executable is compartment 1, libupstream_a.so 2, libupstream_b.so 3. */
#ifndef THREE_H
#define THREE_H

/* Each returns a pointer to its compartment's private or shared data. */
int *a_static(void);
int *a_heap(void);
int *a_tls(void);
int *a_shared(void);
int *b_static(void);
int *b_heap(void);
int *b_tls(void);
int *b_shared(void);

int a_read(const int *p);
int b_read(const int *p);

/* a_chain calls b_chain, which calls back into compartment 1 through
 * `back`; each adds its compartment times 10 if it runs in it. */
int a_chain(int (*back)(int), int x);
int b_chain(int (*back)(int), int x);

#endif
