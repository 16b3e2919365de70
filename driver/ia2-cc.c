/* ia2-cc: a drop-in C compiler driver.
 *
 * Compiling (-c, -S, -E): the real compiler runs with -g (gates need
 * DWARF signatures), -ffunction-sections (every reference to a static
 * function gets a relocation), -fdata-sections (a variable a share rule
 * names can move to shared memory alone) and -fPIC (no copy relocations,
 * which would move a library's data into the executable's compartment).
 *
 * Linking: if the output has a compartment (--ia2-compartment=N, or a
 * rule in the config file named by --ia2-config=FILE or IA2_CONFIG), the
 * objects go through objrewrite and the link gets the gates and libia2
 * (link.c); the inputs may also declare the compartment themselves, as
 * programs written for upstream IA2 do (objrewrite/declared.c). To see
 * that, sources on a link line are compiled first, with the flags a
 * compile gets. Otherwise nothing of ia2 joins the link, so configure
 * probes and unrelated programs build as they would with cc.
 *
 * --ia2-emulate-pkru (or IA2_EMULATE_PKRU=1) links against the
 * emulated-PKRU runtime: same gates, PKRU in a variable, no isolation.
 *
 * --ia2-shared-stack (or IA2_SHARED_STACK=1) compiles with clang's
 * SafeStack, whose second stack libia2 provides in shared memory, so
 * that pointers to locals can be passed to other compartments
 * (docs/runtime.md, "Shared stack"). */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "flags.h"
#include "link.h"
#include "util.h"


static bool is_link(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-c") || !strcmp(argv[i], "-S") || !strcmp(argv[i], "-E") ||
		    !strcmp(argv[i], "-M") || !strcmp(argv[i], "-MM"))
			return false;
	return true;
}

/* Hand the command to the real compiler unchanged, exit status and all. */
static int pass_through(struct cmdline *c)
{
	execvp(c->argv[0], c->argv);
	return error("cannot run %s: %s", c->argv[0], strerror(errno)), 127;
}

/* argv without ia2's options, which go to *opt. */
static struct cmdline strip_ia2_options(int argc, char **argv, struct ia2_options *opt)
{
	struct cmdline c = {0};

	for (int i = 1; i < argc; i++) {
		if (starts_with(argv[i], "--ia2-compartment="))
			opt->compartment_arg = argv[i] + strlen("--ia2-compartment=");
		else if (starts_with(argv[i], "--ia2-loadable="))
			opt->loadable_arg = argv[i] + strlen("--ia2-loadable=");
		else if (starts_with(argv[i], "--ia2-config="))
			opt->config = argv[i] + strlen("--ia2-config=");
		else if (!strcmp(argv[i], "--ia2-emulate-pkru"))
			opt->emulate_pkru = true;
		else if (!strcmp(argv[i], "--ia2-shared-stack"))
			opt->shared_stack = true;
		else if (starts_with(argv[i], "--ia2-"))
			opt->unknown = argv[i];
		else
			cmdline_push(&c, argv[i]);
	}
	if (getenv("IA2_EMULATE_PKRU") && *getenv("IA2_EMULATE_PKRU"))
		opt->emulate_pkru = true;
	if (getenv("IA2_SHARED_STACK") && *getenv("IA2_SHARED_STACK"))
		opt->shared_stack = true;
	return c;
}

/* The real compiler's argv: ia2's flags in front of the user's, so the
 * user's still win, except over -fPIC. A compile gets ia2's compile
 * flags; a link that passes through, with --ia2-shared-stack, gets
 * SafeStack's runtime. */
static struct cmdline real_command(const struct cmdline *user, const struct ia2_options *opt,
				   bool compile)
{
	struct cmdline c = {0};

	cmdline_push(&c, real_compiler());
	if (compile) {
		for (const char *const *f = ia2_compile_flags(opt->shared_stack); *f; f++)
			cmdline_push(&c, *f);
		cmdline_push(&c, ia2_include_flag());
	} else if (opt->shared_stack)
		cmdline_push(&c, IA2_SHARED_STACK_FLAG);
	for (int i = 0; i < user->n; i++)
		if (!compile || !ia2_overrides_pic(user->argv[i]))
			cmdline_push(&c, user->argv[i]);
	return c;
}

/* The config file's policy for `output`; --ia2-compartment, if given,
 * decides the compartment. */
static int policy_for(struct ia2_options *opt, const char *output, struct policy *p)
{
	memset(p, 0, sizeof *p);
	if (!opt->config)
		opt->config = getenv("IA2_CONFIG");
	if (opt->config && *opt->config && read_policy(opt->config, output, p))
		return -1;
	if (opt->loadable_arg && parse_loadable("--ia2-loadable", opt->loadable_arg, p)) {
		policy_free(p);
		return -1;
	}
	if (opt->compartment_arg) {
		p->compartment = parse_compartment(opt->compartment_arg);
		if (p->compartment < 0) {
			policy_free(p);
			return error("--ia2-compartment=%s: expected a compartment number 1..%d",
				     opt->compartment_arg, IA2_LAST_COMPARTMENT);
		}
	}
	return 0;
}

/* `ia2-cc --ia2-launcher COMPILER ARGS...` is `IA2_CC=COMPILER ia2-cc
 * ARGS...`: the form a build system's compiler launcher gives (CMake's
 * <LANG>_COMPILER_LAUNCHER and RULE_LAUNCH_LINK, IA2Config.cmake). */
static void take_launcher_compiler(int *argc, char ***argv)
{
	if (*argc < 3 || strcmp((*argv)[1], "--ia2-launcher"))
		return;
	setenv("IA2_CC", (*argv)[2], 1);
	(*argv)[2] = (*argv)[0];
	*argv += 2;
	*argc -= 2;
}

int main(int argc, char **argv)
{
	struct ia2_options opt = {0};
	bool link;
	struct cmdline user, c;
	struct policy policy;
	int rc;

	take_launcher_compiler(&argc, &argv);
	link = is_link(argc, argv);
	user = strip_ia2_options(argc, argv, &opt);
	if (opt.unknown)
		return error("unknown option %s; ia2-cc takes --ia2-compartment=N, "
			     "--ia2-config=FILE, --ia2-loadable=N,..., --ia2-emulate-pkru and "
			     "--ia2-shared-stack",
			     opt.unknown), 2;
	if (!link) {
		c = real_command(&user, &opt, true);
		return pass_through(&c);
	}
	c = real_command(&user, &opt, false);
	if (policy_for(&opt, link_output(&c), &policy))
		return 1;
	if (policy.compartment == 0 && !has_link_inputs(&c))
		return pass_through(&c);
	/* link_program adds SafeStack's runtime where no compartment link
	 * gets it: libia2 defines the shared stack pointer. */
	c = real_command(&user, &(struct ia2_options){.shared_stack = false}, false);
	rc = link_program(&c, &policy, &opt);
	policy_free(&policy);
	return rc;
}
