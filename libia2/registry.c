/* Thread records: the runtime's account of every thread's stacks, in
 * memory with the runtime's pkey, so that no compartment can change
 * what libia2 later unmaps, clears or gives pkey 0 back to.
 *
 * A record is made by the creator's privileged operation, which maps the
 * new thread's stacks (runtime.c); the new thread claims it with its own,
 * which binds it to the thread pointer as the kernel has it and sets up
 * the thread's CTBs, TLS blocks and alternate signal stack, each tagged
 * before it is written; and it ends when the thread does, or, in the
 * child of a fork, for every thread that did not come along (fork.c).
 * Ending clears the CTBs and TLS blocks before they go back to pkey 0,
 * for glibc to reuse: what a compartment kept there is gone before any
 * other compartment could read it. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

/* Threads alive at once; the records take address space only as used. */
#define MAX_THREADS 65536

enum record_state { RECORD_FREE, RECORD_PENDING, RECORD_LIVE };

struct thread_record {
	int state;
	int compartment;   /* the creator's: the thread starts there */
	int next_free;
	uintptr_t fs;      /* the thread pointer, once the thread claimed it */
	uintptr_t tops[IA2_LAST_COMPARTMENT + 1];
};

#define RECORDS_SIZE ((MAX_THREADS * sizeof(struct thread_record) + PAGE - 1) & ~(PAGE - 1))

/* In the startup state. */
void set_up_registry(void)
{
	struct private_state *st = private_state();
	void *m = mmap(NULL, RECORDS_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		       -1, 0);

	if (m == MAP_FAILED)
		die("cannot map the thread records: %s", strerrorname_np(errno));
	tag((uintptr_t)m, (uintptr_t)m + RECORDS_SIZE, IA2_RUNTIME_PKEY, "the thread records");
	st->records = m;
	st->free_record = -1;
}

static long take_record(void)
{
	struct private_state *st = private_state();
	long i = st->free_record;

	if (i >= 0)
		st->free_record = st->records[i].next_free;
	else if (st->nrecords < MAX_THREADS)
		i = st->nrecords++;
	else
		die("more than %d threads at once", MAX_THREADS);
	return i;
}

static void put_record(long i)
{
	struct private_state *st = private_state();

	memset(&st->records[i], 0, sizeof st->records[i]);
	st->records[i].next_free = st->free_record;
	st->free_record = i;
}

/* Record i, which must be in `state`: i comes from a compartment. */
static struct thread_record *record_in(uintptr_t i, enum record_state state, const char *op)
{
	struct private_state *st = private_state();

	if (i >= (uintptr_t)st->nrecords || st->records[i].state != (int)state)
		die("%s: thread record %ld is not %s", op, (long)i,
		    state == RECORD_LIVE ? "a live thread's" : "a thread's being created");
	return &st->records[i];
}

struct pair op_thread_new(uintptr_t a, uintptr_t b, int caller)
{
	long i = take_record();
	struct thread_record *r = &private_state()->records[i];

	(void)a, (void)b;
	allocate_stacks(r->tops);
	r->state = RECORD_PENDING;
	r->compartment = caller;
	return (struct pair){i, r->tops[caller]};
}

struct pair op_thread_abandon(uintptr_t i, uintptr_t b, int caller)
{
	struct thread_record *r = record_in(i, RECORD_PENDING, "a failed pthread_create");

	(void)b, (void)caller;
	free_stacks(r->tops);
	put_record(i);
	return (struct pair){0, 0};
}

/* What a thread leaves behind, but for its stacks: its CTBs and TLS
 * blocks, cleared and back to pkey 0, where glibc reinitializes them for
 * the next thread that gets this memory. A thread ending itself keeps
 * what its return stub needs in CTB(keep). */
static void clear_thread(uintptr_t fs, int keep)
{
	clear_thread_blocks(fs, keep);
	clear_tls_blocks(fs);
}

/* glibc reuses the memory of a thread that ended, thread pointer
 * included, for a new thread: a record still live with the same thread
 * pointer is that of a thread that ended without ending it (none of
 * libia2's does). Its stacks go. */
static void drop_stale_record(uintptr_t fs)
{
	struct private_state *st = private_state();

	for (long i = 0; i < st->nrecords; i++)
		if (st->records[i].state == RECORD_LIVE && st->records[i].fs == fs) {
			free_stacks(st->records[i].tops);
			put_record(i);
		}
}

struct pair op_thread_start(uintptr_t i, uintptr_t b, int caller)
{
	struct thread_record *r = record_in(i, RECORD_PENDING, "a new thread");
	uintptr_t fs = thread_pointer();

	(void)b;
	if (r->compartment != caller)
		die("a thread that compartment %d created started in compartment %d",
		    r->compartment, caller);
	drop_stale_record(fs);
	r->fs = fs;
	r->state = RECORD_LIVE;
	set_up_thread_blocks(fs, r->tops, caller);
	tag_tls_blocks(fs);
	set_up_thread_signals(r->tops[0]);
	return (struct pair){r->tops[caller], r->tops[0]};
}

struct pair op_thread_end(uintptr_t i, uintptr_t b, int caller)
{
	struct thread_record *r = record_in(i, RECORD_LIVE, "a thread's end");

	(void)b;
	if (r->fs != thread_pointer())
		die("a thread's end: thread record %ld is another thread's", (long)i);
	release_thread_signals();
	clear_thread(r->fs, caller);
	free_stacks(r->tops);
	put_record(i);
	return (struct pair){0, 0};
}

/* In a fork's child, where only the calling thread goes on: every other
 * record, and the memory it accounts for, ends. */
void end_other_threads(void)
{
	struct private_state *st = private_state();
	uintptr_t fs = thread_pointer();

	for (long i = 0; i < st->nrecords; i++) {
		struct thread_record *r = &st->records[i];
		if (r->state == RECORD_FREE || (r->state == RECORD_LIVE && r->fs == fs))
			continue;
		if (r->state == RECORD_LIVE)
			clear_thread(r->fs, 0);
		free_stacks(r->tops);
		put_record(i);
	}
}

/* The area of a thread's block for compartment c (runtime.c,
 * allocate_stack) that holds addr, or NULL. */
static const char *area_of(uintptr_t top, uintptr_t addr)
{
	if (addr < top && addr >= top - IA2_STACK_SIZE)
		return "stack";
	if (addr < sigstack_top(top) && addr >= sigstack_top(top) - IA2_SIGSTACK_SIZE)
		return "signal stack";
	if (addr < landing_top(top) && addr >= landing_top(top) - IA2_CANCEL_STACK_SIZE)
		return "landing stack";
	if (addr >= dyntls_area(top) && addr < dyntls_area(top) + IA2_DYNTLS_SIZE)
		return "dynamic TLS area";
	return NULL;
}

/* The live record, and the compartment, whose stack block holds addr,
 * with the area's name; false if none. */
static bool find_stack_block(pid_t pid, uintptr_t addr, struct thread_record *r, int *c,
			     const char **area)
{
	struct private_state st;

	if (!read_remote(pid, (uintptr_t)private_state(), &st, sizeof st))
		return false;
	for (long i = 0; i < st.nrecords; i++) {
		if (!read_remote(pid, (uintptr_t)&st.records[i], r, sizeof *r) || r->state == RECORD_FREE)
			continue;
		for (*c = 0; *c <= IA2_LAST_COMPARTMENT; ++*c)
			if (r->tops[*c] && (*area = area_of(r->tops[*c], addr)))
				return true;
	}
	return false;
}

/* CTB(c).frame is the innermost gate frame c left through, or an odd
 * value if none (runtime.c, no_call_frame); the frame holds the gate and
 * ends with the caller's return address (gate_abi.h). */
bool pending_call(pid_t pid, uintptr_t addr, uintptr_t *ret, uintptr_t *gate)
{
	struct thread_record r;
	const char *area;
	uintptr_t frame;
	int c;

	return find_stack_block(pid, addr, &r, &c, &area) && c != 0 && !strcmp(area, "stack") &&
	       read_remote(pid, (uintptr_t)ctb_at(r.fs, c, IA2_CTB_FRAME), &frame, sizeof frame) &&
	       !(frame & 15) && read_remote(pid, frame + IA2_FRAME_ARGS - 8, ret, sizeof *ret) &&
	       read_remote(pid, frame + IA2_FRAME_GATE, gate, sizeof *gate);
}

enum thread_area name_thread_area(pid_t pid, uintptr_t addr, char *buf, size_t size)
{
	struct private_state st;
	struct thread_record r;
	char what[256];
	const char *area;
	int c;

	if (!read_remote(pid, (uintptr_t)private_state(), &st, sizeof st))
		return NO_AREA;
	for (long i = 0; i < st.nrecords; i++) {
		if (!read_remote(pid, (uintptr_t)&st.records[i], &r, sizeof r) || r.state == RECORD_FREE)
			continue;
		if (r.fs && name_tls(r.fs, addr, what, sizeof what)) {
			format_to(buf, size, "%s, on the thread with thread pointer %#lx", what,
				  (unsigned long)r.fs);
			return TLS_AREA;
		}
	}
	if (!find_stack_block(pid, addr, &r, &c, &area))
		return NO_AREA;
	if (c)
		format_to(buf, size, "compartment %d's %s on the thread with thread pointer %#lx", c,
			  area, (unsigned long)r.fs);
	else
		format_to(buf, size, "the shared %s on the thread with thread pointer %#lx", area,
			  (unsigned long)r.fs);
	return STACK_AREA;
}
