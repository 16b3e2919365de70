/* ia2-expect-pkuerr [--addr=HEX | --addr-file=PATH] [--follow-forks] CMD [ARGS...]
 *
 * Succeed only if CMD takes a protection-key fault: a SIGSEGV whose si_code
 * is SEGV_PKUERR, which the kernel raises for a pkey violation and nothing
 * else (arch/x86/mm/fault.c). Exiting, any other SIGSEGV (a plain bad
 * pointer is SEGV_MAPERR or SEGV_ACCERR) or any other fatal signal is a
 * failure. With --addr, the fault must also be at that address; with
 * --addr-file, at the address CMD wrote (in hex) to PATH before faulting.
 *
 * The verdict comes from the log that ia2's syscall monitor writes to the
 * file named by IA2_FAULT_LOG, a line "pkuerr PID ADDRESS PKEY" for each
 * SEGV_PKUERR it sees delivered (libia2/supervisor.c): the monitor traces
 * every thread of a compartmentalized program, before the program's own
 * handlers run, so a test that catches SIGSEGV still counts. A program
 * without ia2 can write the same line itself (pkey-selftest does). The
 * first fault of CMD itself, or with --follow-forks of any process it
 * starts, is the verdict, once CMD has ended.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

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

/* The first record of the log that counts: CMD's own, or with
 * --follow-forks any process's. */
static int first_fault(FILE *log, pid_t pid, uintptr_t *addr, unsigned *pkey)
{
	char line[128];
	int who;

	rewind(log);
	while (fgets(line, sizeof line, log))
		if (sscanf(line, "pkuerr %d %" SCNxPTR " %u", &who, addr, pkey) == 3 &&
		    (follow_forks || who == pid))
			return 1;
	return 0;
}

static void judge(FILE *log, pid_t pid, int status, const char *name)
{
	uintptr_t addr;
	unsigned pkey;

	if (!first_fault(log, pid, &addr, &pkey)) {
		if (WIFEXITED(status))
			fail("%s exited with status %d without a protection-key fault", name,
			     WEXITSTATUS(status));
		fail("%s was killed by signal %d (%s), not by a protection-key fault", name,
		     WTERMSIG(status), strsignal(WTERMSIG(status)));
	}
	if (expected_addr && addr != parse_addr(expected_addr, "--addr"))
		fail("got SEGV_PKUERR at %#" PRIxPTR " (pkey %u), expected it at %s", addr, pkey,
		     expected_addr);
	if (expected_addr_file && addr != read_expected_addr())
		fail("got SEGV_PKUERR at %#" PRIxPTR " (pkey %u), expected it at the address in %s",
		     addr, pkey, expected_addr_file);
	printf("expect-pkuerr: got SEGV_PKUERR at %#" PRIxPTR " (pkey %u)\n", addr, pkey);
	exit(0);
}

int main(int argc, char **argv)
{
	int i, logfd, status;
	pid_t pid;
	char path[64];
	FILE *log;

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

	/* The log is a memfd that the monitor opens by its /proc path. */
	logfd = memfd_create("ia2-fault-log", 0);
	if (logfd < 0 || !(log = fdopen(logfd, "r")))
		fail("memfd_create: %s", strerror(errno));
	snprintf(path, sizeof path, "/proc/%d/fd/%d", (int)getpid(), logfd);
	setenv("IA2_FAULT_LOG", path, 1);
	pid = fork();
	if (pid < 0)
		fail("fork: %s", strerror(errno));
	if (pid == 0) {
		close(logfd);
		execvp(argv[i], argv + i);
		fprintf(stderr, "expect-pkuerr: %s: %s\n", argv[i], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			fail("waitpid: %s", strerror(errno));
	judge(log, pid, status, argv[i]);
}
