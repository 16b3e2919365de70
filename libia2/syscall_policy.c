/* The syscall policy: what the kernel must refuse to every compartment,
 * and to libia2 itself, once libia2's startup is over. The mechanism
 * that enforces it is syscall_filter.c.
 *
 * Each rule closes a way for the kernel to read or write memory on a
 * compartment's behalf without applying PKRU: the kernel reaches memory
 * through get_user_pages there, not through the user's page tables, so
 * pkeys do not stop it (`../shared/DESIGN.md`, "Facts for closing the
 * escapes"). None of them is needed by glibc, libia2, zlib or dav1d. */
#include <stddef.h>
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
};

const size_t ndenied_syscalls = sizeof denied_syscalls / sizeof *denied_syscalls;
