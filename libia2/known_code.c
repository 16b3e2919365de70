/* The code loaded at startup, recorded once before any compartment runs
 * and read-only from then on.
 *
 * ld.so's link maps say where each DSO is, and libia2 reads them to tell
 * a compartment's code from shared code and a gate from a body
 * (find_code_place). But the link maps are pkey-0 data that every
 * compartment can write: one that forges its own DSO's entry could make
 * a body pass for a gate, or for libc. Code loaded at startup never
 * moves, so its record here, made while only libia2 and code outside
 * the compartments have run, answers for it instead; only DSOs that
 * dlopen loads later still come from the link maps.
 *
 * The record keeps each executable segment with its DSO's compartment,
 * its .note.ia2 (whose table of gate entries is in the DSO's read-only
 * pages) and its .eh_frame_hdr (function starts), and the exported
 * functions of libia2 and ld.so, the only functions of theirs that a
 * compartment may reach through a pointer (indirect.c). It lives in a
 * runtime table, which the syscall monitor keeps anyone from changing
 * (memory_policy.c). */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdbool.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "runtime.h"

#define MAX_KNOWN_SEGMENTS 128
#define MAX_RUNTIME_EXPORTS 1024

struct known_segment {
	uintptr_t lo, hi, base;
	const char *name;            /* for messages */
	const void *note;            /* NULL: outside every compartment */
	const uint8_t *eh_frame_hdr;
	int compartment;
	bool runtime;                /* libia2's or ld.so's */
};

union known_code {
	struct {
		int nsegments, nexports;
		struct known_segment segments[MAX_KNOWN_SEGMENTS];
		uintptr_t exports[MAX_RUNTIME_EXPORTS];   /* sorted */
	};
	char pages[4 * PAGE];
};
_Static_assert(sizeof(struct known_segment) * MAX_KNOWN_SEGMENTS + 8 * MAX_RUNTIME_EXPORTS + 8 <=
		       4 * PAGE, "the record fits its pages");

static union known_code known RUNTIME_TABLE;

extern char __ehdr_start[] __attribute__((visibility("hidden")));

static bool is_runtime(const struct dl_phdr_info *info)
{
	return info->dlpi_addr == getauxval(AT_BASE) ||
	       (uintptr_t)__ehdr_start - info->dlpi_addr < PAGE;
}

/* A dynamic entry's address: ld.so relocates most of them in place in
 * the DSOs it loads, but not in the vDSO's or its own early ones. */
static const void *dynamic_address(const struct dl_phdr_info *info, ElfW(Addr) v)
{
	return (const void *)(v < info->dlpi_addr ? info->dlpi_addr + v : v);
}

/* The number of dynamic symbols, from DT_GNU_HASH: past the highest
 * bucket's start, the chain of the last bucket ends at the entry whose
 * low bit is set (the ELF GNU hash layout; binutils' bfd/elflink.c). */
static size_t gnu_hash_symbols(const uint32_t *h)
{
	uint32_t nbuckets = h[0], symoffset = h[1], bloom_words = h[2];
	const uint32_t *buckets = h + 4 + bloom_words * (sizeof(ElfW(Addr)) / 4);
	const uint32_t *chain = buckets + nbuckets;
	uint32_t last = 0;

	for (uint32_t i = 0; i < nbuckets; i++)
		if (buckets[i] > last)
			last = buckets[i];
	if (last < symoffset)
		return symoffset;
	while (!(chain[last - symoffset] & 1))
		last++;
	return last + 1;
}

static void add_exports(const struct dl_phdr_info *info)
{
	const ElfW(Dyn) *dyn = NULL;
	const ElfW(Sym) *syms = NULL;
	const uint32_t *hash = NULL;
	size_t n;

	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const void *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
	for (; dyn && dyn->d_tag != DT_NULL; dyn++)
		if (dyn->d_tag == DT_SYMTAB)
			syms = dynamic_address(info, dyn->d_un.d_ptr);
		else if (dyn->d_tag == DT_GNU_HASH)
			hash = dynamic_address(info, dyn->d_un.d_ptr);
	if (!syms || !hash)
		die("%s: no dynamic symbol table with a GNU hash; libia2 cannot tell its exported "
		    "functions", dso_name(info));
	n = gnu_hash_symbols(hash);
	for (size_t i = 0; i < n; i++) {
		if (ELF64_ST_TYPE(syms[i].st_info) != STT_FUNC || syms[i].st_shndx == SHN_UNDEF)
			continue;
		if (known.nexports == MAX_RUNTIME_EXPORTS)
			die("%s: more than %d exported functions", dso_name(info), MAX_RUNTIME_EXPORTS);
		known.exports[known.nexports++] = info->dlpi_addr + syms[i].st_value;
	}
}

static int add_segments(struct dl_phdr_info *info, size_t size, void *arg)
{
	bool runtime = is_runtime(info);

	(void)size;
	(void)arg;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		struct known_segment *s = &known.segments[known.nsegments];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		if (known.nsegments == MAX_KNOWN_SEGMENTS)
			die("%s: more than %d executable segments at startup", dso_name(info),
			    MAX_KNOWN_SEGMENTS);
		s->lo = info->dlpi_addr + ph->p_vaddr;
		s->hi = s->lo + ph->p_memsz;
		s->base = info->dlpi_addr;
		s->name = dso_name(info);
		s->note = dso_note(info);
		s->eh_frame_hdr = eh_frame_hdr(info);
		s->compartment = dso_compartment(info);
		s->runtime = runtime;
		known.nsegments++;
	}
	if (runtime)
		add_exports(info);
	return 0;
}

/* In place, without glibc's qsort: libia2 defines qsort (calls_back.c),
 * and its own calls would bind to that. A few hundred entries, once. */
static void sort_exports(void)
{
	for (int i = 1; i < known.nexports; i++) {
		uintptr_t v = known.exports[i];
		int j = i;
		for (; j > 0 && known.exports[j - 1] > v; j--)
			known.exports[j] = known.exports[j - 1];
		known.exports[j] = v;
	}
}

void know_startup_code(void)
{
	iterate_dsos(add_segments, NULL);
	sort_exports();
	if (mprotect(&known, sizeof known, PROT_READ))
		die("cannot make the record of the startup code read-only");
}

/* The recorded segment that holds pc; NULL if none does. */
static const struct known_segment *segment_of(uintptr_t pc)
{
	for (int i = 0; i < known.nsegments; i++)
		if (pc - known.segments[i].lo < known.segments[i].hi - known.segments[i].lo)
			return &known.segments[i];
	return NULL;
}

bool known_code_place(uintptr_t pc, struct code_place *out)
{
	const struct known_segment *s = segment_of(pc);
	Dl_info sym;

	if (!s)
		return false;
	out->dso = s->name;
	out->offset = pc - s->base;
	out->compartment = s->compartment;
	out->runtime = s->runtime;
	out->startup = true;
	out->gate = s->note && is_gate_entry(s->note, pc);
	/* A gate starts a function. A compartment's own assembly may lack
	 * unwind information: its dynamic symbols vouch for it only to
	 * itself. A gate, the case of every call through a pointer to
	 * another compartment, takes no lookup further. */
	out->function = out->gate || function_start_in(s->eh_frame_hdr, pc) == pc ||
			(s->compartment && dladdr((void *)pc, &sym) && (uintptr_t)sym.dli_saddr == pc);
	return true;
}

bool known_gate(uintptr_t pc, int *compartment)
{
	const struct known_segment *s = segment_of(pc);

	if (!s)
		return false;
	*compartment = s->note && is_gate_entry(s->note, pc) ? s->compartment : 0;
	return true;
}

bool known_runtime_export(uintptr_t pc)
{
	int lo = 0, hi = known.nexports;

	while (lo < hi) {
		int mid = lo + (hi - lo) / 2;
		if (known.exports[mid] < pc)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < known.nexports && known.exports[lo] == pc;
}
