#include "config.h"

#include <errno.h>
#include <fnmatch.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia2/pkru.h"
#include "util.h"

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

/* Splits `line` into at most 3 whitespace-separated fields; returns how many. */
static int split_fields(char *line, char *field[3])
{
	int n = 0;
	for (char *tok = strtok(line, " \t\r\n"); tok && n < 3; tok = strtok(NULL, " \t\r\n"))
		field[n++] = tok;
	return n;
}

int config_compartment(const char *config_path, const char *output)
{
	FILE *f = fopen(config_path, "r");
	char *base, *copy, *line = NULL;
	size_t cap = 0;
	int lineno = 0, result = 0;

	if (!f)
		return error("%s: %s (named by IA2_CONFIG or --ia2-config)", config_path, strerror(errno));
	copy = xstrdup(output);
	base = basename(copy);
	while (getline(&line, &cap, f) > 0) {
		char *field[3], *hash = strchr(line, '#');
		int n, c;
		lineno++;
		if (hash)
			*hash = '\0';
		n = split_fields(line, field);
		if (n == 0)
			continue;
		if (n != 2 || (c = parse_compartment(field[1])) < 0) {
			result = error("%s:%d: expected 'GLOB COMPARTMENT' with COMPARTMENT in 1..%d, "
				       "for example 'libfoo.so* 2'", config_path, lineno,
				       IA2_MAX_COMPARTMENTS);
			break;
		}
		if (!result && fnmatch(field[0], base, 0) == 0)
			result = c;
	}
	free(line);
	free(copy);
	fclose(f);
	return result;
}
