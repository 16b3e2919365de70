/* The exit test's two compartments: exit_main.c (1) and exit_lib.c (2).
 * Every constructor, destructor and exit handler prints its name and the
 * PKRU it ran with, for exit-test.sh to check. */
#ifndef EXIT_H
#define EXIT_H

void report(const char *who);
void lib_register(void);
void lib_exit(int status);
void lib_quick_exit(int status);
void lib__exit(int status);
void lib_abort(void);
/* Registers a handler of compartment 2 that reads *p at exit. */
void lib_register_reader(const int *p);

#endif
