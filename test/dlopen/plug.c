#define _GNU_SOURCE
#include "plug.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int plug_secret = 0x5ec;
static int initialized;
static __thread int tls_value = 7;
static volatile int handled;

/* Writes the plugin's own .bss: this faults unless the constructor runs in
 * the plugin's compartment, after libia2 tagged its memory. */
__attribute__((constructor)) static void plug_init(void)
{
	initialized = 42;
}

int plug_initialized(void) { return initialized; }
int plug_add(int a, int b) { return a + b + plug_secret - 0x5ec; }
int plug_call(int (*cb)(int), int x) { return cb(x) + 1; }
void plug_write(int *p) { *p = 1; }

int plug_tls_swap(int v)
{
	int old = tls_value;

	tls_value = v;
	return old;
}

int *plug_tls_addr(void) { return &tls_value; }

/* Increments the plugin's own data, so it must run in the plugin's
 * compartment. Installed by compartment 1, it does only if libia2 knows
 * that the dlopen'd code is the plugin's (dso.c, list_code). */
void plug_on_signal(int sig)
{
	volatile char scratch[512];

	(void)sig;
	for (size_t i = 0; i < sizeof scratch; i++)
		scratch[i] = 0;
	handled += 1 + scratch[0];
}

/* Raises sig with live frames on compartment 2's stack. Had libia2 taken
 * the handler for compartment 1's, its gate would have run the handler
 * from the top of compartment 2's stack, over these frames. */
int plug_raise_deep(int sig)
{
	volatile unsigned char canary[1024];
	int ok = 1;

	for (size_t i = 0; i < sizeof canary; i++)
		canary[i] = 0xab;
	raise(sig);
	for (size_t i = 0; i < sizeof canary; i++)
		ok &= canary[i] == 0xab;
	return ok;
}

void plug_install_handler(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = plug_on_signal;
	sigaction(sig, &sa, NULL);
}

int plug_handled(void) { return handled; }

void *plug_load(const char *file)
{
	return dlopen(file, RTLD_NOW);
}

/* The plugin's attack on whoever loaded it: code that the plugin maps
 * over its own gate, whose address compartment 1 took from dlsym, would
 * run with compartment 1's rights when it calls the gate. Any code does
 * to show it; the first page of the plugin's file is at hand. */
int plug_map_over(void *code)
{
	Dl_info info;
	void *page = (void *)((unsigned long)code & ~4095ul);
	int fd;

	if (!dladdr(code, &info) || (fd = open(info.dli_fname, O_RDONLY)) < 0)
		return -1;
	return mmap(page, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, fd, 0) == page ? 0 : -1;
}

char plug_scratch[512];

void plug_read_target(int sig)
{
	const char *target = getenv("DL_GADGET_TARGET");
	volatile int *p = target ? (volatile int *)strtoul(target, NULL, 16) : NULL;

	(void)sig;
	if (!p)
		_exit(2);
	printf("read the secret at %p: %#x\n", (void *)p, *p);
	fflush(stdout);
	_exit(0);
}
