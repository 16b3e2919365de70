/* Threads across compartments: threads_main.c (1) and threads_lib.c (2). */
#ifndef THREADS_H
#define THREADS_H

extern int lib_counter;

void *lib_worker(void *arg);              /* start routine in compartment 2 */
void *lib_exit_worker(void *arg);         /* calls pthread_exit inside compartment 2 */
void *lib_exiting_worker(void *arg);      /* calls exit(0) from compartment 2 */
void *lib_spawn(void *(*start)(void *), void *arg); /* 2 creates and joins a thread */
int lib_read(const int *p);
/* Sets *started (shared memory), then waits in pause(), a cancellation
 * point, inside compartment 2; with `async`, in a loop with asynchronous
 * cancellation instead. */
void lib_block(int *started, int async);
/* Gives this thread a pthread key whose destructor, compartment 2's code,
 * reads *p when the thread ends. */
void lib_key_reading(const int *p);
/* How many of those destructors have run. */
int lib_destructors_run(void);

#endif
