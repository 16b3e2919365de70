/* The TLS test's two compartments: tls_main.c (1) and tls_lib.c (2). */
#ifndef TLS_H
#define TLS_H

/* Addresses of compartment 2's thread-local variables in the calling
 * thread: initialized (.tdata), zeroed (.tbss), and 8192-aligned. */
int *lib_tdata(void);
int *lib_tbss(void);
char *lib_aligned(void);
/* Compartment 2 reads and writes its own TLS and returns 1 if it holds
 * what this thread put there. */
int lib_own_tls(int v);
int lib_read(const int *p);

#endif
