/* Compartment 1 of the TLS test. `tls CASE [thread]`, in the main thread
 * or, with `thread`, in a new one:
 *  - pkeys: every page of each compartment DSO's TLS block has its
 *    compartment's pkey (from /proc/self/smaps); the thread control block
 *    (%fs:0, with the stack canary), the DTV and libc's block (errno)
 *    stay pkey 0; each compartment reads and writes its own TLS;
 *  - main-reads-lib-tls, main-writes-lib-tls, lib-reads-main-tls: must
 *    die with SEGV_PKUERR (run under ia2-expect-pkuerr). */
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "../common/pkeyof.h"
#include "tls.h"

__thread int main_tdata = 11;
__thread int main_tbss;

static int failures;

static void expect(int ok, const char *what)
{
	if (!ok) {
		printf("FAIL: %s\n", what);
		failures++;
	}
}

/* The DSOs whose TLS block must carry a pkey: the main program (1) and
 * libtls.so (2). */
static int expected_pkey(const char *name)
{
	if (!name[0])
		return 1;
	return strstr(name, "libtls.so") ? 2 : 0;
}

static int check_block(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size, (void)arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		char *lo = info->dlpi_tls_data;
		int want = expected_pkey(info->dlpi_name);
		if (ph->p_type != PT_TLS || !lo || strstr(info->dlpi_name, "libia2"))
			continue;
		if (want)
			expect(((unsigned long)lo & 4095) == 0 && (ph->p_memsz & 4095) == 0,
			       "a compartment's TLS block fills whole pages");
		for (unsigned long off = 0; off < ph->p_memsz; off += 4096)
			if (pkey_of(lo + off) != want) {
				printf("FAIL: %s: TLS page at %p has pkey %d, expected %d\n",
				       info->dlpi_name[0] ? info->dlpi_name : "main program", lo + off,
				       pkey_of(lo + off), want);
				failures++;
			}
	}
	return 0;
}

static void *thread_pointer(void)
{
	void *tp;

	__asm__("mov %%fs:0, %0" : "=r"(tp));
	return tp;
}

static void check_pkeys(void)
{
	dl_iterate_phdr(check_block, NULL);
	expect(pkey_of(thread_pointer()) == 0, "the TCB (%fs:0, stack canary) has pkey 0");
	expect(pkey_of(&errno) == 0, "libc's TLS (errno) has pkey 0");
	expect(pkey_of(&main_tdata) == 1 && pkey_of(&main_tbss) == 1, "compartment 1's TLS");
	expect(pkey_of(lib_tdata()) == 2 && pkey_of(lib_tbss()) == 2 && pkey_of(lib_aligned()) == 2,
	       "compartment 2's TLS");
	expect(main_tdata == 11 && main_tbss == 0, "compartment 1's TLS starts initialized");
	main_tbss = 5;
	expect(main_tbss == 5, "compartment 1 writes its TLS");
	expect(lib_own_tls(7), "compartment 2 reads and writes its TLS");
}

static const char *the_case;

static void *run(void *unused)
{
	(void)unused;
	if (!strcmp(the_case, "pkeys")) {
		check_pkeys();
		return NULL;
	}
	printf("tls: %s\n", the_case);
	fflush(stdout);
	if (!strcmp(the_case, "main-reads-lib-tls"))
		failures = *(volatile int *)lib_tdata();
	else if (!strcmp(the_case, "main-writes-lib-tls"))
		*(volatile int *)lib_tbss() = 1;
	else if (!strcmp(the_case, "lib-reads-main-tls"))
		failures = lib_read(&main_tdata);
	else
		failures = 100;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "thread"))) {
		fprintf(stderr, "usage: tls pkeys|main-reads-lib-tls|main-writes-lib-tls|"
				"lib-reads-main-tls [thread]\n");
		return 2;
	}
	the_case = argv[1];
	if (argc == 3) {
		if (pthread_create(&t, NULL, run, NULL) || pthread_join(t, NULL))
			return 3;
	} else {
		run(NULL);
	}
	printf("%s: %d failures\n", failures ? "FAIL" : "PASS", failures);
	return failures != 0;
}
