/* heapcalls: bind the compartment's calls to the allocation functions to
 * libia2's compartment entry points.
 *
 * Memory a compartment's code allocates belongs in that compartment's
 * heap; memory libc or any other shared code allocates (stdio buffers,
 * getline's) must stay shared, since the next user may be another
 * compartment. The allocator cannot tell these apart at run time: a tail
 * call `jmp malloc` leaves its caller's caller as the return address. The
 * linker can: every undefined reference to malloc, strdup, ... in the
 * DSO's objects is renamed to __ia2_heap_malloc, __ia2_heap_strdup, ...,
 * which libia2 defines (libia2/malloc.c) and which allocate in the heap of
 * the compartment the thread runs in. Calls, GOT loads and addresses all
 * follow the symbol. A DSO that defines one of these names itself keeps
 * its own. */
#include "rewrite.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#include "ia2/gate_abi.h"

/* Functions that return memory for their caller to own. libia2 defines
 * IA2_HEAP_PREFIX + each (test: objrewrite.heap-entry-points). */
const char *const heap_functions[] = {
	"malloc", "calloc", "realloc", "reallocarray", "aligned_alloc", "posix_memalign",
	"memalign", "valloc", "pvalloc", "strdup", "strndup", "__strdup", "__strndup",
	"asprintf", "vasprintf", "realpath", "getcwd", NULL,
};

static bool is_heap_function(const char *name)
{
	for (int i = 0; heap_functions[i]; i++)
		if (!strcmp(name, heap_functions[i]))
			return true;
	return false;
}

static bool defined_in_dso(const struct dso *d, const char *name)
{
	for (size_t i = 0; i < d->nfuncs; i++)
		if (d->funcs[i].bind != STB_LOCAL && !strcmp(d->funcs[i].name, name))
			return true;
	return false;
}

static void add_rename(struct object *o, size_t sym, const char *name)
{
	o->heap_renames = xrealloc(o->heap_renames, (o->nheap_renames + 1) * sizeof *o->heap_renames);
	o->heap_renames[o->nheap_renames++] = (struct sym_rename){sym, format("%s%s", IA2_HEAP_PREFIX, name)};
}

static int plan_object(struct dso *d, struct object *o)
{
	for (size_t i = 1; i < o->nsyms; i++) {
		GElf_Sym s;
		const char *name;
		if (read_sym(o, i, &s))
			return -1;
		if (s.st_shndx != SHN_UNDEF || GELF_ST_BIND(s.st_info) == STB_LOCAL)
			continue;
		name = sym_name(o, &s);
		if (is_heap_function(name) && !defined_in_dso(d, name))
			add_rename(o, i, name);
	}
	return 0;
}

int plan_heap_calls(struct dso *d)
{
	for (int i = 0; heap_functions[i]; i++)
		if (defined_in_dso(d, heap_functions[i]))
			warn("the objects define %s, so calls to it stay with that definition; memory "
			     "it hands out is in compartment %d's heap only if it gets it from malloc "
			     "in another DSO", heap_functions[i], d->compartment);
	for (size_t i = 0; i < d->nobjs; i++)
		if (plan_object(d, &d->objs[i]))
			return -1;
	return 0;
}
