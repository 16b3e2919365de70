/* Compartment 2: the victim, with a secret alone on a page of its data. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "monitor.h"

__attribute__((aligned(4096))) int lib_secret[1024] = {SECRET};

int *lib_secret_address(void)
{
	return lib_secret;
}

int lib_read_secret(void)
{
	return lib_secret[0];
}

int lib_call_back(int (*callback)(const int *))
{
	return callback(lib_secret);
}

void lib_set_secret(int value)
{
	lib_secret[0] = value;
}

static void on_usr2(int sig)
{
	(void)sig;
	lib_secret[1]++;
}

/* A handler of compartment 2's own, so that the kernel holds its signal
 * entry for SIGUSR2. */
void lib_handle_usr2(void)
{
	signal(SIGUSR2, on_usr2);
}

/* Data an attacker aims signal frames at: each word its own index. */
static __attribute__((aligned(4096))) int victim[4 * 1024];

int *lib_victim_address(void)
{
	return victim;
}

void lib_fill_victim(void)
{
	for (int i = 0; i < 4 * 1024; i++)
		victim[i] = i;
}

int lib_victim_intact(void)
{
	for (int i = 0; i < 4 * 1024; i++)
		if (victim[i] != i)
			return 0;
	return 1;
}

/* As a timer's signal may land while compartment 2 runs. */
void lib_raise_usr2(void)
{
	raise(SIGUSR2);
}

int lib_make_socket(void)
{
	return socket(AF_UNIX, SOCK_STREAM, 0);
}

/* A page of shared memory of compartment 2's own (a mapping it made and
 * tagged with its key), which holds the secret too. It is mapped over a
 * reserved page, with MAP_FIXED, so that the monitor sees who mapped it:
 * the filter lets fresh anonymous memory be mapped unseen, and a
 * compartment gives its key only to memory that it is known to own. */
int *lib_shared_secret(void)
{
	int *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	p = mmap(p, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (p == MAP_FAILED || pkey_mprotect(p, 4096, PROT_READ | PROT_WRITE, 2))
		return NULL;
	*p = SECRET;
	return p;
}
