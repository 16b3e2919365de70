/* check: refuse a malformed object before any pass reads it.
 *
 * The later passes index sections, symbols and strings straight from
 * the headers, so every header field they trust is checked here once,
 * against the file itself: the section header table and each section's
 * bytes lie inside the file, the tables have the entry sizes of ELF64
 * (gABI, "Sections"), and every link, index and name offset points at
 * something that exists. libelf checks none of this before it is asked
 * for data (elfutils 0.188). */
#include "rewrite.h"
#include "util.h"

#include <string.h>
#include <sys/stat.h>

static bool fits(GElf_Off off, GElf_Xword size, GElf_Off file_size)
{
	return off <= file_size && size <= file_size - off;
}

static int check_section_table(struct object *o, GElf_Off file_size)
{
	GElf_Ehdr eh;
	size_t shstrndx;

	gelf_getehdr(o->elf, &eh);
	if (o->shnum == 0)
		return error("%s: no section headers; an object file needs them", o->name);
	if (eh.e_shentsize != sizeof(Elf64_Shdr))
		return error("%s: section header size %u, expected %zu for ELF64", o->name,
			     eh.e_shentsize, sizeof(Elf64_Shdr));
	if (o->shnum > file_size / sizeof(Elf64_Shdr) ||
	    !fits(eh.e_shoff, o->shnum * sizeof(Elf64_Shdr), file_size))
		return error("%s: the section header table (%zu entries at %#llx) runs past the end "
			     "of the %llu-byte file; the file is truncated or corrupt",
			     o->name, o->shnum, (unsigned long long)eh.e_shoff,
			     (unsigned long long)file_size);
	if (elf_getshdrstrndx(o->elf, &shstrndx) || shstrndx == 0 || shstrndx >= o->shnum)
		return error("%s: bad section header string table index", o->name);
	return 0;
}

/* Reading every section's data once also makes libelf report what it
 * cannot convert, here rather than in the middle of a pass. */
static int check_section(struct object *o, size_t i, GElf_Off file_size)
{
	GElf_Shdr sh;

	if (!gelf_getshdr(section(o, i), &sh))
		return error("%s: bad section header %zu: %s", o->name, i, elf_errmsg(-1));
	if (sh.sh_type != SHT_NOBITS && !fits(sh.sh_offset, sh.sh_size, file_size))
		return error("%s: section %zu (%#llx bytes at %#llx) runs past the end of the "
			     "%llu-byte file; the file is truncated or corrupt", o->name, i,
			     (unsigned long long)sh.sh_size, (unsigned long long)sh.sh_offset,
			     (unsigned long long)file_size);
	if (sh.sh_link >= o->shnum)
		return error("%s: section %zu links to section %u of %zu", o->name, i, sh.sh_link,
			     o->shnum);
	if (sh.sh_type != SHT_NOBITS && sh.sh_size && !elf_getdata(section(o, i), NULL))
		return error("%s: cannot read section %zu: %s", o->name, i, elf_errmsg(-1));
	return 0;
}

static int check_strtab(struct object *o, size_t i, const char *what)
{
	GElf_Shdr sh;
	Elf_Data *d;

	if (!gelf_getshdr(section(o, i), &sh) || sh.sh_type != SHT_STRTAB)
		return error("%s: the %s (section %zu) is not a string table", o->name, what, i);
	d = elf_getdata(section(o, i), NULL);
	if (!d || !d->d_size || ((const char *)d->d_buf)[d->d_size - 1] != '\0')
		return error("%s: the %s (section %zu) does not end in a NUL", o->name, what, i);
	return 0;
}

static int check_table(struct object *o, size_t i, const GElf_Shdr *sh, size_t entsize,
		       const char *what)
{
	if (sh->sh_entsize != entsize || sh->sh_size % entsize)
		return error("%s: %s section %s has entries of %llu bytes in %llu, expected %zu",
			     o->name, what, section_name(o, i), (unsigned long long)sh->sh_entsize,
			     (unsigned long long)sh->sh_size, entsize);
	return 0;
}

static int check_symbol(struct object *o, size_t i, const GElf_Sym *s, GElf_Word shndx,
			size_t strsize)
{
	if (s->st_name >= strsize)
		return error("%s: symbol %zu has name offset %u past the string table", o->name, i,
			     s->st_name);
	if (shndx >= o->shnum && shndx < SHN_LORESERVE)
		return error("%s: symbol %zu is in section %u of %zu", o->name, i, shndx, o->shnum);
	if (shndx >= o->shnum && s->st_shndx != SHN_XINDEX && shndx != SHN_ABS && shndx != SHN_COMMON)
		return error("%s: symbol %zu has the unsupported section index %#x", o->name, i, shndx);
	return 0;
}

/* Symbols whose section index does not fit in st_shndx keep it in
 * .symtab_shndx (gABI, "Extended Section Indexes"). */
static int check_symbols(struct object *o, size_t symtab, const GElf_Shdr *sh)
{
	Elf_Data *syms = elf_getdata(section(o, symtab), NULL);
	Elf_Data *names = elf_getdata(section(o, sh->sh_link), NULL);
	Elf_Data *xndx = NULL;

	for (size_t i = 1; i < o->shnum; i++) {
		GElf_Shdr x;
		if (gelf_getshdr(section(o, i), &x) && x.sh_type == SHT_SYMTAB_SHNDX && x.sh_link == symtab)
			xndx = elf_getdata(section(o, i), NULL);
	}
	for (size_t i = 0; i < sh->sh_size / sh->sh_entsize; i++) {
		GElf_Sym s;
		GElf_Word shndx;
		if (!gelf_getsymshndx(syms, xndx, (int)i, &s, &shndx))
			return error("%s: cannot read symbol %zu: %s", o->name, i, elf_errmsg(-1));
		if (s.st_shndx != SHN_XINDEX)
			shndx = s.st_shndx;
		if (check_symbol(o, i, &s, shndx, names->d_size))
			return -1;
	}
	return 0;
}

static int check_tables(struct object *o, size_t i)
{
	GElf_Shdr sh;

	gelf_getshdr(section(o, i), &sh);
	switch (sh.sh_type) {
	case SHT_SYMTAB:
		if (check_table(o, i, &sh, sizeof(Elf64_Sym), "symbol") ||
		    check_strtab(o, sh.sh_link, "symbol string table"))
			return -1;
		return check_symbols(o, i, &sh);
	case SHT_RELA:
		if (check_table(o, i, &sh, sizeof(Elf64_Rela), "relocation"))
			return -1;
		if (sh.sh_info == 0 || sh.sh_info >= o->shnum)
			return error("%s: relocation section %s applies to section %u of %zu", o->name,
				     section_name(o, i), sh.sh_info, o->shnum);
		return 0;
	case SHT_SYMTAB_SHNDX:
		return check_table(o, i, &sh, sizeof(Elf32_Word), "extended section index");
	default:
		return 0;
	}
}

int check_structure(struct object *o)
{
	struct stat st;
	size_t shstrndx;

	if (fstat(o->fd, &st))
		return error("%s: cannot stat the file", o->name);
	if (check_section_table(o, (GElf_Off)st.st_size))
		return -1;
	for (size_t i = 1; i < o->shnum; i++)
		if (check_section(o, i, (GElf_Off)st.st_size))
			return -1;
	elf_getshdrstrndx(o->elf, &shstrndx);
	if (check_strtab(o, shstrndx, "section name table"))
		return -1;
	for (size_t i = 1; i < o->shnum; i++)
		if (check_tables(o, i))
			return -1;
	return 0;
}
