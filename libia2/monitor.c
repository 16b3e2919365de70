/* The syscall monitor's start: libia2 starts a supervisor process that
 * traces this one, before the syscall filter hands it the calls it
 * decides (docs/design.md, "The syscall monitor").
 *
 * The supervisor is a grandchild: its parent exits at once, so it is no
 * child this program could wait for, and it attaches to the program with
 * PTRACE_SEIZE. Linux lets a process trace its ancestor only if Yama
 * allows it (Documentation/admin-guide/LSM/Yama.rst): with
 * ptrace_scope 1 the program names its tracer with PR_SET_PTRACER, and
 * with 2 or 3 no monitor can start. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime.h"

/* IA2_MONITOR=on (the default), permissive or off. */
static enum monitor_mode monitor_wanted(void)
{
	const char *v = getenv("IA2_MONITOR");

	if (!v || !strcmp(v, "on"))
		return MONITOR_ON;
	if (!strcmp(v, "permissive")) {
		say("warning: IA2_MONITOR=permissive: the syscall monitor reports the calls it "
		    "would deny and lets them run; for porting, never for production");
		return MONITOR_PERMISSIVE;
	}
	if (strcmp(v, "off"))
		die("IA2_MONITOR is '%s': it takes 'on' (the default), 'permissive' or 'off'", v);
	say("warning: IA2_MONITOR=off: compartments may map, protect and unmap each other's "
	    "memory, and return from forged signal frames (docs/usage.md, \"Syscalls\")");
	return MONITOR_OFF;
}

/* The text of /proc/PID/NAME, NUL-terminated; false if unreadable. */
bool read_proc(pid_t pid, const char *name, char *buf, size_t size)
{
	char path[64];
	int fd;
	ssize_t n;

	format_to(path, sizeof path, "/proc/%d/%s", pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, size - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return true;
}

bool read_remote(pid_t pid, uintptr_t at, void *buf, size_t n)
{
	struct iovec local = {buf, n}, remote = {(void *)at, n};

	return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)n;
}

/* The number after `field` ("Tgid:") in /proc/PID/status, in `base`;
 * `otherwise` if there is none. */
unsigned long status_field(pid_t pid, const char *field, int base, unsigned long otherwise)
{
	char buf[2048], *p;

	if (!read_proc(pid, "status", buf, sizeof buf) || !(p = strstr(buf, field)))
		return otherwise;
	return strtoul(p + strlen(field), NULL, base);
}

/* Whether the process that traces this one is a monitor: a program that
 * a compartmentalized program executes stays traced by its monitor. */
static bool traced_by_monitor(pid_t pid)
{
	char comm[32];

	return read_proc(pid, "comm", comm, sizeof comm) && !strcmp(comm, SUPERVISOR_NAME "\n");
}

/* The grandchild: wait to be named tracer, attach, tell the program. */
static __attribute__((noreturn)) void run_supervisor(pid_t program, int named, int ready)
{
	struct sigaction ignore = {.sa_handler = SIG_IGN};
	char c;

	setsid();   /* the terminal's signals are the program's, not its monitor's */
	/* A closed stderr must not kill it, and with it the program. */
	__ia2_ro.s.libc_sigaction(SIGPIPE, &ignore, NULL);
	prctl(PR_SET_NAME, SUPERVISOR_NAME);
	/* No process of the same user may then trace it, or open its
	 * /proc/PID/mem (ptrace_may_access checks dumpability): a
	 * compartment cannot rewrite its monitor. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (read(named, &c, 1) != 1)
		_exit(1);
	close(named);
	attach_supervisor(program);
	if (write(ready, "", 1) != 1)
		_exit(1);
	/* Only stderr, for its reports: the program's pipes must close when
	 * the program ends. */
	close_range(3, ~0u, 0);
	dup2(open("/dev/null", O_RDWR | O_CLOEXEC), 0);
	dup2(0, 1);
	supervise();
}

pid_t raw_fork(void)
{
	return (pid_t)syscall(SYS_fork);
}

static void spawn_supervisor(void)
{
	int named[2], ready[2];
	pid_t self = getpid(), child, supervisor = 0;
	char c;

	if (pipe2(named, O_CLOEXEC) || pipe2(ready, O_CLOEXEC))
		die("cannot start the syscall monitor: pipe: %s", strerrorname_np(errno));
	child = raw_fork();
	if (child < 0)
		die("cannot start the syscall monitor: fork: %s", strerrorname_np(errno));
	if (!child) {
		pid_t g = raw_fork();
		if (!g)
			run_supervisor(self, named[0], ready[1]);
		if (g < 0 || write(ready[1], &g, sizeof g) != sizeof g)
			_exit(1);
		_exit(0);
	}
	close(named[0]);
	if (read(ready[0], &supervisor, sizeof supervisor) != sizeof supervisor)
		die("cannot start the syscall monitor: its process did not start");
	waitpid(child, NULL, 0);
	close(ready[1]);
	/* EINVAL: no Yama, and ptrace's own rules already let it attach. */
	if (prctl(PR_SET_PTRACER, supervisor, 0, 0, 0) && errno != EINVAL)
		die("cannot start the syscall monitor: PR_SET_PTRACER: %s", strerrorname_np(errno));
	if (write(named[1], "", 1) != 1 || read(ready[0], &c, 1) != 1)
		die("cannot start the syscall monitor: it could not trace this process (is "
		    "/proc/sys/kernel/yama/ptrace_scope 2 or 3?); IA2_MONITOR=off runs without it");
	prctl(PR_SET_PTRACER, 0, 0, 0, 0);
	close(named[1]);
	close(ready[0]);
}

/* In the startup state, just before the syscall filter is installed (so
 * the supervisor runs without it; syscall_filter.c), while __ia2_ro is
 * writable. */
void start_monitor(void)
{
	char probe[16];
	pid_t t;

	__ia2_ro.s.monitor = monitor_wanted();
	if (getenv("IA2_AUDIT") && __ia2_ro.s.monitor == MONITOR_OFF)
		die("IA2_AUDIT needs the syscall monitor, which IA2_MONITOR=off turns off");
	if (__ia2_ro.s.monitor == MONITOR_OFF)
		return;
	if (getenv("IA2_AUDIT")) {
		say("warning: IA2_AUDIT=%s: every protection-key fault is let through once and "
		    "its rule written there; for porting, never for production", getenv("IA2_AUDIT"));
		check_audit_file(getenv("IA2_AUDIT"));
		__ia2_ro.s.audit = 1;
		set_up_alloc_log();
	}
	if (!read_proc(getpid(), "status", probe, sizeof probe))
		die("cannot read /proc/self/status, which the syscall monitor needs: mount /proc");
	t = (pid_t)status_field(getpid(), "\nTracerPid:", 10, 0);
	if (t && traced_by_monitor(t)) {
		say("warning: this program was started by a compartmentalized program, whose "
		    "syscall monitor checks it as a program without compartments");
		__ia2_ro.s.monitor = MONITOR_OFF;
		return;
	}
	if (t)
		die("process %d traces this program (a debugger?), so the syscall monitor cannot; "
		    "IA2_MONITOR=off runs without the monitor (docs/usage.md, \"Syscalls\")", t);
	spawn_supervisor();
}
