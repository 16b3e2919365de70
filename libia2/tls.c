/* Thread-local storage of compartment DSOs: each thread's block of a
 * compartment DSO gets the compartment's pkey when the thread starts and
 * pkey 0 back, cleared, when it ends (registry.c).
 *
 * Nothing else of TLS is tagged, so these stay shared, as the ABI needs
 * (docs/runtime.md, "TLS"): the thread control block at %fs:0 (the
 * stack-protector canary at %fs:0x28, the pointer guard, the DTV pointer
 * at %fs:8), the DTV itself (malloc'd, shared heap), and the blocks of
 * every other DSO: libc's (errno), libgcc's, ld.so's. libia2's own block
 * holds the CTBs, which carry their compartments' pkeys (runtime.c).
 *
 * The static TLS blocks of the DSOs loaded at startup lie at the same
 * offset from every thread's thread pointer (glibc's TLS_TCB_AT_TP layout,
 * fixed once ld.so has laid out static TLS). The offsets are found once,
 * at startup, before any compartment code runs, and kept read-only in
 * __ia2_ro: later, the DTV and ld.so's link maps that dl_iterate_phdr
 * reads are pkey-0 memory that any compartment could have changed.
 *
 * ia2-cc pads each compartment DSO's TLS to whole pages (emit.c); a block
 * that does not fill whole pages would share them with another DSO's and
 * is refused. */
#include <dlfcn.h>
#include <limits.h>
#include <link.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

const ElfW(Phdr) *tls_segment(const struct dl_phdr_info *info)
{
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_TLS)
			return &info->dlpi_phdr[i];
	return NULL;
}

/* dlpi_tls_data is this thread's block, or NULL if the DSO has none
 * (dl_iterate_phdr(3)); every DSO of startup has its block by now. */
static int find_block(struct dl_phdr_info *info, size_t size, void *arg)
{
	const ElfW(Phdr) *tls = tls_segment(info);
	uintptr_t lo = (uintptr_t)info->dlpi_tls_data, tp = *(uintptr_t *)arg;
	struct tls_block *b = &__ia2_ro.s.tls[__ia2_ro.s.ntls];
	int c;

	(void)size;
	if (!tls || !lo || !(c = dso_compartment(info)))
		return 0;
	if ((lo | tls->p_memsz) & (PAGE - 1))
		die("%s: its TLS block (%#lx bytes at %#lx) does not fill whole pages, so it cannot "
		    "get compartment %d's pkey; link it with this version of ia2-cc",
		    dso_name(info),
		    (unsigned long)tls->p_memsz, (unsigned long)lo, c);
	if (__ia2_ro.s.ntls == MAX_TLS_BLOCKS)
		die("more than %d compartment DSOs with thread-local data at startup",
		    MAX_TLS_BLOCKS);
	b->offset = (intptr_t)(lo - tp);
	b->image = (const char *)(info->dlpi_addr + tls->p_vaddr);
	b->size = tls->p_memsz;
	b->filesz = tls->p_filesz;
	b->compartment = c;
	__ia2_ro.s.ntls++;
	return 0;
}

/* In the startup state, before __ia2_ro becomes read-only. */
void find_tls_blocks(void)
{
	uintptr_t tp = thread_pointer();

	iterate_dsos(find_block, &tp);
}

/* Tagged first, then initialized as glibc did when it made the thread
 * (elf/dl-tls.c, _dl_allocate_tls_init): whatever another compartment
 * wrote there before the tag is gone. */
void tag_tls_blocks(uintptr_t fs)
{
	for (int i = 0; i < __ia2_ro.s.ntls; i++) {
		const struct tls_block *b = &__ia2_ro.s.tls[i];
		char *lo = (char *)(fs + b->offset);

		tag((uintptr_t)lo, (uintptr_t)lo + b->size, b->compartment, "a TLS block");
		memcpy(lo, b->image, b->filesz);
		memset(lo + b->filesz, 0, b->size - b->filesz);
	}
}

void clear_tls_blocks(uintptr_t fs)
{
	for (int i = 0; i < __ia2_ro.s.ntls; i++) {
		const struct tls_block *b = &__ia2_ro.s.tls[i];
		char *lo = (char *)(fs + b->offset);

		memset(lo, 0, b->size);
		tag((uintptr_t)lo, (uintptr_t)lo + b->size, 0, "a TLS block");
	}
}

bool name_tls(uintptr_t fs, uintptr_t addr, char *buf, size_t size)
{
	for (int i = 0; i < __ia2_ro.s.ntls; i++) {
		const struct tls_block *b = &__ia2_ro.s.tls[i];
		uintptr_t lo = fs + b->offset;
		char file[PATH_MAX];
		Dl_info info;

		if (addr < lo || addr - lo >= b->size)
			continue;
		/* The executable's name is as it was started, from the
		 * program's first working directory, which the monitor has. */
		if (!dladdr(b->image, &info) || !info.dli_fname || !realpath(info.dli_fname, file))
			format_to(file, sizeof file, "a DSO");
		format_to(buf, size, "compartment %d's thread-local storage of %s, %#lx bytes in",
			  b->compartment, file, (unsigned long)(addr - lo));
		return true;
	}
	return false;
}
