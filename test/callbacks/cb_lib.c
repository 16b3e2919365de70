/* Compartment 2, the victim: it holds a secret and triggers the code
 * pointers that compartment 1 handed libc (cb_main.c). */
#include "cb.h"

#include <aio.h>
#include <argp.h>
#include <errno.h>
#include <error.h>
#include <fcntl.h>
#include <mqueue.h>
#include <obstack.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
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

static sem_t fired;

static void lib_fired(union sigval v)
{
	(void)v;
	sem_post(&fired);
}

static void wait_fired(void)
{
	while (sem_wait(&fired))
		;
}

void cb_lib_timer(void)
{
	struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = lib_fired};
	struct itimerspec once = {.it_value = {0, 1}};
	timer_t t;

	sem_init(&fired, 0, 0);
	if (timer_create(CLOCK_MONOTONIC, &ev, &t) || timer_settime(t, 0, &once, NULL)) {
		perror("compartment 2's timer");
		exit(4);
	}
	wait_fired();
	timer_delete(t);
}

void cb_lib_queue(const char *name)
{
	struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = 8};
	struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = lib_fired};
	mqd_t q = mq_open(name, O_CREAT | O_RDWR, 0600, &attr);
	char m[8];

	sem_init(&fired, 0, 0);
	if (q == (mqd_t)-1 || mq_notify(q, &ev) || mq_send(q, "2", 1, 0)) {
		perror("compartment 2's queue");
		exit(4);
	}
	wait_fired();
	mq_receive(q, m, sizeof m, NULL);
	mq_close(q);
	mq_unlink(name);
}

int cb_lib_value(void)
{
	return 2;
}

void cb_lib_error(void)
{
	error(0, EACCES, "compartment 2's message %d", 2);
	error_at_line(0, 0, "file.c", 7, "at a line");
}

/* A chunk function that gives the first chunk only. */
static void *first_chunk_only(long size)
{
	static int calls;

	return calls++ ? NULL : malloc((size_t)size);
}

void cb_lib_obstack(void)
{
	struct obstack o;

	obstack_specify_allocation(&o, 0, 0, first_chunk_only, free);
	obstack_blank(&o, 1 << 20);
	puts("the obstack grew without a second chunk");
}

void cb_lib_version(void)
{
	static const struct argp argp = {0};
	char *argv[] = {"callbacks", "--version", NULL};

	argp_parse(&argp, 2, argv, 0, NULL, NULL);
	puts("argp_parse returned");
}

void cb_lib_aio(void)
{
	static char buf[8];
	struct aiocb cb = {.aio_fildes = open("/proc/self/stat", O_RDONLY), .aio_buf = buf,
			   .aio_nbytes = sizeof buf, .aio_sigevent.sigev_notify = SIGEV_NONE};
	const struct aiocb *list[] = {&cb};

	if (cb.aio_fildes < 0 || aio_read(&cb)) {
		perror("compartment 2's aio_read");
		exit(4);
	}
	while (aio_error(&cb) == EINPROGRESS)
		aio_suspend(list, 1, NULL);
	close(cb.aio_fildes);
}
