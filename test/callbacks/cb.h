/* The victim's side of test/callbacks (cb_lib.c, compartment 2). */
#ifndef CB_H
#define CB_H

#include <pthread.h>
#include <stdio.h>

extern int cb_secret;
int *cb_secret_address(void);
void cb_lib_printf(void);              /* printf("%Y") */
void cb_lib_exit(void);                /* exit(0) */
void cb_lib_fork(void);                /* fork and wait */
void cb_lib_thread(pthread_key_t key);  /* a thread that ends with a value for key */
void cb_lib_write(FILE *f);            /* fputs and fflush */

#endif
