/* The plugin's state, and claiming an input (claim.c). */
#ifndef IA2_CLAIM_H
#define IA2_CLAIM_H

#include <plugin-api.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* A claimed input: a copy of the object (or archive member) that the
 * passes read and rewrite, and the symbols the linker was told of. */
struct claimed {
	char *copy;
	struct ld_plugin_symbol *syms;
	size_t nsyms;
};

struct linker {
	struct ld_plugin_tv *tv;
	ld_plugin_message message;
	ld_plugin_add_symbols add_symbols;
	ld_plugin_add_input_file add_input_file;
	ld_plugin_register_claim_file register_claim;
	ld_plugin_register_all_symbols_read register_all_read;
	ld_plugin_register_cleanup register_cleanup;
	const char *output;
	int kind;              /* LDPO_EXEC, LDPO_DYN, LDPO_PIE or LDPO_REL */
	int compartment;       /* -plugin-opt=ia2-compartment=N, or 0 */
	const char *config;
	const char *loadable;  /* -plugin-opt=ia2-loadable=ITEM,... (config.h) */
	bool emulate;
	struct policy policy;
	const char *workdir;
	size_t offered;
	char *undeclared;      /* the first program object offered, if it declares no compartment */
	struct claimed *claimed;
	size_t nclaimed;
};

/* Whether `file` is one of the program's relocatable objects, not a
 * start file or static helper that the compiler driver adds; and the
 * compartment it declares (objrewrite/declared.c: 0 for none, -1 after
 * a message). */
bool is_program_object(const struct ld_plugin_input_file *file);
int declaration_of(const struct ld_plugin_input_file *file);

/* Claims `file` if it is the program's relocatable object: copies it to
 * the work directory and gives the linker its symbols. Leaves *claimed
 * 0 for everything else. Returns 0, or -1 after a message. */
int claim_input(struct linker *ld, const struct ld_plugin_input_file *file, int *claimed);

#endif
