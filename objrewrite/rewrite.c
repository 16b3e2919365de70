/* rewrite: apply the plan to each object and write the copies the linker
 * reads instead of the inputs.
 *
 * Symbols are only ever appended, and appended symbols are global, so
 * every existing symbol index (in relocations, SHT_GROUP sections and
 * .llvm_addrsig) stays valid (shared/DESIGN.md, "Writing objects").
 *  - An exported f is renamed in place to its hidden body name; references
 *    in the same object that take its address move to a new undefined f,
 *    which the gate defines.
 *  - Calls from other objects to f move to a new undefined body symbol.
 *  - Calls to a share-heap function move to its wrapper (heapshare.c).
 *  - A static gated function gets a hidden global alias for its gate.
 *  - Undefined allocation functions get heapcalls.c's names.
 *  - Sections holding shared variables are renamed ia2_shared (share.c). */
#include "rewrite.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct new_sym {
	char *name;
	GElf_Sym sym;
};

struct retarget {
	const struct reloc *r;
	size_t sym;
	long long addend;
};

struct edits {
	struct object *o;
	struct new_sym *syms;
	size_t nsyms;
	struct retarget *rts;
	size_t nrts;
	bool renames;
};

static size_t add_symbol(struct edits *e, const char *name, unsigned char bind, unsigned char type,
			 unsigned char vis, size_t shndx, GElf_Addr value)
{
	for (size_t i = 0; i < e->nsyms; i++)
		if (!strcmp(e->syms[i].name, name) && e->syms[i].sym.st_shndx == shndx)
			return e->o->nsyms + i;
	e->syms = xrealloc(e->syms, (e->nsyms + 1) * sizeof *e->syms);
	struct new_sym *s = &e->syms[e->nsyms];
	memset(s, 0, sizeof *s);
	s->name = xstrdup(name);
	s->sym.st_info = GELF_ST_INFO(bind, type);
	s->sym.st_other = vis;
	s->sym.st_shndx = (GElf_Section)shndx;
	s->sym.st_value = value;
	return e->o->nsyms + e->nsyms++;
}

static size_t undefined_symbol(struct edits *e, const char *name, bool hidden)
{
	return add_symbol(e, name, STB_GLOBAL, STT_NOTYPE, hidden ? STV_HIDDEN : STV_DEFAULT,
			  SHN_UNDEF, 0);
}

static void add_retarget(struct edits *e, const struct reloc *r, size_t sym, long long addend)
{
	e->rts = xrealloc(e->rts, (e->nrts + 1) * sizeof *e->rts);
	e->rts[e->nrts++] = (struct retarget){r, sym, addend};
}

static void decide(struct dso *d, struct edits *e, const struct reloc *r, const char *target,
		   const char *reason)
{
	if (!d->explain)
		return;
	d->decisions = xrealloc(d->decisions, (d->ndecisions + 1) * sizeof *d->decisions);
	d->decisions[d->ndecisions++] = (struct decision){(int)(e->o - d->objs), r, target, reason};
}

/* Where relocation r of object o should point, per the header comment. */
static int plan_reloc(struct dso *d, struct edits *e, const struct reloc *r)
{
	struct object *o = e->o;
	struct func *f;
	GElf_Sym s;
	size_t symi = GELF_R_SYM(r->rela.r_info);
	const char *reason;
	bool is_def, is_section;

	if (r->func < 0 || r->kind == REF_NONE || r->kind == REF_CALL_PTR)
		return 0;
	f = &d->funcs[r->func];
	if (r->synthetic) {
		add_retarget(e, r, undefined_symbol(e, f->gate_local, true), r->rela.r_addend);
		decide(d, e, r, f->gate_local, "address taken with no relocation: a new one binds it to the gate");
		return 0;
	}
	if (!is_planned(f) || read_sym(o, symi, &s))
		return is_planned(f) ? -1 : 0;
	is_def = &d->objs[f->obj] == o && o->sym_func[symi] == r->func;
	is_section = GELF_ST_TYPE(s.st_info) == STT_SECTION;
	if (r->kind == REF_CALL && f->wrapper) {
		add_retarget(e, r, undefined_symbol(e, f->wrapper, true),
			     r->rela.r_addend - (is_section ? (long long)f->value : 0));
		decide(d, e, r, f->wrapper, "direct call inside the DSO: the share-heap wrapper");
		return 0;
	}
	if (r->kind == REF_CALL) {
		/* Calls inside the DSO skip the gate. Only a by-name reference
		 * to a renamed function needs the body's new name. */
		if (f->renamed && !is_def && !is_section)
			add_retarget(e, r, undefined_symbol(e, f->body, true), r->rela.r_addend);
		decide(d, e, r, f->body, "direct call inside the DSO: straight to the body");
		return 0;
	}
	reason = r->kind == REF_ADDR_DATA ? "address stored in data: the gate"
					  : "address taken in code: the gate";
	if (f->renamed && !is_def && !is_section) {
		decide(d, e, r, f->gate, reason);   /* by name, and the name is now the gate's */
		return 0;
	}
	if (is_section)
		add_retarget(e, r, undefined_symbol(e, f->gate_local, true),
			     r->rela.r_addend - (long long)f->value);
	else
		add_retarget(e, r, undefined_symbol(e, f->gate, !f->renamed), r->rela.r_addend);
	decide(d, e, r, is_section ? f->gate_local : f->gate, reason);
	return 0;
}

static void plan_definitions(struct dso *d, struct edits *e)
{
	for (size_t i = 0; i < d->nfuncs; i++) {
		struct func *f = &d->funcs[i];
		if (!is_planned(f) || &d->objs[f->obj] != e->o)
			continue;
		if (f->renamed)
			e->renames = true;
		else if (f->bind == STB_LOCAL)
			add_symbol(e, f->body, STB_GLOBAL, STT_FUNC, STV_HIDDEN, f->shndx, f->value);
	}
}

/* Append `add` to section `scn`'s data; returns the old size. */
static size_t grow_section(Elf_Scn *scn, const void *add, size_t n)
{
	Elf_Data *data = elf_getdata(scn, NULL);
	size_t old = data->d_size;
	char *buf = xmalloc(old + n);

	memcpy(buf, data->d_buf, old);
	memcpy(buf + old, add, n);
	data->d_buf = buf;   /* owned by the process until exit: libelf never frees d_buf it did not allocate */
	data->d_size = old + n;
	elf_flagdata(data, ELF_C_SET, ELF_F_DIRTY);
	return old;
}

static size_t add_string(Elf *elf, size_t strndx, const char *s)
{
	return grow_section(elf_getscn(elf, strndx), s, strlen(s) + 1);
}

static Elf_Scn *find_shndx_section(Elf *elf, size_t symtab)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr sh;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_SYMTAB_SHNDX && sh.sh_link == symtab)
			return scn;
	return NULL;
}

/* Give symbol `sym` the name `name`, and hidden visibility if `hide`. */
static int rename_symbol(struct object *o, Elf *elf, size_t strndx, size_t sym, const char *name,
			 bool hide)
{
	size_t off = add_string(elf, strndx, name);
	Elf_Data *data = elf_getdata(elf_getscn(elf, o->symtab), NULL);
	GElf_Sym s;

	if (!gelf_getsym(data, (int)sym, &s))
		return error("%s: cannot read symbol %zu", o->name, sym);
	s.st_name = (GElf_Word)off;
	if (hide)
		s.st_other = (unsigned char)((s.st_other & ~3) | STV_HIDDEN);
	if (!gelf_update_sym(data, (int)sym, &s))
		return error("%s: cannot update symbol %zu (%s): %s", o->name, sym, name,
			     elf_errmsg(-1));
	elf_flagdata(data, ELF_C_SET, ELF_F_DIRTY);
	return 0;
}

static int rename_bodies(struct dso *d, struct edits *e, Elf *elf, size_t strndx)
{
	for (size_t i = 0; i < d->nfuncs; i++) {
		struct func *f = &d->funcs[i];
		if (f->renamed && &d->objs[f->obj] == e->o &&
		    rename_symbol(e->o, elf, strndx, f->sym, f->body, true))
			return -1;
	}
	return 0;
}

/* heapcalls.c's renames of undefined allocation functions. */
static int rename_heap_calls(struct object *o, Elf *elf, size_t strndx)
{
	for (size_t i = 0; i < o->nheap_renames; i++)
		if (rename_symbol(o, elf, strndx, o->heap_renames[i].sym, o->heap_renames[i].to, false))
			return -1;
	return 0;
}

/* A .bss section becomes data, zeros in the file: one ia2_shared holds
 * both kinds, where a NOBITS piece would make the linker emit a second
 * output section of the name, outside __start/__stop_ia2_shared. */
static int fill_nobits(struct object *o, Elf_Scn *scn, GElf_Shdr *sh)
{
	Elf_Data *data = elf_getdata(scn, NULL);

	if (sh->sh_type != SHT_NOBITS)
		return 0;
	if (!data)
		return error("%s: %s", o->name, elf_errmsg(-1));
	data->d_buf = xcalloc(1, sh->sh_size);   /* freed with the process: libelf does not own it */
	data->d_size = sh->sh_size;
	data->d_type = ELF_T_BYTE;
	elf_flagdata(data, ELF_C_SET, ELF_F_DIRTY);
	sh->sh_type = SHT_PROGBITS;
	return 0;
}

/* share.c's sections become ia2_shared, page-aligned. */
static int share_sections(struct object *o, Elf *elf)
{
	size_t shstrndx;

	if (o->nshared_sections && elf_getshdrstrndx(elf, &shstrndx))
		return error("%s: %s", o->name, elf_errmsg(-1));
	for (size_t i = 0; i < o->nshared_sections; i++) {
		Elf_Scn *scn = elf_getscn(elf, o->shared_sections[i]);
		size_t name = add_string(elf, shstrndx, "ia2_shared");
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || fill_nobits(o, scn, &sh))
			return error("%s: %s", o->name, elf_errmsg(-1));
		sh.sh_name = (GElf_Word)name;
		if (sh.sh_addralign < 4096)
			sh.sh_addralign = 4096;
		if (!gelf_update_shdr(scn, &sh))
			return error("%s: cannot update section %zu: %s", o->name,
				     o->shared_sections[i], elf_errmsg(-1));
	}
	return 0;
}

static int append_symbols(struct edits *e, Elf *elf, size_t strndx)
{
	Elf_Scn *symscn = elf_getscn(elf, e->o->symtab);
	Elf_Scn *xscn = find_shndx_section(elf, e->o->symtab);

	for (size_t i = 0; i < e->nsyms; i++) {
		GElf_Sym s = e->syms[i].sym;
		Elf32_Word x = 0;
		Elf64_Sym raw;
		if (s.st_shndx >= SHN_LORESERVE && s.st_shndx != SHN_UNDEF) {
			if (!xscn)
				return error("%s: section index %u needs .symtab_shndx", e->o->name,
					     s.st_shndx);
			x = s.st_shndx;
			s.st_shndx = SHN_XINDEX;
		}
		s.st_name = (GElf_Word)add_string(elf, strndx, e->syms[i].name);
		raw = (Elf64_Sym){s.st_name, s.st_info, s.st_other, s.st_shndx, s.st_value, s.st_size};
		grow_section(symscn, &raw, sizeof raw);
		if (xscn)
			grow_section(xscn, &x, sizeof x);
	}
	return 0;
}

/* A synthetic relocation (classify.c) is appended to its RELA section;
 * linkers do not need relocations sorted by offset. */
static void append_rela(Elf *elf, const struct retarget *rt)
{
	Elf64_Rela raw = {rt->r->rela.r_offset, GELF_R_INFO(rt->sym, GELF_R_TYPE(rt->r->rela.r_info)),
			  rt->addend};
	grow_section(elf_getscn(elf, rt->r->relsec), &raw, sizeof raw);
}

static int apply_retargets(struct edits *e, Elf *elf)
{
	for (size_t i = 0; i < e->nrts; i++) {
		struct retarget *rt = &e->rts[i];
		Elf_Data *data = elf_getdata(elf_getscn(elf, rt->r->relsec), NULL);
		GElf_Rela r;
		if (rt->r->synthetic) {
			append_rela(elf, rt);
			continue;
		}
		if (!data || !gelf_getrela(data, (int)rt->r->ndx, &r))
			return error("%s: cannot read relocation %zu", e->o->name, rt->r->ndx);
		r.r_info = GELF_R_INFO(rt->sym, GELF_R_TYPE(r.r_info));
		r.r_addend = rt->addend;
		if (!gelf_update_rela(data, (int)rt->r->ndx, &r))
			return error("%s: cannot update relocation: %s", e->o->name, elf_errmsg(-1));
		elf_flagdata(data, ELF_C_SET, ELF_F_DIRTY);
	}
	return 0;
}

static int write_object(struct dso *d, struct edits *e, const char *out)
{
	GElf_Shdr sh;
	int fd, rc;
	Elf *elf;

	if (copy_file(e->o->path, out) || !(elf = open_elf(out, ELF_C_RDWR, &fd)))
		return -1;
	gelf_getshdr(elf_getscn(elf, e->o->symtab), &sh);
	rc = rename_bodies(d, e, elf, sh.sh_link);
	if (!rc)
		rc = rename_heap_calls(e->o, elf, sh.sh_link);
	if (!rc)
		rc = share_sections(e->o, elf);
	if (!rc)
		rc = append_symbols(e, elf, sh.sh_link);
	if (!rc)
		rc = apply_retargets(e, elf);
	if (!rc && elf_update(elf, ELF_C_WRITE) < 0)
		rc = error("%s: writing the rewritten copy of %s failed: %s", out, e->o->name,
			   elf_errmsg(-1));
	elf_end(elf);
	close(fd);
	return rc;
}

static void free_edits(struct edits *e)
{
	for (size_t i = 0; i < e->nsyms; i++)
		free(e->syms[i].name);
	free(e->syms);
	free(e->rts);
}

/* The assembled gates of archive member i join the member itself
 * (ld -r), so that the linker pulls them in exactly when it pulls the
 * member, as it would have pulled the original definitions. */
static int merge_member_gates(struct dso *d, size_t i)
{
	struct object *o = &d->objs[i];
	char *gates_s = format("%s.gates.s", o->path), *gates_o = format("%s.gates.o", o->path);
	char *merged = format("%s.ia2.o", o->path);
	char *ld[] = {"ld", "-r", "-o", merged, o->archive_copy, gates_o, NULL};
	int rc = emit_member_gates(d, (int)i, gates_s);

	if (!rc)
		rc = assemble_gates(d, gates_s, gates_o);
	if (!rc && run_command(ld) != 0)
		rc = error("ld -r could not add the gates to %s", o->name);
	free(gates_s);
	free(gates_o);
	if (rc) {
		free(merged);
		return rc;
	}
	free(o->archive_copy);
	o->archive_copy = merged;
	return 0;
}

/* A plain object's copy is o<N>.o in the work directory and is read from
 * then on; an archive member's copy is what ar(1) packs. */
static int rewrite_object(struct dso *d, size_t i)
{
	struct object *o = &d->objs[i];
	struct edits e = {.o = o};
	int rc = 0;

	plan_definitions(d, &e);
	for (size_t j = 0; j < o->nrelocs && !rc; j++)
		rc = plan_reloc(d, &e, &o->relocs[j]);
	if (!rc && (e.renames || e.nsyms || e.nrts || o->nheap_renames || o->nshared_sections)) {
		char *out = o->archive < 0 ? format("%s/o%zu.o", d->workdir, i)
					   : format("%s.rw.o", o->path);
		rc = write_object(d, &e, out);
		if (o->archive < 0) {
			free(o->path);
			o->path = out;
		} else {
			free(o->archive_copy);
			o->archive_copy = out;
		}
	}
	if (!rc && o->archive >= 0 && member_has_gates(d, (int)i))
		rc = merge_member_gates(d, i);
	free_edits(&e);
	return rc;
}

static int write_archive(struct dso *d, size_t ai)
{
	size_t n = 0;
	char **argv = xcalloc(d->nobjs + 4, sizeof *argv);
	int rc;

	argv[n++] = "ar";
	argv[n++] = "rcsD";
	argv[n++] = d->archives[ai].out_path;
	for (size_t i = 0; i < d->nobjs; i++)
		if (d->objs[i].archive == (int)ai)
			argv[n++] = d->objs[i].archive_copy;
	unlink(d->archives[ai].out_path);
	rc = run_command(argv);
	free(argv);
	return rc == 0 ? 0 : error("ar failed to write %s", d->archives[ai].out_path);
}

int rewrite_objects(struct dso *d)
{
	for (size_t i = 0; i < d->nobjs; i++) {
		if (d->objs[i].archive >= 0)
			d->objs[i].archive_copy = xstrdup(d->objs[i].path);
		if (rewrite_object(d, i))
			return -1;
	}
	for (size_t i = 0; i < d->narchives; i++)
		if (write_archive(d, i))
			return -1;
	return 0;
}

const char *rewritten_path(struct dso *d, const char *path)
{
	for (size_t i = 0; i < d->narchives; i++)
		if (!strcmp(d->archives[i].path, path))
			return d->archives[i].out_path;
	for (size_t i = 0; i < d->nobjs; i++)
		if (d->objs[i].archive < 0 && !strcmp(d->objs[i].name, path))
			return d->objs[i].path;
	return path;
}
