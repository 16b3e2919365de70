/* ia2-vminit: PID 1 of the PKU test VM (see README.md).
 *
 * ia2-pkurun boots a kernel on QEMU's "max" CPU, which implements protection
 * keys, and exports the host's root filesystem over virtio-9p. This init
 * mounts that filesystem, chroots into it and runs the one command described
 * by the request file named on the kernel command line, so the command sees
 * the host's paths, working directory, environment and credentials. It
 * writes the command's exit status next to the request and powers off.
 *
 * The request file ("ia2.req=PATH", a host path) holds NUL-terminated
 * strings: cwd, uid, gid, argc, argv[0..argc), then the environment. The
 * status file (PATH.status) holds the exit status in shell convention: the
 * exit code, or 128 + the signal that killed the command. Any failure here
 * is printed to the console and leaves no status file, which ia2-pkurun
 * reports as a runner error; it can never read as a pass. */
#include <cpuid.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define MODULES "/modules"
#define HOST "/host"
#define HOST_MOUNT_TAG "hostroot"

/* msize 512000 is the largest a virtio 9p channel carries in Linux 6.1
 * (PAGE_SIZE * (VIRTQUEUE_NUM - 3)); larger messages mean fewer round trips
 * through the emulated device. cache=loose lets the guest keep pages and
 * dentries: while the VM runs, nothing on the host changes the files. */
#define HOST_MOUNT_OPTIONS "trans=virtio,version=9p2000.L,msize=512000,cache=loose"

struct request {
	char *cwd;
	uid_t uid;
	gid_t gid;
	char **argv;
	char **envp;
	unsigned watchdog;   /* seconds; 0: none */
};

extern char **environ;

static void power_off(void) __attribute__((noreturn));

static void power_off(void)
{
	sync();
	/* The UART may still hold the command's last output. */
	tcdrain(STDOUT_FILENO);
	reboot(RB_POWER_OFF);
	/* Only reached if ACPI power-off failed. PID 1 exiting panics the
	 * kernel, and with panic=-1 and QEMU's -no-reboot that ends QEMU too. */
	fprintf(stderr, "ia2-vminit: reboot(RB_POWER_OFF): %s\n", strerror(errno));
	exit(1);
}

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ia2-vminit: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	power_off();
}

/* The kernel's log, opened with the console; -1 if it could not be. */
static int kmsg = -1;

/* A line in the kernel's log, at KERN_WARNING so that the kernel's
 * console (loglevel=5) shows it: when a VM hangs below vminit, the last
 * of these says how far it got. */
static void log_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void log_progress(const char *fmt, ...)
{
	char line[256];
	int n = snprintf(line, sizeof line, "<4>ia2-vminit: ");
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - n, fmt, ap);
	va_end(ap);
	if (write(kmsg, line, strlen(line)) < 0)
		return; /* progress is a diagnostic: a lost line fails nothing */
}

static void make_dir(const char *path)
{
	if (mkdir(path, 0755) && errno != EEXIST)
		die("mkdir %s: %s", path, strerror(errno));
}

static void mount_fs(const char *source, const char *target, const char *type, const char *options)
{
	make_dir(target);
	if (mount(source, target, type, 0, options))
		die("mount %s on %s: %s", type, target, strerror(errno));
}

/* The command's output is the first serial port; the kernel's console
 * (/dev/console) is the second, which ia2-pkurun shows only when the VM
 * gives no status. The command must not read the port (nothing types
 * there), so stdin is /dev/null. */
static void open_console(void)
{
	int console, null;
	struct termios t;

	mount_fs("devtmpfs", "/dev", "devtmpfs", NULL);
	console = open("/dev/ttyS0", O_RDWR | O_NOCTTY);
	null = open("/dev/null", O_RDONLY);
	if (console < 0 || null < 0 || dup2(null, 0) < 0 || dup2(console, 1) < 0 || dup2(console, 2) < 0)
		die("open /dev/ttyS0 and /dev/null: %s", strerror(errno));
	kmsg = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (console > 2)
		close(console);
	if (null > 2)
		close(null);

	/* Without OPOST the tty passes bytes through: ONLCR would otherwise turn
	 * every "\n" of the command's output into "\r\n" on the host. */
	if (tcgetattr(1, &t) == 0) {
		t.c_oflag &= ~OPOST;
		if (tcsetattr(1, TCSANOW, &t))
			die("set the console's output to raw: %s", strerror(errno));
	}
}

/* The bundled modules are named NN-name.ko, NN in load order (dependencies
 * first, as modprobe --show-depends lists them). */
static int is_module(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return n > 3 && strcmp(d->d_name + n - 3, ".ko") == 0;
}

static void load_modules(void)
{
	struct dirent **names;
	int n = scandir(MODULES, &names, is_module, alphasort);

	if (n < 0)
		die("scandir %s: %s", MODULES, strerror(errno));
	for (int i = 0; i < n; i++) {
		char path[512];
		int fd;

		snprintf(path, sizeof(path), "%s/%s", MODULES, names[i]->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			die("open %s: %s", path, strerror(errno));
		if (syscall(SYS_finit_module, fd, "", 0) && errno != EEXIST)
			die("load module %s: %s", path, strerror(errno));
		close(fd);
		free(names[i]);
	}
	free(names);
}

/* CPUID.(EAX=7,ECX=0):ECX bit 3 is PKU (the CPU has protection keys), bit 4
 * OSPKE (the kernel set CR4.PKE). Checked so that a QEMU or kernel without
 * them fails loudly here instead of letting tests run unprotected. */
static void require_pku(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(c & (1u << 3)))
		die("the VM's CPU has no PKU (QEMU's -cpu max should have it)");
	if (!(c & (1u << 4)))
		die("the VM kernel did not enable PKU (CR4.PKE is clear)");
}

/* Everything the command expects of a Linux system, on top of the host's
 * root: the host's own /proc, /sys and /dev describe the host, not the VM. */
static void mount_host(void)
{
	mount_fs(HOST_MOUNT_TAG, HOST, "9p", HOST_MOUNT_OPTIONS);
	mount_fs("proc", HOST "/proc", "proc", NULL);
	mount_fs("sysfs", HOST "/sys", "sysfs", NULL);
	mount_fs("devtmpfs", HOST "/dev", "devtmpfs", NULL);
	mount_fs("tmpfs", HOST "/dev/shm", "tmpfs", "mode=1777");
	if (chroot(HOST) || chdir("/"))
		die("chroot %s: %s", HOST, strerror(errno));
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0;

	if (!f)
		die("open %s: %s", path, strerror(errno));
	*len = 0;
	for (;;) {
		if (*len == cap) {
			cap = cap ? 2 * cap : 4096;
			buf = realloc(buf, cap + 1);
			if (!buf)
				die("out of memory reading %s", path);
		}
		size_t n = fread(buf + *len, 1, cap - *len, f);
		if (n == 0)
			break;
		*len += n;
	}
	if (ferror(f))
		die("read %s: %s", path, strerror(errno));
	fclose(f);
	buf[*len] = '\0';
	return buf;
}

/* The value of "key=value" on the kernel command line. Values cannot hold
 * spaces; ia2-pkurun makes sure its request path has none. */
static char *kernel_param(const char *key)
{
	size_t len, keylen = strlen(key);
	char *cmdline = read_file("/proc/cmdline", &len);

	for (char *p = strtok(cmdline, " \n"); p; p = strtok(NULL, " \n"))
		if (strncmp(p, key, keylen) == 0 && p[keylen] == '=')
			return p + keylen + 1;
	die("no %s= on the kernel command line (boot this through ia2-pkurun)", key);
}

static long parse_number(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 0)
		die("bad %s in the request: \"%s\"", what, s);
	return v;
}

/* Split the request's NUL-terminated strings into a NULL-terminated
 * array, and carve out cwd, ids, argv and envp. */
static void read_request(const char *path, struct request *r)
{
	size_t len, n = 0;
	char *buf = read_file(path, &len);
	char **s;
	long argc;

	for (size_t i = 0; i < len; i++)
		n += buf[i] == '\0';
	if (n < 5 || buf[len - 1] != '\0')
		die("%s: truncated request", path);
	s = calloc(n + 1, sizeof(*s));
	if (!s)
		die("out of memory reading %s", path);
	for (size_t i = 0, k = 0; k < n; i += strlen(buf + i) + 1)
		s[k++] = buf + i;

	r->cwd = s[0];
	r->uid = parse_number(s[1], "uid");
	r->gid = parse_number(s[2], "gid");
	argc = parse_number(s[3], "argc");
	if (argc < 1 || (size_t)argc > n - 4)
		die("%s: bad argc %ld", path, argc);
	r->argv = calloc(argc + 1, sizeof(char *));
	if (!r->argv)
		die("out of memory reading %s", path);
	memcpy(r->argv, s + 4, argc * sizeof(char *));
	r->envp = s + 4 + argc;
}

/* In the child: become the caller (same directory, ids, environment) and
 * exec. Failures use the shell's codes: 127 command not found, 126 not
 * executable, and 125 for the runner's own setup. */
static void exec_request(const struct request *r) __attribute__((noreturn));

static void exec_request(const struct request *r)
{
	if (chdir(r->cwd)) {
		fprintf(stderr, "ia2-vminit: chdir %s: %s\n", r->cwd, strerror(errno));
		_exit(125);
	}
	if ((r->uid || r->gid) && (setgroups(1, &r->gid) || setgid(r->gid) || setuid(r->uid))) {
		fprintf(stderr, "ia2-vminit: become uid %d gid %d: %s\n", (int)r->uid, (int)r->gid,
			strerror(errno));
		_exit(125);
	}
	/* execvp searches the PATH of environ, so the caller's PATH applies. */
	environ = r->envp;
	execvp(r->argv[0], r->argv);
	fprintf(stderr, "ia2-vminit: %s: %s\n", r->argv[0], strerror(errno));
	_exit(errno == ENOENT ? 127 : 126);
}

/* Print each line of DIR/NAME that starts with `key` (every line if key
 * is ""), prefixed with `label`. */
static void show_proc_lines(const char *dir, const char *name, const char *key, const char *label)
{
	char path[128], line[512];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, key, strlen(key)))
			fprintf(stderr, "%s%s", label, line);
	fclose(f);
}

/* One thread: where it is in the kernel (its state, its syscall, its
 * kernel stack: /proc/PID/task/TID/{status,syscall,stack}, the last
 * needs root, which PID 1 is). */
static void show_thread(const char *dir)
{
	show_proc_lines(dir, "status", "State:", "    ");
	show_proc_lines(dir, "status", "TracerPid:", "    ");
	show_proc_lines(dir, "status", "SigPnd:", "    ");
	show_proc_lines(dir, "status", "SigBlk:", "    ");
	show_proc_lines(dir, "syscall", "", "    syscall: ");
	show_proc_lines(dir, "stack", "", "      ");
}

static int is_pid(const struct dirent *d)
{
	return d->d_name[0] >= '1' && d->d_name[0] <= '9';
}

/* The process's name and parent, from /proc/PID/stat. */
static int parent_of(int pid, char *comm)
{
	char path[64];
	int ppid = 0;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (f && fscanf(f, "%*d (%63[^)]) %*c %d", comm, &ppid) != 2)
		ppid = 0;
	if (f)
		fclose(f);
	return ppid;
}

/* Every user process and its threads; kernel threads (kthreadd, pid 2,
 * and its children) and PID 1 are left out. */
static void show_processes(void)
{
	struct dirent **pids;
	int n = scandir("/proc", &pids, is_pid, NULL);

	for (int i = 0; i < n; i++) {
		int pid = atoi(pids[i]->d_name), ppid, m;
		char dir[64], comm[64] = "?";
		struct dirent **tids;

		free(pids[i]);
		ppid = parent_of(pid, comm);
		if (pid <= 2 || ppid == 2)
			continue;
		fprintf(stderr, "  process %d (%s), parent %d\n", pid, comm, ppid);
		snprintf(dir, sizeof dir, "/proc/%d/task", pid);
		m = scandir(dir, &tids, is_pid, alphasort);
		for (int k = 0; k < m; k++) {
			int tid = atoi(tids[k]->d_name);
			char t[96];

			free(tids[k]);
			snprintf(t, sizeof t, "/proc/%d/task/%d", pid, tid);
			fprintf(stderr, "   thread %d\n", tid);
			show_thread(t);
		}
		if (m >= 0)
			free(tids);
	}
	if (n >= 0)
		free(pids);
}

static volatile sig_atomic_t watchdog_fired;

static void on_watchdog(int sig)
{
	(void)sig;
	watchdog_fired = 1;
}

/* A command that hangs would leave the host only "the VM did not
 * finish". Shortly before the host gives up (ia2.watchdog= seconds,
 * from ia2-pkurun), say where every thread of the VM waits, and end
 * without a status: the run still fails. SA_RESTART is left out so that
 * the alarm interrupts wait(). */
static void arm_watchdog(unsigned seconds)
{
	struct sigaction sa = {.sa_handler = on_watchdog};

	sigaction(SIGALRM, &sa, NULL);
	alarm(seconds);
}

static void report_hang(const char *name)
{
	log_progress("%s is still running at the watchdog", name);
	fprintf(stderr, "ia2-vminit: %s is still running; where the VM's threads are:\n", name);
	show_processes();
	die("gave up on %s", name);
}

/* As PID 1 we also inherit every orphan in the VM: reap them until the
 * command itself ends. */
static int wait_for(pid_t pid, const char *name)
{
	int status;

	for (;;) {
		pid_t p = wait(&status);
		if (p < 0 && errno == EINTR && watchdog_fired)
			report_hang(name);
		if (p < 0 && errno == EINTR)
			continue;
		if (p < 0)
			die("wait: %s", strerror(errno));
		if (p == pid)
			break;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	/* A shell would say this; the host only sees the number. */
	fprintf(stderr, "ia2-vminit: %s killed by signal %d (%s)\n", name, WTERMSIG(status),
		strsignal(WTERMSIG(status)));
	return 128 + WTERMSIG(status);
}

static int run(const struct request *r)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0)
		exec_request(r);
	log_progress("running %s as pid %d", r->argv[0], (int)pid);
	arm_watchdog(r->watchdog);
	return wait_for(pid, r->argv[0]);
}

static void write_status(const char *request, int status)
{
	char *path;
	FILE *f;

	if (asprintf(&path, "%s.status", request) < 0)
		die("out of memory");
	f = fopen(path, "we");
	if (!f || fprintf(f, "%d\n", status) < 0 || fclose(f))
		die("write %s: %s", path, strerror(errno));
}

int main(void)
{
	struct request r;
	char *request;

	open_console();
	mount_fs("proc", "/proc", "proc", NULL);
	request = kernel_param("ia2.req");
	require_pku();
	load_modules();
	log_progress("modules loaded");
	mount_host();
	read_request(request, &r);
	log_progress("host mounted, request read");
	r.watchdog = parse_number(kernel_param("ia2.watchdog"), "ia2.watchdog");
	write_status(request, run(&r));
	log_progress("status written");
	power_off();
}
