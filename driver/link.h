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

/* Whether the command names a source, an object or an archive to link. */
bool has_link_inputs(const struct cmdline *c);

/* Compile any sources on the command line `c`. If p gives no compartment
 * and the inputs declare one, p takes it. With a compartment: rewrite the
 * objects for it and its shared data, generate and assemble the gates
 * and link; without: run `c` with each source replaced by its object.
 * Returns the exit status for ia2-cc. */
struct policy;
int link_program(const struct cmdline *c, struct policy *p, const struct ia2_options *opt);

#endif
