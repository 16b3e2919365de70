/* Compartment 1 of the exit test. `exitprog CASE` ends the way CASE
 * says (exit-test.sh knows what each must print):
 *   return  main returns 3
 *   exit    compartment 1 calls exit(4)
 *   lib-exit, lib-quick-exit, lib-_exit, lib-abort
 *           compartment 2 calls exit(5), quick_exit(6), _exit(7), abort()
 *   reader  compartment 2's exit handler reads compartment 1's data */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit.h"

static volatile int main_data = 1;

static unsigned read_pkru(void)
{
	unsigned eax, edx;

	__asm__ volatile("rdpkru" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

static void main_report(const char *who)
{
	main_data++;
	printf("%s pkru=%#x\n", who, read_pkru());
	fflush(stdout);
}

__attribute__((constructor)) static void main_constructor(void) { main_report("main-constructor"); }
__attribute__((destructor)) static void main_destructor(void) { main_report("main-destructor"); }
static void main_atexit(void) { main_report("main-atexit"); }
static void main_at_quick_exit(void) { main_report("main-at-quick-exit"); }

int main(int argc, char **argv)
{
	const char *c = argc == 2 ? argv[1] : "";

	atexit(main_atexit);
	at_quick_exit(main_at_quick_exit);
	lib_register();
	main_report("main");
	if (!strcmp(c, "return"))
		return 3;
	if (!strcmp(c, "exit"))
		exit(4);
	if (!strcmp(c, "lib-exit"))
		lib_exit(5);
	if (!strcmp(c, "lib-quick-exit"))
		lib_quick_exit(6);
	if (!strcmp(c, "lib-_exit"))
		lib__exit(7);
	if (!strcmp(c, "lib-abort"))
		lib_abort();
	if (!strcmp(c, "reader")) {
		lib_register_reader((const int *)&main_data);
		exit(0);
	}
	fprintf(stderr, "exitprog: unknown case '%s'\n", c);
	return 2;
}
