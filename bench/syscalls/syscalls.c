/* Nanoseconds per call of a few syscalls, for bench/syscall-cost.sh: the
 * same program built with ia2-cc (one compartment, so the syscall filter
 * and monitor run) and with plain cc. With an argument, a second thread
 * spins while the calls run, which the monitor holds at each open. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 2000

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e9 + t.tv_nsec;
}

static void bench_getpid(void)
{
	syscall(SYS_getpid);
}

static void bench_read(void)
{
	static char buf[4096];
	static int fd = -1;

	if (fd < 0)
		fd = open("/dev/zero", O_RDONLY);
	if (read(fd, buf, sizeof buf) != sizeof buf)
		perror("read");
}

static void bench_mmap(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	*(volatile char *)p = 1;
	munmap(p, 4096);
}

static void bench_open(void)
{
	close(open("/dev/null", O_RDONLY));
}

static volatile int handled;

static void count(int sig)
{
	(void)sig;
	handled++;
}

/* A signal that a handler takes: with ia2 the handler is compartment
 * 1's, so the monitor sees the delivery, the frame's setup and the
 * handler's rt_sigreturn. */
static void bench_signal(void)
{
	if (!handled)
		signal(SIGUSR1, count);
	raise(SIGUSR1);
}

static void run(const char *name, void (*call)(void))
{
	double t;

	call();
	t = now();
	for (int i = 0; i < ROUNDS; i++)
		call();
	printf("%s %.0f\n", name, (now() - t) / ROUNDS);
}

static volatile int spinning = 1;

static void *spin(void *arg)
{
	(void)arg;
	while (spinning)
		;
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	(void)argv;
	if (argc > 1)
		pthread_create(&t, NULL, spin, NULL);
	run("getpid", bench_getpid);
	run("read-4KiB", bench_read);
	run("mmap+munmap", bench_mmap);
	run("open+close", bench_open);
	run("signal", bench_signal);
	if (argc > 1) {
		spinning = 0;
		pthread_join(t, NULL);
	}
	return 0;
}
