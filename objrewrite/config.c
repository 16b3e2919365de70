#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia2/pkru.h"
#include "util.h"

#define MAX_FIELDS 256

int parse_compartment(const char *s)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(s, &end, 10);
	if (errno || end == s || *end || n < 1 || n > IA2_MAX_COMPARTMENTS)
		return -1;
	return (int)n;
}

int parse_compartment_list(const char *s, unsigned *mask)
{
	char *copy = xstrdup(s), *save = NULL;
	int rc = 0;

	for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
		int c = parse_compartment(tok);
		if (c < 0)
			rc = -1;
		else
			*mask |= 1u << c;
	}
	free(copy);
	return *s ? rc : -1;
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

static void add_shared(struct policy *p, const char *name, const char *path, int lineno)
{
	p->shared = xrealloc(p->shared, (p->nshared + 1) * sizeof *p->shared);
	p->shared[p->nshared++] = (struct shared_symbol){xstrdup(name),
							 format("%s:%d", path, lineno)};
}

/* One line's rule, applied to `base` if it matches. */
static int apply_line(const char *path, int lineno, char **field, int n, const char *base,
		      struct policy *p)
{
	bool share = n >= 1 && !strcmp(field[0], "share");
	int c;

	if (share && n >= 3) {
		if (fnmatch(field[1], base, 0) == 0)
			for (int i = 2; i < n; i++)
				add_shared(p, field[i], path, lineno);
		return 0;
	}
	if (!share && n == 2 && (c = parse_compartment(field[1])) > 0) {
		if (!p->compartment && fnmatch(field[0], base, 0) == 0)
			p->compartment = c;
		p->named |= 1u << c;
		return 0;
	}
	if (share)
		return error("%s:%d: expected 'share GLOB SYMBOL...', for example "
			     "'share libfoo.so* foo_table'", path, lineno);
	return error("%s:%d: expected 'GLOB COMPARTMENT' with COMPARTMENT in 1..%d, for "
		     "example 'libfoo.so* 2', or 'share GLOB SYMBOL...'", path, lineno,
		     IA2_MAX_COMPARTMENTS);
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

void policy_free(struct policy *p)
{
	for (size_t i = 0; i < p->nshared; i++) {
		free(p->shared[i].name);
		free(p->shared[i].origin);
	}
	free(p->shared);
	memset(p, 0, sizeof *p);
}
