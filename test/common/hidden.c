#define _GNU_SOURCE
#include "hidden.h"

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

struct search {
	const char *dso;
	const char *path;
	uintptr_t base;
};

static int find_dso(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct search *s = arg;

	(void)size;
	if (!strstr(info->dlpi_name, s->dso))
		return 0;
	s->path = info->dlpi_name;
	s->base = info->dlpi_addr;
	return 1;
}

/* The symbol's value in the file's .symtab, 0 if it has none. */
static uintptr_t symtab_value(const unsigned char *file, size_t size, const char *name)
{
	const Elf64_Ehdr *eh = (const void *)file;
	const Elf64_Shdr *sh = (const void *)(file + eh->e_shoff);

	if (size < sizeof *eh || eh->e_shoff + eh->e_shnum * sizeof *sh > size)
		return 0;
	for (int i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		const Elf64_Sym *sym = (const void *)(file + sh[i].sh_offset);
		const char *str = (const char *)file + sh[sh[i].sh_link].sh_offset;
		for (size_t j = 0; j < sh[i].sh_size / sizeof *sym; j++)
			if (sym[j].st_value && !strcmp(str + sym[j].st_name, name))
				return sym[j].st_value;
	}
	return 0;
}

void *hidden_symbol(const char *dso, const char *name)
{
	struct search s = {dso, NULL, 0};
	struct stat st;
	void *file;
	uintptr_t value = 0;
	int fd;

	if (!dl_iterate_phdr(find_dso, &s) || (fd = open(s.path, O_RDONLY)) < 0)
		return NULL;
	if (fstat(fd, &st) == 0 &&
	    (file = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) != MAP_FAILED) {
		value = symtab_value(file, st.st_size, name);
		munmap(file, st.st_size);
	}
	close(fd);
	return value ? (void *)(s.base + value) : NULL;
}
