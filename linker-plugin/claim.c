/* claim: which inputs the plugin takes over, and what it tells the linker
 * of them.
 *
 * The program's objects are claimed, as ia2-cc rewrites the objects on
 * its command line; the start files (crt*.o) and the static helpers that
 * the compiler driver adds (libgcc, libc_nonshared) are not, as ia2-cc
 * never sees them either. An archive member is offered only once the
 * linker selects it, and claimed then. The linker resolves symbols from
 * what add_symbols reports, so each claimed copy's global symbols are
 * reported as the object has them, with the COMDAT group signature as
 * comdat_key so that the linker keeps one copy of each group
 * (../shared/DESIGN.md, "The linker-plugin API"). */
#include "claim.h"

#include <elf.h>
#include <fcntl.h>
#include <gelf.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rewrite.h"
#include "util.h"

static bool is_toolchain_file(const char *path)
{
	static const char *const dirs[] = {"/usr/lib/gcc/", "/usr/lib/x86_64-linux-gnu/",
					   "/lib/x86_64-linux-gnu/", "/usr/lib/llvm-", NULL};
	char *copy = xstrdup(path);
	const char *base = basename(copy);
	bool skip = starts_with(base, "crt") && ends_with(base, ".o");

	for (int i = 0; dirs[i] && !skip; i++)
		skip = starts_with(path, dirs[i]);
	free(copy);
	return skip;
}

/* An x86-64 ELF relocatable object at file->offset (archive members sit
 * inside their archive). */
static bool is_relocatable(const struct ld_plugin_input_file *file)
{
	Elf64_Ehdr eh;

	return pread(file->fd, &eh, sizeof eh, file->offset) == (ssize_t)sizeof eh &&
	       !memcmp(eh.e_ident, ELFMAG, SELFMAG) && eh.e_ident[EI_CLASS] == ELFCLASS64 &&
	       eh.e_type == ET_REL && eh.e_machine == EM_X86_64;
}

static int copy_input(const struct ld_plugin_input_file *file, const char *to)
{
	int out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	char buf[65536];
	off_t done = 0;

	if (out < 0)
		return error("%s: cannot create", to);
	while (done < file->filesize) {
		size_t want = file->filesize - done < (off_t)sizeof buf ? (size_t)(file->filesize - done)
									: sizeof buf;
		ssize_t n = pread(file->fd, buf, want, file->offset + done);
		if (n <= 0 || write(out, buf, (size_t)n) != n) {
			close(out);
			return error("%s: cannot copy %s", to, file->name);
		}
		done += n;
	}
	return close(out) ? error("%s: cannot write", to) : 0;
}

/* The signature of the COMDAT group holding section shndx, or NULL. */
static const char *comdat_of(Elf *e, size_t symtab, size_t shndx)
{
	Elf_Scn *scn = NULL, *symscn = elf_getscn(e, symtab);
	Elf_Data *syms = elf_getdata(symscn, NULL);
	GElf_Shdr symsh;

	if (!syms || !gelf_getshdr(symscn, &symsh))
		return NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		GElf_Sym sig;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_GROUP || sh.sh_link != symtab ||
		    !(d = elf_getdata(scn, NULL)) || d->d_size < 4 || !(*(Elf32_Word *)d->d_buf & GRP_COMDAT))
			continue;
		for (size_t i = 1; i < d->d_size / 4; i++)
			if (((Elf32_Word *)d->d_buf)[i] == shndx)
				return gelf_getsym(syms, (int)sh.sh_info, &sig)
					       ? elf_strptr(e, symsh.sh_link, sig.st_name) : NULL;
	}
	return NULL;
}

static int plugin_visibility(int elf_vis)
{
	switch (elf_vis) {
	case STV_PROTECTED: return LDPV_PROTECTED;
	case STV_INTERNAL: return LDPV_INTERNAL;
	case STV_HIDDEN: return LDPV_HIDDEN;
	default: return LDPV_DEFAULT;
	}
}

static int plugin_kind(const GElf_Sym *s)
{
	bool weak = GELF_ST_BIND(s->st_info) == STB_WEAK;

	if (s->st_shndx == SHN_UNDEF)
		return weak ? LDPK_WEAKUNDEF : LDPK_UNDEF;
	if (s->st_shndx == SHN_COMMON)
		return LDPK_COMMON;
	return weak ? LDPK_WEAKDEF : LDPK_DEF;
}

/* The copy's global symbols, as the linker must see them. */
static int read_symbols(struct claimed *c)
{
	int fd;
	Elf *e = open_elf(c->copy, ELF_C_READ, &fd);
	Elf_Scn *scn = NULL;
	size_t strndx;
	int rc = -1;

	if (!e)
		return -1;
	if (elf_getshdrstrndx(e, &strndx))
		goto out;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB || !sh.sh_entsize ||
		    !(d = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = sh.sh_info; i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym s;
			const char *name, *key;
			if (!gelf_getsym(d, (int)i, &s) || GELF_ST_BIND(s.st_info) == STB_LOCAL ||
			    GELF_ST_TYPE(s.st_info) == STT_SECTION || GELF_ST_TYPE(s.st_info) == STT_FILE ||
			    !(name = elf_strptr(e, sh.sh_link, s.st_name)) || !*name)
				continue;
			key = s.st_shndx != SHN_UNDEF && s.st_shndx < SHN_LORESERVE
				      ? comdat_of(e, elf_ndxscn(scn), s.st_shndx) : NULL;
			c->syms = xrealloc(c->syms, (c->nsyms + 1) * sizeof *c->syms);
			c->syms[c->nsyms++] = (struct ld_plugin_symbol){
				.name = xstrdup(name), .def = (char)plugin_kind(&s),
				.visibility = plugin_visibility(GELF_ST_VISIBILITY(s.st_other)),
				.size = s.st_size, .comdat_key = key ? xstrdup(key) : NULL,
				.resolution = LDPR_UNKNOWN};
		}
		rc = 0;
		break;
	}
	if (rc)
		error("%s: no symbol table", c->copy);
out:
	elf_end(e);
	close(fd);
	return rc;
}

bool is_program_object(const struct ld_plugin_input_file *file)
{
	return !is_toolchain_file(file->name) && is_relocatable(file);
}

int declaration_of(const struct ld_plugin_input_file *file)
{
	char *image = xmalloc(file->filesize ? (size_t)file->filesize : 1);
	Elf *e = NULL;
	int c;

	if (pread(file->fd, image, file->filesize, file->offset) != (ssize_t)file->filesize)
		c = error("%s: cannot read it", file->name);
	else if (!(e = elf_memory(image, file->filesize)))
		c = error("%s: %s", file->name, elf_errmsg(-1));
	else
		c = read_declaration(e, file->name);
	elf_end(e);
	free(image);
	return c;
}

int claim_input(struct linker *ld, const struct ld_plugin_input_file *file, int *claimed)
{
	struct claimed c = {0};

	if (!is_program_object(file))
		return 0;
	c.copy = format("%s/in%zu.o", ld->workdir, ld->nclaimed);
	if (copy_input(file, c.copy) || read_symbols(&c))
		return -1;
	if (ld->add_symbols(file->handle, (int)c.nsyms, c.syms) != LDPS_OK)
		return error("%s: the linker refused its symbols", file->name);
	ld->claimed = xrealloc(ld->claimed, (ld->nclaimed + 1) * sizeof *ld->claimed);
	ld->claimed[ld->nclaimed++] = c;
	*claimed = 1;
	return 0;
}
