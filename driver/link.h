/* The compartment link: ia2-cc's pipeline once an output has a compartment. */
#ifndef IA2_LINK_H
#define IA2_LINK_H

#include <stdbool.h>

struct cmdline {
	char **argv;   /* NULL-terminated */
	int n, cap;
};

struct ia2_options {
	const char *compartment_arg;
	const char *loadable_arg;
	const char *config;
	const char *unknown;
	bool emulate_pkru;
	bool shared_stack;
};

void cmdline_push(struct cmdline *c, const char *arg);

/* The -o argument of a link command, or "a.out". */
const char *link_output(const struct cmdline *c);

/* Compile any sources on the command line, rewrite the objects for the
 * policy's compartment and shared data, generate and assemble the gates
 * and link. Returns 0 or -1. */
struct policy;
int link_compartment(const struct cmdline *c, const struct policy *p, const struct ia2_options *opt);

#endif
