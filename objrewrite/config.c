#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia2/pkru.h"
#include "ia2/syscall_names.h"
#include "util.h"

#define MAX_FIELDS 256

int parse_compartment(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < 1 || n > IA2_LAST_COMPARTMENT)
		return -1;
	return (int)n;
}

static void add_load_rule(struct policy *p, const char *glob, int c)
{
	p->loads = xrealloc(p->loads, (p->nloads + 1) * sizeof *p->loads);
	p->loads[p->nloads++] = (struct load_rule){xstrdup(glob), c};
	p->named |= 1u << c;
}

/* A path rule's GLOB is matched against the absolute path of a file
 * (libia2/loads.c): anything else could never match. */
static bool is_path_glob(const char *glob)
{
	return glob[0] == '/';
}

static int add_loadable_item(const char *what, char *item, struct policy *p)
{
	char *colon = strchr(item, ':');
	int c;

	if (colon)
		*colon = '\0';
	c = parse_compartment(item);
	if (colon)
		*colon = ':';
	if (c < 0 || (colon && !is_path_glob(colon + 1)))
		return error("%s: '%s': expected N or N:/PATH-GLOB with N in 1..%d, separated by "
			     "commas, for example 2 or 2:/usr/lib/app/plugins/*.so", what, item,
			     IA2_LAST_COMPARTMENT);
	if (colon)
		add_load_rule(p, colon + 1, c);
	p->named |= 1u << c;
	return 0;
}

int parse_loadable(const char *what, const char *s, struct policy *p)
{
	char *copy = xstrdup(s), *save = NULL;
	int rc = *s ? 0 : error("%s: empty", what);

	for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save))
		rc = add_loadable_item(what, tok, p);
	free(copy);
	return rc;
}

/* Splits `line`, comments removed, into whitespace-separated fields;
 * returns how many, or -1 if there are more than MAX_FIELDS. */
static int split_fields(char *line, char *field[MAX_FIELDS])
{
	char *hash = strchr(line, '#');
	int n = 0;

	if (hash)
		*hash = '\0';
	for (char *tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
		if (n == MAX_FIELDS)
			return -1;
		field[n++] = tok;
	}
	return n;
}

static void add_named(struct named_symbol **list, size_t *n, const char *name, const char *path,
		      int lineno)
{
	*list = xrealloc(*list, (*n + 1) * sizeof **list);
	(*list)[(*n)++] = (struct named_symbol){xstrdup(name), format("%s:%d", path, lineno)};
}

/* A share, share-heap or copy-arg rule: fields 2.. name symbols of the outputs
 * field 1 matches; `example` is what a field names. */
static int apply_symbol_rule(const char *path, int lineno, char **field, int n, const char *base,
			     const char *what, const char *example, struct named_symbol **list,
			     size_t *nlist)
{
	if (n < 3)
		return error("%s:%d: expected '%s GLOB %s...', for example '%s libfoo.so* %s'",
			     path, lineno, field[0], what, field[0], example);
	if (fnmatch(field[1], base, 0) == 0)
		for (int i = 2; i < n; i++)
			add_named(list, nlist, field[i], path, lineno);
	return 0;
}

static int syscall_number(const char *name)
{
	for (size_t i = 0; i < sizeof ia2_syscall_names / sizeof *ia2_syscall_names; i++)
		if (!strcmp(ia2_syscall_names[i].name, name))
			return ia2_syscall_names[i].nr;
	return -1;
}

/* Calls no code can do without: a compartment denied them could not
 * return from a signal handler or end its thread. */
static bool is_indispensable(const char *name)
{
	return !strcmp(name, "rt_sigreturn") || !strcmp(name, "exit") || !strcmp(name, "exit_group");
}

/* "syscalls COMPARTMENT deny SYSCALL...": for every output alike. */
static int apply_syscalls_rule(const char *path, int lineno, char **field, int n, struct policy *p)
{
	int c = n > 1 ? parse_compartment(field[1]) : -1;

	if (n < 4 || c < 0 || strcmp(field[2], "deny"))
		return error("%s:%d: expected 'syscalls COMPARTMENT deny SYSCALL...' with COMPARTMENT "
			     "in 1..%d, for example 'syscalls 2 deny socket connect execve'",
			     path, lineno, IA2_LAST_COMPARTMENT);
	for (int i = 3; i < n; i++) {
		int nr = syscall_number(field[i]);
		if (nr < 0)
			return error("%s:%d: '%s' is no x86-64 syscall: name it as the kernel does "
				     "(asm/unistd_64.h, without __NR_), for example 'openat'",
				     path, lineno, field[i]);
		if (is_indispensable(field[i]))
			return error("%s:%d: every compartment needs %s: a syscalls rule cannot deny it",
				     path, lineno, field[i]);
		p->denied_calls = xrealloc(p->denied_calls, (p->ndenied_calls + 1) * sizeof *p->denied_calls);
		p->denied_calls[p->ndenied_calls++] = (struct denied_call){c, nr};
	}
	return 0;
}

/* One line's rule, applied to `base` if it matches. */
static int apply_line(const char *path, int lineno, char **field, int n, const char *base,
		      struct policy *p)
{
	int c;

	if (!strcmp(field[0], "share"))
		return apply_symbol_rule(path, lineno, field, n, base, "VARIABLE", "foo_table",
					 &p->shared, &p->nshared);
	if (!strcmp(field[0], "share-heap"))
		return apply_symbol_rule(path, lineno, field, n, base, "FUNCTION", "foo_new_buffer",
					 &p->heap_shared, &p->nheap_shared);
	if (!strcmp(field[0], "copy-arg"))
		return apply_symbol_rule(path, lineno, field, n, base, "FUNCTION", "foo_fill_request",
					 &p->copied, &p->ncopied);
	if (!strcmp(field[0], "syscalls"))
		return apply_syscalls_rule(path, lineno, field, n, p);
	if (n == 2 && (c = parse_compartment(field[1])) > 0 && strchr(field[0], '/')) {
		if (!is_path_glob(field[0]))
			return error("%s:%d: a path rule's GLOB must be an absolute path, for example "
				     "'/usr/lib/app/plugins/*.so %d'", path, lineno, c);
		add_load_rule(p, field[0], c);
		return 0;
	}
	if (n == 2 && (c = parse_compartment(field[1])) > 0) {
		if (!p->compartment && fnmatch(field[0], base, 0) == 0)
			p->compartment = c;
		p->named |= 1u << c;
		return 0;
	}
	return error("%s:%d: expected 'GLOB COMPARTMENT' with COMPARTMENT in 1..%d, for "
		     "example 'libfoo.so* 2', 'share GLOB VARIABLE...', 'share-heap GLOB "
		     "FUNCTION...', 'copy-arg GLOB FUNCTION...' or 'syscalls COMPARTMENT deny "
		     "SYSCALL...'", path, lineno, IA2_LAST_COMPARTMENT);
}

int read_policy(const char *path, const char *output, struct policy *p)
{
	FILE *f = fopen(path, "r");
	char *base, *copy, *line = NULL, *field[MAX_FIELDS];
	size_t cap = 0;
	int lineno = 0, rc = 0;

	memset(p, 0, sizeof *p);
	if (!f)
		return error("%s: %s (named by IA2_CONFIG or --ia2-config)", path, strerror(errno));
	copy = xstrdup(output);
	base = basename(copy);
	while (!rc && getline(&line, &cap, f) > 0) {
		int n = split_fields(line, field);
		lineno++;
		if (n < 0)
			rc = error("%s:%d: more than %d fields", path, lineno, MAX_FIELDS);
		else if (n > 0)
			rc = apply_line(path, lineno, field, n, base, p);
	}
	free(line);
	free(copy);
	fclose(f);
	if (rc)
		policy_free(p);
	return rc;
}

static void free_named(struct named_symbol *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(list[i].name);
		free(list[i].origin);
	}
	free(list);
}

void policy_free(struct policy *p)
{
	free_named(p->shared, p->nshared);
	free_named(p->heap_shared, p->nheap_shared);
	free_named(p->copied, p->ncopied);
	for (size_t i = 0; i < p->nloads; i++)
		free(p->loads[i].glob);
	free(p->loads);
	free(p->denied_calls);
	memset(p, 0, sizeof *p);
}
