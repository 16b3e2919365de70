/* The ways to make a process, each run in the compartment whose copy of
 * this file is called (fork.h): both compartments link one. */
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/pkeyof.h"
#include "fork.h"

extern char **environ;

static int fail(const char *what)
{
	printf("FAIL in compartment %d: %s\n", here, what);
	return 1;
}

/* The status pid ends with: its exit status, or 128 + the signal. */
static int status_of(pid_t pid)
{
	int s;

	if (waitpid(pid, &s, 0) != pid)
		return -1;
	return WIFEXITED(s) ? WEXITSTATUS(s) : 128 + WTERMSIG(s);
}

static int expect_status(pid_t pid, int want, const char *what)
{
	int got = pid < 0 ? -1 : status_of(pid);

	if (got == want)
		return 0;
	printf("%s: status %d, expected %d\n", what, got, want);
	return fail(what);
}

HIDDEN int has_pkey(const void *p, int k)
{
#ifdef FORK_EMULATED
	(void)p, (void)k;
	return 1;
#else
	return pkey_of(p) == k;
#endif
}

/* A thread in each compartment: each returns NULL if its own TLS has
 * its own pkey (fork_main.c, fork_lib.c). */
static int threads_work(void)
{
	int bad = 0;

	for (int c = 1; c <= 2; c++) {
		pthread_t t;
		void *r = (void *)1;
		if (pthread_create(&t, NULL, thread_in(c), NULL) || pthread_join(t, &r) || r)
			bad |= fail(c == 1 ? "a thread in compartment 1" : "a thread in compartment 2");
	}
	return bad;
}

HIDDEN int work_here(void)
{
	int *p = malloc(64 * sizeof *p);
	int bad = 0;

	if (!p)
		return fail("malloc");
	for (int i = 0; i < 64; i++)
		p[i] = i;
	if (!has_pkey(p, here))
		bad |= fail("a block of this compartment's heap");
	free(p);
	bad |= call_other() ? fail("a call into the other compartment") : 0;
	return bad | threads_work();
}

/* The child ends with exit, so its exit handlers and destructors run
 * too, and flushes nothing of its parent's twice. */
static int op_fork(void)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		exit(work_here());
	return expect_status(pid, 0, "fork's child") | work_here();
}

static int op_vfork(void)
{
	pid_t pid = vfork();

	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", "exit 7", (char *)NULL);
		_exit(127);
	}
	return expect_status(pid, 7, "vfork and exec");
}

static int op_system(void)
{
	int s = system("exit 3");

	return WIFEXITED(s) && WEXITSTATUS(s) == 3 ? 0 : fail("system");
}

static int op_popen(void)
{
	char line[16] = "";
	FILE *f = popen("echo ia2", "r");
	int bad = !f || !fgets(line, sizeof line, f) || strcmp(line, "ia2\n");

	if (f && pclose(f))
		bad = 1;
	f = popen("cat >/dev/null", "w");
	if (!f || fputs("to a pipe\n", f) < 0 || pclose(f))
		bad = 1;
	return bad ? fail("popen") : 0;
}

static int op_spawn(int search)
{
	char *argv[] = {"sh", "-c", "exit 5", NULL};
	pid_t pid;
	int err = search ? posix_spawnp(&pid, "sh", NULL, NULL, argv, environ)
			 : posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ);

	return err ? fail("posix_spawn") : expect_status(pid, 5, "posix_spawn");
}

/* The daemon reports on a pipe, as its parent exits inside daemon(). */
static int op_daemon(void)
{
	int fds[2];
	char verdict = 0;
	pid_t pid;
	int bad;

	if (pipe(fds))
		return fail("pipe");
	pid = fork();
	if (pid == 0) {
		close(fds[0]);
		if (daemon(1, 1))
			_exit(1);
		verdict = work_here() ? 'n' : 'y';
		_exit(write(fds[1], &verdict, 1) != 1);
	}
	close(fds[1]);
	bad = expect_status(pid, 0, "daemon's parent");
	if (read(fds[0], &verdict, 1) != 1 || verdict != 'y')
		bad |= fail("the daemon's work");
	close(fds[0]);
	return bad;
}

/* This program again, compartments and all (fork_main.c, exec-target). */
static int op_exec(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		execl("/proc/self/exe", "fork", "exec-target", (char *)NULL);
		_exit(127);
	}
	return expect_status(pid, 0, "fork and exec");
}

HIDDEN int run_op(const char *op)
{
	if (!strcmp(op, "fork"))
		return op_fork();
	if (!strcmp(op, "vfork"))
		return op_vfork();
	if (!strcmp(op, "system"))
		return op_system();
	if (!strcmp(op, "popen"))
		return op_popen();
	if (!strcmp(op, "spawn"))
		return op_spawn(0);
	if (!strcmp(op, "spawnp"))
		return op_spawn(1);
	if (!strcmp(op, "daemon"))
		return op_daemon();
	if (!strcmp(op, "exec"))
		return op_exec();
	return fail(op);
}
