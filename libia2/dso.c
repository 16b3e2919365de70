/* Compartment DSOs: found by their .note.ia2 (gate_abi.h), their writable
 * memory tagged with their compartment's pkey, their code listed for
 * signals.c.
 *
 * At startup libia2's constructor does this for every loaded DSO before
 * any other constructor runs (init.c). A DSO that dlopen loads later is
 * admitted by loads.c before ld.so relocates it, then tagged when its
 * init entry (objrewrite/emit.c), which ld.so calls before the DSO's
 * constructors, calls __ia2_dso_loaded here; at startup that call finds
 * the DSO among those already done.
 * dlclose drops unloaded DSOs' code from the table, and their dynamic
 * TLS from dyntls.c's. */
#include <dlfcn.h>
#include <elf.h>
#include <fnmatch.h>
#include <link.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

#include "runtime.h"

struct ia2_note {   /* gate_abi.h */
	int32_t compartment;
	int32_t shared_start; /* relative to the field's own address */
	int32_t shared_stop;
	int32_t flags;
	int32_t initfini;     /* relative to the field's own address */
	int32_t init_array, init_size, fini_array, fini_size;  /* postlink.c */
	uint32_t loadable;
	int32_t gates_start, gates_stop;  /* relative to the field's own address */
	int32_t loads_start, loads_stop;  /* relative to the field's own address */
	int32_t syscalls_start, syscalls_stop;  /* relative to the field's own address */
};
_Static_assert(sizeof(struct ia2_note) == IA2_NOTE_DESCSZ, "gate_abi.h");
_Static_assert(offsetof(struct ia2_note, loadable) == IA2_NOTE_LOADABLE, "gate_abi.h");
_Static_assert(offsetof(struct ia2_note, flags) == IA2_NOTE_FLAGS, "gate_abi.h");
_Static_assert(offsetof(struct ia2_note, gates_start) == IA2_NOTE_GATES, "gate_abi.h");
_Static_assert(offsetof(struct ia2_note, loads_start) == IA2_NOTE_LOADS, "gate_abi.h");
_Static_assert(offsetof(struct ia2_note, syscalls_start) == IA2_NOTE_SYSCALLS, "gate_abi.h");

static uintptr_t page_down(uintptr_t x) { return x & ~(PAGE - 1); }
static uintptr_t page_up(uintptr_t x) { return (x + PAGE - 1) & ~(PAGE - 1); }

const char *dso_name(const struct dl_phdr_info *info)
{
	return info->dlpi_name[0] ? info->dlpi_name : "the main program";
}

/* A DSO whose IA2 note has another size was linked by an ia2 whose gates
 * may not match this runtime: refusing it beats guessing. */
static const struct ia2_note *find_note(const struct dl_phdr_info *info)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_NOTE)
			continue;
		const char *p = (const char *)(info->dlpi_addr + ph->p_vaddr);
		const char *end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *n = (const void *)p;
			const char *name = p + sizeof *n;
			const char *desc = name + ((n->n_namesz + 3) & ~3u);
			if (n->n_type == IA2_NOTE_TYPE && n->n_namesz == 4 && !memcmp(name, "IA2", 4)) {
				if (n->n_descsz != sizeof(struct ia2_note))
					die("%s: its .note.ia2 has %u bytes, not %zu: it was linked by "
					    "another version of ia2; relink it with this one",
					    dso_name(info), n->n_descsz, sizeof(struct ia2_note));
				return (const void *)desc;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return NULL;
}

const void *dso_note(const struct dl_phdr_info *info)
{
	return find_note(info);
}

int dso_compartment(const struct dl_phdr_info *info)
{
	const struct ia2_note *note = find_note(info);

	return note ? note->compartment : 0;
}

/* The note's compartment, once the note is known to suit this runtime. */
static int check_note(const struct dl_phdr_info *info, const struct ia2_note *note)
{
	int c = note->compartment;

	if (c < 1 || c > IA2_LAST_COMPARTMENT)
		die("%s: compartment %d in .note.ia2 is out of range 1..%d", dso_name(info), c,
		    IA2_LAST_COMPARTMENT);
	if (!(note->flags & IA2_NOTE_FINISHED))
		die("%s was linked without ia2's post-link step, so its constructors would run "
		    "outside its compartment: run ia2-objrewrite --finish on it after linking it "
		    "(ia2-cc does this itself)", dso_name(info));
	if (!(note->flags & IA2_NOTE_EMULATED) != !pkru_emulated)
		die("%s was linked %s --ia2-emulate-pkru, but this process runs %s; link every "
		    "compartment the same way", dso_name(info), pkru_emulated ? "without" : "with",
		    pkru_emulated ? "libia2-emulated.so" : "libia2.so");
	return c;
}

int checked_compartment(const struct dl_phdr_info *info)
{
	const struct ia2_note *note = find_note(info);

	return note ? check_note(info, note) : 0;
}

/* The rules are NUL-terminated globs, each after its compartment's byte
 * (objrewrite/emit.c, emit_load_rules). */
static bool note_admits(const struct ia2_note *note, const char *path, int c, const char **glob)
{
	const char *p = (const char *)&note->loads_start + note->loads_start;
	const char *end = (const char *)&note->loads_stop + note->loads_stop;

	while (p < end) {
		const char *g = p + 1;
		const char *nul = memchr(g, '\0', (size_t)(end - g));
		if (!nul)
			return false;
		if (*p == c && fnmatch(g, path, FNM_PATHNAME | FNM_PERIOD) == 0) {
			*glob = g;
			return true;
		}
		p = nul + 1;
	}
	return false;
}

/* Whether a syscalls rule of a startup DSO's note (objrewrite/emit.c,
 * emit_syscall_rules) denies call nr to compartment c. */
bool config_denies_call(int c, long nr)
{
	uint32_t want = (uint32_t)c << 16 | (uint32_t)nr;

	for (int i = 0; i < __ia2_ro.s.nstartup; i++) {
		const struct ia2_note *note = __ia2_ro.s.startup_notes[i];
		const uint32_t *p = (const void *)((const char *)&note->syscalls_start + note->syscalls_start);
		const uint32_t *end = (const void *)((const char *)&note->syscalls_stop + note->syscalls_stop);
		for (; p < end; p++)
			if (*p == want)
				return true;
	}
	return false;
}

bool path_rule_admits(const char *path, int c, const char **glob)
{
	for (int i = 0; i < __ia2_ro.s.nstartup; i++)
		if (note_admits(__ia2_ro.s.startup_notes[i], path, c, glob))
			return true;
	return false;
}

/* Tag [lo, hi) minus two holes that stay pkey 0. */
static void tag_except(uintptr_t lo, uintptr_t hi, uintptr_t h1lo, uintptr_t h1hi,
		       uintptr_t h2lo, uintptr_t h2hi, int pkey, const char *what)
{
	if (h1lo > h2lo) {
		uintptr_t t = h1lo; h1lo = h2lo; h2lo = t;
		t = h1hi; h1hi = h2hi; h2hi = t;
	}
	uintptr_t cur = lo;
	uintptr_t holes[2][2] = {{h1lo, h1hi}, {h2lo, h2hi}};
	for (int i = 0; i < 2; i++) {
		uintptr_t a = holes[i][0] > cur ? holes[i][0] : cur;
		uintptr_t b = holes[i][1] < hi ? holes[i][1] : hi;
		if (a >= b)
			continue;
		tag(cur, a, pkey, what);
		cur = b;
	}
	tag(cur, hi, pkey, what);
}

static void relro_range(const struct dl_phdr_info *info, uintptr_t *lo, uintptr_t *hi)
{
	*lo = *hi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_GNU_RELRO) {
			/* glibc's _dl_protect_relro rounds both ends down. */
			*lo = page_down(info->dlpi_addr + ph->p_vaddr);
			*hi = page_down(info->dlpi_addr + ph->p_vaddr + ph->p_memsz);
		}
	}
}

/* Every writable PT_LOAD gets pkey c, except RELRO, read-only already,
 * and the ia2_shared section, which stays pkey 0. */
static void tag_memory(const struct dl_phdr_info *info, const struct ia2_note *note, int c)
{
	uintptr_t rlo, rhi;
	uintptr_t slo = (uintptr_t)&note->shared_start + note->shared_start;
	uintptr_t shi = (uintptr_t)&note->shared_stop + note->shared_stop;

	if (slo & (PAGE - 1) || shi & (PAGE - 1))
		die("%s: the ia2_shared section [%#lx, %#lx) is not page-aligned; was gates.o "
		    "linked last?", dso_name(info), (unsigned long)slo, (unsigned long)shi);
	relro_range(info, &rlo, &rhi);
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uintptr_t lo = page_down(info->dlpi_addr + ph->p_vaddr);
		uintptr_t hi = page_up(info->dlpi_addr + ph->p_vaddr + ph->p_memsz);
		tag_except(lo, hi, rlo, rhi, slo, shi, c, dso_name(info));
	}
}

/* The DW_EH_PE encodings (LSB, "Exception Frame Header") that binutils
 * writes into .eh_frame_hdr: a table of (function start, FDE) pairs,
 * sorted, each a 4-byte offset from the header. */
enum { EH_PCREL_SDATA4 = 0x1b, EH_UDATA4 = 0x03, EH_DATAREL_SDATA4 = 0x3b };

const uint8_t *eh_frame_hdr(const struct dl_phdr_info *info)
{
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_GNU_EH_FRAME)
			return (const uint8_t *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	return NULL;
}

uintptr_t function_start_in(const uint8_t *hdr, uintptr_t addr)
{
	const int32_t *table;
	uint32_t n, lo = 0, hi;

	if (!hdr || hdr[0] != 1 || hdr[1] != EH_PCREL_SDATA4 || hdr[2] != EH_UDATA4 ||
	    hdr[3] != EH_DATAREL_SDATA4)
		return 0;
	memcpy(&n, hdr + 8, 4);
	table = (const int32_t *)(hdr + 12);
	hi = n;
	if (!n || (uintptr_t)(hdr + table[0]) > addr)
		return 0;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if ((uintptr_t)(hdr + table[2 * mid]) <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return (uintptr_t)(hdr + table[2 * lo]);
}

bool is_gate_entry(const void *dso_note, uintptr_t pc)
{
	const struct ia2_note *note = dso_note;
	const int32_t *p = (const int32_t *)((const char *)&note->gates_start + note->gates_start);
	const int32_t *end = (const int32_t *)((const char *)&note->gates_stop + note->gates_stop);

	for (; p < end; p++)
		if ((uintptr_t)p + *p == pc)
			return true;
	return false;
}

struct place {
	uintptr_t pc;
	struct code_place *out;
};

/* Whether one of the DSO's executable segments holds pc. */
static bool holds_code(const struct dl_phdr_info *info, uintptr_t pc)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) && pc - lo < ph->p_memsz)
			return true;
	}
	return false;
}

static int find_place(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct place *p = arg;
	const struct ia2_note *note;
	Dl_info sym;

	(void)size;
	if (!holds_code(info, p->pc))
		return 0;
	note = find_note(info);
	p->out->dso = dso_name(info);
	p->out->offset = p->pc - info->dlpi_addr;
	p->out->compartment = note ? note->compartment : 0;
	p->out->gate = note && is_gate_entry(note, p->pc);
	p->out->function = function_start_in(eh_frame_hdr(info), p->pc) == p->pc ||
			   (dladdr((void *)p->pc, &sym) && (uintptr_t)sym.dli_saddr == p->pc);
	return 1;
}

struct gate_lookup {
	uintptr_t pc;
	int compartment;
};

static int find_gate(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct gate_lookup *g = arg;
	const struct ia2_note *note;

	(void)size;
	if (!holds_code(info, g->pc))
		return 0;
	note = find_note(info);
	g->compartment = note && is_gate_entry(note, g->pc) ? note->compartment : 0;
	return 1;
}

int gate_compartment(uintptr_t pc, bool *startup)
{
	struct gate_lookup g = {pc, 0};

	if ((*startup = known_gate(pc, &g.compartment)))
		return g.compartment;
	iterate_dsos(find_gate, &g);
	return g.compartment;
}

/* Code loaded at startup is told by the record made then (known_code.c);
 * later code by ld.so's link maps, which compartments can write. */
void find_code_place(uintptr_t pc, struct code_place *out)
{
	struct place p = {pc, out};

	memset(out, 0, sizeof *out);
	if (!known_code_place(pc, out))
		iterate_dsos(find_place, &p);
}

static int scan_startup_dso(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct startup_dsos *found = arg;
	const struct ia2_note *note = find_note(info);
	int c;

	(void)size;
	if (!note)
		return 0;
	c = check_note(info, note);
	if (__ia2_ro.s.nstartup == MAX_STARTUP_DSOS)
		die("%s: more than %d compartment DSOs at startup", dso_name(info), MAX_STARTUP_DSOS);
	__ia2_ro.s.startup_notes[__ia2_ro.s.nstartup++] = note;
	found->compartments |= 1u << c;
	found->loadable |= note->loadable & IA2_COMPARTMENT_BITS;
	if (!info->dlpi_name[0])
		found->main_compartment = c;
	tag_memory(info, note, c);
	return 0;
}

void tag_startup_dsos(struct startup_dsos *found)
{
	memset(found, 0, sizeof *found);
	iterate_dsos(scan_startup_dso, found);
}

struct owner {
	const struct ia2_note *note;
	struct dl_phdr_info info;
	bool found;
};

static int find_owner(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct owner *o = arg;

	(void)size;
	if (find_note(info) != o->note)
		return 0;
	o->info = *info;
	o->found = true;
	return 1;
}

static bool tagged_at_startup(const void *note)
{
	for (int i = 0; i < __ia2_ro.s.nstartup; i++)
		if (__ia2_ro.s.startup_notes[i] == note)
			return true;
	return false;
}

/* Called by every compartment DSO's init entry, in whatever compartment
 * runs it: ld.so or libc at startup, the caller of dlopen later. The DSOs
 * of startup were tagged and listed by ia2_init already (their notes are
 * in __ia2_ro, read-only); a DSO that dlopen loads was admitted, and its
 * code scanned, before ld.so relocated it (loads.c). Only a note inside
 * an admitted DSO's PT_NOTE counts, so a compartment that calls this with
 * a forged note achieves nothing; with a real one, it repeats what was
 * done. */
API void __ia2_dso_loaded(const void *p)
{
	struct owner o = {.note = p};
	int c;

	if (tagged_at_startup(p))
		return;
	see_loads_late();
	iterate_dsos(find_owner, &o);
	if (!o.found || !admitted_at_run_time(&o.info))
		die("__ia2_dso_loaded(%p): that is no admitted DSO's .note.ia2", p);
	c = check_note(&o.info, o.note);
	tag_memory(&o.info, o.note, c);
	add_dynamic_tls(&o.info, o.note, c);
}

/* The compartment of the DSO that a dlopen handle (its link map) names. */
struct handle_dso {
	const struct link_map *map;
	int compartment;
};

static int find_handle_dso(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct handle_dso *h = arg;

	(void)size;
	if (info->dlpi_addr != h->map->l_addr || info->dlpi_name != h->map->l_name)
		return 0;
	h->compartment = dso_compartment(info);
	return 1;
}

/* A DSO of another compartment n is unloaded in n's name (loads.c,
 * close_for_other). After glibc's dlclose the DSO may be unmapped, and
 * its TLS module ID may go to another DSO. */
API int dlclose(void *handle)
{
	struct handle_dso h = {0};
	int rc;

	set_up_libia2();
	if (!dlinfo(handle, RTLD_DI_LINKMAP, &h.map))
		iterate_dsos(find_handle_dso, &h);
	if (h.compartment && h.compartment != current_compartment() && h.map->l_name[0] == '/')
		rc = close_for_other(h.compartment, h.map->l_name);
	else
		rc = __ia2_ro.s.libc_dlclose(handle);
	see_loads_late();
	drop_unloaded_tls();
	return rc;
}
