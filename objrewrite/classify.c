/* classify: decide what each relocation does with the function it names.
 * The relocation type alone cannot tell a call from taking an address
 * (shared/DESIGN.md section 2), so the instruction at the relocation's
 * offset is decoded. */
#include "decode.h"
#include "rewrite.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Global functions of the DSO by name, for references to undefined symbols
 * that another object of the same DSO defines. */
struct name_index {
	struct func *funcs;
	int *v;
	size_t n;
};

static struct func *index_funcs;

static int cmp_func_name(const void *a, const void *b)
{
	return strcmp(index_funcs[*(const int *)a].name, index_funcs[*(const int *)b].name);
}

static void build_name_index(struct dso *d, struct name_index *ix)
{
	ix->funcs = d->funcs;
	ix->v = xmalloc((d->nfuncs ? d->nfuncs : 1) * sizeof *ix->v);
	ix->n = 0;
	for (size_t i = 0; i < d->nfuncs; i++)
		if (d->funcs[i].bind != STB_LOCAL)
			ix->v[ix->n++] = (int)i;
	index_funcs = d->funcs;
	qsort(ix->v, ix->n, sizeof *ix->v, cmp_func_name);
}

static int lookup_name(const struct name_index *ix, const char *name)
{
	size_t lo = 0, hi = ix->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(name, ix->funcs[ix->v[mid]].name);
		if (c == 0) {
			/* A strong definition wins over weak ones, as in the linker. */
			for (size_t j = mid; j < ix->n && !strcmp(name, ix->funcs[ix->v[j]].name); j++)
				if (ix->funcs[ix->v[j]].bind == STB_GLOBAL)
					return ix->v[j];
			return ix->v[mid];
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

/* The function that starts at `off` in section `shndx` of object `obj`. */
static int func_at(struct dso *d, int obj, size_t shndx, long long off)
{
	for (size_t i = 0; i < d->nfuncs; i++) {
		struct func *f = &d->funcs[i];
		if (f->obj == obj && f->shndx == shndx && (long long)f->value == off)
			return (int)i;
	}
	return -1;
}

static bool pc_relative(unsigned type)
{
	return type == R_X86_64_PC32 || type == R_X86_64_PLT32 || type == R_X86_64_PC64;
}

static bool got_relative(unsigned type)
{
	return type == R_X86_64_GOTPCREL || type == R_X86_64_GOTPCRELX ||
	       type == R_X86_64_REX_GOTPCRELX;
}

/* The object-relative offset a section-symbol reference points to: for a
 * PC-relative field the CPU adds the distance from the field to the end
 * of the instruction (psABI 4.4: value = S + A - P). */
static long long section_ref_offset(const struct reloc *r, const struct insn *in)
{
	long long a = r->rela.r_addend;
	if (in && pc_relative(GELF_R_TYPE(r->rela.r_info)))
		a += (long long)(in->off + in->len - r->rela.r_offset);
	return a;
}

static enum ref_kind kind_in_code(const struct reloc *r, const struct insn *in)
{
	unsigned type = GELF_R_TYPE(r->rela.r_info);

	if (in->kind == INSN_BRANCH_DIRECT)
		return REF_CALL;
	if (in->kind == INSN_BRANCH_MEMORY)
		return got_relative(type) ? REF_CALL : REF_CALL_PTR;
	return REF_ADDR_CODE;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return (x > y) - (x < y);
}

/* Sorted offsets of the relocations that patch section `shndx`. */
static uint64_t *reloc_offsets(struct object *o, size_t shndx, size_t *n)
{
	uint64_t *v = xmalloc((o->nrelocs ? o->nrelocs : 1) * sizeof *v);

	*n = 0;
	for (size_t i = 0; i < o->nrelocs; i++)
		if (o->relocs[i].target_sec == shndx)
			v[(*n)++] = o->relocs[i].rela.r_offset;
	qsort(v, *n, sizeof *v, cmp_u64);
	return v;
}

static int decode_code_section(struct dso *d, int obj, size_t shndx, struct insn_table *t)
{
	struct object *o = &d->objs[obj];
	Elf_Data *data = elf_getdata(section(o, shndx), NULL);
	uint64_t *starts;
	size_t n = 0;
	long long w;

	memset(t, 0, sizeof *t);
	if (!data || !data->d_buf)    /* SHT_NOBITS or empty */
		return 0;
	w = find_wrpkru_bytes(data->d_buf, data->d_size);
	if (w >= 0)
		return error("%s: section %s holds the wrpkru byte sequence 0f 01 ef at offset %#llx; "
			     "compartment code must not be able to write PKRU (remove the instruction, "
			     "or the constant that encodes it)", o->name, section_name(o, shndx), w);
	w = find_xrstor_bytes(data->d_buf, data->d_size);
	if (w >= 0)
		return error("%s: section %s holds an xrstor/xrstors encoding at offset %#llx, which "
			     "can load PKRU from memory; ia2 refuses it in compartment code, at any "
			     "alignment, like wrpkru", o->name, section_name(o, shndx), w);
	starts = xmalloc((d->nfuncs ? d->nfuncs : 1) * sizeof *starts);
	for (size_t i = 0; i < d->nfuncs; i++)
		if (d->funcs[i].obj == obj && d->funcs[i].shndx == shndx)
			starts[n++] = d->funcs[i].value;
	qsort(starts, n, sizeof *starts, cmp_u64);
	size_t nanchors;
	uint64_t *anchors = reloc_offsets(o, shndx, &nanchors);
	int rc = decode_section(data->d_buf, data->d_size, starts, n, anchors, nanchors, t);
	free(starts);
	free(anchors);
	if (rc)
		return error("%s: Capstone failed on section %s", o->name, section_name(o, shndx));
	return 0;
}

/* Which function, if any, relocation r refers to at its entry point. */
static int referenced_func(struct dso *d, int obj, const struct reloc *r, const struct insn *in,
			   const struct name_index *ix, long long *off)
{
	struct object *o = &d->objs[obj];
	GElf_Sym s;

	if (read_sym(o, GELF_R_SYM(r->rela.r_info), &s))
		return -2;
	*off = 0;
	switch (GELF_ST_TYPE(s.st_info)) {
	case STT_FUNC:
		if (s.st_shndx != SHN_UNDEF)
			return o->sym_func[GELF_R_SYM(r->rela.r_info)];
		return lookup_name(ix, sym_name(o, &s));
	case STT_NOTYPE:
		if (s.st_shndx == SHN_UNDEF && GELF_R_SYM(r->rela.r_info) != 0)
			return lookup_name(ix, sym_name(o, &s));
		return -1;
	case STT_SECTION:
		/* A PC-relative section reference in data is a label
		 * difference, `.long .Lcase - .Ltable`: the assembler folds the
		 * entry's distance from the table into the addend, so S + A is
		 * no address the program uses. Jump tables are made so; a
		 * function's address in data is absolute (R_X86_64_64). */
		if (!in && pc_relative(GELF_R_TYPE(r->rela.r_info)))
			return -1;
		*off = section_ref_offset(r, in);
		return func_at(d, obj, s.st_shndx, *off);
	default:
		return -1;
	}
}

/* The RELA section that relocates section `shndx`, or 0. */
static size_t rela_section_for(struct object *o, size_t shndx)
{
	for (size_t i = 1; i < o->shnum; i++) {
		GElf_Shdr sh;
		if (gelf_getshdr(section(o, i), &sh) && sh.sh_type == SHT_RELA && sh.sh_info == shndx)
			return i;
	}
	return 0;
}

/* The assembler resolves `lea f(%rip)` itself when f is a local symbol in
 * the same section, leaving no relocation to retarget (shared/DESIGN.md,
 * "References to static functions"). Such a reference gets a synthetic
 * R_X86_64_PC32 on the displacement, which rewrite.c appends: with
 * value = S + A - P (psABI 4.4), A = -(bytes from the field to the end of
 * the instruction) makes the lea compute S. ia2-cc compiles with
 * -ffunction-sections, so this matters for prebuilt objects.
 *
 * Only static functions count: an assembler relocates every reference to
 * a global symbol, so a relocation-less lea that lands on a global
 * function's entry names something else at that address. x86inc.asm
 * (dav1d, FFmpeg) loads the section's start, `lea rbx, [$$]`, as a base
 * for its constant tables; the section's first function starts there,
 * and sending that base through a gate breaks every table access. */
static int add_hidden_refs(struct dso *d, int obj, size_t shndx, const struct insn_table *t)
{
	struct object *o = &d->objs[obj];
	size_t nrel;
	uint64_t *rel = reloc_offsets(o, shndx, &nrel);

	for (size_t i = 0; i < t->n; i++) {
		const struct insn *in = &t->v[i];
		uint64_t field = in->off + in->disp_off;
		if (in->kind != INSN_LEA_RIP || bsearch(&field, rel, nrel, sizeof *rel, cmp_u64))
			continue;
		int f = func_at(d, obj, shndx, in->target);
		if (f < 0 || d->funcs[f].bind != STB_LOCAL)
			continue;
		size_t relsec = rela_section_for(o, shndx);
		if (!relsec) {
			free(rel);
			return error("%s: the address of %s is taken at %s+%#llx without a relocation, "
				     "and the section has no relocation section to add one to; recompile "
				     "with -ffunction-sections", o->name, d->funcs[f].name,
				     section_name(o, shndx), (unsigned long long)in->off);
		}
		o->relocs = xrealloc(o->relocs, (o->nrelocs + 1) * sizeof *o->relocs);
		o->relocs[o->nrelocs++] = (struct reloc){
			.relsec = relsec,
			.target_sec = shndx,
			.rela = {.r_offset = in->off + in->disp_off,
				 .r_info = GELF_R_INFO(0, R_X86_64_PC32),
				 .r_addend = -(long long)(in->len - in->disp_off)},
			.kind = REF_ADDR_CODE,
			.func = f,
			.func_off = in->target,
			.synthetic = true,
		};
		d->funcs[f].address_taken = true;
	}
	free(rel);
	return 0;
}

static bool is_code(struct object *o, size_t shndx)
{
	GElf_Shdr sh;
	return gelf_getshdr(section(o, shndx), &sh) && (sh.sh_flags & SHF_EXECINSTR);
}

/* Whether relocation r could refer to a function of this DSO: only then
 * does its instruction need decoding. Capstone 4 does not know every
 * AVX-512 instruction, and hand-written SIMD code addresses its constant
 * tables with them. */
static bool may_name_function(struct dso *d, int obj, const struct reloc *r,
			      const struct name_index *ix)
{
	struct object *o = &d->objs[obj];
	GElf_Sym s;

	if (read_sym(o, GELF_R_SYM(r->rela.r_info), &s))
		return true;
	switch (GELF_ST_TYPE(s.st_info)) {
	case STT_FUNC:
		return true;
	case STT_NOTYPE:
		return s.st_shndx == SHN_UNDEF && lookup_name(ix, sym_name(o, &s)) >= 0;
	case STT_SECTION:
		return is_code(o, s.st_shndx);
	default:
		return false;
	}
}

static int classify_reloc(struct dso *d, int obj, struct reloc *r, const struct insn_table *code,
			  const struct name_index *ix)
{
	struct object *o = &d->objs[obj];
	const struct insn *in = NULL;
	long long off;
	int f;

	if (code) {
		in = insn_at(code, r->rela.r_offset);
		if (!in && may_name_function(d, obj, r, ix))
			return error("%s: cannot decode the instruction at %s+%#llx that relocation %zu "
				     "patches", o->name, section_name(o, r->target_sec),
				     (unsigned long long)r->rela.r_offset, r->ndx);
		if (!in)   /* an instruction Capstone does not know, naming no function */
			return 0;
	}
	if (r->synthetic)
		return 0;
	f = referenced_func(d, obj, r, in, ix, &off);
	if (f == -2)
		return -1;
	if (f < 0)
		return 0;
	r->func = f;
	r->func_off = off;
	r->kind = in ? kind_in_code(r, in) : REF_ADDR_DATA;
	if (r->kind == REF_CALL_PTR)
		r->func = -1;
	if (r->kind == REF_ADDR_CODE || r->kind == REF_ADDR_DATA)
		d->funcs[f].address_taken = true;
	return 0;
}

static int classify_object(struct dso *d, int obj, const struct name_index *ix)
{
	struct object *o = &d->objs[obj];

	for (size_t sec = 1; sec < o->shnum; sec++) {
		struct insn_table t, *code = NULL;
		if (is_code(o, sec)) {
			if (decode_code_section(d, obj, sec, &t) || add_hidden_refs(d, obj, sec, &t)) {
				insn_table_free(&t);
				return -1;
			}
			code = &t;
		}
		for (size_t i = 0; i < o->nrelocs; i++)
			if (o->relocs[i].target_sec == sec &&
			    classify_reloc(d, obj, &o->relocs[i], code, ix)) {
				if (code)
					insn_table_free(code);
				return -1;
			}
		if (code)
			insn_table_free(code);
	}
	return 0;
}

int classify_relocs(struct dso *d)
{
	struct name_index ix;
	int rc = 0;

	build_name_index(d, &ix);
	for (size_t i = 0; i < d->nobjs && !rc; i++)
		rc = classify_object(d, (int)i, &ix);
	free(ix.v);
	return rc;
}
