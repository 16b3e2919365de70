/* Compartment 2 of the exit test. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "exit.h"

static volatile int lib_data;
static const int *volatile reader_target;

static unsigned read_pkru(void)
{
	unsigned eax, edx;

	__asm__ volatile("rdpkru" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

/* Writes compartment 2's data first: only its own rights can. */
void report(const char *who)
{
	lib_data++;
	printf("%s pkru=%#x\n", who, read_pkru());
	fflush(stdout);
}

__attribute__((constructor)) static void lib_constructor(void) { report("lib-constructor"); }
__attribute__((destructor)) static void lib_destructor(void) { report("lib-destructor"); }
static void lib_atexit(void) { report("lib-atexit"); }
static void lib_at_quick_exit(void) { report("lib-at-quick-exit"); }

void lib_register(void)
{
	atexit(lib_atexit);
	at_quick_exit(lib_at_quick_exit);
}

void lib_exit(int status) { exit(status); }
void lib_quick_exit(int status) { quick_exit(status); }
void lib__exit(int status) { _exit(status); }
void lib_abort(void) { abort(); }

static void reader(void)
{
	report("lib-reader");
	lib_data = *reader_target;
	report("lib-reader-read");
}

void lib_register_reader(const int *p)
{
	reader_target = p;
	atexit(reader);
}
