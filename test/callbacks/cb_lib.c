/* Compartment 2, the victim: it holds a secret and triggers the code
 * pointers that compartment 1 handed libc (cb_main.c). */
#include "cb.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int cb_secret = 0x5ec2;

int *cb_secret_address(void)
{
	return &cb_secret;
}

/* %Y is compartment 1's (register_printf_specifier), which gcc's format
 * check does not know. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
void cb_lib_printf(void)
{
	printf("compartment 2 prints %Y\n", 7);
	fflush(stdout);
}

void cb_lib_exit(void)
{
	exit(0);
}

void cb_lib_fork(void)
{
	pid_t pid = fork();
	int status;

	if (pid == 0)
		_exit(0);
	waitpid(pid, &status, 0);
}

static void *set_key(void *key)
{
	pthread_setspecific((pthread_key_t)(uintptr_t)key, &cb_secret);
	return NULL;
}

/* A thread of compartment 2 ends with a value for the key: its
 * destructor runs as the thread ends. */
void cb_lib_thread(pthread_key_t key)
{
	pthread_t t;

	pthread_create(&t, NULL, set_key, (void *)(uintptr_t)key);
	pthread_join(t, NULL);
}

void cb_lib_write(FILE *f)
{
	fputs("written by compartment 2\n", f);
	fflush(f);
}
