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
/* A SIGEV_THREAD timer and queue notification of compartment 2's, each
 * waited for: glibc starts its helper thread for each kind in the first
 * such call, with the caller's PKRU, which the notification threads it
 * starts later inherit (libia2/sigev.c). */
void cb_lib_timer(void);
void cb_lib_queue(const char *name);
int cb_lib_value(void);                /* 2, for a gate crossing into 2 */
/* An aio_read of compartment 2's, waited for: glibc's worker thread,
 * which may serve the next request too, has compartment 2's PKRU. */
void cb_lib_aio(void);
/* error(0, EACCES, "compartment 2's message 2"), then
 * error_at_line(0, 0, "file.c", 7, "at a line"). */
void cb_lib_error(void);
void cb_lib_version(void);  /* argp_parse of --version */
void cb_lib_obstack(void);  /* its obstack's second chunk fails */

#endif
