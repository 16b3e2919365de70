/* The syscall policy: what the kernel must refuse to every compartment,
 * and to libia2 itself, once libia2's startup is over. The mechanism
 * that enforces it is syscall_filter.c.
 *
 * Each rule closes a way for the kernel to read or write memory on a
 * compartment's behalf without applying PKRU: the kernel reaches memory
 * through get_user_pages there, not through the user's page tables, so
 * pkeys do not stop it (`../shared/DESIGN.md`, "Facts for closing the
 * escapes"). None of them is needed by glibc, libia2, zlib or dav1d. */
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#include "runtime.h"

/* USERFAULTFD_IOC_NEW: /dev/userfaultfd's ioctl (Linux 6.1,
 * include/uapi/linux/userfaultfd.h), _IO(0xAA, 0x00). */
#define USERFAULTFD_IOC_NEW 0xaa00u

const struct syscall_rule denied_syscalls[] = {
	/* All fifteen keys are allocated at startup (pkeys.c), so
	 * pkey_alloc can only fail; a freed key would come back from it
	 * open in the caller's PKRU (pkeys(7)). */
	{SYS_pkey_free, -1, 0, "pkey_free", "would let pkey_alloc hand the key back open"},
	{SYS_process_vm_readv, -1, 0, "process_vm_readv",
	 "reads any process's memory, this one's and a fork child's included, without PKRU"},
	{SYS_process_vm_writev, -1, 0, "process_vm_writev",
	 "writes any process's memory, this one's and a fork child's included, without PKRU"},
	/* A fork child holds a copy of every compartment's memory, and
	 * PTRACE_PEEKDATA and POKEDATA ignore PKRU. */
	{SYS_ptrace, -1, 0, "ptrace", "reads and writes a traced process's memory without PKRU"},
	/* UFFDIO_COPY and UFFDIO_ZEROPAGE fill pages of any registered
	 * range, another compartment's too. */
	{SYS_userfaultfd, -1, 0, "userfaultfd",
	 "fills the pages of any range it registers, without PKRU"},
	{SYS_ioctl, 1, USERFAULTFD_IOC_NEW, "ioctl(USERFAULTFD_IOC_NEW)",
	 "makes a userfaultfd, which fills pages without PKRU"},
	/* Registered buffers and provided buffer rings are pinned once and
	 * then read and written by the kernel without PKRU. Plain io_uring
	 * reads and writes apply the caller's PKRU and stay allowed. */
	{SYS_io_uring_register, -1, 0, "io_uring_register",
	 "pins buffers that the kernel then reads and writes without PKRU"},
	/* Samples can copy the registers and user stack of any thread,
	 * whichever compartment it runs in. */
	{SYS_perf_event_open, -1, 0, "perf_event_open",
	 "samples other threads' registers and stacks"},
	/* Rearranges the pages of a shared file mapping, another
	 * compartment's too. */
	{SYS_remap_file_pages, -1, 0, "remap_file_pages",
	 "rearranges the pages of another compartment's file mappings"},
	/* The monitor knows /proc/PID/mem by its name (file_policy.c);
	 * a mount could give it another. */
	{SYS_mount, -1, 0, "mount", "could put /proc/PID/mem under another name"},
	{SYS_open_tree, -1, 0, "open_tree", "could put /proc/PID/mem under another name"},
	{SYS_move_mount, -1, 0, "move_mount", "could put /proc/PID/mem under another name"},
	{SYS_fsmount, -1, 0, "fsmount", "could put /proc/PID/mem under another name"},
	/* Copies a descriptor out of another process, past the monitor's
	 * check of the files that compartments open. */
	{SYS_pidfd_getfd, -1, 0, "pidfd_getfd", "takes a descriptor the monitor never saw opened"},
	/* FAN_OPEN events hand the listener a descriptor of each file
	 * someone opens: /proc/PID/mem when the monitor writes a trap. */
	{SYS_fanotify_init, -1, 0, "fanotify_init",
	 "receives descriptors of the files others open, /proc/PID/mem among them"},
};

const size_t ndenied_syscalls = sizeof denied_syscalls / sizeof *denied_syscalls;

/* The calls whose verdict depends on which compartment makes them and
 * on whose memory they name: the filter hands them to the syscall
 * monitor (supervisor.c), which reads the caller's PKRU. Each stop costs
 * two switches to the monitor and back, so where an argument shows that
 * the monitor would allow the call whoever makes it, the filter lets it
 * run: `pass` lists the values of argument `arg` (its low 32 bits) that
 * need no monitor, or, with `only`, the values that do. mmap has its own
 * rule (syscall_filter.c). */
static const uint32_t prctl_watched[] = {PR_SET_SECCOMP, 59 /* PR_SET_SYSCALL_USER_DISPATCH */,
					 PR_SET_PTRACER, PR_SET_MM};
static const uint32_t arch_prctl_watched[] = {0x1001 /* ARCH_SET_GS */, 0x1002 /* ARCH_SET_FS */};
/* Advice that keeps the pages' contents (madvise(2)); memory_policy.c
 * allows it too. */
static const uint32_t harmless_advice[] = {
	MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_HUGEPAGE, MADV_NOHUGEPAGE,
	MADV_DONTDUMP, MADV_DODUMP, MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ, MADV_POPULATE_WRITE,
};

#define VALUES(v) v, sizeof v / sizeof *v

const struct monitored_rule monitored_syscalls[] = {
	{SYS_mprotect, -1, false, NULL, 0},
	{SYS_pkey_mprotect, -1, false, NULL, 0},
	{SYS_munmap, -1, false, NULL, 0},
	{SYS_mremap, -1, false, NULL, 0},
	{SYS_madvise, 2, false, VALUES(harmless_advice)},
	{SYS_pkey_alloc, -1, false, NULL, 0},
	{SYS_rt_sigreturn, -1, false, NULL, 0},
	{SYS_prctl, 0, true, VALUES(prctl_watched)},
	{SYS_seccomp, -1, false, NULL, 0},
	{SYS_arch_prctl, 0, true, VALUES(arch_prctl_watched)},
	{SYS_shmat, -1, false, NULL, 0},
	{SYS_io_uring_setup, -1, false, NULL, 0},
	{SYS_open, -1, false, NULL, 0},
	{SYS_openat, -1, false, NULL, 0},
	{SYS_openat2, -1, false, NULL, 0},
	{SYS_creat, -1, false, NULL, 0},
	{MONITOR_TRAP_WRITER_CALL, -1, false, NULL, 0},
	{MONITOR_SEAL_CALL, -1, false, NULL, 0},
	{MONITOR_MAPPER_CALL, -1, false, NULL, 0},
};

const size_t nmonitored_syscalls = sizeof monitored_syscalls / sizeof *monitored_syscalls;

bool harmless_madvise(unsigned long advice)
{
	for (size_t i = 0; i < sizeof harmless_advice / sizeof *harmless_advice; i++)
		if (advice == harmless_advice[i])
			return true;
	return false;
}
