/* Compartment 2: the victim, with a secret alone on a page of its data. */
#include <signal.h>
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

int lib_make_socket(void)
{
	return socket(AF_UNIX, SOCK_STREAM, 0);
}
