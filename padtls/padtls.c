/* The TLS block of a module is p_memsz bytes, the first p_filesz of them
 * copied from the image at p_vaddr, aligned to p_align (gABI, "Thread-
 * Local Storage"). On x86-64 glibc places the blocks below the thread
 * pointer, which it aligns to the largest p_align, each at an offset its
 * own alignment divides, plus p_vaddr modulo p_align (elf/dl-tls.c,
 * _dl_determine_tlsoffset). So a block fills whole pages of its own iff
 *  - p_align is at least a page and p_vaddr is page-aligned, and
 *  - p_memsz is a whole number of pages: the slack behind a shorter
 *    block is where glibc fits the blocks of later modules.
 *
 * What can be changed after linking:
 *  - p_memsz, always: the added bytes are zeroed .tbss nobody uses, and
 *    with p_align at least a page, the thread-pointer offsets an
 *    executable's code was linked with, -roundup(p_memsz, p_align), stay
 *    the same;
 *  - p_align, in a shared object only: its code finds its TLS through
 *    the DTV or through offsets ld.so computes at load time; in an
 *    executable the linker computed them from the old alignment;
 *  - p_vaddr, only if the image is empty (p_filesz 0): nothing is copied
 *    from it. */
#include "padtls.h"

#include <gelf.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#define PAGE 4096UL

static GElf_Xword page_up(GElf_Xword x) { return (x + PAGE - 1) & ~(PAGE - 1); }

static bool has_interpreter(Elf *e, size_t nph)
{
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_INTERP)
			return true;
	}
	return false;
}

/* Whether the dynamic section has tag `tag` (with `bits` set in its value). */
static bool has_dynamic(Elf *e, GElf_Sxword tag, GElf_Xword bits)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;
	GElf_Dyn dyn;

	while ((scn = elf_nextscn(e, scn))) {
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNAMIC || !data)
			continue;
		for (int i = 0; gelf_getdyn(data, i, &dyn) && dyn.d_tag != DT_NULL; i++)
			if (dyn.d_tag == tag && (dyn.d_un.d_val & bits) == bits)
				return true;
	}
	return false;
}

/* An executable's TLS is addressed at offsets from the thread pointer
 * that the linker computed. A PIE says so in DF_1_PIE; one from an older
 * linker has an interpreter and no soname. libc.so.6 has both an
 * interpreter and a soname: it is a shared object that can also run. */
static bool is_executable(Elf *e, const GElf_Ehdr *eh, size_t nph)
{
	return eh->e_type == ET_EXEC || has_dynamic(e, DT_FLAGS_1, DF_1_PIE) ||
	       (has_interpreter(e, nph) && !has_dynamic(e, DT_SONAME, 0));
}

/* The padded segment, or -1 with a message. */
static int padded(const char *path, GElf_Phdr *ph, bool executable)
{
	if (ph->p_align < PAGE) {
		if (executable)
			return error("%s: its TLS is aligned to %llu bytes and an executable's "
				     "thread-pointer offsets were fixed for that alignment; relink it with "
				     "its TLS aligned to a page (ia2-cc does this; with another driver, "
				     "link in an empty .tbss section aligned to 4096)", path,
				     (unsigned long long)ph->p_align);
		if (ph->p_vaddr % PAGE && ph->p_filesz)
			return error("%s: its TLS initialization image at %#llx is not page-aligned, "
				     "and it cannot be moved after linking; relink it with its TLS "
				     "aligned to a page (ia2-cc does this; with another driver, link in "
				     "an empty .tbss section aligned to 4096)", path,
				     (unsigned long long)ph->p_vaddr);
		ph->p_vaddr -= ph->p_vaddr % PAGE;
		ph->p_paddr = ph->p_vaddr;
		ph->p_offset -= ph->p_offset % PAGE;
		ph->p_align = PAGE;
	}
	if (ph->p_vaddr % PAGE)
		return error("%s: its TLS image at %#llx is not page-aligned although its alignment "
			     "is %llu; the file is corrupt", path, (unsigned long long)ph->p_vaddr,
			     (unsigned long long)ph->p_align);
	ph->p_memsz = page_up(ph->p_memsz);
	return 0;
}

/* The index of PT_TLS in *tls, or -1 if there is none. */
static int find_tls(const char *path, Elf *e, size_t nph, int *tls)
{
	*tls = -1;
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph))
			return error("%s: bad program header %zu: %s", path, i, elf_errmsg(-1));
		if (ph.p_type == PT_TLS)
			*tls = (int)i;
	}
	return 0;
}

static int pad_elf(const char *path, Elf *e, bool check)
{
	GElf_Ehdr eh;
	GElf_Phdr ph, want;
	size_t nph;
	int i;

	if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh))
		return error("%s: not an ELF file", path);
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
		return error("%s: not an x86-64 ELF64 file", path);
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return error("%s: not an executable or shared object (e_type %d)", path, eh.e_type);
	if (elf_getphdrnum(e, &nph))
		return error("%s: cannot count program headers: %s", path, elf_errmsg(-1));
	if (find_tls(path, e, nph, &i))
		return -1;
	if (i < 0)
		return 0;   /* no TLS, nothing to pad */
	gelf_getphdr(e, i, &ph);
	want = ph;
	if (padded(path, &want, is_executable(e, &eh, nph)))
		return -1;
	if (!memcmp(&want, &ph, sizeof ph))
		return 0;
	if (check)
		return 1;
	/* ELF_F_LAYOUT: libelf keeps every offset as it is in a linked file. */
	elf_flagelf(e, ELF_C_SET, ELF_F_LAYOUT);
	if (!gelf_update_phdr(e, i, &want) || elf_update(e, ELF_C_WRITE) < 0)
		return error("%s: cannot write the padded TLS header: %s", path, elf_errmsg(-1));
	return 0;
}

int pad_tls(const char *path, bool check)
{
	int fd, rc;
	Elf *e;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return error("libelf is too old: %s", elf_errmsg(-1));
	e = open_elf(path, check ? ELF_C_READ : ELF_C_RDWR, &fd);
	if (!e)
		return -1;
	rc = pad_elf(path, e, check);
	elf_end(e);
	close(fd);
	return rc;
}
