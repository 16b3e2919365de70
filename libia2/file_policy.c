/* The syscall monitor's rule for files: which files a compartment may
 * not hold open, judged on the file that an open call opened, not on the
 * path it named (symlinks, /proc/self, /proc/thread-self, a dirfd, and
 * another thread that changes the path meanwhile all stand between the
 * two). supervisor.c makes sure nothing uses the descriptor before this
 * rule has seen it.
 *
 * /proc/PID/mem reads and writes any page of the process, another
 * compartment's included: mem_rw reaches memory through
 * access_remote_vm, whose FOLL_REMOTE makes arch_vma_access_permitted
 * skip the protection keys (Linux 6.1, fs/proc/base.c, mm/gup.c,
 * arch/x86/include/asm/mmu_context.h), and ptrace_may_access lets a
 * process open its own. A fork child's holds a copy of every
 * compartment's memory, and /proc/kcore and /dev/mem reach physical
 * memory. A process that has executed another program (`foreign`) may
 * open its own: its memory is that program's, and holds no compartment's
 * (an executed ia2 program's libia2 does, to neutralize PKRU writers).
 *
 * A file that backs a shared mapping is that mapping's memory: what is
 * read or written through the descriptor, or through a mapping of it
 * without the pkey, is what the mapping holds. So a compartment may not
 * open the file behind a shared mapping that carries another
 * compartment's pkey, or libia2's. /proc/PID/map_files/ opens exactly
 * that, even for shared anonymous memory, which no path names otherwise
 * (proc(5); it needs CAP_SYS_ADMIN). Private mappings hold their own
 * copies of the pages they changed, and the rest is the file's, which
 * whoever may open the file reads anyway. */
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/magic.h>

#include "runtime.h"

/* /dev/mem, /dev/kmem and /dev/port (Documentation/admin-guide/devices.txt,
 * major 1). */
static bool is_memory_device(const struct stat *st)
{
	unsigned m = minor(st->st_rdev);

	return S_ISCHR(st->st_mode) && major(st->st_rdev) == 1 && (m == 1 || m == 2 || m == 4);
}

/* A procfs file named mem (/proc/PID/mem, /proc/PID/task/TID/mem) or
 * kcore. Names are enough while no one can mount a procfs file
 * elsewhere, and the filter refuses mount to everyone
 * (syscall_policy.c). */
static bool names_memory(const char *path)
{
	const char *base = strrchr(path, '/');

	base = base ? base + 1 : path;
	return !strcmp(base, "mem") || !strcmp(base, "kcore");
}

/* Whether the file at path is `file`: the same inode (st_dev, st_ino). */
static bool is_file(const char *path, const struct stat *file)
{
	struct stat st;

	return !stat(path, &st) && st.st_dev == file->st_dev && st.st_ino == file->st_ino;
}

/* Whether `file` is thread tid's own /proc/PID/mem, or its process's. */
static bool is_own_memory(pid_t tid, pid_t tgid, const struct stat *file)
{
	char process[64], thread[64];

	format_to(process, sizeof process, "/proc/%d/mem", tgid);
	format_to(thread, sizeof thread, "/proc/%d/task/%d/mem", tgid, tid);
	return is_file(process, file) || is_file(thread, file);
}

/* Why compartment c's thread tid of process tgid may not keep
 * descriptor fd, or NULL. */
const char *opened_file_verdict(pid_t tid, pid_t tgid, int fd, int c, bool foreign)
{
	static char why[600];
	char link[64], target[512];
	struct stat st;
	struct statfs fs;
	ssize_t n;
	int k;

	format_to(link, sizeof link, "/proc/%d/fd/%d", tid, fd);
	if (stat(link, &st) || statfs(link, &fs))
		return "the monitor cannot tell which file it opened";
	if (is_memory_device(&st))
		return "it opened a device that reaches physical memory";
	if (!foreign && (k = shared_file_pkey(tgid, major(st.st_dev), minor(st.st_dev), st.st_ino, c))) {
		format_to(why, sizeof why, "it opened the file behind a shared mapping of %s memory, "
			  "with pkey %d", k == IA2_RUNTIME_PKEY ? "libia2's" : "another compartment's", k);
		return why;
	}
	if (fs.f_type != PROC_SUPER_MAGIC)
		return NULL;
	n = readlink(link, target, sizeof target - 1);
	if (n <= 0)
		return "the monitor cannot tell which file it opened";
	target[n] = 0;
	if (!names_memory(target) || (foreign && is_own_memory(tid, tgid, &st)))
		return NULL;
	format_to(why, sizeof why,
		  "it opened %s, through which the kernel reads and writes memory without PKRU", target);
	return why;
}
