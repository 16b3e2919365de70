/* explain: what the passes decided for one DSO, for people (text) and for
 * tools (JSON): each gated function, why it has a gate and the signature
 * its gate copies, and each reference to a gated function with what it
 * binds to and why (rewrite.c records them when dso.explain is set). */
#include "rewrite.h"

#include <stdbool.h>

static const char *const ret_names[] = {
	[RET_VOID] = "void", [RET_REGS] = "registers", [RET_MEMORY] = "memory", [RET_X87] = "x87",
};

static const char *const ret_phrases[] = {
	[RET_VOID] = "nothing", [RET_REGS] = "in registers", [RET_MEMORY] = "in memory",
	[RET_X87] = "in x87 registers",
};

static const char *const kind_names[] = {
	[REF_NONE] = "none", [REF_CALL] = "call", [REF_CALL_PTR] = "call through memory",
	[REF_ADDR_CODE] = "address in code", [REF_ADDR_DATA] = "address in data",
};

/* The relocation types objrewrite meets in practice (psABI table 4.9). */
static const char *reloc_type_name(unsigned type)
{
	switch (type) {
	case R_X86_64_64: return "R_X86_64_64";
	case R_X86_64_PC32: return "R_X86_64_PC32";
	case R_X86_64_GOT32: return "R_X86_64_GOT32";
	case R_X86_64_PLT32: return "R_X86_64_PLT32";
	case R_X86_64_GOTPCREL: return "R_X86_64_GOTPCREL";
	case R_X86_64_32: return "R_X86_64_32";
	case R_X86_64_32S: return "R_X86_64_32S";
	case R_X86_64_PC64: return "R_X86_64_PC64";
	case R_X86_64_GOTPCRELX: return "R_X86_64_GOTPCRELX";
	case R_X86_64_REX_GOTPCRELX: return "R_X86_64_REX_GOTPCRELX";
	default: return "other";
	}
}

static const char *why_gated(const struct func *f)
{
	if (is_program_entry(f))
		return "main, which crt1's _start calls";
	if (f->renamed && f->address_taken)
		return "exported, address taken";
	return f->renamed ? "exported" : "address taken";
}

/* The symbol a relocation names: its own name, or its section's. */
static const char *reloc_symbol(const struct dso *d, const struct decision *c)
{
	struct object *o = &d->objs[c->obj];
	GElf_Sym s;

	if (c->r->synthetic || read_sym(o, GELF_R_SYM(c->r->rela.r_info), &s))
		return "";
	if (GELF_ST_TYPE(s.st_info) == STT_SECTION)
		return section_name(o, s.st_shndx);
	return sym_name(o, &s);
}

static void text_copy(FILE *out, const struct arg_copy *c)
{
	const char *dir = c->back ? "in and out" : "in";

	if (c->kind == COPY_OBJECT)
		fprintf(out, "; copies the %d bytes %s points to %s", c->size, gpr_arg[c->reg], dir);
	else if (c->kind == COPY_LENGTH)
		fprintf(out, "; copies the %s bytes %s points to %s", gpr_arg[c->len_reg],
			gpr_arg[c->reg], dir);
	else
		fprintf(out, "; copies the string %s points to in", gpr_arg[c->reg]);
}

static void text_signature(FILE *out, const struct func *f)
{
	const struct signature *s = &f->sig;

	fprintf(out, "    signature%s: %d integer and %d vector argument registers, %d bytes on the "
		     "stack%s; returns %s", f->has_sig ? "" : " (no DWARF: conservative)", s->gpr_args,
		s->sse_args, s->stack_bytes, s->variadic ? ", variadic" : "", ret_phrases[s->ret]);
	if (s->ret == RET_REGS)
		fprintf(out, " (%d integer, %d vector)", s->ret_gpr, s->ret_sse);
	else if (s->ret == RET_MEMORY)
		fprintf(out, " (%d bytes)", s->ret_size);
	for (int i = 0; i < f->ncopies; i++)
		text_copy(out, &f->copies[i]);
	fprintf(out, "\n");
}

void explain_text(FILE *out, const struct dso *d)
{
	fprintf(out, "compartment %d\n", d->compartment);
	for (size_t i = 0; i < d->nfuncs; i++) {
		const struct func *f = &d->funcs[i];
		if (f->wrapper)
			fprintf(out, "share-heap wrapper %s for %s (%s) in %s\n", f->wrapper, f->name,
				f->body, d->objs[f->obj].name);
		if (!f->gated)
			continue;
		fprintf(out, "gate %s for %s (%s) in %s: %s\n", f->gate, f->name, f->body,
			d->objs[f->obj].name, why_gated(f));
		text_signature(out, f);
	}
	for (size_t i = 0; i < d->ndecisions; i++) {
		const struct decision *c = &d->decisions[i];
		struct object *o = &d->objs[c->obj];
		fprintf(out, "reference %s %s+%#llx %s %s (%s) -> %s: %s\n", o->name,
			section_name(o, c->r->target_sec), (unsigned long long)c->r->rela.r_offset,
			c->r->synthetic ? "(none)" : reloc_type_name(GELF_R_TYPE(c->r->rela.r_info)),
			reloc_symbol(d, c), kind_names[c->r->kind], c->target, c->reason);
	}
}

/* A JSON string: names come from object files, so escape everything. */
static void json_string(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(out, "\\%c", ch);
		else if (ch < 0x20 || ch >= 0x7f)
			fprintf(out, "\\u%04x", ch);
		else
			fputc(ch, out);
	}
	fputc('"', out);
}

static void json_field(FILE *out, const char *name, const char *value, bool last)
{
	json_string(out, name);
	fputc(':', out);
	json_string(out, value);
	if (!last)
		fputc(',', out);
}

static void json_copies(FILE *out, const struct func *f)
{
	static const char *const kinds[] = {"object", "length", "string"};

	fprintf(out, "\"copy_args\":[");
	for (int i = 0; i < f->ncopies; i++) {
		const struct arg_copy *c = &f->copies[i];
		fprintf(out, "%s{\"register\":\"%s\",\"kind\":\"%s\",", i ? "," : "",
			gpr_arg[c->reg], kinds[c->kind]);
		if (c->kind == COPY_OBJECT)
			fprintf(out, "\"size\":%d,", c->size);
		else if (c->kind == COPY_LENGTH)
			fprintf(out, "\"length_register\":\"%s\",", gpr_arg[c->len_reg]);
		fprintf(out, "\"out\":%s}", c->back ? "true" : "false");
	}
	fprintf(out, "],");
}

static void json_function(FILE *out, const struct dso *d, const struct func *f)
{
	const struct signature *s = &f->sig;

	fputc('{', out);
	json_field(out, "name", f->name, false);
	json_field(out, "object", d->objs[f->obj].name, false);
	json_field(out, "gate", f->gate, false);
	json_field(out, "body", f->body, false);
	fprintf(out, "\"exported\":%s,\"address_taken\":%s,\"dwarf\":%s,\"share_heap\":%s,",
		f->renamed ? "true" : "false", f->address_taken ? "true" : "false",
		f->has_sig ? "true" : "false", f->heap_shared ? "true" : "false");
	if (f->ncopies)
		json_copies(out, f);
	fprintf(out, "\"signature\":{\"gpr_args\":%d,\"sse_args\":%d,\"stack_bytes\":%d,"
		     "\"variadic\":%s,\"return\":\"%s\",\"ret_gpr\":%d,\"ret_sse\":%d,\"ret_size\":%d}}",
		s->gpr_args, s->sse_args, s->stack_bytes, s->variadic ? "true" : "false",
		ret_names[s->ret], s->ret_gpr, s->ret_sse, s->ret_size);
}

static void json_decision(FILE *out, const struct dso *d, const struct decision *c)
{
	struct object *o = &d->objs[c->obj];

	fputc('{', out);
	json_field(out, "object", o->name, false);
	json_field(out, "section", section_name(o, c->r->target_sec), false);
	fprintf(out, "\"offset\":%llu,", (unsigned long long)c->r->rela.r_offset);
	json_field(out, "type", c->r->synthetic ? "none" : reloc_type_name(GELF_R_TYPE(c->r->rela.r_info)),
		   false);
	json_field(out, "symbol", reloc_symbol(d, c), false);
	json_field(out, "kind", kind_names[c->r->kind], false);
	json_field(out, "target", c->target, false);
	json_field(out, "reason", c->reason, true);
	fputc('}', out);
}

void explain_json(FILE *out, const struct dso *d)
{
	bool first = true;

	fprintf(out, "{\"compartment\":%d,\"functions\":[", d->compartment);
	for (size_t i = 0; i < d->nfuncs; i++) {
		if (!d->funcs[i].gated)
			continue;
		if (!first)
			fputc(',', out);
		json_function(out, d, &d->funcs[i]);
		first = false;
	}
	fprintf(out, "],\"references\":[");
	for (size_t i = 0; i < d->ndecisions; i++) {
		if (i)
			fputc(',', out);
		json_decision(out, d, &d->decisions[i]);
	}
	fprintf(out, "]}\n");
}
