/* share: move the variables that the config's share rules name into the
 * DSO's ia2_shared section, which libia2 leaves at pkey 0 (init.c), so
 * that every compartment can read and write them.
 *
 * A variable moves with the section that holds it: its input section is
 * renamed ia2_shared and page-aligned, so nothing private shares its
 * first page; gates.o, linked last, page-aligns the section's end
 * (emit.c). With -fdata-sections (ia2-cc's default) each variable has a
 * section of its own; one that shares its section with other definitions
 * cannot move alone, and is refused. */
#include "rewrite.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* Whether section `shndx` of o defines anything but symbol `except`. */
static int defines_others(struct object *o, size_t shndx, size_t except, const char **other)
{
	for (size_t i = 1; i < o->nsyms; i++) {
		GElf_Sym s;
		if (read_sym(o, i, &s))
			return -1;
		if (i == except || s.st_shndx != shndx || GELF_ST_TYPE(s.st_info) == STT_SECTION ||
		    GELF_ST_TYPE(s.st_info) == STT_FILE)
			continue;
		*other = sym_name(o, &s);
		return 1;
	}
	return 0;
}

static void add_section(struct object *o, size_t shndx)
{
	for (size_t i = 0; i < o->nshared_sections; i++)
		if (o->shared_sections[i] == shndx)
			return;
	o->shared_sections = xrealloc(o->shared_sections,
				      (o->nshared_sections + 1) * sizeof *o->shared_sections);
	o->shared_sections[o->nshared_sections++] = shndx;
}

/* Whether symbol i of o is a definition of req that can move. */
static int share_symbol(struct object *o, size_t i, const GElf_Sym *s,
			const struct named_symbol *req)
{
	const char *other;
	GElf_Shdr sh;
	int rc;

	if (s->st_shndx == SHN_COMMON)
		return error("%s: %s (%s) is a common symbol; compile with -fno-common",
			     req->origin, req->name, o->name);
	if (s->st_shndx == SHN_UNDEF || s->st_shndx >= o->shnum ||
	    !gelf_getshdr(section(o, s->st_shndx), &sh))
		return error("%s: %s in %s is in no section that could move", req->origin, req->name,
			     o->name);
	if (sh.sh_flags & SHF_TLS)
		return error("%s: %s (%s) is thread-local; each thread's copy stays private",
			     req->origin, req->name, o->name);
	if (!(sh.sh_flags & SHF_WRITE) || (sh.sh_flags & SHF_EXECINSTR))
		return error("%s: %s (%s) is read-only; every compartment can read it already",
			     req->origin, req->name, o->name);
	rc = defines_others(o, s->st_shndx, i, &other);
	if (rc > 0)
		return error("%s: %s shares section %s of %s with %s, so it cannot move alone; "
			     "compile with -fdata-sections (ia2-cc does)", req->origin, req->name,
			     section_name(o, s->st_shndx), o->name, other);
	if (rc < 0)
		return -1;
	add_section(o, s->st_shndx);
	return 0;
}

/* Whether sym names the function-local static variable `name` as a
 * compiler does: gcc as name.N, clang as function.name. */
static bool names_local_static(const char *sym, const char *name)
{
	size_t n = strlen(name), len = strlen(sym);
	const char *d;

	if (!strncmp(sym, name, n) && sym[n] == '.' && sym[n + 1]) {
		for (d = sym + n + 1; *d >= '0' && *d <= '9'; d++)
			;
		if (!*d)
			return true;
	}
	return len > n + 1 && sym[len - n - 1] == '.' && !strcmp(sym + len - n, name);
}

/* Whether symbol i of o is a defined variable that req names: by its
 * symbol, or (`local`) a function-local static by its source name. */
static bool is_named(struct object *o, const GElf_Sym *s, const char *name, bool local)
{
	int type = GELF_ST_TYPE(s->st_info);
	const char *sym = sym_name(o, s);

	if ((type != STT_OBJECT && type != STT_TLS) || s->st_shndx == SHN_UNDEF)
		return false;
	if (!local)
		return !strcmp(sym, name);
	return GELF_ST_BIND(s->st_info) == STB_LOCAL && names_local_static(sym, name);
}

/* The definitions that req names by their symbol; failing those, the
 * function-local statics it names by their source name. Returns their
 * number, and the first in *first_obj and *first_sym. */
static int count_named(struct dso *d, const char *name, bool local, size_t *first_obj,
		       size_t *first_sym)
{
	int n = 0;

	for (size_t j = 0; j < d->nobjs; j++) {
		struct object *o = &d->objs[j];
		for (size_t i = 1; i < o->nsyms; i++) {
			GElf_Sym s;
			if (read_sym(o, i, &s))
				return -1;
			if (!is_named(o, &s, name, local))
				continue;
			if (!n++)
				*first_obj = j, *first_sym = i;
		}
	}
	return n;
}

/* "opts.2 (parse.o), opts.5 (main.o)": the candidates of an ambiguous
 * source name. */
static char *list_named(struct dso *d, const char *name)
{
	char *list = xstrdup("");

	for (size_t j = 0; j < d->nobjs; j++) {
		struct object *o = &d->objs[j];
		for (size_t i = 1; i < o->nsyms; i++) {
			GElf_Sym s;
			char *more;
			if (read_sym(o, i, &s) || !is_named(o, &s, name, true))
				continue;
			more = format("%s%s%s (%s)", list, list[0] ? ", " : "", sym_name(o, &s), o->name);
			free(list);
			list = more;
		}
	}
	return list;
}

/* Every defined data object of that name moves: a static variable in each
 * of several objects too. A name that no symbol has may be a
 * function-local static's source name, which the compiler decorates
 * (opts.2 under gcc, main.opts under clang): one such static moves, and
 * several are refused, listed by their symbols. */
static int share_one(struct dso *d, const struct named_symbol *req)
{
	size_t j, i;
	GElf_Sym s;
	char *list;
	int n = count_named(d, req->name, false, &j, &i);

	if (n < 0)
		return -1;
	if (n == 0) {
		n = count_named(d, req->name, true, &j, &i);
		if (n < 0)
			return -1;
		if (n == 0)
			return error("%s: no object of this link defines a variable %s", req->origin,
				     req->name);
		if (n > 1) {
			list = list_named(d, req->name);
			error("%s: %s names %d function-local statics: %s; name the one meant by its "
			      "symbol instead", req->origin, req->name, n, list);
			free(list);
			return -1;
		}
		return read_sym(&d->objs[j], i, &s) ? -1 : share_symbol(&d->objs[j], i, &s, req);
	}
	for (j = 0; j < d->nobjs; j++) {
		struct object *o = &d->objs[j];
		for (i = 1; i < o->nsyms; i++) {
			if (read_sym(o, i, &s))
				return -1;
			if (is_named(o, &s, req->name, false) && share_symbol(o, i, &s, req))
				return -1;
		}
	}
	return 0;
}

/* Upstream IA2's IA2_SHARED_DATA puts variables in section
 * ia2_shared_data (ia2/upstream.h): each such section that holds
 * writable data moves whole. */
static void share_upstream_sections(struct object *o)
{
	for (size_t i = 1; i < o->shnum; i++) {
		GElf_Shdr sh;
		if (gelf_getshdr(section(o, i), &sh) && (sh.sh_flags & SHF_WRITE) &&
		    !(sh.sh_flags & (SHF_EXECINSTR | SHF_TLS)) &&
		    !strcmp(section_name(o, i), "ia2_shared_data"))
			add_section(o, i);
	}
}

int plan_shared_data(struct dso *d)
{
	for (size_t i = 0; i < d->nobjs; i++)
		share_upstream_sections(&d->objs[i]);
	for (size_t i = 0; i < d->nshared; i++)
		if (share_one(d, &d->shared[i]))
			return -1;
	return 0;
}
