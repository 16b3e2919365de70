/* Thread-local storage of compartment DSOs: each thread's block of a
 * compartment DSO gets the compartment's pkey when the thread starts and
 * pkey 0 back when it ends.
 *
 * Nothing else of TLS is tagged, so these stay shared, as the ABI needs
 * (docs/runtime.md, "TLS"): the thread control block at %fs:0 (the
 * stack-protector canary at %fs:0x28, the pointer guard, the DTV pointer
 * at %fs:8), the DTV itself (malloc'd, shared heap), and the blocks of
 * every other DSO: libc's (errno), libgcc's, ld.so's. libia2's own block
 * holds the CTBs, which carry their compartments' pkeys (runtime.c).
 *
 * ia2-cc pads each compartment DSO's TLS to whole pages (emit.c); a block
 * that does not fill whole pages would share them with another DSO's and
 * is refused. */
#include <link.h>
#include <stdbool.h>

#include "runtime.h"

const ElfW(Phdr) *tls_segment(const struct dl_phdr_info *info)
{
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_TLS)
			return &info->dlpi_phdr[i];
	return NULL;
}

/* dlpi_tls_data is this thread's block, or NULL if the DSO has none or
 * this thread has not allocated it yet (dynamic TLS; dl_iterate_phdr(3)). */
static int retag_block(struct dl_phdr_info *info, size_t size, void *arg)
{
	const ElfW(Phdr) *tls = tls_segment(info);
	bool restore = *(bool *)arg;
	uintptr_t lo = (uintptr_t)info->dlpi_tls_data;
	int c;

	(void)size;
	if (!tls || !lo || !(c = dso_compartment(info)))
		return 0;
	if ((lo | tls->p_memsz) & (PAGE - 1))
		die("%s: its TLS block (%#lx bytes at %#lx) does not fill whole pages, so it cannot "
		    "get compartment %d's pkey; link it with this version of ia2-cc",
		    info->dlpi_name[0] ? info->dlpi_name : "the main program",
		    (unsigned long)tls->p_memsz, (unsigned long)lo, c);
	tag(lo, lo + tls->p_memsz, restore ? 0 : c, "a TLS block");
	return 0;
}

void tag_thread_tls(void)
{
	bool restore = false;

	dl_iterate_phdr(retag_block, &restore);
}

void release_thread_tls(void)
{
	bool restore = true;

	dl_iterate_phdr(retag_block, &restore);
}
