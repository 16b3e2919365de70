/* Audit mode (IA2_AUDIT=FILE), in the supervisor: each protection-key
 * fault is recorded and let through once, and FILE gets the config
 * rules that would have allowed them (docs/usage.md, "Porting a
 * program"). For porting, never for production: it lets every
 * compartment touch every other's memory.
 *
 * Each distinct pair of faulting instruction and memory owner (the
 * variable, the heap block, else the page: fault_report.c) is recorded
 * once, and described on stderr and in FILE unless its rule is one
 * already written for that owner (share and share-heap rules depend on
 * the memory alone), or, for a heap block, for a block the same call
 * allocated: this keeps the monitor from running ia2-symbolize for
 * every instruction of a loop that walks a shared buffer, and for every
 * block an allocator hands over. FILE, if it exists, is kept as it is
 * and the rules go after it, so a copy of the config the program was
 * linked with becomes that config with the rules added. The file is
 * rewritten after each new pair, so it is complete however the program
 * ends. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runtime.h"

struct seen {
	uintptr_t rip, lo, hi;
	uintptr_t site;   /* a heap block's allocating call, or 0 */
	bool by_owner;
	size_t next;   /* 1 + the index of the next pair in its bucket, or 0 */
};

/* A loop that walks another compartment's buffer faults at the same few
 * instructions again and again: the pairs are found by their rip. */
#define BUCKETS 65536

static int audit_fd = -1;
static struct seen *seen;
static size_t nseen, seen_cap;
static size_t buckets[BUCKETS];   /* 1 + the index of a bucket's first pair, or 0 */
/* FILE's text: what it held before the run, then what the run added. */
static char *text;
static size_t text_len, text_cap;

static void append(const char *s)
{
	size_t n = strlen(s);

	if (text_len + n + 1 > text_cap) {
		text_cap = (text_len + n + 1) * 2;
		if (!(text = realloc(text, text_cap)))
			die("IA2_AUDIT: out of memory");
	}
	memcpy(text + text_len, s, n + 1);
	text_len += n;
}

static void keep_old_text(int fd)
{
	char buf[4096];
	ssize_t n;

	while ((n = read(fd, buf, sizeof buf - 1)) > 0) {
		buf[n] = 0;
		append(buf);
	}
	if (text_len && text[text_len - 1] != '\n')
		append("\n");
}

/* In the program, before the monitor starts: FILE must be a regular
 * file this process can create or write, or the rules would be lost
 * (a FIFO, /dev/null). */
void check_audit_file(const char *path)
{
	struct stat st;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		die("IA2_AUDIT=%s: cannot open it: %s; name a file that audit mode can write its "
		    "rules into", path, strerrorname_np(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		die("IA2_AUDIT=%s: not a regular file; name a file that audit mode can write its "
		    "rules into", path);
	close(fd);
}

void start_audit(void)
{
	const char *path = getenv("IA2_AUDIT");

	if (!path)
		return;
	audit_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (audit_fd < 0)
		die("IA2_AUDIT=%s: cannot open it: %s", path, strerrorname_np(errno));
	append("");
	keep_old_text(audit_fd);
}

bool auditing(void)
{
	return audit_fd >= 0;
}

static size_t *bucket(uintptr_t rip)
{
	return &buckets[(rip ^ rip >> 16) & (BUCKETS - 1)];
}

static bool holds(const struct seen *p, uintptr_t addr)
{
	return addr - p->lo < p->hi - p->lo;
}

static bool seen_pair(uintptr_t rip, uintptr_t addr)
{
	for (size_t i = *bucket(rip); i; i = seen[i - 1].next)
		if (seen[i - 1].rip == rip && holds(&seen[i - 1], addr))
			return true;
	return false;
}

/* A pair whose rule holds addr whatever the code: a variable's or a
 * heap block's (share, share-heap), not a stack's (copy-arg names the
 * code). */
static const struct seen *owner_of(uintptr_t addr)
{
	for (size_t i = 0; i < nseen; i++)
		if (seen[i].by_owner && holds(&seen[i], addr))
			return &seen[i];
	return NULL;
}

static void remember(uintptr_t rip, uintptr_t lo, uintptr_t hi, uintptr_t site, bool by_owner)
{
	if (nseen == seen_cap) {
		seen_cap = seen_cap ? 2 * seen_cap : 64;
		if (!(seen = realloc(seen, seen_cap * sizeof *seen)))
			die("IA2_AUDIT: out of memory");
	}
	seen[nseen] = (struct seen){rip, lo, hi, site, by_owner, *bucket(rip)};
	*bucket(rip) = ++nseen;
}

/* A heap block that the same call allocated as a block whose rule is
 * written: the share-heap rule names the same function, so the block is
 * not described again (a decoder's allocator hands over block after
 * block, and each description runs ia2-symbolize). *b: the block. */
static bool same_site(pid_t pid, uintptr_t addr, struct alloc_record *b)
{
	if (heap_owner((void *)addr) <= 0 || !find_allocation(pid, addr, b) || !b->site)
		return false;
	for (size_t i = 0; i < nseen; i++)
		if (seen[i].by_owner && seen[i].site == b->site)
			return true;
	return false;
}

/* Whether FILE has the line already, as a line of its own. */
static bool has_line(const char *line)
{
	size_t n = strlen(line);

	for (const char *p = text; (p = strstr(p, line)); p += n)
		if ((p == text || p[-1] == '\n') && (p[n] == '\n' || !p[n]))
			return true;
	return false;
}

static void rewrite_file(void)
{
	if (ftruncate(audit_fd, 0) || pwrite(audit_fd, text, text_len, 0) != (ssize_t)text_len)
		say("IA2_AUDIT: cannot write the audit file: %s", strerrorname_np(errno));
}

void audit_fault(pid_t pid, pid_t tid, const char *who, uintptr_t rip, uintptr_t addr, unsigned pkey)
{
	const struct seen *o;
	struct alloc_record b;
	struct fault f;
	char note[1024];

	if (seen_pair(rip, addr))
		return;
	if ((o = owner_of(addr))) {
		remember(rip, o->lo, o->hi, o->site, true);
		return;
	}
	if (same_site(pid, addr, &b)) {
		remember(rip, b.start, b.start + (b.size ? b.size : 1), b.site, true);
		return;
	}
	describe_fault(pid, rip, addr, pkey, &f);
	remember(rip, f.lo, f.hi, f.site, !strncmp(f.line, "share", 5));
	say("audit: %s touched %#lx, which has pkey %u, at %s, on thread %d. It is %s. Rule that "
	    "would allow it: %s. IA2_AUDIT lets the access happen: for porting, never for production",
	    who, (unsigned long)addr, pkey, f.at, tid, f.what, f.rule);
	if (!has_line("# Rules that IA2_AUDIT found. Audit mode is for porting, never for production."))
		append("\n# Rules that IA2_AUDIT found. Audit mode is for porting, never for production.\n"
		       "# Keep only the rules for memory that is meant to cross.\n");
	format_to(note, sizeof note, "# %s at %s: %s\n", who, f.at, f.what);
	append(note);
	if (!f.line[0])
		format_to(note, sizeof note, "# no config line: %s\n", f.rule);
	else if (has_line(f.line))
		format_to(note, sizeof note, "#   (%s, above)\n", f.line);
	else
		format_to(note, sizeof note, "%s\n", f.line);
	append(note);
	rewrite_file();
}
