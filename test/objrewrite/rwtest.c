/* Test driver for the objrewrite engine.
 *
 * usage: rwtest --compartment N [--share VAR]... [--share-heap FUNC]... [--copy-arg FUNC]...
 *               --workdir DIR OBJ...
 *
 * Runs the passes the way ia2-cc's link does (driver/link.c), writing
 * DIR/gates.s and the rewritten objects into DIR (archive members' gates
 * are assembled into the members with cc), and prints what the passes
 * decided, one fact a line, so that scripts can check it with grep:
 *
 *   gate NAME body BODY renamed|alias|hidden
 *   reloc OBJ SECTION+OFF -> FUNC KIND => SYMBOL TYPE
 *   output INPUT PATH
 *   heapcall OBJ NAME => NEWNAME
 *   shared OBJ SECTION
 *
 * A gate line is printed for every gated function: `renamed` when the
 * definition was renamed to BODY (exported functions), `alias` when a
 * hidden alias BODY was added (static functions), `hidden` when the gate
 * is a new hidden symbol and the function keeps its name. A reloc line is
 * printed for every relocation that refers to a function; SYMBOL is the
 * symbol the relocation names in the rewritten object and TYPE its
 * R_X86_64_ type without the prefix, followed by ` synthetic` for one
 * that classify added where the assembler left none. An output line
 * gives the file the linker should read in place of each input. A
 * heapcall line is printed for each undefined allocation function an
 * object refers to, with the name heapcalls.c gave it; a shared line for
 * each section that share.c renames ia2_shared for a --share VAR (the
 * section's input name).
 *
 * `rwtest --heap-functions` prints heapcalls.c's list, a name a line.
 *
 * Exits 1 if a pass fails (the pass has printed why), 2 on bad usage. */
#include "rewrite.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ia2/gate_abi.h"

static const char *const kind_names[] = {
	[REF_NONE] = "none",
	[REF_CALL] = "call",
	[REF_CALL_PTR] = "call_ptr",
	[REF_ADDR_CODE] = "addr_code",
	[REF_ADDR_DATA] = "addr_data",
};

static const char *type_name(unsigned type)
{
	static char other[16];

	switch (type) {
	case R_X86_64_64: return "64";
	case R_X86_64_PC32: return "PC32";
	case R_X86_64_PLT32: return "PLT32";
	case R_X86_64_GOTPCREL: return "GOTPCREL";
	case R_X86_64_32: return "32";
	case R_X86_64_32S: return "32S";
	case R_X86_64_PC64: return "PC64";
	case R_X86_64_GOTPCRELX: return "GOTPCRELX";
	case R_X86_64_REX_GOTPCRELX: return "REX_GOTPCRELX";
	}
	snprintf(other, sizeof other, "%u", type);
	return other;
}

static void usage(void)
{
	fprintf(stderr, "usage: rwtest --compartment N [--share VAR]... [--share-heap FUNC]... "
			"[--copy-arg FUNC]... --workdir DIR OBJ...\n");
	exit(2);
}

static const char *gate_style(const struct func *f)
{
	if (f->renamed)
		return "renamed";
	return f->bind == STB_LOCAL ? "alias" : "hidden";
}

static void print_gates(struct dso *d)
{
	for (size_t i = 0; i < d->nfuncs; i++) {
		const struct func *f = &d->funcs[i];
		if (f->gated)
			printf("gate %s body %s %s\n", f->gate, f->body, gate_style(f));
		if (f->wrapper)
			printf("heap-wrapper %s body %s\n", f->wrapper, f->body);
		for (int j = 0; j < f->ncopies; j++) {
			const struct arg_copy *c = &f->copies[j];
			if (c->kind == COPY_OBJECT)
				printf("copy-arg %s arg %d size %d", f->gate, c->reg, c->size);
			else if (c->kind == COPY_LENGTH)
				printf("copy-arg %s arg %d length arg %d (%d bytes)", f->gate, c->reg,
				       c->len_reg, c->len_size);
			else
				printf("copy-arg %s arg %d string", f->gate, c->reg);
			printf("%s\n", c->back ? " in-out" : " in");
		}
	}
}

/* Objects are printed by base name, so that expectations do not depend
 * on the build directory. */
static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

/* The rewritten copy of object o, whose sections are the input's at the
 * same indices: a plain object's path names it after rewrite_objects; an
 * archive member's is <member>.rw.o (rewrite.c), which ld -r then merges
 * with the member's gates, renumbering sections. An object that needed no
 * change has no copy. */
static char *rewritten_object(const struct object *o)
{
	char *copy;

	if (o->archive < 0)
		return xstrdup(o->path);
	copy = format("%s.rw.o", o->path);
	if (access(copy, F_OK) == 0)
		return copy;
	free(copy);
	return xstrdup(o->path);
}

/* Relocation r in the rewritten object: the entry at the same index, or
 * for a synthetic one, the entry appended at its offset (the input had
 * none there). */
static bool find_rela(Elf *e, const struct reloc *r, GElf_Rela *out)
{
	Elf_Data *rd = elf_getdata(elf_getscn(e, r->relsec), NULL);

	if (!rd)
		return false;
	if (!r->synthetic)
		return gelf_getrela(rd, (int)r->ndx, out) != NULL;
	for (int i = 0; gelf_getrela(rd, i, out); i++)
		if (out->r_offset == r->rela.r_offset)
			return true;
	return false;
}

/* The name of the symbol relocation r names in the rewritten object. */
static const char *new_target(Elf *e, const struct reloc *r)
{
	GElf_Shdr rsh, ssh;
	GElf_Rela rela;
	GElf_Sym s;
	const char *n = NULL;

	if (!find_rela(e, r, &rela) || !gelf_getshdr(elf_getscn(e, r->relsec), &rsh))
		return "?";
	Elf_Scn *symscn = elf_getscn(e, rsh.sh_link);
	if (!gelf_getshdr(symscn, &ssh) ||
	    !gelf_getsym(elf_getdata(symscn, NULL), (int)GELF_R_SYM(rela.r_info), &s))
		return "?";
	if (GELF_ST_TYPE(s.st_info) == STT_SECTION) {
		size_t shstrndx;
		GElf_Shdr sh;
		if (!elf_getshdrstrndx(e, &shstrndx) && gelf_getshdr(elf_getscn(e, s.st_shndx), &sh))
			n = elf_strptr(e, shstrndx, sh.sh_name);
	} else {
		n = elf_strptr(e, ssh.sh_link, s.st_name);
	}
	return n ? n : "?";
}

static const char *referenced_name(struct dso *d, struct object *o, const struct reloc *r)
{
	GElf_Sym s;

	if (r->func >= 0)
		return d->funcs[r->func].name;
	/* REF_CALL_PTR forgets the function: name the symbol instead. */
	return read_sym(o, GELF_R_SYM(r->rela.r_info), &s) ? "?" : sym_name(o, &s);
}

static int print_relocs(struct dso *d, struct object *o)
{
	char *copy = rewritten_object(o);
	int fd;
	Elf *e = open_elf(copy, ELF_C_READ, &fd);

	free(copy);
	if (!e)
		return -1;
	for (size_t i = 0; i < o->nrelocs; i++) {
		const struct reloc *r = &o->relocs[i];
		if (r->kind == REF_NONE)
			continue;
		printf("reloc %s %s+%#llx -> %s %s => %s %s%s\n", base_name(o->name),
		       section_name(o, r->target_sec), (unsigned long long)r->rela.r_offset,
		       referenced_name(d, o, r), kind_names[r->kind], new_target(e, r),
		       type_name(GELF_R_TYPE(r->rela.r_info)), r->synthetic ? " synthetic" : "");
	}
	elf_end(e);
	close(fd);
	return 0;
}

static void print_shared(struct object *o)
{
	for (size_t i = 0; i < o->nshared_sections; i++)
		printf("shared %s %s\n", base_name(o->name), section_name(o, o->shared_sections[i]));
}

static void print_heap_calls(const struct object *o)
{
	for (size_t i = 0; i < o->nheap_renames; i++) {
		const char *to = o->heap_renames[i].to;
		printf("heapcall %s %s => %s\n", base_name(o->name), to + strlen(IA2_HEAP_PREFIX), to);
	}
}

int main(int argc, char **argv)
{
	struct dso d = {.cc = "cc"};
	char *gates_s;
	int i, rc;

	struct named_symbol share[16], heap_share[16], copied[16];
	size_t nshare = 0, nheap_share = 0, ncopied = 0;

	if (argc == 2 && !strcmp(argv[1], "--heap-functions")) {
		for (i = 0; heap_functions[i]; i++)
			puts(heap_functions[i]);
		return 0;
	}
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--compartment") && i + 1 < argc)
			d.compartment = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--workdir") && i + 1 < argc)
			d.workdir = argv[++i];
		else if (!strcmp(argv[i], "--share") && i + 1 < argc && nshare < 16)
			share[nshare++] = (struct named_symbol){argv[++i], "rwtest --share"};
		else if (!strcmp(argv[i], "--share-heap") && i + 1 < argc && nheap_share < 16)
			heap_share[nheap_share++] = (struct named_symbol){argv[++i], "rwtest --share-heap"};
		else if (!strcmp(argv[i], "--copy-arg") && i + 1 < argc && ncopied < 16)
			copied[ncopied++] = (struct named_symbol){argv[++i], "rwtest --copy-arg"};
		else
			usage();
	}
	if (d.compartment < 1 || d.compartment > 15 || !d.workdir || i == argc)
		usage();
	d.shared = share;
	d.nshared = nshare;
	d.heap_shared = heap_share;
	d.nheap_shared = nheap_share;
	d.copied = copied;
	d.ncopied = ncopied;
	gates_s = format("%s/gates.s", d.workdir);
	rc = run_passes(&d, argv + i, (size_t)(argc - i), gates_s);
	if (!rc) {
		print_gates(&d);
		for (size_t j = 0; j < d.nobjs && !rc; j++)
			rc = print_relocs(&d, &d.objs[j]);
		for (size_t j = 0; j < d.nobjs; j++) {
			print_heap_calls(&d.objs[j]);
			print_shared(&d.objs[j]);
		}
		for (int j = i; j < argc; j++)
			printf("output %s %s\n", argv[j], rewritten_path(&d, argv[j]));
	}
	dso_free(&d);
	free(gates_s);
	return rc ? 1 : 0;
}
