/* Compartment 1 is the attacker: each command reaches for compartment
 * 2's secret through a syscall whose kernel path ignores PKRU. With ia2's
 * syscall filter (the default) the call never happens: the process dies
 * of SIGSYS with one line naming the call. With IA2_SYSCALL_FILTER=off,
 * the `open-` tests show that each attack does read the secret, so what
 * stops it is the filter. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/perf_event.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "syscalls.h"

#define VICTIM_PKEY 2

/* pkey_alloc hands a freed key back, open in the caller's PKRU. */
static int free_and_alloc(void)
{
	const volatile int *secret = lib_secret_address();
	long k;

	syscall(SYS_pkey_free, VICTIM_PKEY);
	k = syscall(SYS_pkey_alloc, 0, 0);
	/* No gate now: pkey_alloc changed PKRU, and gates check it. */
	return judge(k == VICTIM_PKEY ? *secret : 0);
}

static int read_self(void)
{
	int value = 0;
	struct iovec local = {&value, sizeof value};
	struct iovec remote = {(void *)lib_secret_address(), sizeof value};

	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) < 0)
		perror("process_vm_readv");
	return judge(value);
}

/* A fork child holds a copy of compartment 2's memory. */
static pid_t stopped_child(void)
{
	pid_t child = fork();

	if (child == 0) {
		raise(SIGSTOP);
		_exit(0);
	}
	waitpid(child, NULL, WUNTRACED);
	return child;
}

static int peek_child(void)
{
	pid_t child = stopped_child();
	int value = 0;

	if (ptrace(PTRACE_SEIZE, child, NULL, NULL) || ptrace(PTRACE_INTERRUPT, child, NULL, NULL))
		perror("ptrace");
	waitpid(child, NULL, 0);
	errno = 0;
	value = (int)ptrace(PTRACE_PEEKDATA, child, (void *)lib_secret_address(), NULL);
	kill(child, SIGKILL);
	return judge(value);
}

static int read_child(void)
{
	pid_t child = stopped_child();
	int value = 0;
	struct iovec local = {&value, sizeof value};
	struct iovec remote = {(void *)lib_secret_address(), sizeof value};

	if (process_vm_readv(child, &local, 1, &remote, 1, 0) < 0)
		perror("process_vm_readv");
	kill(child, SIGKILL);
	return judge(value);
}

/* The first steps of attacks that fill or read foreign pages from the
 * kernel: each would go on to register compartment 2's pages. */
static int make_userfaultfd(void)
{
	printf("userfaultfd: %ld\n", syscall(SYS_userfaultfd, 1 /* UFFD_USER_MODE_ONLY */));
	return ATTACK_FAILED;
}

static int new_userfaultfd(void)
{
	printf("ioctl: %ld\n", syscall(SYS_ioctl, -1, 0xaa00ul /* USERFAULTFD_IOC_NEW */, 0));
	return ATTACK_FAILED;
}

static int register_buffers(void)
{
	struct iovec v = {(void *)lib_secret_address(), 4096};

	printf("io_uring_register: %ld\n", syscall(SYS_io_uring_register, -1, 0, &v, 1));
	return ATTACK_FAILED;
}

static int sample_stacks(void)
{
	struct perf_event_attr a = {.type = PERF_TYPE_SOFTWARE, .size = sizeof a,
				    .config = PERF_COUNT_SW_CPU_CLOCK,
				    .sample_type = PERF_SAMPLE_STACK_USER, .sample_stack_user = 4096};

	printf("perf_event_open: %ld\n", syscall(SYS_perf_event_open, &a, 0, -1, -1, 0));
	return ATTACK_FAILED;
}

/* process_vm_readv under its x32 and its i386 numbers. */
static int x32_read(void)
{
	printf("x32 process_vm_readv: %ld\n", syscall(0x40000000 | 539, getpid(), 0, 0, 0, 0, 0));
	return ATTACK_FAILED;
}

static int i386_read(void)
{
	long rc = 347;

	__asm__ volatile("int $0x80" : "+a"(rc) : "b"(getpid()), "c"(0), "d"(0) : "memory");
	printf("i386 process_vm_readv: %ld\n", rc);
	return ATTACK_FAILED;
}

/* A filter of its own that allows everything changes nothing: the
 * strictest verdict wins. */
static int allow_all_first(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = {1, &allow};

	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog))
		perror("seccomp");
	return free_and_alloc();
}

/* Its own SIGSYS handler, installed behind libia2's back, silences the
 * report but not the filter: pkey_free still does not happen, so the
 * read faults. The handler is bare code, no gate (a gate refuses the
 * kernel's default PKRU), on the alternate stack, which pkey 0 opens. */
void ignore_sigsys(void);
void return_from_handler(void);
__asm__(".text\n"
	"ignore_sigsys:\n"
	"\tret\n"
	"return_from_handler:\n"
	"\tmov $15, %eax\n"   /* rt_sigreturn */
	"\tsyscall\n");

static int own_sigsys_handler(void)
{
	/* The kernel's struct sigaction: handler, flags, restorer, mask. */
	struct {
		void (*handler)(void);
		unsigned long flags;
		void (*restorer)(void);
		unsigned long mask;
	} k = {ignore_sigsys, SA_SIGINFO | SA_ONSTACK | 0x04000000 /* SA_RESTORER */,
	       return_from_handler, 0};
	const volatile int *secret = lib_secret_address();

	if (syscall(SYS_rt_sigaction, SIGSYS, &k, NULL, 8))
		perror("rt_sigaction");
	printf("pkey_free: %ld\n", syscall(SYS_pkey_free, VICTIM_PKEY));
	printf("pkey_alloc: %ld\n", syscall(SYS_pkey_alloc, 0, 0));
	return judge(*secret);
}

/* libia2 refuses to hand SIGSYS to the program. */
static void ignore(int sig, siginfo_t *si, void *uc)
{
	(void)sig, (void)si, (void)uc;
}

static int refused_sigaction(void)
{
	struct sigaction sa = {.sa_sigaction = ignore, .sa_flags = SA_SIGINFO};

	if (sigaction(SIGSYS, &sa, NULL) == 0 || errno != EINVAL) {
		printf("sigaction(SIGSYS) was accepted\n");
		return 1;
	}
	return 0;
}

/* Ways to a descriptor of /proc/PID/mem that the monitor's check of
 * opened files would not see: the file under another name, a descriptor
 * taken from a process, one handed over by fanotify. */
static int mount_proc(void)
{
	if (mount("proc", "/tmp", "proc", 0, NULL))
		perror("mount");
	return ATTACK_FAILED;
}

static int take_descriptor(void)
{
	long pidfd = syscall(SYS_pidfd_open, getpid(), 0);

	if (syscall(SYS_pidfd_getfd, pidfd, 0, 0) < 0)
		perror("pidfd_getfd");
	return ATTACK_FAILED;
}

static int watch_opens(void)
{
	if (syscall(SYS_fanotify_init, 0, O_RDONLY) < 0)
		perror("fanotify_init");
	return ATTACK_FAILED;
}

static const struct {
	const char *name;
	int (*run)(void);
} attacks[] = {
	{"mount", mount_proc},           {"pidfd-getfd", take_descriptor},
	{"fanotify", watch_opens},
	{"pkey-free", free_and_alloc},   {"vm-read-self", read_self},
	{"vm-read-child", read_child},   {"ptrace-child", peek_child},
	{"userfaultfd", make_userfaultfd}, {"uffd-ioctl", new_userfaultfd},
	{"io-uring-register", register_buffers}, {"perf", sample_stacks},
	{"x32", x32_read},               {"i386", i386_read},
	{"second-filter", allow_all_first}, {"own-sigsys", own_sigsys_handler},
	{"sigaction-sigsys", refused_sigaction},
};

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	for (size_t i = 0; argc == 2 && i < sizeof attacks / sizeof *attacks; i++)
		if (!strcmp(argv[1], attacks[i].name))
			return attacks[i].run();
	fprintf(stderr, "usage: %s ATTACK\n", argv[0]);
	return 2;
}
