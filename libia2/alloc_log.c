/* The allocation log of audit mode (IA2_AUDIT, audit.c): each block a
 * compartment's own code allocates from its heap, with the call that
 * allocated it, so that the monitor can name the function a share-heap
 * rule would name (docs/usage.md, "Porting a program").
 *
 * The program appends; the monitor reads it from outside (read_remote)
 * when a fault touches a compartment's heap. The log is pkey-0 memory,
 * which every compartment can write: audit mode is for porting, and a
 * compartment that forges it only misleads its own audit. A block freed
 * and reallocated gets a newer record, and the monitor takes the newest
 * record that holds an address, so a live block is found by its own. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

/* Records past the last one are dropped, and their blocks' sites are
 * unknown: 2^22 records are 96 MiB of address space, of which only what
 * is written is ever backed. */
#define LOG_RECORDS (1u << 22)

struct alloc_log {
	unsigned long count;   /* records claimed, perhaps past LOG_RECORDS */
	struct alloc_record records[LOG_RECORDS];
};

void set_up_alloc_log(void)
{
	void *log = mmap(NULL, sizeof(struct alloc_log), PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (log == MAP_FAILED)
		die("IA2_AUDIT: cannot map the allocation log: %s", strerrorname_np(errno));
	__ia2_ro.s.alloc_log = log;
}

void *note_block(void *p, void *site)
{
	struct alloc_log *log = __ia2_ro.s.alloc_log;
	unsigned long i;

	if (!log || !p || heap_owner(p) <= 0)
		return p;
	i = __atomic_fetch_add(&log->count, 1, __ATOMIC_RELAXED);
	if (i < LOG_RECORDS) {
		log->records[i] = (struct alloc_record){(uintptr_t)p, heap_usable_size(p),
							(uintptr_t)site};
		__atomic_thread_fence(__ATOMIC_RELEASE);
	}
	return p;
}

/* Records [at - k, at) of the log, at most a chunk; 0 when there are
 * none left or the program is gone. */
static struct alloc_record chunk[4096];

static unsigned long read_chunk(pid_t pid, const struct alloc_log *log, unsigned long at)
{
	unsigned long k = at < 4096 ? at : 4096;

	if (!k || !read_remote(pid, (uintptr_t)&log->records[at - k], chunk, k * sizeof *chunk))
		return 0;
	return k;
}

static unsigned long logged(pid_t pid, const struct alloc_log *log)
{
	unsigned long n;

	if (!read_remote(pid, (uintptr_t)&log->count, &n, sizeof n))
		return 0;
	return n < LOG_RECORDS ? n : LOG_RECORDS;
}

bool find_allocation(pid_t pid, uintptr_t addr, struct alloc_record *found)
{
	const struct alloc_log *log = __ia2_ro.s.alloc_log;
	unsigned long k;

	if (!log)
		return false;
	for (unsigned long at = logged(pid, log); (k = read_chunk(pid, log, at)); at -= k)
		for (unsigned long j = k; j-- > 0;)
			if (addr - chunk[j].start < (chunk[j].size ? chunk[j].size : 1)) {
				*found = chunk[j];
				return true;
			}
	return false;
}

unsigned long count_site(pid_t pid, uintptr_t site, unsigned long *bytes)
{
	const struct alloc_log *log = __ia2_ro.s.alloc_log;
	unsigned long k, n = 0;

	*bytes = 0;
	if (!log)
		return 0;
	for (unsigned long at = logged(pid, log); (k = read_chunk(pid, log, at)); at -= k)
		for (unsigned long j = 0; j < k; j++)
			if (chunk[j].site == site)
				n++, *bytes += chunk[j].size;
	return n;
}
