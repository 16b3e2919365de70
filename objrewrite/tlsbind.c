/* tlsbind: after the link, bind the DSO's calls of __tls_get_addr to
 * libia2's __ia2_tls_get_addr (libia2/dyntls.c), which keeps the
 * thread-local data of compartment DSOs loaded with dlopen in their
 * compartment's memory; glibc would put it in the shared heap.
 *
 * Not in the objects: the linker recognizes __tls_get_addr by name in
 * the general- and local-dynamic sequences it relaxes in executables, and
 * refuses any other name there (ld.bfd: "TLS transition from
 * R_X86_64_TLSGD to R_X86_64_GOTTPOFF ... failed"; gold: "missing
 * expected TLS relocation"). In the linked DSO every such call goes
 * through the PLT or, with -fno-plt, the GOT, by a dynamic relocation
 * against the symbol __tls_get_addr; each gets the symbol index of
 * __ia2_tls_get_addr instead, which gates.s references so that the
 * linker gives it one (emit.c, emit_tls_binding). Relocations are
 * patched in place, as in postlink.c: nothing moves. */
#include "rewrite.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <string.h>
#include <unistd.h>

#define TLS_GET_ADDR "__tls_get_addr"
#define IA2_TLS_GET_ADDR "__ia2_tls_get_addr"

struct tls_syms {
	size_t dynsym;         /* the section index of .dynsym */
	size_t glibc, ia2;     /* symbol indexes, 0 if absent */
};

static int find_tls_syms(const char *path, Elf *e, struct tls_syms *t)
{
	Elf_Scn *scn = NULL;

	memset(t, 0, sizeof *t);
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh))
			return error("%s: bad section header: %s", path, elf_errmsg(-1));
		if (sh.sh_type != SHT_DYNSYM)
			continue;
		if (!sh.sh_entsize || !(d = elf_getdata(scn, NULL)))
			return error("%s: cannot read .dynsym: %s", path, elf_errmsg(-1));
		t->dynsym = elf_ndxscn(scn);
		for (size_t i = 1; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *name;
			if (!gelf_getsym(d, (int)i, &s) || !(name = elf_strptr(e, sh.sh_link, s.st_name)))
				return error("%s: bad dynamic symbol %zu: %s", path, i, elf_errmsg(-1));
			if (!strcmp(name, TLS_GET_ADDR))
				t->glibc = i;
			else if (!strcmp(name, IA2_TLS_GET_ADDR))
				t->ia2 = i;
		}
		return 0;
	}
	return 0;
}

static int rebind(const char *path, int fd, const GElf_Shdr *sh, size_t i, const GElf_Rela *r,
		  size_t sym)
{
	Elf64_Rela out = {r->r_offset, ELF64_R_INFO(sym, GELF_R_TYPE(r->r_info)), r->r_addend};
	off_t at = (off_t)(sh->sh_offset + i * sh->sh_entsize);

	if (pwrite(fd, &out, sizeof out, at) != (ssize_t)sizeof out)
		return error("%s: cannot write a relocation at %#llx: %s", path,
			     (unsigned long long)at, strerror(errno));
	return 0;
}

/* Rebinds the relocations of one section; counts the TLS descriptors. */
static int rebind_section(const char *path, int fd, Elf_Scn *scn, const GElf_Shdr *sh,
			  const struct tls_syms *t, size_t *tlsdesc)
{
	Elf_Data *d = elf_getdata(scn, NULL);

	if (!d || !sh->sh_entsize)
		return error("%s: cannot read relocations: %s", path, elf_errmsg(-1));
	for (size_t i = 0; i < sh->sh_size / sh->sh_entsize; i++) {
		GElf_Rela r;
		if (!gelf_getrela(d, (int)i, &r))
			return error("%s: bad relocation %zu: %s", path, i, elf_errmsg(-1));
		if (GELF_R_TYPE(r.r_info) == R_X86_64_TLSDESC)
			(*tlsdesc)++;
		if (!t->glibc || GELF_R_SYM(r.r_info) != t->glibc)
			continue;
		if (!t->ia2)
			return error("%s: calls " TLS_GET_ADDR " but has no symbol " IA2_TLS_GET_ADDR
				     ": link it with the gates.o of this version of ia2", path);
		if (rebind(path, fd, sh, i, &r, t->ia2))
			return -1;
	}
	return 0;
}

int bind_tls_get_addr(const char *path)
{
	int rfd, fd = -1, rc;
	Elf *e = open_elf(path, ELF_C_READ, &rfd);
	struct tls_syms t;
	size_t tlsdesc = 0;
	Elf_Scn *scn = NULL;

	if (!e)
		return -1;
	rc = find_tls_syms(path, e, &t);
	if (!rc && t.glibc && (fd = open(path, O_RDWR)) < 0)
		rc = error("%s: %s", path, strerror(errno));
	while (!rc && t.dynsym && (scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			rc = error("%s: bad section header: %s", path, elf_errmsg(-1));
		else if (sh.sh_type == SHT_RELA && sh.sh_link == t.dynsym)
			rc = rebind_section(path, fd, scn, &sh, &t, &tlsdesc);
	}
	if (!rc && tlsdesc)
		warn("%s: %zu TLS descriptor relocations (-mtls-dialect=gnu2): loaded with dlopen, "
		     "its thread-local data would stay in shared memory; compile with "
		     "-mtls-dialect=gnu", path, tlsdesc);
	elf_end(e);
	close(rfd);
	if (fd >= 0 && close(fd) && !rc)
		rc = error("%s: %s", path, strerror(errno));
	return rc;
}
