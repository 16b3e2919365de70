/* Code that a compartment maps at run time, in the syscall monitor: what
 * becomes executable is a copy that the monitor scanned, never the file.
 *
 * Why a copy: a private file mapping shows the file's own pages until
 * they are written, so whoever can write the file (a file the
 * compartment made, a memfd) changes the code after any scan of the
 * mapping; and truncating the file drops even the pages already copied
 * (mm/truncate.c, truncate_pagecache: private COW pages past the new end
 * go too), which the next access reads from the file again. So the
 * supervisor makes the call map anonymous memory instead, and writes
 * into it, through /proc/PID/mem, the bytes it read from the file and
 * scanned: nothing later done to the file reaches them. The caller's
 * other threads are held meanwhile (supervisor.c), so none runs the
 * mapping before it holds its code.
 *
 * The scan (as writers.c's, at every byte offset): no wrpkru, xrstor or
 * xrstors, but ia2's checked gates. Those that write the caller's own
 * PKRU stay: a DSO of compartment N is loaded in N's name, whoever asks
 * for it (loads.c). Any other gate becomes a trap in the copy, so that a
 * dlopen loads.c refuses still fails as a dlopen (a DSO of another
 * compartment, which libia2's dlopen then loads in that compartment's
 * name if a path rule names it, or of one this program has none of), and
 * a forged one, or another compartment's mapped by hand, traps. Any
 * other writer is refused, not rewritten: without the function's start,
 * which ld.so has not mapped yet, nobody can tell an instruction from
 * bytes inside another. Nor may a writer span the
 * mapping's edge and executable code beside it.
 *
 * The monitor reads the file through a duplicate of the caller's own
 * descriptor (pidfd_getfd(2)): a path, even /proc/PID/fd/N, names
 * another file once it is renamed or deleted. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ia2/pkru.h"
#include "ia2/pkru_writers.h"
#include "runtime.h"

/* Copied a chunk at a time; a checked gate is at most 14 bytes, which
 * the scan of a chunk's last bytes reads past its end. */
#define CHUNK (1 << 20)
#define LOOK 16

static char why[1024];

long open_code_file(pid_t tgid, pid_t tid, int fd, unsigned long off, struct code_file *f)
{
	int pidfd = (int)syscall(SYS_pidfd_open, tgid, 0), mode;
	char link[64];
	struct stat st;
	struct statvfs vfs;
	ssize_t n;

	/* mmap(2): EINVAL for an offset that is no multiple of the page
	 * size, EBADF for no descriptor, EACCES for one not open for
	 * reading, EPERM on a noexec mount. */
	if (off & (PAGE - 1))
		return -EINVAL;
	f->fd = pidfd < 0 || fd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
	if (pidfd >= 0)
		close(pidfd);
	if (f->fd < 0)
		return -EBADF;
	mode = fcntl(f->fd, F_GETFL);
	f->regular = !fstat(f->fd, &st) && S_ISREG(st.st_mode);
	format_to(link, sizeof link, "/proc/%d/fd/%d", tid, fd);
	n = readlink(link, f->path, sizeof f->path - 1);
	f->path[n > 0 ? n : 0] = 0;
	if ((mode & O_PATH) || (mode & O_ACCMODE) == O_WRONLY ||
	    (!fstatvfs(f->fd, &vfs) && (vfs.f_flag & ST_NOEXEC))) {
		close(f->fd);
		return mode & O_PATH ? -EBADF : (mode & O_ACCMODE) == O_WRONLY ? -EACCES : -EPERM;
	}
	return 0;
}

const char *code_file_verdict(const struct code_file *f)
{
	if (f->regular)
		return NULL;
	format_to(why, sizeof why, "new code comes only from a regular file, and %s is none",
		  f->path);
	return why;
}

/* Whether a checked gate may write pkru in code that compartment c maps.
 * Only its own: a DSO that a path rule names for another compartment n
 * is loaded in n's name (loads.c), since one that c mapped would be c's
 * to change. */
static bool may_gate(uint32_t pkru, int c)
{
	return c > 0 && pkru == IA2_PKRU(c);
}

static void trap_gate(uint8_t *p, unsigned long off, uint32_t pkru, int c, const char *path)
{
	memcpy(p, trap_bytes, sizeof trap_bytes);
	if (explaining())
		say("neutralized the gate to PKRU %#x at offset %#lx of %s, which compartment %d "
		    "mapped: now ud2", pkru, off, path, c);
}

/* Why the code at [start, stop), offset off of the file at path, may not
 * run, or NULL; the bytes up to end follow it. Gates it may not hold
 * become traps. */
static const char *scan(uint8_t *start, uint8_t *stop, uint8_t *end, unsigned long off, int c,
			const char *path)
{
	for (uint8_t *p = start; (p = memchr(p, 0x0f, (size_t)(stop - p))); p++) {
		enum ia2_pkru_writer w = ia2_pkru_writer_at(p, (size_t)(end - p));
		uint32_t pkru;

		if (w == IA2_NOT_A_WRITER)
			continue;
		if (w == IA2_WRPKRU && is_checked_gate(p, end, &pkru)) {
			if (!may_gate(pkru, c))
				trap_gate(p, off + (unsigned long)(p - start), pkru, c, path);
			p += 2;
			continue;
		}
		format_to(why, sizeof why, "its code holds %s at offset %#lx of %s, and only ia2's "
			  "gates write PKRU (docs/runtime.md, \"PKRU writers\")", ia2_pkru_writer_name(w),
			  off + (unsigned long)(p - start), path);
		return why;
	}
	return NULL;
}

/* Whether a writer starts in the first two of four bytes a, in address
 * order, whose middle is the mapping's edge: the two bytes beside the
 * mapping and its own two there. */
static bool spans_edge(const uint8_t *a)
{
	return ia2_pkru_writer_at(a, 3) != IA2_NOT_A_WRITER ||
	       ia2_pkru_writer_at(a + 1, 3) != IA2_NOT_A_WRITER;
}

/* Why a writer spans an edge of [at, at + len), whose first and last
 * two bytes are head and tail, and code beside it, or NULL. */
static const char *edge_verdict(pid_t pid, uintptr_t at, size_t len, const uint8_t head[2],
				const uint8_t tail[2])
{
	uint8_t e[4];

	memcpy(e + 2, head, 2);
	if (read_remote(pid, at - 2, e, 2) && spans_edge(e) && executable_at(pid, at - 1))
		return "a PKRU writer would span its start and the code before it";
	memcpy(e, tail, 2);
	if (read_remote(pid, at + len, e + 2, 2) && spans_edge(e) && executable_at(pid, at + len))
		return "a PKRU writer would span its end and the code after it";
	return NULL;
}

static bool all_zero(const uint8_t *p, size_t n)
{
	return !n || (!p[0] && !memcmp(p, p + 1, n - 1));
}

/* Fills buf[*have, cap) from the file at `from`; false on a read error.
 * Past the file's end the mapping holds zeros. */
static bool fill(int fd, uint8_t *buf, size_t *have, size_t cap, unsigned long from, bool *eof)
{
	while (!*eof && *have < cap) {
		ssize_t n = pread(fd, buf + *have, cap - *have, (off_t)(from + *have));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		if (!n)
			*eof = true;
		*have += (size_t)n;
	}
	return true;
}

const char *copy_code(pid_t pid, const struct code_file *f, unsigned long off, uintptr_t at,
		      size_t len, int c, bool keep_going)
{
	static uint8_t *buf;
	uint8_t head[2] = {0, 0}, tail[2] = {0, 0};
	size_t have = 0, done = 0;
	bool eof = false;
	const char *v = NULL, *found = NULL;
	char mem[64];
	int out;

	if (!buf && !(buf = malloc(CHUNK + LOOK)))
		die("syscall monitor: out of memory");
	format_to(mem, sizeof mem, "/proc/%d/mem", pid);
	out = open(mem, O_RDWR | O_CLOEXEC);
	if (out < 0)
		return "the monitor cannot write the process's memory";
	while (done < len) {
		size_t cap = len - done < CHUNK + LOOK ? len - done : CHUNK + LOOK, n;

		if (!fill(f->fd, buf, &have, cap, off + done, &eof)) {
			format_to(why, sizeof why, "the monitor cannot read %s", f->path);
			v = why;
			break;
		}
		n = have < CHUNK ? have : CHUNK;
		if (!n)
			break;   /* past the file's end: zeros, as mapped */
		if (!done)
			memcpy(head, buf, n < 2 ? n : 2);
		if (n >= 2) {
			memcpy(tail, buf + n - 2, 2);
		} else {
			tail[0] = tail[1];
			tail[1] = buf[0];
		}
		if (!found && (found = scan(buf, buf + n, buf + have, off + done, c, f->path)) &&
		    !keep_going)
			break;
		if (!all_zero(buf, n) && pwrite(out, buf, n, (off_t)(at + done)) != (ssize_t)n) {
			v = "the monitor cannot write the process's memory";
			break;
		}
		memmove(buf, buf + n, have - n);
		have -= n;
		done += n;
	}
	if (done < len)
		tail[0] = tail[1] = 0;
	close(out);
	if (found)
		return found;
	return v ? v : edge_verdict(pid, at, len, head, tail);
}
