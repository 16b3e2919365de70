/* libia2 startup: runs as a constructor of libia2.so, which every
 * compartment DSO depends on, so ld.so runs it before their constructors
 * (gABI, "Initialization and Termination Functions": dependencies first).
 *
 *  1. check that the CPU and kernel offer protection keys;
 *  2. allocate pkeys 1..15, so compartment N gets pkey N;
 *  3. find each compartment DSO by its .note.ia2 and tag its writable
 *     memory, leaving RELRO and its ia2_shared section at pkey 0;
 *  4. set up the heaps, and the main thread's stacks, CTBs, TLS and
 *     signal stack.
 *
 * It leaves PKRU at IA2_PKRU_STARTUP (all keys open). The first gate that
 * ld.so or libc call, a compartment DSO's init array or main, moves to its
 * compartment for good: nothing ever writes PKRU 0 again (emit.c). */
#include <cpuid.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <gnu/lib-names.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

static int main_program_compartment;

/* XCR0 tells which register state the OS saves: AVX needs bits 1-2,
 * AVX-512 bits 5-7 (Intel SDM vol. 1, 13.3). */
static unsigned char detect_xfeatures(void)
{
	unsigned a = 0, b = 0, c = 0, d = 0, lo, hi;
	unsigned char f = 0;

	__get_cpuid(1, &a, &b, &c, &d);
	if (!(c & (1u << 27)))   /* OSXSAVE: xgetbv is usable */
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((c & (1u << 28)) && (lo & 6) == 6)
		f |= IA2_XF_AVX;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 16)) && (lo & 0xe6) == 0xe6)
		f |= IA2_XF_AVX512;
	return f;
}

/* libia2 defines pthread_create() (threads.c), sigaction() and the
 * longjmp family (signals.c), and must go on to glibc's. A lookup through libc's own
 * handle finds them wherever libia2 sits in the lookup scope (RTLD_NEXT
 * would not when libc comes first). */
void *find_in_libc(const char *name)
{
	void *libc = dlopen(LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);
	void *f = libc ? dlsym(libc, name) : NULL;

	if (!f)
		die("cannot find glibc's %s() in %s: %s", name, LIBC_SO, dlerror());
	return f;
}

static uintptr_t page_down(uintptr_t x) { return x & ~(PAGE - 1); }
static uintptr_t page_up(uintptr_t x) { return (x + PAGE - 1) & ~(PAGE - 1); }

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

struct ia2_note {   /* gate_abi.h */
	int32_t compartment;
	int32_t shared_start; /* relative to the field's own address */
	int32_t shared_stop;
	int32_t flags;
	int32_t initfini;     /* relative to the field's own address */
	int32_t init_array, init_size, fini_array, fini_size;  /* postlink.c */
};
_Static_assert(sizeof(struct ia2_note) == IA2_NOTE_DESCSZ, "gate_abi.h");

/* A DSO whose IA2 note has another size was linked by an ia2 whose gates
 * may not match this runtime: refusing it beats guessing. */
static const struct ia2_note *find_note(const struct dl_phdr_info *info, const char *dso)
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
					    "another version of ia2; relink it with this one", dso,
					    n->n_descsz, sizeof(struct ia2_note));
				return (const void *)desc;
			}
			p = desc + ((n->n_descsz + 3) & ~3u);
		}
	}
	return NULL;
}

int dso_compartment(const struct dl_phdr_info *info)
{
	const struct ia2_note *note = find_note(info, info->dlpi_name);

	return note ? note->compartment : 0;
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

static void record_code(const struct dl_phdr_info *info, int c, const char *name)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		struct code_range *r = &__ia2_ro.s.code[__ia2_ro.s.ncode];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		if (__ia2_ro.s.ncode == MAX_CODE_RANGES)
			die("%s: more than %d executable segments in compartment DSOs", name,
			    MAX_CODE_RANGES);
		r->lo = info->dlpi_addr + ph->p_vaddr;
		r->hi = r->lo + ph->p_memsz;
		r->compartment = c;
		__ia2_ro.s.ncode++;
	}
}

static int tag_dso(struct dl_phdr_info *info, size_t size, void *arg)
{
	const char *name = info->dlpi_name[0] ? info->dlpi_name : "the main program";
	const struct ia2_note *note = find_note(info, name);
	uintptr_t rlo, rhi, slo, shi;
	int c;

	(void)size;
	(void)arg;
	if (!note)
		return 0;
	c = note->compartment;
	if (c < 1 || c > IA2_MAX_COMPARTMENTS)
		die("%s: compartment %d in .note.ia2 is out of range 1..%d", name, c,
		    IA2_MAX_COMPARTMENTS);
	if (!(note->flags & IA2_NOTE_EMULATED) != !pkru_emulated)
		die("%s was linked %s --ia2-emulate-pkru, but this process runs %s; link every "
		    "compartment the same way", name, pkru_emulated ? "without" : "with",
		    pkru_emulated ? "libia2-emulated.so" : "libia2.so");
	__ia2_ro.s.present[c] = 1;
	if (!info->dlpi_name[0])
		main_program_compartment = c;
	relro_range(info, &rlo, &rhi);
	slo = (uintptr_t)&note->shared_start + note->shared_start;
	shi = (uintptr_t)&note->shared_stop + note->shared_stop;
	if (slo & (PAGE - 1) || shi & (PAGE - 1))
		die("%s: the ia2_shared section [%#lx, %#lx) is not page-aligned; was gates.o "
		    "linked last?", name, (unsigned long)slo, (unsigned long)shi);
	record_code(info, c, name);
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		uintptr_t lo = page_down(info->dlpi_addr + ph->p_vaddr);
		uintptr_t hi = page_up(info->dlpi_addr + ph->p_vaddr + ph->p_memsz);
		tag_except(lo, hi, rlo, rhi, slo, shi, c, name);
	}
	return 0;
}

/* Without a compartment, main would run in the startup state with every
 * key open, and the compartments it calls would protect nothing. */
static void require_main_compartment(void)
{
	if (main_program_compartment)
		return;
	for (int c = 1; c <= IA2_MAX_COMPARTMENTS; c++)
		if (__ia2_ro.s.present[c])
			die("the main program has no compartment, but compartment %d exists: link "
			    "the executable with ia2-cc and --ia2-compartment=N (or a config rule)", c);
}

/* Heaps are separate only if libia2's malloc is the process's; a malloc
 * preloaded or linked ahead of it (another allocator, a sanitizer) would
 * put every compartment's data in one heap. The emulated runtime isolates
 * nothing anyway, and ASan and valgrind need their own malloc (valgrind
 * replaces the malloc family in every DSO that defines it, libia2's too). */
static bool own_malloc(void)
{
	void *used = dlsym(RTLD_DEFAULT, "malloc");

	if (used == (void *)ia2_own_malloc && !RUNNING_ON_VALGRIND)
		return true;
	if (!pkru_emulated)
		die("another malloc (%p) comes before libia2's in the symbol lookup order, so the "
		    "compartments' heaps would not be separate; do not preload an allocator", used);
	fputs("ia2: warning: another malloc is in use (ASan's or valgrind's); compartments "
	      "share its heap\n", stderr);
	return false;
}

/* The main thread's stacks and CTBs. */
static void set_up_main_thread(void)
{
	uintptr_t tops[IA2_MAX_COMPARTMENTS + 1] = {0};

	for (int c = 1; c <= IA2_MAX_COMPARTMENTS; c++)
		if (__ia2_ro.s.present[c])
			tops[c] = allocate_stack(c);
	set_up_thread_blocks(tops);
}

__attribute__((constructor(101))) static void ia2_init(void)
{
	set_up_pkeys();
	__ia2_ro.s.xfeatures = detect_xfeatures();
	__ia2_ro.s.libc_pthread_create = find_in_libc("pthread_create");
	__ia2_ro.s.libc_sigaction = find_in_libc("sigaction");
	__ia2_ro.s.libc_longjmp.siglongjmp = find_in_libc("siglongjmp");
	__ia2_ro.s.libc_longjmp.longjmp = find_in_libc("longjmp");
	__ia2_ro.s.libc_longjmp._longjmp = find_in_libc("_longjmp");
	__ia2_ro.s.libc_longjmp.longjmp_chk = find_in_libc("__longjmp_chk");
	dl_iterate_phdr(tag_dso, NULL);
	require_main_compartment();
	if (own_malloc())
		set_up_heaps();
	else
		use_process_malloc();
	if (mprotect(&__ia2_ro, PAGE, PROT_READ))
		die("cannot make ia2's settings read-only: %s", strerror(errno));
	set_up_main_thread();
	tag_thread_tls();
	set_up_signals();
	set_up_thread_signals();
	init_threads();
	__ia2_leave_startup();
}
