/* Compartment 1 is the attacker: each command reaches for compartment
 * 2's secret or memory through a call that only the syscall monitor can
 * judge, since whether it is allowed depends on who calls and whose
 * memory it names. With the monitor (the default) the call is denied
 * and the process ends with status 112 after one line naming it. With
 * IA2_MONITOR=off, the `open-` tests show that the attacks work, so what
 * stops them is the monitor. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <stddef.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "../common/forgepage.h"
#include "../common/hidden.h"
#include "../common/rawcall.h"
#include "ia2/gate_abi.h"
#include "ia2/pkru.h"
#include "monitor.h"

#define PAGE 4096

/* Reads the secret with the caller's rights, whatever they are now. */
static int read_directly(void)
{
	return judge(*(volatile int *)lib_secret_address());
}

static int tag_as_mine(void)
{
	syscall(SYS_pkey_mprotect, lib_secret_address(), PAGE, PROT_READ | PROT_WRITE, 1);
	return read_directly();
}

/* pkey_mprotect(secret, PAGE, RW, 1) with a `syscall` instruction of
 * the attacker's own, not libc's (nor errno, which a raw clone thread
 * has no TLS for): there is no check in the process to go past. */
static long raw_tag_as_mine(void)
{
	long rc;
	register long r10 __asm__("r10") = 1;

	__asm__ volatile("syscall"
			 : "=a"(rc)
			 : "a"(SYS_pkey_mprotect), "D"(lib_secret_address()), "S"(PAGE),
			   "d"(PROT_READ | PROT_WRITE), "r"(r10)
			 : "rcx", "r11", "memory");
	return rc;
}

static int tag_as_mine_raw(void)
{
	raw_tag_as_mine();
	return read_directly();
}

static int alloc_key(void)
{
	long k = syscall(SYS_pkey_alloc, 0, 0);

	printf("pkey_alloc gave %ld\n", k);
	return k >= 0 ? ATTACK_WORKED : ATTACK_FAILED;
}

/* The victim, through its own gate, then reads the attacker's page. */
static int map_over(void)
{
	mmap(lib_secret_address(), PAGE, PROT_READ | PROT_WRITE,
	     MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (lib_read_secret() != SECRET) {
		printf("compartment 2 reads the attacker's page\n");
		return ATTACK_WORKED;
	}
	return ATTACK_FAILED;
}

/* MADV_DONTNEED puts a private file page back to the file's contents. */
static int forget_pages(void)
{
	lib_set_secret(0x1234);
	madvise(lib_secret_address(), PAGE, MADV_DONTNEED);
	if (lib_read_secret() != 0x1234) {
		printf("compartment 2's data went back to %#x\n", lib_read_secret());
		return ATTACK_WORKED;
	}
	return ATTACK_FAILED;
}

static int unmap(void)
{
	munmap(lib_secret_address(), PAGE);
	return ATTACK_FAILED;
}

/* A hole in compartment 1's own part of the heap reservation, which the
 * kernel could fill with compartment 2's next mapping. */
static int hole_in_heap(void)
{
	char *p = malloc(4 * PAGE);
	uintptr_t page = ((uintptr_t)p + PAGE - 1) & ~(uintptr_t)(PAGE - 1);

	munmap((void *)page, PAGE);
	return ATTACK_FAILED;
}

static int remap(void)
{
	void *to = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	mremap(lib_secret_address(), PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, to);
	return ATTACK_FAILED;
}

static int relro_of_victim(struct dl_phdr_info *info, size_t size, void *out)
{
	(void)size;
	if (!strstr(info->dlpi_name, "libmonitor"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO)
			*(uintptr_t *)out = (info->dlpi_addr + info->dlpi_phdr[i].p_vaddr) & ~(uintptr_t)(PAGE - 1);
	return 1;
}

/* Compartment 2's GOT, read-only after relocation, made writable. */
static int unprotect_relro(void)
{
	uintptr_t relro = 0;

	dl_iterate_phdr(relro_of_victim, &relro);
	if (!relro || mprotect((void *)relro, PAGE, PROT_READ | PROT_WRITE))
		return ATTACK_FAILED;
	*(volatile char *)relro = *(volatile char *)relro;
	printf("compartment 2's RELRO page is writable\n");
	return ATTACK_WORKED;
}

/* libia2's settings (__ia2_ro: where the runtime's private stack is,
 * libc's functions that libia2 calls) replaced by a read-only copy of
 * compartment 1's, moved over them as libia2 replaces its tables. The
 * copy differs in its last byte, past the settings themselves. */
static int forge_settings(void)
{
	volatile unsigned char *ro = dlsym(RTLD_DEFAULT, "__ia2_ro");
	unsigned char *copy = ro ? copy_page((const void *)ro) : NULL;
	unsigned char forged;

	if (!copy)
		return ATTACK_FAILED;
	forged = ro[PAGE - 1] ^ 0x5a;
	copy[PAGE - 1] = forged;
	if (!move_page_over(copy, (void *)ro) || ro[PAGE - 1] != forged)
		return ATTACK_FAILED;
	printf("libia2's settings are compartment 1's copy\n");
	return ATTACK_WORKED;
}

/* A page of compartment 1's own mapped over the guard page of the
 * runtime's private area (gate_abi.h), which has pkey 0: the monitor
 * keeps compartments off the whole area by address, for the hole a
 * privileged operation leaves there while it replaces a table. */
static int map_into_private_area(void)
{
	char *const *ro = dlsym(RTLD_DEFAULT, "__ia2_ro");
	char *guard;

	if (!ro)
		return ATTACK_FAILED;
	guard = ro[IA2_RO_PRIVATE / sizeof *ro] + IA2_PRIVATE_SCRATCH + IA2_PRIVATE_SCRATCH_SIZE;
	if (mmap(guard, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) !=
	    guard)
		return ATTACK_FAILED;
	*(volatile char *)guard = 1;
	printf("compartment 1 mapped a page of its own in the runtime's private area\n");
	return ATTACK_WORKED;
}

/* wrpkru with eax = ecx = edx = 0, then ret. */
static const unsigned char open_all[] = {0x31, 0xc0, 0x31, 0xc9, 0x31, 0xd2, 0x0f, 0x01, 0xef, 0xc3};

/* Copies code that holds a PKRU writer byte by byte: copied as
 * constants, its bytes would land in this compartment's own code, which
 * ia2 refuses to link. */
static void copy_code(unsigned char *to, const volatile unsigned char *from, size_t n)
{
	while (n--)
		*to++ = *from++;
}

static int write_and_run(int prot_at_once)
{
	unsigned char *code = mmap(NULL, PAGE, prot_at_once ? PROT_READ | PROT_WRITE | PROT_EXEC
							    : PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (code == MAP_FAILED)
		return ATTACK_FAILED;
	memcpy(code, open_all, sizeof open_all);
	if (!prot_at_once && mprotect(code, PAGE, PROT_READ | PROT_EXEC))
		return ATTACK_FAILED;
	((void (*)(void))code)();
	return read_directly();
}

/* A file, unnamed, that holds n bytes of code: a memfd, or a file
 * written in /tmp. */
static int code_file(int memfd, const void *code, size_t n)
{
	char path[] = "/tmp/ia2-code-XXXXXX";
	int fd = memfd ? memfd_create("code", 0) : mkstemp(path);

	if (fd < 0 || (!memfd && unlink(path)) || write(fd, code, n) != (ssize_t)n) {
		perror("code file");
		exit(1);
	}
	return fd;
}

static void *map_code(int fd)
{
	void *code = mmap(NULL, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE, fd, 0);

	if (code == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return code;
}

/* Code written to a file, or to a memfd, then mapped executable. */
static int run_written_code(int memfd)
{
	((void (*)(void))map_code(code_file(memfd, open_all, sizeof open_all)))();
	return read_directly();
}

/* Code of compartment 1's own, mapped from a file, handed to
 * compartment 2 as a callback: mov (%rdi), %eax; ret. Compartment 2's
 * thunk must refuse it, as code that compartment 1 mapped; else it
 * reads compartment 2's secret with compartment 2's rights. */
static int mapped_callback(void)
{
	static const unsigned char peek[] = {0x8b, 0x07, 0xc3};

	return judge(lib_call_back((int (*)(const int *))map_code(code_file(1, peek, sizeof peek))));
}

static int run_file_code(void)
{
	return run_written_code(0);
}

static int run_memfd_code(void)
{
	return run_written_code(1);
}

/* Two files of code mapped side by side: the first ends with xor %eax,
 * %ecx and %edx and the first two bytes of wrpkru, the second starts with
 * its last byte and ret; neither holds a writer alone. */
static int run_straddling_code(void)
{
	const size_t head = sizeof open_all - 2;
	unsigned char first[PAGE] = {0}, second[2];
	unsigned char *pages = mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	copy_code(first + PAGE - head, open_all, head);
	copy_code(second, open_all + head, 2);
	if (pages == MAP_FAILED ||
	    mmap(pages, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED, code_file(0, first, PAGE), 0) == MAP_FAILED ||
	    mmap(pages + PAGE, PAGE, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_FIXED,
		 code_file(0, second, sizeof second), 0) == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	((void (*)(void))(pages + PAGE - head))();
	return read_directly();
}

/* mov $7, %eax; ret */
static const unsigned char seven[] = {0xb8, 0x07, 0, 0, 0, 0xc3};

/* Harmless code is mapped, then the file changes under the mapping: by
 * a write, or by truncating it (which drops even pages already copied)
 * and writing it again, a memfd (the test VM's 9p root truncates no
 * deleted file). The mapping must keep the code it was made
 * with, so the read of compartment 2's secret faults. */
static int change_mapped_code(int truncate)
{
	int fd = code_file(truncate, seven, sizeof seven);
	int (*code)(void) = map_code(fd);

	if (code() != 7)
		return 1;
	if ((truncate && ftruncate(fd, 0)) || pwrite(fd, open_all, sizeof open_all, 0) != sizeof open_all) {
		perror("rewrite");
		return 1;
	}
	printf("the mapped code returned %d after its file changed\n", code());
	return read_directly();
}

static int rewrite_mapped_code(void)
{
	return change_mapped_code(0);
}

static int truncate_mapped_code(void)
{
	return change_mapped_code(1);
}

/* Code with ia2's checked gates, as objrewrite emits them: to PKRU(2),
 * where it reads the secret that rdi points to, and back to PKRU(1).
 * Only a DSO that ia2 admits into compartment 2 may hold the first. */
static int run_forged_gate(void)
{
	unsigned char code[64], *p = code;
	uint32_t to2 = IA2_PKRU(2), to1 = IA2_PKRU(1);
	static const unsigned char zero_ecx_edx[] = {0x31, 0xc9, 0x31, 0xd2};
	int (*steal)(const volatile int *);

	*p++ = 0x48, *p++ = 0x89, *p++ = 0xfe;                           /* mov %rdi, %rsi */
	for (int i = 0; i < 2; i++) {
		uint32_t v = i ? to1 : to2;
		memcpy(p, zero_ecx_edx, 4), p += 4;
		*p++ = 0xb8, memcpy(p, &v, 4), p += 4;                   /* mov $v, %eax */
		copy_code(p, open_all + 6, 3), p += 3;                   /* wrpkru */
		*p++ = 0x3d, memcpy(p, &v, 4), p += 4;                   /* cmp $v, %eax */
		*p++ = 0x0f, *p++ = 0x85;                                /* jne trap */
		int32_t rel = i ? 3 : 28;                                 /* to the ud2 */
		memcpy(p, &rel, 4), p += 4;
		if (!i)
			*p++ = 0x8b, *p++ = 0x36;                        /* mov (%rsi), %esi */
	}
	*p++ = 0x89, *p++ = 0xf0, *p++ = 0xc3;                           /* mov %esi, %eax; ret */
	*p++ = 0x0f, *p++ = 0x0b;                                        /* trap: ud2 */
	steal = map_code(code_file(0, code, (size_t)(p - code)));
	return judge(steal(lib_secret_address()));
}

static int user_dispatch(void)
{
	static char selector;

	prctl(59 /* PR_SET_SYSCALL_USER_DISPATCH */, 1, 0, 0, &selector);
	return ATTACK_FAILED;
}

/* A filter whose SECCOMP_RET_USER_NOTIF would outrank the monitor's
 * SECCOMP_RET_TRACE for mmap, and let a listener of the attacker's allow it. */
static int second_filter(void)
{
	struct sock_filter insns[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {sizeof insns / sizeof *insns, insns};

	syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	return ATTACK_FAILED;
}

static int move_fs(void)
{
	static char fake[4096];

	syscall(SYS_arch_prctl, 0x1002 /* ARCH_SET_FS */, fake + sizeof fake);
	return ATTACK_FAILED;
}

static int ring(void)
{
	struct io_uring_params p = {0};

	syscall(SYS_io_uring_setup, 4, &p);
	return ATTACK_FAILED;
}

static int shm_over(void)
{
	int id = shmget(IPC_PRIVATE, PAGE, 0600);

	shmat(id, lib_secret_address(), SHM_REMAP);
	shmctl(id, IPC_RMID, NULL);
	return ATTACK_FAILED;
}

/* A thread that raw clone makes, with no TLS and no libia2 setup. */
static volatile int clone_done;
static char clone_stack[65536] __attribute__((aligned(16)));

static void clone_body(void)
{
	clone_done = raw_tag_as_mine() ? 2 : 1;
}

static int raw_clone(unsigned long extra)
{
	unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			      CLONE_SYSVSEM | extra;
	register long r10 __asm__("r10") = 0;
	register long r8 __asm__("r8") = 0;
	long rc;

	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "call *%[body]\n\t"
			 "mov $60, %%eax\n\t"
			 "xor %%edi, %%edi\n\t"
			 "syscall\n"
			 "1:"
			 : "=a"(rc)
			 : "a"(SYS_clone), "D"(flags), "S"(clone_stack + sizeof clone_stack), "d"(0),
			   "r"(r10), "r"(r8), [body] "b"(clone_body)
			 : "rcx", "r11", "memory");
	if (rc < 0)
		return ATTACK_FAILED;
	while (!clone_done)
		sched_yield();
	if (clone_done != 1) {
		printf("the thread's pkey_mprotect failed, so not the secret\n");
		return ATTACK_FAILED;
	}
	return read_directly();
}

static int traced_clone(void)
{
	return raw_clone(0);
}

/* CLONE_UNTRACED keeps the thread from its creator's tracer, the
 * monitor, which would then neither judge its calls nor hold it while
 * another thread's open is judged: the monitor refuses the clone. */
static int untraced_clone(void)
{
	return raw_clone(CLONE_UNTRACED);
}

/* /proc/PID/mem reads memory without PKRU (the kernel's access to it is
 * a remote one, which skips protection keys), so these read the secret
 * through the file, under names that only the kernel can resolve. */
static int read_through(int fd)
{
	int value = 0;

	if (fd < 0 || pread(fd, &value, sizeof value, (off_t)(uintptr_t)lib_secret_address()) != sizeof value)
		perror("pread");
	return judge(value);
}

static int proc_mem(void)
{
	return read_through(open("/proc/self/mem", O_RDONLY));
}

static int proc_mem_link(void)
{
	char dir[] = "/tmp/ia2-monitor-XXXXXX", link[64];

	if (!mkdtemp(dir))
		return ATTACK_FAILED;
	snprintf(link, sizeof link, "%s/innocent", dir);
	if (symlink("/proc/thread-self/mem", link))
		return ATTACK_FAILED;
	int fd = open(link, O_RDWR);
	unlink(link);
	rmdir(dir);
	return read_through(fd);
}

static int proc_mem_dirfd(void)
{
	char name[32];
	int task = open("/proc/self/task", O_PATH | O_DIRECTORY);

	snprintf(name, sizeof name, "%d/mem", gettid());
	return read_through(openat(task, name, O_RDONLY));
}

/* A second thread tries every descriptor while the first opens the file:
 * it must never get a turn before the monitor has judged the open. */
static void *read_every_fd(void *arg)
{
	(void)arg;
	for (;;)
		for (int fd = 3; fd < 32; fd++) {
			int value = 0;
			if (pread(fd, &value, sizeof value, (off_t)(uintptr_t)lib_secret_address()) ==
				    sizeof value && value == SECRET) {
				printf("the second thread read compartment 2's secret\n");
				fflush(stdout);
				_exit(ATTACK_WORKED);
			}
		}
	return NULL;
}

static int proc_mem_race(void)
{
	pthread_t racer;

	pthread_create(&racer, NULL, read_every_fd, NULL);
	for (int i = 0; i < 100; i++)
		close(open("/dev/null", O_RDONLY));
	return read_through(open("/proc/self/mem", O_RDONLY));
}

/* A fork child holds a copy of every compartment's memory. */
/* /proc/self/map_files/ opens the file behind compartment 2's shared
 * page (proc(5)), whose contents are the page's. */
static int map_file_of_victim(void)
{
	int *shared = lib_shared_secret();
	char path[96];
	int fd;

	if (!shared)
		return 1;
	snprintf(path, sizeof path, "/proc/self/map_files/%lx-%lx", (unsigned long)shared,
		 (unsigned long)shared + PAGE);
	fd = open(path, O_RDONLY);
	if (fd < 0) {
		perror(path);
		return ATTACK_FAILED;
	}
	int value = 0;
	if (pread(fd, &value, sizeof value, 0) != sizeof value)
		perror("pread");
	return judge(value);
}

static int proc_mem_child(void)
{
	char path[64];
	int rc;
	pid_t child = fork();

	if (!child) {
		pause();
		_exit(0);
	}
	snprintf(path, sizeof path, "/proc/%d/mem", child);
	rc = read_through(open(path, O_RDONLY));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	return rc;
}

/* libia2's signal entry for compartment 2 calls the handler that its
 * table holds for the signal number it is given. The kernel tells anyone
 * where that entry is (rt_sigaction's old action for a signal whose
 * handler compartment 2 installed); compartment 1 installs its own
 * handler for SIGUSR1 and calls the entry with SIGUSR1 itself. */
static void steal_in_handler(int sig)
{
	(void)sig;
	read_directly();
	fflush(stdout);
	_exit(ATTACK_WORKED);
}

/* The body behind one of compartment 1's own gates: the gate's first
 * `je rel32` goes there when the caller is compartment 1 already. */
static void *body_of(void *gate)
{
	unsigned char *p = gate;
	int32_t rel;

	for (int i = 0; i < 64; i++)
		if (p[i] == 0x0f && p[i + 1] == 0x84) {
			memcpy(&rel, p + i + 2, sizeof rel);
			return p + i + 6 + rel;
		}
	return NULL;
}

static int signal_entry(void)
{
	struct {
		void (*handler)(int, siginfo_t *, void *);
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} k;
	/* Pkey-0 memory, which every entry may read, as a signal frame. */
	char *frame = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	lib_handle_usr2();
	if (syscall(SYS_rt_sigaction, SIGUSR2, NULL, &k, 8))
		return ATTACK_FAILED;
	/* The body, not the gate, which would move to compartment 1. */
	void *volatile gate = (void *)steal_in_handler;
	if (signal(SIGUSR1, (void (*)(int))body_of(gate)) == SIG_ERR)
		return ATTACK_FAILED;
	raw_call(k.handler, SIGUSR1, (long)frame, (long)(frame + PAGE));
	printf("the entry returned\n");
	return ATTACK_FAILED;
}

/* glibc's SIGSETXID handler makes the call that the command *__xidcmd
 * points to names (nptl/nptl_setxid.c, struct xid_command in
 * nptl/descr.h), and libia2's setxid entry runs it. A fork child of
 * compartment 1 points __xidcmd at a command of its own, write(pipe,
 * compartment 2's secret), and jumps to the entry with a siginfo that
 * glibc's checks accept; the entry never returns (its rt_sigreturn finds
 * no frame), so the parent reads the pipe and the command's result. The
 * attack fails only if the handler ran the command without compartment
 * 2's key. */
#define SIGSETXID (__SIGRTMIN + 1)

struct xid_command {
	int syscall_no;
	unsigned long id[3];
	volatile int cntr;
	volatile int error;
};

/* __xidcmd, from the handler's first `mov disp32(%rip), %rax`, which
 * loads it (the handler's code is readable, its symbol stripped). */
static struct xid_command **find_xidcmd(const unsigned char *handler)
{
	int32_t rel;

	for (int i = 0; i < 256; i++)
		if (handler[i] == 0x48 && handler[i + 1] == 0x8b && handler[i + 2] == 0x05) {
			memcpy(&rel, handler + i + 3, sizeof rel);
			return (struct xid_command **)(handler + i + 7 + rel);
		}
	return NULL;
}

static void *thread_body(void *arg)
{
	return arg;
}

static void forge_setxid_command(int out, struct xid_command *cmd, siginfo_t *si)
{
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} k;
	void **table = hidden_symbol("libia2", "__ia2_signal_handlers");
	struct xid_command **xidcmd = NULL;
	char *stack = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pthread_t t;

	/* glibc installs its handler at the first pthread_create. */
	if (!pthread_create(&t, NULL, thread_body, NULL))
		pthread_join(t, NULL);
	if (table && table[SIGSETXID])
		xidcmd = find_xidcmd(table[SIGSETXID]);
	if (!xidcmd || stack == MAP_FAILED || syscall(SYS_rt_sigaction, SIGSETXID, NULL, &k, 8) ||
	    !k.handler) {
		printf("found no setxid entry, handler or __xidcmd\n");
		_exit(5);
	}
	*cmd = (struct xid_command){SYS_write, {(unsigned long)out, (unsigned long)lib_secret_address(),
						sizeof(int)}, 1, -1};
	si->si_signo = SIGSETXID;
	si->si_code = SI_TKILL;
	si->si_pid = getpid();
	*xidcmd = cmd;
	fflush(stdout);
	/* The handler's stack must be pkey-0 memory, which PKRU(0) opens. */
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "call *%1"
			 :
			 : "r"(stack + 12 * PAGE), "r"(k.handler), "D"(SIGSETXID), "S"(si), "d"(stack)
			 : "memory");
	_exit(ATTACK_FAILED);
}

static int setxid_entry(void)
{
	int fds[2], got = 0, status;
	char *shared = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct xid_command *cmd = (struct xid_command *)shared;
	pid_t child;

	if (shared == MAP_FAILED || pipe2(fds, O_NONBLOCK))
		return 5;
	child = fork();
	if (child == 0)
		forge_setxid_command(fds[1], cmd, (siginfo_t *)(shared + 256));
	if (child < 0 || waitpid(child, &status, 0) != child)
		return 5;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 5)
		return 5;
	if (read(fds[0], &got, sizeof got) == sizeof got)
		return judge(got);
	if (cmd->cntr != 0) {
		printf("glibc's handler never ran the command\n");
		return 5;
	}
	if (cmd->error != EFAULT) {
		printf("the command's write failed with %d, not EFAULT\n", cmd->error);
		return 5;
	}
	printf("the command's write of compartment 2's secret failed with EFAULT\n");
	return 0;
}

/* The kernel writes a signal frame on the alternate stack with the
 * interrupted PKRU. Compartment 1 points the thread's alternate stack at
 * compartment 2's data with a raw sigaltstack (libia2's only records the
 * program's), then has compartment 2 take a signal of its own handler:
 * the frame would land on that data, and the handler and rt_sigreturn,
 * with PKRU(2), would read it from there. */
static int frame_lands_on_victim(void)
{
	lib_raise_usr2();
	if (!lib_victim_intact()) {
		printf("a signal frame overwrote compartment 2's data\n");
		return ATTACK_WORKED;
	}
	printf("compartment 2's data is intact\n");
	return ATTACK_FAILED;
}

static int aim_altstack(void)
{
	stack_t ss = {.ss_sp = lib_victim_address(), .ss_size = 4 * PAGE};

	lib_handle_usr2();
	lib_fill_victim();
	if (syscall(SYS_sigaltstack, &ss, NULL))
		return ATTACK_FAILED;
	return frame_lands_on_victim();
}

/* The same through the uc_stack of a frame of compartment 1's own
 * handler, which rt_sigreturn restores. */
static void aim_uc_stack(int sig, siginfo_t *si, void *context)
{
	ucontext_t *uc = context;

	(void)sig, (void)si;
	uc->uc_stack = (stack_t){.ss_sp = lib_victim_address(), .ss_size = 4 * PAGE};
}

static int aim_altstack_by_frame(void)
{
	struct sigaction sa = {.sa_sigaction = aim_uc_stack, .sa_flags = SA_SIGINFO};

	lib_handle_usr2();
	lib_fill_victim();
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	return frame_lands_on_victim();
}

/* The monitor writes traps over PKRU writers when libia2 asks it to
 * (libia2/writers.c); compartment 1 asks it to write one over
 * compartment 2's code. */
static int trap_request(void)
{
	syscall(1000, (void *)lib_read_secret, 3);
	return ATTACK_FAILED;
}

/* Opens in one thread while another spawns programs whose child opens a
 * file before it executes: the monitor holds the opener's descriptor
 * sharers, the spawning thread among them, which waits in vfork for a
 * child that must not be held too. */
static void *spawn_some(void *arg)
{
	char *argv[] = {"true", NULL};
	extern char **environ;

	(void)arg;
	for (int i = 0; i < 20; i++) {
		posix_spawn_file_actions_t fa;
		pid_t pid;
		int status;
		posix_spawn_file_actions_init(&fa);
		posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
		if (posix_spawn(&pid, "/bin/true", &fa, NULL, argv, environ) ||
		    waitpid(pid, &status, 0) != pid || status)
			return (void *)1;
		posix_spawn_file_actions_destroy(&fa);
	}
	return NULL;
}

/* Opens or memory calls, which the monitor judges with the tasks that
 * share the caller's descriptor table or memory held, while another
 * thread waits in vfork for a child that shares its memory: the waiting
 * thread cannot stop until the child has executed. */
static int call_while_spawning(int memory)
{
	pthread_t spawner;
	void *failed;

	pthread_create(&spawner, NULL, spawn_some, NULL);
	for (int i = 0; i < 200; i++) {
		char *p;
		if (!memory) {
			close(open("/dev/null", O_RDONLY));
			continue;
		}
		p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED || mprotect(p, PAGE, PROT_NONE) || munmap(p, 2 * PAGE))
			return 1;
	}
	pthread_join(spawner, &failed);
	if (failed)
		return 1;
	printf("ok\n");
	return 0;
}

static int open_while_spawning(void)
{
	return call_while_spawning(0);
}

static int memory_call_while_spawning(void)
{
	return call_while_spawning(1);
}

/* Compartment 1 hands a page of its own data, forged as it likes, to
 * compartment 2's key: only pages a compartment mapped itself may go. */
static __attribute__((aligned(PAGE))) int forged[PAGE / sizeof(int)] = {1};

static int give_own(void)
{
	syscall(SYS_pkey_mprotect, forged, PAGE, PROT_READ | PROT_WRITE, 2);
	return ATTACK_FAILED;
}

/* The config denies compartment 2 sockets. */
static int config_deny(void)
{
	if (lib_make_socket() < 0)
		return ATTACK_FAILED;
	printf("compartment 2 made a socket\n");
	return ATTACK_WORKED;
}

/* Where PKRU sits in the XSAVE area of a signal frame (CPUID 0DH.9). */
static unsigned pkru_offset(void)
{
	unsigned a = 0, b = 0, c = 0, d = 0;

	__get_cpuid_count(0xd, 9, &a, &b, &c, &d);
	return b;
}

static void edit_frame(int sig, siginfo_t *si, void *context)
{
	ucontext_t *uc = context;

	(void)sig, (void)si;
	memset((char *)uc->uc_mcontext.fpregs + pkru_offset(), 0, 4);
}

static int edit_and_return(void)
{
	struct sigaction sa = {.sa_sigaction = edit_frame, .sa_flags = SA_SIGINFO};

	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	return read_directly();
}

/* A frame of the attacker's making: a copy of a real one, with PKRU 0 and
 * a return to landing() on a stack of its own. */
static char forged_uc[sizeof(ucontext_t)] __attribute__((aligned(64)));
static char forged_fp[16384] __attribute__((aligned(64)));
static char landing_stack[65536] __attribute__((aligned(16)));

static void landing(void)
{
	_exit(read_directly());
}

static void copy_frame(int sig, siginfo_t *si, void *context)
{
	ucontext_t *uc = context, *copy = (ucontext_t *)forged_uc;
	/* fpstate's software bytes: magic1, then the frame's extended size
	 * (arch/x86/include/uapi/asm/sigcontext.h, _fpx_sw_bytes). */
	unsigned size;

	(void)sig, (void)si;
	memcpy(&size, (char *)uc->uc_mcontext.fpregs + 464 + 4, sizeof size);
	memcpy(forged_uc, uc, sizeof forged_uc);
	memcpy(forged_fp, uc->uc_mcontext.fpregs, size < sizeof forged_fp ? size : sizeof forged_fp);
	copy->uc_mcontext.fpregs = (void *)forged_fp;
	memset(forged_fp + pkru_offset(), 0, 4);
	copy->uc_mcontext.gregs[REG_RIP] = (greg_t)landing;
	copy->uc_mcontext.gregs[REG_RSP] = (greg_t)(landing_stack + sizeof landing_stack - 8);
}

static int forge_frame(void)
{
	struct sigaction sa = {.sa_sigaction = copy_frame, .sa_flags = SA_SIGINFO};

	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);
	/* rt_sigreturn finds the frame's ucontext at the stack pointer. */
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "mov %1, %%eax\n\t"
			 "syscall"
			 :
			 : "r"(forged_uc), "i"(SYS_rt_sigreturn)
			 : "memory");
	return ATTACK_FAILED;
}

/* A frame the kernel cannot read: rt_sigreturn fails and leaves a
 * SIGSEGV pending, which must not end the process before the monitor's
 * verdict does. */
static int unreadable_frame(void)
{
	void *page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		return 2;
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "mov %1, %%eax\n\t"
			 "syscall"
			 :
			 : "r"((char *)page + 2048), "i"(SYS_rt_sigreturn)
			 : "memory");
	return ATTACK_FAILED;
}

/* What the monitor must let through: a compartment's calls on its own
 * memory, and handlers that return. */
static volatile int handled;

static void count(int sig)
{
	(void)sig;
	handled++;
}

static volatile int spinning;

static void *spin(void *arg)
{
	(void)arg;
	while (spinning)
		;
	return NULL;
}

static int legitimate(void)
{
	char *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *big = malloc(1 << 20);

	if (p == MAP_FAILED || mprotect(p, PAGE, PROT_READ) || mprotect(p, PAGE, PROT_READ | PROT_WRITE))
		return 1;
	p[0] = 1;
	p = mremap(p, 2 * PAGE, 4 * PAGE, MREMAP_MAYMOVE);
	if (p == MAP_FAILED || p[0] != 1 || munmap(p, 4 * PAGE))
		return 1;
	memset(big, 1, 1 << 20);
	if (madvise((void *)(((uintptr_t)big + PAGE) & ~(uintptr_t)(PAGE - 1)), PAGE, MADV_DONTNEED))
		return 1;
	free(big);
	/* Opens and code mappings while another thread runs, which the
	 * monitor holds. */
	pthread_t spinner;
	char line[64];
	spinning = 1;
	pthread_create(&spinner, NULL, spin, NULL);
	/* Code from a file, with a checked gate to the caller's own PKRU. */
	static const unsigned char own_gate[] = {0x31, 0xc9, 0x31, 0xd2, 0xb8, 0, 0, 0, 0, 0x0f,
						 0x01, 0xef, 0x3d, 0, 0, 0, 0, 0x75, 0x06, 0xb8,
						 0x07, 0, 0, 0, 0xc3, 0x0f, 0x0b};
	unsigned char gate[sizeof own_gate];
	uint32_t own = IA2_PKRU(1);
	copy_code(gate, own_gate, sizeof gate);
	memcpy(gate + 5, &own, 4);
	memcpy(gate + 13, &own, 4);
	if (((int (*)(void))map_code(code_file(0, gate, sizeof gate)))() != 7 ||
	    ((int (*)(void))map_code(code_file(1, seven, sizeof seven)))() != 7)
		return 1;
	/* Memory calls, which the monitor judges with the other thread held. */
	for (int i = 0; i < 20; i++) {
		char *q = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (q == MAP_FAILED || mprotect(q, PAGE, PROT_NONE) || munmap(q, 2 * PAGE))
			return 1;
	}
	for (int i = 0; i < 20; i++) {
		FILE *f = fopen("/proc/self/status", "r");
		if (!f || !fgets(line, sizeof line, f) || strncmp(line, "Name:", 5))
			return 1;
		fclose(f);
	}
	spinning = 0;
	pthread_join(spinner, NULL);
	/* The config denies sockets to compartment 2 alone. */
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (s < 0)
		return 1;
	close(s);
	signal(SIGUSR1, count);
	raise(SIGUSR1);
	raise(SIGUSR1);
	if (handled != 2 || lib_read_secret() != SECRET)
		return 1;
	printf("ok\n");
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(void);
	} attacks[] = {
		{"pkey-mprotect", tag_as_mine}, {"raw-syscall", tag_as_mine_raw},
		{"pkey-alloc", alloc_key},      {"mmap-fixed", map_over},
		{"madvise", forget_pages},      {"munmap", unmap},
		{"mremap", remap},              {"mprotect-relro", unprotect_relro},
		{"forge-settings", forge_settings}, {"private-area", map_into_private_area},
		{"prctl-dispatch", user_dispatch}, {"second-filter", second_filter},
		{"arch-prctl", move_fs},        {"io-uring", ring},
		{"shmat", shm_over},            {"raw-clone", traced_clone},
		{"untraced-clone", untraced_clone},
		{"sigreturn-edit", edit_and_return}, {"sigreturn-forge", forge_frame},
		{"sigreturn-unreadable", unreadable_frame},
		{"proc-mem", proc_mem},         {"proc-mem-link", proc_mem_link},
		{"proc-mem-dirfd", proc_mem_dirfd}, {"proc-mem-race", proc_mem_race},
		{"proc-mem-child", proc_mem_child}, {"signal-entry", signal_entry},
		{"trap-request", trap_request}, {"config-deny", config_deny},
		{"give-own", give_own},         {"open-while-spawning", open_while_spawning},
		{"memory-while-spawning", memory_call_while_spawning},
		{"setxid-entry", setxid_entry}, {"altstack", aim_altstack},
		{"heap-hole", hole_in_heap},
		{"exec-file", run_file_code},   {"exec-memfd", run_memfd_code},
		{"exec-callback", mapped_callback},
		{"exec-rewrite", rewrite_mapped_code}, {"exec-truncate", truncate_mapped_code},
		{"exec-gate", run_forged_gate}, {"map-files", map_file_of_victim},
		{"exec-straddle", run_straddling_code},
		{"altstack-frame", aim_altstack_by_frame},
		{"ok", legitimate},
	};

	if (argc == 2 && !strcmp(argv[1], "wx"))
		return write_and_run(1);
	if (argc == 2 && !strcmp(argv[1], "exec-anon"))
		return write_and_run(0);
	for (size_t i = 0; argc == 2 && i < sizeof attacks / sizeof *attacks; i++)
		if (!strcmp(argv[1], attacks[i].name))
			return attacks[i].run();
	fprintf(stderr, "usage: monitor ATTACK\n");
	return 2;
}
