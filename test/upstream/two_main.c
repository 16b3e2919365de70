/* Compartment 1 of a two-compartment program written for upstream IA2:
 * INIT_RUNTIME, IA2_COMPARTMENT, ia2_main, IA2_SHARED_DATA, shared_malloc,
 * IA2_FN and IA2_CALL, IA2_SIGHANDLER, ia2_get_tag. Built by ia2-cc with
 * no -I, no --ia2-compartment and no config.
 *
 * `two` runs every check and exits 0; `two CASE` makes an access that
 * must fault. TWO_REGISTER_WRONG=1 makes ia2_main register the library
 * for compartment 3, which must stop the program. */
#include <ia2.h>
#include <ia2_allocator.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "two.h"

#ifndef TWO_PKEYS
#define TWO_PKEYS 2
#endif
INIT_RUNTIME(TWO_PKEYS);
#define IA2_COMPARTMENT 1
#include <ia2_compartment_init.inc>

void ia2_main(void)
{
	ia2_register_compartment("main", 1, NULL);
	ia2_register_compartment("libupstream_two.so", getenv("TWO_REGISTER_WRONG") ? 3 : 2, NULL);
}

static int secret = 0x1111;
static __thread int tls = 1;
static int main_shared IA2_SHARED_DATA = 10;
static volatile int handled;
static int failures;

static void check(int ok, const char *what)
{
	if (!ok) {
		printf("FAIL: %s\n", what);
		failures++;
	}
}

static void main_handler(int sig)
{
	handled = (int)ia2_get_compartment() * 100 + sig;
}
IA2_DEFINE_SIGHANDLER(main_handler, 1);

static int add_one(int x)
{
	return ia2_get_compartment() == 1 ? x + 1 : -1000;
}

static void *thread_main(void *arg)
{
	(void)arg;
	check(ia2_get_compartment() == 1, "a new thread runs in compartment 1");
	check(lib_in_own_compartment(), "a new thread's call runs in compartment 2");
	check(tls == 1 && lib_read(lib_tls()) == 2, "a new thread has fresh TLS in each compartment");
	tls = 5;
	return NULL;
}

static void check_stacks(void)
{
	volatile int local = 0;
	void *base;
	size_t size;

	ia2_get_compartment_stack(&base, &size);
	check((char *)&local >= (char *)base && (char *)&local < (char *)base + size,
	      "ia2_get_compartment_stack holds compartment 1's locals");
	check(lib_stack_holds_locals(), "ia2_get_compartment_stack holds compartment 2's locals");
}

static void check_shared_heap(void)
{
	int *mine = shared_malloc(sizeof *mine), *theirs = lib_shared_block();
	char *s = shared_strdup("shared");
	int *z = shared_calloc(4, sizeof *z);
	void *aligned = NULL;

	check(mine && theirs && s && z, "shared allocations succeed");
	lib_write(mine, 7);
	check(*mine == 7, "compartment 2 writes compartment 1's shared_malloc block");
	check(*theirs == 0x2244, "compartment 1 reads compartment 2's shared_malloc block");
	check(lib_read((int *)s) == *(int *)"shared", "shared_strdup's copy is shared");
	z = shared_realloc(z, 64 * sizeof *z);
	check(z && z[3] == 0 && lib_read(&z[3]) == 0, "shared_calloc and shared_realloc");
	check(shared_posix_memalign(&aligned, 256, 16) == 0 && ((size_t)aligned & 255) == 0,
	      "shared_posix_memalign aligns");
	shared_free(aligned);
	aligned = shared_memalign(100, 8);   /* glibc rounds to 128 */
	check(aligned && ((size_t)aligned & 127) == 0, "shared_memalign rounds the alignment up");
	free(aligned);
	shared_free(z);
	shared_free(s);
	shared_free(theirs);
	shared_free(mine);
}

static void check_all(void)
{
	int (*op)(int) = lib_op();
	pthread_t t;
	struct sigaction sa = {.sa_handler = IA2_SIGHANDLER(main_handler)};

	check(ia2_get_tag() == PKRU(1) && ia2_get_compartment() == 1, "main runs in compartment 1");
	check(lib_in_own_compartment(), "calls into the library run in compartment 2");
	check(lib_apply(IA2_FN(add_one), 5) == 7, "an indirect call from 2 runs in 1");
	check(IA2_CALL(op, 0, 21) == 42, "an indirect call from 1 runs in 2");
	check(IA2_ADDR(op) != NULL, "IA2_ADDR");

	check(lib_read(&main_shared) == 10, "compartment 2 reads IA2_SHARED_DATA of 1");
	lib_write(&main_shared, 11);
	check(main_shared == 11, "compartment 2 writes IA2_SHARED_DATA of 1");
	lib_shared++;
	check(lib_read(&lib_shared) == 21, "compartment 1 writes IA2_SHARED_DATA of 2");
	check_shared_heap();
	check(lib_read(lib_secret()) == 0x2222 && lib_read(lib_heap_block()) == 0x2233,
	      "compartment 2 reaches its own data");
	check_stacks();

	check(sigaction(SIGUSR1, &sa, NULL) == 0 && raise(SIGUSR1) == 0, "sigaction and raise");
	check(handled == 100 + SIGUSR1, "compartment 1's handler runs in 1");
	check(lib_raise(SIGUSR2) == 200 + SIGUSR2, "compartment 2's handler runs in 2");

	check(pthread_create(&t, NULL, thread_main, NULL) == 0 && pthread_join(t, NULL) == 0,
	      "a thread");
	check(tls == 1, "the thread's TLS was its own");
}

int main(int argc, char **argv)
{
	int local = 0x1133, *heap = malloc(sizeof *heap);

	*heap = 0x1144;
	if (argc == 2 && !strcmp(argv[1], "lib-reads-main-global"))
		return lib_read(&secret);
	if (argc == 2 && !strcmp(argv[1], "lib-writes-main-heap"))
		return lib_write(heap, 1), 0;
	if (argc == 2 && !strcmp(argv[1], "lib-reads-main-stack"))
		return lib_read(&local);
	if (argc == 2 && !strcmp(argv[1], "lib-reads-main-tls"))
		return lib_read(&tls);
	if (argc == 2 && !strcmp(argv[1], "main-reads-lib-heap"))
		return *(volatile int *)lib_heap_block();
	if (argc != 1)
		return 2;
	check_all();
	printf("upstream two: %d failures\n", failures);
	return failures != 0;
}
