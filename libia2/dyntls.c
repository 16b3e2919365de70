/* Dynamic TLS: the thread-local data of compartment DSOs loaded with
 * dlopen, in their compartment's memory.
 *
 * glibc allocates a dlopen'd module's block in a thread at the first
 * __tls_get_addr for it there, with malloc, and frees it from ld.so when
 * the thread ends, with whatever PKRU that thread has then
 * (elf/dl-tls.c: allocate_dtv_entry, _dl_deallocate_tls). Such a block
 * must stay in the shared heap. So the post-link step binds every
 * compartment DSO's calls of __tls_get_addr to __ia2_tls_get_addr
 * (objrewrite/tlsbind.c), which keeps these blocks itself:
 *
 *  - the modules: a table of the compartment DSOs with TLS that dlopen
 *    loaded, on a page of its own that is never writable, replaced as a
 *    whole (runtime.c, replace_pages) as DSOs come and go. Each load
 *    gets a new serial, so blocks of an earlier load are never reused;
 *  - the blocks: each thread has, for each compartment c, an area tagged
 *    with c's pkey beside c's stacks (runtime.c), which CTB(c) points to.
 *    It begins with one slot per module of the table, the serial and the
 *    block it holds, then the blocks, allocated in turn (and from the
 *    start again once only unloaded DSOs' are left), and goes when the
 *    thread's stacks do. Only c can read or write it, and
 *    __ia2_tls_get_addr runs with the PKRU(c) of its caller.
 *
 * Every other module goes to glibc's __tls_get_addr: those of the DSOs
 * loaded at startup, whose static TLS tls.c tags, and those outside the
 * compartments. */
#include <errno.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

#define MAX_MODULES 32

struct module {
	size_t modid;            /* glibc's module ID; 0: a free entry */
	unsigned long serial;
	const void *note;        /* the DSO's, which tells it apart while loaded */
	const char *name;
	const char *image;       /* PT_TLS: the initialized part, then zeros */
	size_t filesz, memsz, align;
	int compartment;
};

union modules {
	struct {
		int n;                   /* entries 0..n-1 may be in use */
		unsigned long serial;    /* the last one given */
		struct module m[MAX_MODULES];
	};
	char page[PAGE];
};

static union modules modules REPLACEABLE_TABLE;
pthread_mutex_t dyntls_lock = PTHREAD_MUTEX_INITIALIZER;

/* The head of a thread's area for one compartment: next is the offset of
 * the first free byte, 0 before the first block. */
struct area {
	size_t next;
	struct {
		unsigned long serial;
		char *block;
	} slot[MAX_MODULES];
};
_Static_assert(sizeof(struct area) < IA2_DYNTLS_SIZE, "gate_abi.h");

/* The psABI's argument of __tls_get_addr (x86-64 psABI, "Thread-Local
 * Storage"; Drepper, "ELF Handling For Thread-Local Storage", 4.3.4). */
struct tls_index {
	unsigned long module, offset;
};

void *__tls_get_addr(struct tls_index *ti);

void set_up_dynamic_tls(void)
{
	if (mprotect(&modules, sizeof modules, PROT_READ))
		die("cannot make the dynamic TLS table read-only: %s", strerrorname_np(errno));
}

/* The entries of table t that may be in use. Any compartment can move a
 * forged copy over the table (runtime.h): a count past its room would
 * have the loops below index past their arrays, in a thread's area and
 * on the stack. */
static int module_count(const union modules *t)
{
	if (t->n < 0 || t->n > MAX_MODULES)
		die("the dynamic TLS table says it holds %d modules: a compartment forged it", t->n);
	return t->n;
}

static int entry_of(size_t modid)
{
	for (int i = 0, n = module_count(&modules); i < n; i++)
		if (modules.m[i].modid == modid)
			return i;
	return -1;
}

/* Whether a slot of the area holds the block of a module still loaded,
 * in the load it was made for. */
static bool holds_live_block(const struct area *a)
{
	for (int i = 0, n = module_count(&modules); i < n; i++)
		if (modules.m[i].modid && a->slot[i].serial == modules.m[i].serial)
			return true;
	return false;
}

/* Blocks are allocated in turn and never freed one by one: the area
 * starts again once it is full and holds blocks of unloaded DSOs only,
 * as after a DSO is closed and opened again. */
static char *new_block(struct area *a, const struct module *m)
{
	uintptr_t base = (uintptr_t)a;
	uintptr_t lo = base + (a->next ? a->next : sizeof *a);

	lo = (lo + m->align - 1) & ~(m->align - 1);
	if (lo + m->memsz > base + IA2_DYNTLS_SIZE && !holds_live_block(a)) {
		memset(a, 0, sizeof *a);
		lo = (base + sizeof *a + m->align - 1) & ~(m->align - 1);
	}
	if (lo + m->memsz > base + IA2_DYNTLS_SIZE)
		die("%s: no room for its %zu bytes of thread-local data in compartment %d's "
		    "dynamic TLS area of this thread (%d bytes, shared by the compartment's dlopen'd "
		    "DSOs and their reloads)", m->name, m->memsz, m->compartment, IA2_DYNTLS_SIZE);
	memcpy((char *)lo, m->image, m->filesz);
	memset((char *)lo + m->filesz, 0, m->memsz - m->filesz);
	a->next = lo + m->memsz - base;
	return (char *)lo;
}

/* The address ti names in module i's block of this thread, in the
 * caller's compartment. GCC does not always align the stack for
 * __tls_get_addr calls (GCC bug 58066; glibc's x86-64 __tls_get_addr
 * realigns it too). */
static __attribute__((noinline, force_align_arg_pointer)) void *
module_block(struct tls_index *ti, int i)
{
	const struct module *m = &modules.m[i];
	struct area *a;
	int c;

	c = current_compartment();
	if (c != m->compartment)
		die("compartment %d asked for the thread-local data of %s, which is compartment "
		    "%d's", c, m->name, m->compartment);
	a = (struct area *)ctb_get(c, IA2_CTB_DYNTLS);
	if (!a)
		die("this thread has no dynamic TLS area for compartment %d", c);
	if (a->slot[i].serial != m->serial) {
		a->slot[i].block = new_block(a, m);
		a->slot[i].serial = m->serial;
	}
	return a->slot[i].block + ti->offset;
}

/* Compartment code calls this instead of __tls_get_addr, on its own
 * stack with its own PKRU. Without dlopen'd compartment DSOs it is a
 * compare and a jump on top of glibc's. */
API void *__ia2_tls_get_addr(struct tls_index *ti)
{
	int i;

	if (!modules.n || (i = entry_of(ti->module)) < 0)
		return __tls_get_addr(ti);
	return module_block(ti, i);
}

static void add_module(void *copy, const void *arg)
{
	union modules *t = copy;
	const struct module *m = arg;
	int i = 0, n = module_count(t);

	while (i < n && t->m[i].modid)
		i++;
	if (i == MAX_MODULES)
		die("%s: more than %d compartment DSOs with thread-local data loaded with dlopen",
		    m->name, MAX_MODULES);
	t->m[i] = *m;
	t->m[i].serial = ++t->serial;
	if (i == n)
		t->n++;
}

/* A module that dlopen gave static TLS (DF_STATIC_TLS, in the surplus
 * glibc reserves for that) already has this thread's block; its code
 * reaches it without __tls_get_addr. */
void add_dynamic_tls(const struct dl_phdr_info *info, const void *note, int c)
{
	const ElfW(Phdr) *tls = tls_segment(info);
	struct module m = {0};

	if (!tls || !info->dlpi_tls_modid || info->dlpi_tls_data)
		return;
	m.modid = info->dlpi_tls_modid;
	m.note = note;
	m.name = info->dlpi_name;
	m.image = (const char *)(info->dlpi_addr + tls->p_vaddr);
	m.filesz = tls->p_filesz;
	m.memsz = tls->p_memsz;
	m.align = tls->p_align ? tls->p_align : 1;
	m.compartment = c;
	if (m.align & (m.align - 1) || m.align > IA2_DYNTLS_SIZE / 2 || m.filesz > m.memsz)
		die("%s: its TLS segment (alignment %#zx, %zu of %zu bytes initialized) is malformed",
		    m.name, m.align, m.filesz, m.memsz);
	pthread_mutex_lock(&dyntls_lock);
	replace_pages(&modules, sizeof modules, add_module, &m, "the dynamic TLS table");
	pthread_mutex_unlock(&dyntls_lock);
}

/* Which entries are still loaded: the same note at the same module ID. */
static int mark_loaded(struct dl_phdr_info *info, size_t size, void *arg)
{
	bool *loaded = arg;
	const void *note = dso_note(info);

	(void)size;
	for (int i = 0, n = module_count(&modules); note && i < n; i++)
		if (modules.m[i].note == note && modules.m[i].modid == info->dlpi_tls_modid)
			loaded[i] = true;
	return 0;
}

static void drop_modules(void *copy, const void *arg)
{
	union modules *t = copy;
	const bool *loaded = arg;

	for (int i = 0, n = module_count(t); i < n; i++)
		if (!loaded[i])
			t->m[i].modid = 0;
}

void drop_unloaded_tls(void)
{
	bool loaded[MAX_MODULES] = {0};
	bool stale = false;

	pthread_mutex_lock(&dyntls_lock);
	iterate_dsos(mark_loaded, loaded);
	for (int i = 0, n = module_count(&modules); i < n; i++)
		stale |= modules.m[i].modid && !loaded[i];
	if (stale)
		replace_pages(&modules, sizeof modules, drop_modules, loaded,
			      "the dynamic TLS table");
	pthread_mutex_unlock(&dyntls_lock);
}
