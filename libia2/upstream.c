/* Upstream IA2's runtime functions (ia2/upstream.h), for programs
 * written for it; its shared heap is in malloc.c.
 *
 * Upstream learns each DSO's compartment at run time, from the calls of
 * ia2_register_compartment in the program's ia2_main. In ia2 the link
 * decides it (the DSO's .note.ia2), so those calls only check that the
 * program was linked as its ia2_main says, and stop it if not: running
 * with other boundaries than the program declares would be worse. */
#include <link.h>
#include <stdbool.h>
#include <string.h>

#include "ia2.h"
#include "runtime.h"

struct lookup {
	const char *name;   /* "main", a file name or a path */
	size_t len;
	int seen;           /* DSOs looked at: dl_iterate_phdr gives the main program first */
	bool found;
	int compartment;
};

/* Upstream names the main program "main" and a DSO by its file name, as
 * dlopen would find it; a path names the file at that path. */
static bool has_name(const struct dl_phdr_info *info, bool first, const char *name, size_t len)
{
	const char *path = info->dlpi_name, *base = strrchr(path, '/');

	if (len == 4 && !memcmp(name, "main", 4))
		return first;
	if (memchr(name, '/', len))
		return strlen(path) == len && !memcmp(path, name, len);
	base = base ? base + 1 : path;
	return strlen(base) == len && !memcmp(base, name, len);
}

static int find_named(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct lookup *l = arg;

	(void)size;
	if (!has_name(info, l->seen++ == 0, l->name, l->len))
		return 0;
	l->found = true;
	l->compartment = dso_compartment(info);
	return 1;
}

static void check_registered(const char *name, size_t len, int c, bool extra)
{
	struct lookup l = {.name = name, .len = len};
	char buf[256];

	format_to(buf, sizeof buf, "%s", name);
	if (len < sizeof buf)
		buf[len] = '\0';
	iterate_dsos(find_named, &l);
	if (!l.found)
		die("ia2_register_compartment: no loaded DSO is named %s; name the main program "
		    "\"main\" and a library by its file name", buf);
	if (l.compartment == c)
		return;
	if (extra)
		die("ia2_register_compartment: %s is in compartment %d, not %d: add the line "
		    "'%s %d' to the config the program was linked with", buf, l.compartment, c,
		    buf, c);
	die("ia2_register_compartment: %s was linked into compartment %d, not %d: link it with "
	    "--ia2-compartment=%d, or define IA2_COMPARTMENT as %d where one of its sources "
	    "includes ia2_compartment_init.inc", buf, l.compartment, c, c, c);
}

API void ia2_register_compartment(const char *lib, int compartment, const char *extra_libraries)
{
	if (compartment < 1 || compartment > IA2_LAST_COMPARTMENT)
		die("ia2_register_compartment(\"%s\", %d): compartments are 1..%d", lib, compartment,
		    IA2_LAST_COMPARTMENT);
	check_registered(lib, strlen(lib), compartment, false);
	for (const char *p = extra_libraries; p && *p;) {
		size_t len = strcspn(p, ";");
		if (len)
			check_registered(p, len, compartment, true);
		p += len + (p[len] == ';');
	}
}

static int check_below(struct dl_phdr_info *info, size_t size, void *arg)
{
	int n = *(int *)arg, c = dso_compartment(info);

	(void)size;
	if (c > n)
		die("INIT_RUNTIME(%d): %s is in compartment %d; give INIT_RUNTIME at least %d", n,
		    dso_name(info), c, c);
	return 0;
}

API void ia2_check_compartment_count(int n)
{
	iterate_dsos(check_below, &n);
}

API size_t ia2_get_tag(void)
{
	return current_pkru();
}

API size_t ia2_get_compartment(void)
{
	return (size_t)current_compartment();
}

/* The compartment's stacks mapping on this thread, found from its landing
 * stack, whose top CTB(c) holds for every compartment, 0 included
 * (runtime.c). */
API void ia2_get_compartment_stack(void **stack_base_ptr, size_t *stack_size)
{
	uintptr_t top = stack_top_above_landing(ctb_get(current_compartment(), IA2_CTB_CANCEL_STACK));

	*stack_base_ptr = (void *)(top - IA2_STACK_SIZE);
	*stack_size = IA2_STACK_SIZE;
}
