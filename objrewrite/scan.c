/* scan: open every input object (plain, or a member of an ar archive),
 * check that it is something we can rewrite, and collect its relocations
 * and the functions it defines. */
#include "rewrite.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

Elf_Scn *section(struct object *o, size_t i)
{
	return elf_getscn(o->elf, i);
}

const char *section_name(struct object *o, size_t i)
{
	GElf_Shdr sh;
	size_t shstrndx;
	const char *n = NULL;

	if (gelf_getshdr(section(o, i), &sh) && elf_getshdrstrndx(o->elf, &shstrndx) == 0)
		n = elf_strptr(o->elf, shstrndx, sh.sh_name);
	return n ? n : "?";
}

int read_sym(struct object *o, size_t i, GElf_Sym *s)
{
	Elf_Data *d = elf_getdata(section(o, o->symtab), NULL);

	if (!d || !gelf_getsym(d, (int)i, s))
		return error("%s: cannot read symbol %zu: %s", o->name, i, elf_errmsg(-1));
	return 0;
}

const char *sym_name(struct object *o, const GElf_Sym *s)
{
	GElf_Shdr sh;
	const char *n;

	if (GELF_ST_TYPE(s->st_info) == STT_SECTION)
		return section_name(o, s->st_shndx);
	gelf_getshdr(section(o, o->symtab), &sh);
	n = elf_strptr(o->elf, sh.sh_link, s->st_name);
	return n ? n : "?";
}

/* GCC and clang put LTO bitcode in .gnu.lto_* sections (or .llvm.lto);
 * such objects have no machine code yet, so there is nothing to gate. */
static bool is_lto(struct object *o)
{
	for (size_t i = 1; i < o->shnum; i++) {
		const char *n = section_name(o, i);
		if (!strncmp(n, ".gnu.lto_", 9) || !strcmp(n, ".llvm.lto"))
			return true;
	}
	return false;
}

static int check_object(struct object *o)
{
	GElf_Ehdr eh;

	if (elf_kind(o->elf) != ELF_K_ELF)
		return error("%s: not an ELF object or archive", o->name);
	if (!gelf_getehdr(o->elf, &eh))
		return error("%s: bad ELF header: %s", o->name, elf_errmsg(-1));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64)
		return error("%s: not an x86-64 ELF64 object (machine %d); ia2 supports x86-64 only",
			     o->name, eh.e_machine);
	if (eh.e_type != ET_REL)
		return error("%s: not a relocatable object (e_type %d)", o->name, eh.e_type);
	if (elf_getshdrnum(o->elf, &o->shnum))
		return error("%s: cannot count sections: %s", o->name, elf_errmsg(-1));
	if (check_structure(o))
		return -1;
	if (is_lto(o))
		return error("%s: contains LTO bitcode; ia2 rewrites machine code, so build without -flto",
			     o->name);
	return 0;
}

static int find_symtab(struct object *o)
{
	for (size_t i = 1; i < o->shnum; i++) {
		GElf_Shdr sh;
		if (!gelf_getshdr(section(o, i), &sh))
			return error("%s: bad section header %zu: %s", o->name, i, elf_errmsg(-1));
		if (sh.sh_type == SHT_SYMTAB) {
			if (!sh.sh_entsize || sh.sh_link >= o->shnum)
				return error("%s: malformed .symtab", o->name);
			o->symtab = i;
			o->nsyms = sh.sh_size / sh.sh_entsize;
			return 0;
		}
	}
	o->symtab = 0;
	o->nsyms = 0;
	return 0;
}

/* Sections whose relocations never take a function's address for the
 * program to call: unwind tables and debug info name code by address for
 * tools; .init_array/.fini_array entries are called by the DSO's init and
 * fini gates, inside its compartment (emit.c, emit_init_fini). */
static bool ignored_target(struct object *o, size_t target)
{
	GElf_Shdr sh;
	const char *n = section_name(o, target);

	if (!gelf_getshdr(section(o, target), &sh) || !(sh.sh_flags & SHF_ALLOC))
		return true;
	return !strcmp(n, ".eh_frame") || !strcmp(n, ".gcc_except_table") ||
	       !strncmp(n, ".init_array", 11) || !strncmp(n, ".fini_array", 11) ||
	       !strncmp(n, ".preinit_array", 14) || !strncmp(n, ".ctors", 6) ||
	       !strncmp(n, ".dtors", 6) || !strncmp(n, ".debug", 6);
}

static int collect_relocs(struct object *o)
{
	for (size_t i = 1; i < o->shnum; i++) {
		GElf_Shdr sh;
		Elf_Data *data;

		gelf_getshdr(section(o, i), &sh);
		if (sh.sh_type == SHT_REL)
			return error("%s: SHT_REL section %s; x86-64 objects use RELA", o->name,
				     section_name(o, i));
		if (sh.sh_type != SHT_RELA || sh.sh_info >= o->shnum || ignored_target(o, sh.sh_info))
			continue;
		if (sh.sh_link != o->symtab)
			return error("%s: relocation section %s does not use .symtab", o->name,
				     section_name(o, i));
		data = elf_getdata(section(o, i), NULL);
		if (!data)
			return error("%s: cannot read %s: %s", o->name, section_name(o, i), elf_errmsg(-1));
		size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		o->relocs = xrealloc(o->relocs, (o->nrelocs + n) * sizeof *o->relocs);
		for (size_t j = 0; j < n; j++) {
			struct reloc *r = &o->relocs[o->nrelocs++];
			memset(r, 0, sizeof *r);
			r->relsec = i;
			r->ndx = j;
			r->target_sec = sh.sh_info;
			r->func = -1;
			if (!gelf_getrela(data, (int)j, &r->rela))
				return error("%s: bad relocation %zu in %s", o->name, j, section_name(o, i));
			if (GELF_R_SYM(r->rela.r_info) >= o->nsyms)
				return error("%s: relocation %zu in %s names symbol %zu of %zu", o->name, j,
					     section_name(o, i), (size_t)GELF_R_SYM(r->rela.r_info), o->nsyms);
		}
	}
	return 0;
}

static void add_func(struct dso *d, int obj, size_t symi, const GElf_Sym *s)
{
	struct object *o = &d->objs[obj];
	struct func *f;

	d->funcs = xrealloc(d->funcs, (d->nfuncs + 1) * sizeof *d->funcs);
	f = &d->funcs[d->nfuncs++];
	memset(f, 0, sizeof *f);
	f->obj = obj;
	f->sym = symi;
	f->name = xstrdup(sym_name(o, s));
	f->shndx = s->st_shndx;
	f->value = s->st_value;
	f->bind = GELF_ST_BIND(s->st_info);
	f->vis = GELF_ST_VISIBILITY(s->st_other);
}

static int collect_funcs(struct dso *d, int obj)
{
	struct object *o = &d->objs[obj];

	o->sym_func = xmalloc((o->nsyms ? o->nsyms : 1) * sizeof *o->sym_func);
	for (size_t i = 0; i < o->nsyms; i++)
		o->sym_func[i] = -1;
	for (size_t i = 1; i < o->nsyms; i++) {
		GElf_Sym s;
		if (read_sym(o, i, &s))
			return -1;
		if (GELF_ST_TYPE(s.st_info) != STT_FUNC || s.st_shndx == SHN_UNDEF)
			continue;
		if (s.st_shndx >= SHN_LORESERVE)
			return error("%s: function %s in special section %#x", o->name, sym_name(o, &s),
				     s.st_shndx);
		o->sym_func[i] = (int)d->nfuncs;
		add_func(d, obj, i, &s);
	}
	return 0;
}

static struct object *new_object(struct dso *d)
{
	d->objs = xrealloc(d->objs, (d->nobjs + 1) * sizeof *d->objs);
	struct object *o = &d->objs[d->nobjs++];
	memset(o, 0, sizeof *o);
	o->fd = -1;
	o->archive = -1;
	return o;
}

static bool has_tls(struct object *o)
{
	for (size_t i = 1; i < o->shnum; i++) {
		GElf_Shdr sh;
		if (gelf_getshdr(section(o, i), &sh) && (sh.sh_flags & SHF_TLS))
			return true;
	}
	return false;
}

/* C++ needs what gates do not give yet: exceptions would unwind through
 * them, and virtual calls, RTTI and templates have not been tested. Its
 * objects name mangled symbols (Itanium C++ ABI, 5.1) or the personality
 * routine; refusing them beats a program that breaks at its first throw. */
static int refuse_cxx(struct object *o)
{
	for (size_t i = 1; i < o->nsyms; i++) {
		GElf_Sym s;
		const char *n;
		if (read_sym(o, i, &s))
			return -1;
		n = sym_name(o, &s);
		if (!strncmp(n, "_Z", 2) || !strcmp(n, "__gxx_personality_v0"))
			return error("%s: a C++ object (it names %s); ia2 gates C code only for now, so "
				     "keep C++ code out of compartments", o->name, n);
	}
	return 0;
}

static int open_object(struct dso *d, struct object *o)
{
	o->elf = open_elf(o->path, ELF_C_READ, &o->fd);
	if (!o->elf)
		return -1;
	if (check_object(o) || find_symtab(o) || refuse_cxx(o) || collect_relocs(o))
		return -1;
	d->has_tls |= has_tls(o);
	return collect_funcs(d, (int)(o - d->objs));
}

static int write_file(const char *path, const void *buf, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return error("%s: %s", path, strerror(errno));
	for (size_t done = 0; done < n;) {
		ssize_t w = write(fd, (const char *)buf + done, n - done);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			return error("%s: write failed: %s", path, strerror(errno));
		}
		done += (size_t)w;
	}
	return close(fd) ? error("%s: %s", path, strerror(errno)) : 0;
}

static int add_archive(struct dso *d, const char *path)
{
	int ai = (int)d->narchives;

	d->archives = xrealloc(d->archives, (d->narchives + 1) * sizeof *d->archives);
	d->archives[d->narchives].path = xstrdup(path);
	d->archives[d->narchives++].out_path = format("%s/lib%d.a", d->workdir, ai);
	return ai;
}

/* libelf reads archives but cannot write them, so every member is copied
 * to the work directory and handled as a plain object; rewrite.c builds
 * the new archive from the copies with ar(1), in the original order. */
static int extract_member(struct dso *d, int ai, Elf *m, size_t nth)
{
	Elf_Arhdr *h = elf_getarhdr(m);
	size_t size;
	char *raw;

	if (!h)
		return error("%s: bad archive member header: %s", d->archives[ai].path, elf_errmsg(-1));
	if (h->ar_name[0] == '/')   /* the symbol index and the long-name table */
		return 0;
	raw = elf_rawfile(m, &size);
	if (!raw)
		return error("%s(%s): %s", d->archives[ai].path, h->ar_name, elf_errmsg(-1));
	struct object *o = new_object(d);
	o->archive = ai;
	o->member = xstrdup(h->ar_name);
	o->name = format("%s(%s)", d->archives[ai].path, h->ar_name);
	o->path = format("%s/a%d.%zu.%s", d->workdir, ai, nth, h->ar_name);
	if (write_file(o->path, raw, size))
		return -1;
	return open_object(d, o);
}

static int scan_archive(struct dso *d, const char *path, int fd, Elf *ar)
{
	Elf *m;
	Elf_Cmd cmd = ELF_C_READ;
	size_t nth = 0;
	int ai = add_archive(d, path);

	while ((m = elf_begin(fd, cmd, ar)) != NULL) {
		int rc = extract_member(d, ai, m, nth++);
		cmd = elf_next(m);
		elf_end(m);
		if (rc)
			return -1;
	}
	return 0;
}

/* A thin archive (ar T, which meson uses) holds only the member headers;
 * each member is a file, named in the long-name table relative to the
 * archive's directory (binutils bfd/archive.c). libelf does not read
 * them, so the headers are parsed here; the members are copied like
 * those of a normal archive, and rewrite.c writes a normal one. */
static int scan_thin_archive(struct dso *d, const char *path, const char *data, size_t size)
{
	const char *names = NULL;
	size_t nnames = 0, nth = 0, off = 8;
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int ai = add_archive(d, path), rc = 0;

	if (slash)
		slash[1] = '\0';
	else
		dir[0] = '\0';
	while (!rc && off + 60 <= size) {
		const char *h = data + off;
		size_t len = strtoul(h + 48, NULL, 10), n;
		bool special = h[0] == '/' && (h[1] == ' ' || h[1] == '/');
		off += 60;
		if (memcmp(h + 58, "`\n", 2) || (special && len > size - off)) {
			rc = error("%s: bad thin archive member header at offset %zu", path, off - 60);
			break;
		}
		if (special) {   /* the symbol index, or the long-name table */
			if (h[1] == '/')
				names = data + off, nnames = len;
			off += len + (len & 1);
			continue;
		}
		n = strtoul(h + 1, NULL, 10);
		if (h[0] != '/' || !names || n >= nnames) {
			rc = error("%s: thin archive member without a name in the long-name table", path);
			break;
		}
		const char *name = names + n, *end = memchr(name, '\n', nnames - n);
		size_t nlen = end ? (size_t)(end - name) : 0;
		if (nlen && name[nlen - 1] == '/')
			nlen--;
		char *member = format("%.*s", (int)nlen, name);
		char *file = member[0] == '/' ? xstrdup(member) : format("%s%s", dir, member);
		char *base = strrchr(member, '/') ? strrchr(member, '/') + 1 : member;
		struct object *o = new_object(d);
		o->archive = ai;
		o->member = xstrdup(base);
		o->name = format("%s(%s)", path, member);
		o->path = format("%s/a%d.%zu.%s", d->workdir, ai, nth++, base);
		rc = copy_file(file, o->path) || open_object(d, o);
		free(member);
		free(file);
	}
	free(dir);
	return rc;
}

static int scan_input(struct dso *d, const char *path)
{
	int fd, rc;
	Elf *e = open_elf(path, ELF_C_READ, &fd);
	size_t size;
	char *raw;

	if (!e)
		return -1;
	raw = elf_rawfile(e, &size);
	if (raw && size >= 8 && !memcmp(raw, "!<thin>\n", 8)) {
		rc = scan_thin_archive(d, path, raw, size);
		elf_end(e);
		close(fd);
		return rc;
	}
	if (elf_kind(e) == ELF_K_AR) {
		rc = scan_archive(d, path, fd, e);
		elf_end(e);
		close(fd);
		return rc;
	}
	elf_end(e);
	close(fd);
	struct object *o = new_object(d);
	o->path = xstrdup(path);
	o->name = xstrdup(path);
	return open_object(d, o);
}

int scan_inputs(struct dso *d, char **paths, size_t npaths)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return error("libelf is too old: %s", elf_errmsg(-1));
	for (size_t i = 0; i < npaths; i++)
		if (scan_input(d, paths[i]))
			return -1;
	return 0;
}

void dso_free(struct dso *d)
{
	for (size_t i = 0; i < d->nobjs; i++) {
		struct object *o = &d->objs[i];
		if (o->elf)
			elf_end(o->elf);
		if (o->fd >= 0)
			close(o->fd);
		free(o->path);
		free(o->name);
		free(o->member);
		free(o->archive_copy);
		free(o->relocs);
		free(o->sym_func);
		for (size_t j = 0; j < o->nheap_renames; j++)
			free(o->heap_renames[j].to);
		free(o->heap_renames);
		free(o->shared_sections);
	}
	for (size_t i = 0; i < d->nfuncs; i++) {
		free(d->funcs[i].name);
		free(d->funcs[i].gate);
		free(d->funcs[i].gate_local);
		free(d->funcs[i].body);
		free(d->funcs[i].symver);
		free(d->funcs[i].wrapper);
		free(d->funcs[i].copies);
	}
	for (size_t i = 0; i < d->narchives; i++) {
		free(d->archives[i].path);
		free(d->archives[i].out_path);
	}
	free(d->objs);
	free(d->funcs);
	free(d->archives);
	free(d->decisions);
}
