/* declared: the compartment that a program's own sources declare, as
 * programs written for upstream IA2 do: a source file defines
 * IA2_COMPARTMENT and includes ia2_compartment_init.inc, which puts the
 * number, one byte, into the object's section .ia2.compartment, which
 * is not loaded. ia2-cc links the DSO into the compartment its inputs
 * declare when neither its options nor the config give one
 * (declared_compartment), and so does the linker plugin, from the first
 * of the program's objects it is offered (linker-plugin/plugin.c);
 * within a link, every declaration must name the DSO's compartment
 * (check_declarations). The members of thin archives are not read:
 * ia2-cc's inputs are files it compiled, objects and normal archives. */
#include "rewrite.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DECLARED_SECTION ".ia2.compartment"

int read_declaration(Elf *e, const char *name)
{
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	int declared = 0;

	if (elf_getshdrstrndx(e, &shstrndx))
		return error("%s: %s", name, elf_errmsg(-1));
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *n;
		Elf_Data *data = NULL;
		if (!gelf_getshdr(scn, &sh) || !(n = elf_strptr(e, shstrndx, sh.sh_name)))
			return error("%s: bad section header: %s", name, elf_errmsg(-1));
		if (strcmp(n, DECLARED_SECTION))
			continue;
		if (sh.sh_type != SHT_PROGBITS || (sh.sh_flags & SHF_ALLOC))
			return error("%s: section %s is not ia2_compartment_init.inc's", name, n);
		while ((data = elf_getdata(scn, data))) {
			for (size_t i = 0; i < data->d_size; i++) {
				int c = ((const unsigned char *)data->d_buf)[i];
				if (c < 1 || c > IA2_LAST_COMPARTMENT)
					return error("%s: declares compartment %d; compartments are "
						     "1..%d", name, c, IA2_LAST_COMPARTMENT);
				if (declared && c != declared)
					return error("%s: its sources declare compartments %d and %d "
						     "(IA2_COMPARTMENT); one DSO has one compartment",
						     name, declared, c);
				declared = c;
			}
		}
	}
	return declared;
}

int check_declarations(struct dso *d)
{
	for (size_t i = 0; i < d->nobjs; i++) {
		struct object *o = &d->objs[i];
		int c = read_declaration(o->elf, o->name);
		if (c < 0)
			return -1;
		if (c && c != d->compartment)
			return error("%s: declares compartment %d (IA2_COMPARTMENT, "
				     "ia2_compartment_init.inc), but this link puts the DSO in "
				     "compartment %d (--ia2-compartment or the config); make the two "
				     "agree", o->name, c, d->compartment);
	}
	return 0;
}

/* Folds compartment c, declared by `name`, into *declared. */
static int agree(int *declared, const char **by, int c, const char *name)
{
	if (c <= 0 || *declared == c)
		return c < 0 ? -1 : 0;
	if (*declared)
		return error("%s declares compartment %d and %s compartment %d (IA2_COMPARTMENT); "
			     "one DSO has one compartment", *by, *declared, name, c);
	*declared = c;
	*by = name;
	return 0;
}

static int read_archive(int fd, Elf *ar, const char *path, int *declared, const char **by)
{
	Elf_Cmd cmd = ELF_C_READ;
	Elf *m;

	while ((m = elf_begin(fd, cmd, ar))) {
		Elf_Arhdr *h = elf_getarhdr(m);
		int rc = 0;
		if (h && h->ar_name[0] != '/' && elf_kind(m) == ELF_K_ELF) {
			char *name = format("%s(%s)", path, h->ar_name);
			rc = agree(declared, by, read_declaration(m, name), name);
			if (*by != name)
				free(name);
		}
		cmd = elf_next(m);
		elf_end(m);
		if (rc)
			return -1;
	}
	return 0;
}

int declared_compartment(char **paths, size_t npaths)
{
	int declared = 0, rc = 0;
	const char *by = NULL;

	if (elf_version(EV_CURRENT) == EV_NONE)
		return error("libelf is too old: %s", elf_errmsg(-1));
	for (size_t i = 0; i < npaths && !rc; i++) {
		int fd;
		Elf *e = open_elf(paths[i], ELF_C_READ, &fd);
		if (!e)
			return -1;
		if (elf_kind(e) == ELF_K_AR)
			rc = read_archive(fd, e, paths[i], &declared, &by);
		else if (elf_kind(e) == ELF_K_ELF)
			rc = agree(&declared, &by, read_declaration(e, paths[i]), paths[i]);
		elf_end(e);
		close(fd);
	}
	return rc ? -1 : declared;
}
