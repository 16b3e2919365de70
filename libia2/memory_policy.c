/* The syscall monitor's rules for memory calls (docs/design.md, "The
 * syscall monitor"): a compartment maps over, unmaps, protects, remaps
 * and advises only
 *   - pages tagged with its own pkey;
 *   - its own part of the heap reservation (heap.c tags it page by page),
 *     which it never unmaps or moves: the reservation stays whole;
 *   - pages it mapped itself since the monitor started, but for the
 *     DSOs that dlopen loads in its name, sealed once ld.so mapped them
 *     (below);
 *   - pkey-0 pages that are writable and not executable, or inaccessible:
 *     every compartment can write them already; and anonymous pkey-0
 *     pages that are read-only, but for libia2's tables: the filter lets
 *     compartments map anonymous memory unseen (syscall_filter.c), so
 *     whose they are is unknown, and no DSO's code or RELRO is
 *     anonymous.
 * Never another compartment's pages or libia2's (pkey 15), and never
 * pkey-0 code or read-only data that it did not map: other DSOs' code,
 * RELRO and GOT, and libia2's read-only tables. Nor, even if it mapped
 * them, the pages of a DSO that dlopen loaded, once ld.so has mapped it
 * (loads.c seals its extent): no mapping over them, no remapping or
 * advice, no protection that adds writing; only their pkeys, and the
 * unmapping of the whole extent, as dlclose does.
 * New executable memory comes only from a file mapped privately, as
 * ld.so maps DSOs, and is then a copy that the monitor scanned
 * (new_code.c); never writable and executable at once.
 *
 * Which pkey a page has, the kernel says in /proc/PID/smaps
 * ("ProtectionKey", Documentation/filesystems/proc.rst). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

struct mapping {
	uintptr_t lo, hi;
	int prot, pkey;
	bool shared;
	unsigned long dev_major, dev_minor, ino;
	char path[128];
};

static char why[256];

struct text {
	char *buf;
	size_t cap;
};

/* The whole of /proc/pid/NAME, NUL-terminated, in t; NULL if
 * unreadable. */
static char *read_whole(pid_t pid, const char *name, struct text *t)
{
	char path[64];
	size_t n = 0;
	ssize_t got;
	int fd;

	format_to(path, sizeof path, "/proc/%d/%s", pid, name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	do {
		if (t->cap - n < 65536) {
			char *b = realloc(t->buf, t->cap + 262144);
			if (!b)
				die("syscall monitor: out of memory");
			t->buf = b;
			t->cap += 262144;
		}
		got = read(fd, t->buf + n, t->cap - n - 1);
		if (got > 0)
			n += (size_t)got;
	} while (got > 0 || (got < 0 && errno == EINTR));
	close(fd);
	t->buf[n] = 0;
	return t->buf;
}

static char *read_smaps(pid_t pid)
{
	static struct text t;

	return read_whole(pid, "smaps", &t);
}

/* /proc/pid/maps: smaps' header lines alone, which the kernel makes
 * without walking the pages. */
static char *read_maps(pid_t pid)
{
	static struct text t;

	return read_whole(pid, "maps", &t);
}

/* The line after `line` in a /proc text, or its terminating NUL. */
static char *next_line(char *line)
{
	char *nl = strchr(line, '\n');

	return nl ? nl + 1 : line + strlen(line);
}

/* A header line: "lo-hi rwxp offset dev inode   path". */
static bool parse_header(const char *line, struct mapping *m)
{
	char perms[5] = "", *end;
	const char *p, *after_offset;
	uintptr_t lo = strtoul(line, &end, 16), hi;

	if (*end != '-')
		return false;
	hi = strtoul(end + 1, &end, 16);
	if (*end != ' ')
		return false;
	m->lo = lo;
	m->hi = hi;
	memcpy(perms, end + 1, 4);
	m->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	m->shared = perms[3] == 's';
	m->pkey = 0;
	m->path[0] = 0;
	/* After the offset: the device (major:minor, hex) and the inode. */
	p = end + 1;
	if (!(after_offset = strchr(p + 5, ' ')))
		return false;
	m->dev_major = strtoul(after_offset, &end, 16);
	m->dev_minor = *end == ':' ? strtoul(end + 1, &end, 16) : 0;
	m->ino = strtoul(end, NULL, 10);
	/* The path, if any, follows the fifth field, after spaces. */
	for (int field = 0; field < 4; field++) {
		p += strcspn(p, " \n");
		p += strspn(p, " ");
	}
	if (*p && *p != '\n') {
		size_t len = strcspn(p, "\n");
		if (len >= sizeof m->path)
			len = sizeof m->path - 1;
		memcpy(m->path, p, len);
		m->path[len] = 0;
	}
	return true;
}

/* The mapping that holds addr in process pid, its pkey left out. */
static bool mapping_at(pid_t pid, uintptr_t addr, struct mapping *m)
{
	char *smaps = read_smaps(pid), *line;

	for (line = smaps; line && *line; line = next_line(line))
		if (parse_header(line, m) && m->lo <= addr && addr < m->hi)
			return true;
	return false;
}

bool path_at(pid_t pid, uintptr_t addr, char *path, size_t size)
{
	struct mapping m;

	if (!mapping_at(pid, addr, &m))
		return false;
	format_to(path, size, "%s", m.path);
	return true;
}

bool executable_at(pid_t pid, uintptr_t addr)
{
	struct mapping m;

	return mapping_at(pid, addr, &m) && (m.prot & PROT_EXEC);
}

int shared_file_pkey(pid_t pid, unsigned long dev_major, unsigned long dev_minor,
		     unsigned long ino, int c)
{
	char *maps = read_maps(pid), *line;
	struct mapping m;

	for (line = maps; line && *line; line = next_line(line)) {
		int k;
		if (!parse_header(line, &m) || !m.shared || m.ino != ino || m.dev_major != dev_major ||
		    m.dev_minor != dev_minor)
			continue;
		k = pkey_at(pid, m.lo);
		if (k > 0 && k != c)
			return k;
	}
	return 0;
}

int pkey_at(pid_t pid, uintptr_t addr)
{
	char *smaps = read_smaps(pid), *line;
	struct mapping m = {0};
	bool holds = false;

	for (line = smaps; line && *line; line = next_line(line)) {
		if (parse_header(line, &m))
			holds = m.lo <= addr && addr < m.hi;
		else if (holds && !strncmp(line, "ProtectionKey:", 14))
			return (int)strtol(line + 14, NULL, 10);
	}
	return -1;
}

/* Whether c mapped all of [lo, hi); `kept`: and gave none of it away. */
static bool made_by(const struct address_space *as, int c, uintptr_t lo, uintptr_t hi, bool kept)
{
	while (lo < hi) {
		size_t i;
		for (i = 0; i < as->n; i++)
			if (as->v[i].compartment == c && as->v[i].lo <= lo && lo < as->v[i].hi &&
			    !(kept && as->v[i].given))
				break;
		if (i == as->n)
			return false;
		lo = as->v[i].hi;
	}
	return true;
}

/* Whether any of [lo, hi) is a page some compartment mapped and gave
 * another compartment's key. */
static bool given_any(const struct address_space *as, uintptr_t lo, uintptr_t hi)
{
	for (size_t i = 0; i < as->n; i++)
		if (as->v[i].given && as->v[i].lo < hi && lo < as->v[i].hi)
			return true;
	return false;
}

static bool overlaps(uintptr_t lo, uintptr_t hi, const void *start, const void *stop)
{
	return lo < (uintptr_t)stop && hi > (uintptr_t)start;
}

/* Whether [lo, hi) overlaps libia2's read-only pages that no file
 * backs: its tables (runtime.h) and __ia2_ro, read-only for good after
 * startup. */
static bool in_libia2_read_only(uintptr_t lo, uintptr_t hi)
{
	return overlaps(lo, hi, __start_ia2_runtime_tables, __stop_ia2_runtime_tables) ||
	       overlaps(lo, hi, __start_ia2_tables, __stop_ia2_tables) ||
	       overlaps(lo, hi, &__ia2_ro, &__ia2_ro + 1);
}

/* Whether [lo, hi) overlaps the runtime's private area (gate_abi.h),
 * by address: a privileged operation leaves a hole in it while it
 * replaces a runtime table (privilege.c, replace_runtime_table), and
 * briefly maps pages there with pkey 0. */
static bool in_private_area(uintptr_t lo, uintptr_t hi)
{
	const char *area = __ia2_ro.s.private_area;

	return area && overlaps(lo, hi, area, area + IA2_PRIVATE_SIZE);
}

/* What a call asks of the pages it names. */
enum use {
	CHANGE,   /* map over, protect, remap or advise them */
	UNMAP,    /* unmap them */
	CLAIM,    /* give them the caller's own key */
	GIVE,     /* give them another compartment's key */
	COPY,     /* move them over one of libia2's tables */
};

/* Why compartment c may not `use` the pages [lo, hi) of mapping m, or
 * NULL. A compartment gives another's key only to pages it mapped
 * itself, and may unmap them after: libia2 tags a DSO of compartment d
 * that c dlopens with d's key in c's name (dso.c), after ld.so mapped it
 * in c's name, and dlclose unmaps it in c's name. */
static const char *page_verdict(const struct address_space *as, int c, const struct mapping *m,
				uintptr_t lo, uintptr_t hi, enum use use)
{
	int heap = heap_owner((void *)lo);

	if (use == COPY)
		return m->pkey || m->prot != PROT_READ || m->path[0] ? "it is no copy of a table" : NULL;
	if (use == GIVE) {
		if (m->pkey != IA2_RUNTIME_PKEY && (!m->pkey || m->pkey == c) &&
		    made_by(as, c, lo, hi, false))
			return NULL;
		return "the caller may give another compartment's key only to pages it mapped itself";
	}
	if (use == UNMAP && m->pkey != IA2_RUNTIME_PKEY && made_by(as, c, lo, hi, false))
		return NULL;

	if (m->pkey == IA2_RUNTIME_PKEY)
		return "the range holds libia2's own memory";
	if (m->pkey && m->pkey != c) {
		format_to(why, sizeof why, "the range holds compartment %d's memory", m->pkey);
		return why;
	}
	if (m->pkey && m->pkey == c)
		return NULL;
	if (heap && heap != c) {
		format_to(why, sizeof why, "the range is compartment %d's heap reserve", heap);
		return why;
	}
	if ((heap && heap == c) || made_by(as, c, lo, hi, false))
		return NULL;
	if (use == CLAIM)
		return "the caller may give a key only to its own memory";
	if (m->prot == PROT_NONE || (m->prot & (PROT_WRITE | PROT_EXEC)) == PROT_WRITE)
		return NULL;
	/* Anonymous read-only memory is the compartments' own (the filter
	 * lets a compartment map it unseen), except libia2's tables. */
	if (!(m->prot & PROT_EXEC) && !m->path[0] && !in_libia2_read_only(lo, hi))
		return NULL;
	format_to(why, sizeof why, "the range holds %s of %s",
		  m->prot & PROT_EXEC ? "code" : "read-only data", m->path[0] ? m->path : "an anonymous mapping");
	return why;
}

/* Why c may not change [lo, hi) of process pid, or NULL. */
static const char *range_verdict(pid_t pid, const struct address_space *as, int c, uintptr_t lo,
				 uintptr_t hi, enum use use)
{
	char *smaps, *line;
	struct mapping m;

	lo &= ~(PAGE - 1);
	hi = (hi + PAGE - 1) & ~(PAGE - 1);
	if (hi <= lo)
		return NULL;
	if (in_private_area(lo, hi))
		return "the range holds libia2's own memory";
	/* Pages c mapped and kept, and c's own heap reserve, which holds
	 * only c's pages (heap.c; c gives a key away only to pages it mapped
	 * itself), pass whatever smaps says, and reading smaps costs the
	 * kernel a walk of every mapping. */
	if ((use == CHANGE || use == UNMAP) && made_by(as, c, lo, hi, true))
		return NULL;
	if ((use == CHANGE || use == UNMAP || use == CLAIM) && heap_owner((void *)lo) == c &&
	    heap_owner((void *)(hi - 1)) == c && !given_any(as, lo, hi))
		return NULL;
	smaps = read_smaps(pid);
	if (!smaps)
		return "the monitor cannot read the process's memory map";
	for (line = smaps; *line; line = next_line(line)) {
		const char *v;

		if (parse_header(line, &m))
			continue;
		if (strncmp(line, "ProtectionKey:", 14))
			continue;
		m.pkey = (int)strtol(line + 14, NULL, 10);
		if (m.hi <= lo || m.lo >= hi)
			continue;
		v = page_verdict(as, c, &m, m.lo > lo ? m.lo : lo, m.hi < hi ? m.hi : hi, use);
		if (v)
			return v;
	}
	return NULL;
}

static const char *new_code_verdict(unsigned long prot, unsigned long flags)
{
	if (!(prot & PROT_EXEC))
		return NULL;
	if (prot & PROT_WRITE)
		return "memory is never writable and executable at once";
	if ((flags & MAP_ANONYMOUS) || (flags & MAP_TYPE) != MAP_PRIVATE)
		return "new code comes only from a file mapped privately, as ld.so maps DSOs";
	return NULL;
}

/* Whether mremap moves a read-only anonymous copy over one of libia2's
 * tables, as replace_pages does in the caller's compartment. */
static bool replaces_table(pid_t pid, const struct address_space *as, int c, const unsigned long *a)
{
	return (a[3] & MREMAP_FIXED) && a[1] == a[2] && a[4] >= (uintptr_t)__start_ia2_tables &&
	       a[4] + a[2] <= (uintptr_t)__stop_ia2_tables && a[4] + a[2] > a[4] &&
	       !range_verdict(pid, as, c, a[0], a[0] + a[1], COPY);
}

/* The heap reservation stays mapped as a whole (jemalloc's hooks never
 * give pages back, heap.c): a hole that a compartment made in its own
 * part could take another compartment's next mapping (a thread's stacks,
 * which libia2 tags), which heap_owner would still count as the hole
 * maker's. */
static const char *reservation_verdict(uintptr_t lo, uintptr_t hi)
{
	uintptr_t base = __ia2_ro.s.heap_base;

	if (base && lo < base + __ia2_ro.s.heap_size && hi > base)
		return "the heap reservation stays mapped: a hole in it could take another "
		       "compartment's memory";
	return NULL;
}

/* Whether [lo, hi) overlaps a sealed extent. */
static bool sealed_overlap(const struct address_space *as, uintptr_t lo, uintptr_t hi)
{
	for (size_t i = 0; i < as->nsealed; i++)
		if (as->sealed[i].lo < hi && lo < as->sealed[i].hi)
			return true;
	return false;
}

/* Whether prot adds writing to a page of [lo, hi) that lacks it: RELRO
 * made writable again, or code and read-only data. */
static bool adds_write(pid_t pid, uintptr_t lo, uintptr_t hi, unsigned long prot)
{
	char *maps = read_maps(pid), *line;
	struct mapping m;

	if (!(prot & PROT_WRITE))
		return false;
	for (line = maps; line && *line; line = next_line(line))
		if (parse_header(line, &m) && m.lo < hi && lo < m.hi && !(m.prot & PROT_WRITE))
			return true;
	return !maps;
}

/* Why no compartment, whoever mapped them, may do call nr to the pages of
 * a DSO that dlopen loaded, or NULL: ld.so has mapped them (loads.c seals
 * them then), and what they hold decides what the DSO's code runs, its
 * gates included, whose addresses other compartments call. Only ld.so's
 * own later calls stay: RELRO made read-only after relocation, the pkeys
 * libia2 gives the DSO's data, and dlclose's unmapping of the whole. */
static const char *sealed_verdict(pid_t pid, const struct address_space *as, long nr,
				  const unsigned long *a)
{
	static const char changed[] =
		"the range holds a DSO that dlopen loaded, which stays as ld.so mapped it";
	uintptr_t lo = a[0] & ~(PAGE - 1), hi = (a[0] + a[1] + PAGE - 1) & ~(PAGE - 1);

	if (nr == SYS_mmap) {
		if (!(a[3] & MAP_FIXED) || (a[3] & MAP_FIXED_NOREPLACE))
			return NULL;
	} else if (nr == SYS_madvise) {
		if (harmless_madvise(a[2]))
			return NULL;
	} else if (nr == SYS_mremap) {
		if ((a[3] & MREMAP_FIXED) && sealed_overlap(as, a[4], a[4] + a[2]))
			return changed;
	} else if (nr == SYS_munmap) {
		for (size_t i = 0; i < as->nsealed; i++)
			if (as->sealed[i].lo < hi && lo < as->sealed[i].hi &&
			    (lo > as->sealed[i].lo || hi < as->sealed[i].hi))
				return "the range holds part of a DSO that dlopen loaded, which goes only as "
				       "a whole";
		return NULL;
	} else if (nr == SYS_mprotect || nr == SYS_pkey_mprotect) {
		if (!sealed_overlap(as, lo, hi) || !adds_write(pid, lo, hi, a[2]))
			return NULL;
		return "the range holds a DSO that dlopen loaded, whose read-only pages stay so";
	}
	return sealed_overlap(as, lo, hi) ? changed : NULL;
}

static enum use key_use(long nr, int pkey, int c)
{
	if (nr != SYS_pkey_mprotect || pkey == -1 || pkey == 0)
		return CHANGE;
	return pkey == c ? CLAIM : GIVE;
}

const char *memory_verdict(pid_t pid, const struct address_space *as, int c, long nr,
			   const unsigned long *a)
{
	const char *v;

	if ((v = sealed_verdict(pid, as, nr, a)))
		return v;
	switch (nr) {
	case SYS_mmap:
		if ((v = new_code_verdict(a[2], a[3])))
			return v;
		if ((a[3] & MAP_FIXED) && !(a[3] & MAP_FIXED_NOREPLACE))
			return range_verdict(pid, as, c, a[0], a[0] + a[1], CHANGE);
		return NULL;
	case SYS_pkey_mprotect:
	case SYS_mprotect:
		if (a[2] & PROT_EXEC)
			return "only ld.so's mappings of a file become executable";
		if (nr == SYS_pkey_mprotect && ((int)a[3] < -1 || (int)a[3] > IA2_LAST_COMPARTMENT))
			return "pkeys past the compartments' are libia2's";
		return range_verdict(pid, as, c, a[0], a[0] + a[1], key_use(nr, (int)a[3], c));
	case SYS_munmap:
		if ((v = reservation_verdict(a[0], a[0] + a[1])))
			return v;
		return range_verdict(pid, as, c, a[0], a[0] + a[1], UNMAP);
	case SYS_mremap:
		if (replaces_table(pid, as, c, a))
			return NULL;
		if ((v = reservation_verdict(a[0], a[0] + a[1])))
			return v;
		if ((v = range_verdict(pid, as, c, a[0], a[0] + a[1], CHANGE)))
			return v;
		if (a[3] & MREMAP_FIXED)
			return range_verdict(pid, as, c, a[4], a[4] + a[2], CHANGE);
		return NULL;
	case SYS_madvise:
		if (harmless_madvise(a[2]))
			return NULL;
		return range_verdict(pid, as, c, a[0], a[0] + a[1], CHANGE);
	}
	return NULL;
}

static void push_range(struct made_range **v, size_t *n, size_t *cap, struct made_range r)
{
	if (*n == *cap) {
		size_t c = *cap ? 2 * *cap : 64;
		struct made_range *w = realloc(*v, c * sizeof *w);
		if (!w)
			die("syscall monitor: out of memory");
		*v = w;
		*cap = c;
	}
	(*v)[(*n)++] = r;
}

static void add_range(struct address_space *as, uintptr_t lo, uintptr_t hi, int c, bool given)
{
	push_range(&as->v, &as->n, &as->cap, (struct made_range){lo, hi, c, given});
}

/* The made ranges lose [lo, hi), page-aligned. */
static void cut_made(struct address_space *as, uintptr_t lo, uintptr_t hi)
{
	for (size_t i = 0; i < as->n;) {
		struct made_range r = as->v[i];
		if (r.hi <= lo || r.lo >= hi) {
			i++;
			continue;
		}
		as->v[i] = as->v[--as->n];
		if (r.lo < lo)
			add_range(as, r.lo, lo, r.compartment, r.given);
		if (r.hi > hi)
			add_range(as, hi, r.hi, r.compartment, r.given);
	}
}

/* A sealed extent goes with the call that unmaps all of it. */
static void unseal(struct address_space *as, uintptr_t lo, uintptr_t hi)
{
	for (size_t i = 0; i < as->nsealed;)
		if (as->sealed[i].lo >= lo && as->sealed[i].hi <= hi)
			as->sealed[i] = as->sealed[--as->nsealed];
		else
			i++;
}

void note_unmapped(struct address_space *as, uintptr_t lo, uintptr_t hi)
{
	lo &= ~(PAGE - 1);
	hi = (hi + PAGE - 1) & ~(PAGE - 1);
	cut_made(as, lo, hi);
	unseal(as, lo, hi);
}

/* The pieces of made ranges inside [lo, hi) are given away unless pkey
 * is 0 or their maker's. */
void note_keyed(struct address_space *as, uintptr_t lo, uintptr_t hi, int pkey)
{
	struct address_space pieces = {0};

	if (pkey == -1)
		return;
	lo &= ~(PAGE - 1);
	hi = (hi + PAGE - 1) & ~(PAGE - 1);
	for (size_t i = 0; i < as->n; i++) {
		const struct made_range *r = &as->v[i];
		uintptr_t a = r->lo > lo ? r->lo : lo, b = r->hi < hi ? r->hi : hi;
		if (a < b)
			add_range(&pieces, a, b, r->compartment, pkey != 0 && pkey != r->compartment);
	}
	cut_made(as, lo, hi);
	for (size_t i = 0; i < pieces.n; i++)
		add_range(as, pieces.v[i].lo, pieces.v[i].hi, pieces.v[i].compartment, pieces.v[i].given);
	free(pieces.v);
}

void note_mapped(struct address_space *as, int c, uintptr_t lo, uintptr_t hi)
{
	note_unmapped(as, lo, hi);
	add_range(as, lo & ~(PAGE - 1), (hi + PAGE - 1) & ~(PAGE - 1), c, false);
}

void note_sealed(struct address_space *as, uintptr_t lo, uintptr_t hi)
{
	push_range(&as->sealed, &as->nsealed, &as->capsealed,
		   (struct made_range){lo & ~(PAGE - 1), (hi + PAGE - 1) & ~(PAGE - 1), 0, false});
}

int mapper_of(const struct address_space *as, uintptr_t addr)
{
	for (size_t i = 0; i < as->n; i++)
		if (as->v[i].lo <= addr && addr < as->v[i].hi)
			return as->v[i].compartment;
	return -1;
}

void free_address_space(struct address_space *as)
{
	free(as->v);
	free(as->sealed);
}

void copy_address_space(struct address_space *to, const struct address_space *from)
{
	for (size_t i = 0; i < from->nsealed; i++)
		note_sealed(to, from->sealed[i].lo, from->sealed[i].hi);
	for (size_t i = 0; i < from->n; i++)
		add_range(to, from->v[i].lo, from->v[i].hi, from->v[i].compartment, from->v[i].given);
}
