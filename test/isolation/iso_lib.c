/* Compartment 2: reads and writes whatever it is pointed at. */
#include <string.h>
#include "iso.h"

int lib_data = 0x2222;
int lib_bss;
/* Shared by the config's share rule (ia2.conf), not by the source. */
int lib_config_shared = 0x3333;
int lib_config_shared_bss;
const char lib_rodata[] = "compartment 2 rodata";
const char *const lib_relro[] = {lib_rodata, "relro"};
static int *stash;

int lib_read(const int *p) { return *(const volatile int *)p; }
void lib_write(int *p, int v) { *(volatile int *)p = v; }
void lib_stash(int *p) { stash = p; }
void lib_poke_stash(int v) { *(volatile int *)stash = v; }

int lib_copy_in(const void *p, unsigned long n)
{
	static int copy[64];
	/* libc's own memcpy, which the compiler would otherwise inline. */
	void *(*volatile copier)(void *, const void *, size_t) = memcpy;

	copier(copy, p, n < sizeof copy ? n : sizeof copy);
	return copy[0];
}

int lib_tell(iso_listener *cb, void *ctx)
{
	char msg[32] = "compartment 2's message";

	cb(ctx, msg, ISO_WARNING, 7);
	return msg[0];
}

/* The address of a live local: it is on compartment 2's stack. */
int *lib_stack_address(void)
{
	static int *volatile leak;
	int local = 5;
	leak = &local;
	lib_write(leak, 6);
	return leak;
}

int lib_read_rodata(const char *p) { return p[0]; }
