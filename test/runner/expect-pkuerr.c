/* ia2-expect-pkuerr [--addr=HEX | --addr-file=PATH] [--follow-forks] CMD [ARGS...]
 *
 * Succeed only if CMD takes a protection-key fault: a SIGSEGV whose si_code
 * is SEGV_PKUERR, which the kernel raises for a pkey violation and nothing
 * else (arch/x86/mm/fault.c). Exiting, any other SIGSEGV (a plain bad
 * pointer is SEGV_MAPERR or SEGV_ACCERR) or any other fatal signal is a
 * failure. With --addr, the fault must also be at that address; with
 * --addr-file, at the address CMD wrote (in hex) to PATH before faulting.
 *
 * CMD runs under ptrace, which sees each signal before CMD's own handlers
 * do, so a test that catches SIGSEGV still counts. Every thread is traced:
 * ia2 faults can happen off the main thread. Processes CMD forks are
 * traced too with --follow-forks, and the first protection-key fault in
 * any of them is the verdict; CMD must not exit first. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SEGV_PKUERR
#define SEGV_PKUERR 4
#endif

static const char *expected_addr;      /* --addr=HEX */
static const char *expected_addr_file; /* --addr-file=PATH */
static int follow_forks;               /* --follow-forks */

static void usage(void) __attribute__((noreturn));

static void usage(void)
{
	fputs("usage: ia2-expect-pkuerr [--addr=HEX | --addr-file=PATH] [--follow-forks] CMD "
	      "[ARGS...]\n", stderr);
	exit(2);
}

static void fail(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void fail(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("expect-pkuerr: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static const char *segv_code_name(int code)
{
	switch (code) {
	case SEGV_MAPERR: return "SEGV_MAPERR";
	case SEGV_ACCERR: return "SEGV_ACCERR";
	default: return "another si_code";
	}
}

/* In the child: stop, so the parent can set tracing options before CMD's
 * first instruction, then become CMD. */
static void exec_traced(char **argv) __attribute__((noreturn));

static void exec_traced(char **argv)
{
	if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) || raise(SIGSTOP)) {
		perror("expect-pkuerr: PTRACE_TRACEME");
		_exit(126);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "expect-pkuerr: %s: %s\n", argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* EXITKILL: CMD must not outlive us (say, when a test harness kills us).
 * TRACECLONE: trace every thread. TRACEEXEC: report exec as an event, not
 * as a SIGTRAP that would look like CMD's own. TRACEFORK, TRACEVFORK: the
 * processes CMD forks, with --follow-forks; each starts with a SIGSTOP,
 * which resume() swallows as it does a new thread's. */
static void set_trace_options(pid_t pid)
{
	long options = PTRACE_O_EXITKILL | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC;

	if (follow_forks)
		options |= PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK;

	if (ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)options))
		fail("PTRACE_SETOPTIONS: %s", strerror(errno));
}

static uintptr_t parse_addr(const char *s, const char *what)
{
	char *end;
	uintmax_t v;

	errno = 0;
	v = strtoumax(s, &end, 16);
	while (*end == '\n' || *end == ' ')
		end++;
	if (errno || end == s || *end)
		fail("%s: not a hex address: \"%s\"", what, s);
	return v;
}

static uintptr_t read_expected_addr(void)
{
	char buf[64];
	size_t n;
	FILE *f = fopen(expected_addr_file, "r");

	if (!f)
		fail("cannot open %s: %s", expected_addr_file, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return parse_addr(buf, expected_addr_file);
}

/* Thread tid stopped with SIGSEGV: the verdict. */
static void judge_segv(pid_t pid, pid_t tid)
{
	siginfo_t si;
	uintptr_t addr;

	if (ptrace(PTRACE_GETSIGINFO, tid, NULL, &si))
		fail("PTRACE_GETSIGINFO: %s", strerror(errno));
	kill(pid, SIGKILL);
	addr = (uintptr_t)si.si_addr;
	/* si_code <= 0: a process sent it, and there is no fault address. */
	if (si.si_code <= 0)
		fail("expected SEGV_PKUERR, got a SIGSEGV sent by process %d (si_code %d)", (int)si.si_pid,
		     si.si_code);
	if (si.si_code != SEGV_PKUERR)
		fail("expected SEGV_PKUERR, got SIGSEGV with %s (si_code %d) at %#" PRIxPTR,
		     segv_code_name(si.si_code), si.si_code, addr);

	if (expected_addr && addr != parse_addr(expected_addr, "--addr"))
		fail("got SEGV_PKUERR at %#" PRIxPTR " (pkey %u), expected it at %s", addr, si.si_pkey,
		     expected_addr);
	if (expected_addr_file && addr != read_expected_addr())
		fail("got SEGV_PKUERR at %#" PRIxPTR " (pkey %u), expected it at the address in %s",
		     addr, si.si_pkey, expected_addr_file);
	printf("expect-pkuerr: got SEGV_PKUERR at %#" PRIxPTR " (pkey %u)\n", addr, si.si_pkey);
	exit(0);
}

/* Resume a stopped thread. Signal-delivery stops pass their signal on,
 * except SIGSTOP: ptrace announces each new thread with one (ptrace(2),
 * PTRACE_O_TRACECLONE), so CMD's own SIGSTOPs are lost too. Event stops
 * (clone, exec) carry SIGTRAP that is not CMD's. */
static void resume(pid_t tid, int status)
{
	int sig = WSTOPSIG(status);

	if (sig == SIGSTOP || status >> 16)
		sig = 0;
	if (ptrace(PTRACE_CONT, tid, NULL, (void *)(long)sig) && errno != ESRCH)
		fail("PTRACE_CONT: %s", strerror(errno));
}

static void trace(pid_t pid, const char *name)
{
	for (;;) {
		int status;
		pid_t tid = waitpid(-1, &status, __WALL);

		if (tid < 0 && errno == EINTR)
			continue;
		if (tid < 0)
			fail("waitpid: %s", strerror(errno));
		if (WIFSTOPPED(status)) {
			if (WSTOPSIG(status) == SIGSEGV && !(status >> 16))
				judge_segv(pid, tid);
			resume(tid, status);
			continue;
		}
		if (tid != pid)
			continue; /* another thread, or a forked process, ended */
		if (WIFEXITED(status))
			fail("%s exited with status %d without a protection-key fault", name,
			     WEXITSTATUS(status));
		fail("%s was killed by signal %d (%s), not by a protection-key fault", name,
		     WTERMSIG(status), strsignal(WTERMSIG(status)));
	}
}

int main(int argc, char **argv)
{
	int i;
	pid_t pid;
	int status;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strncmp(argv[i], "--addr=", 7) == 0)
			expected_addr = argv[i] + 7;
		else if (strncmp(argv[i], "--addr-file=", 12) == 0)
			expected_addr_file = argv[i] + 12;
		else if (strcmp(argv[i], "--follow-forks") == 0)
			follow_forks = 1;
		else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else
			usage();
	}
	if (i == argc)
		usage();
	if (expected_addr)
		parse_addr(expected_addr, "--addr");

	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0)
		exec_traced(argv + i);

	/* The child's raise(SIGSTOP). */
	if (waitpid(pid, &status, 0) < 0)
		fail("waitpid: %s", strerror(errno));
	if (!WIFSTOPPED(status))
		fail("%s did not start under ptrace", argv[i]);
	set_trace_options(pid);
	resume(pid, status);
	trace(pid, argv[i]);
}
