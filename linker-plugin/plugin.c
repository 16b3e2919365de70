/* The ia2 plugin for ld.bfd and gold (binutils' plugin-api.h):
 *
 *   cc ... -Wl,-plugin,PREFIX/lib/ia2-plugin.so \
 *          -Wl,-plugin-opt=ia2-compartment=N $(ia2-config --ldflags)
 *
 * The linker offers the plugin every input object, archive members as it
 * selects them. The plugin claims the program's objects (not crt*.o, nor
 * the compiler's and libc's static helpers), copies them aside and tells
 * the linker their symbols (symbols.c). Once every symbol is read it
 * runs objrewrite's passes on the copies, as ia2-cc does, and hands the
 * linker the rewritten objects and gates.o, last. When the link is done
 * it runs the post-link step (objrewrite/postlink.c) on the output.
 *
 * Options (-plugin-opt=): ia2-compartment=N, ia2-config=FILE (the
 * output's compartment and share rules, matched against the output
 * name), ia2-emulate-pkru. Without either, the first program object may
 * declare the compartment in its source (IA2_COMPARTMENT). lld does not load plugins and rejects these
 * options, so a link there fails instead of producing an ungated
 * program; mold offers plugins LTO objects only, which the plugin
 * reports. */
#include "claim.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libelf.h>

#include "config.h"
#include "rewrite.h"
#include "util.h"

static struct linker ld;

static enum ld_plugin_status fail(const char *fmt, ...)
{
	va_list ap;
	char msg[1024];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	ld.message(LDPL_FATAL, "ia2: %s", msg);
	return LDPS_ERR;
}

static enum ld_plugin_status parse_option(const char *opt)
{
	if (!strncmp(opt, "ia2-compartment=", 16)) {
		if ((ld.compartment = parse_compartment(opt + 16)) < 0)
			return fail("-plugin-opt=%s: expected a compartment number 1..%d", opt,
				    IA2_LAST_COMPARTMENT);
	} else if (!strncmp(opt, "ia2-config=", 11)) {
		ld.config = opt + 11;
	} else if (!strncmp(opt, "ia2-loadable=", 13)) {
		ld.loadable = opt + 13;
	} else if (!strcmp(opt, "ia2-emulate-pkru")) {
		ld.emulate = true;
	} else {
		return fail("unknown option -plugin-opt=%s; the plugin takes ia2-compartment=N, "
			    "ia2-config=FILE, ia2-loadable=N,... and ia2-emulate-pkru", opt);
	}
	return LDPS_OK;
}

/* The output's compartment and share rules, once the options are in. */
static enum ld_plugin_status read_options_policy(void)
{
	if (ld.config && read_policy(ld.config, ld.output, &ld.policy))
		return LDPS_ERR;
	if (ld.compartment > 0)
		ld.policy.compartment = ld.compartment;
	if (ld.loadable && parse_loadable("-plugin-opt=ia2-loadable", ld.loadable, &ld.policy))
		return LDPS_ERR;
	return LDPS_OK;
}

/* Without a compartment from the options or the config, a program
 * object that declares one (IA2_COMPARTMENT, objrewrite/declared.c)
 * gives it, as with ia2-cc: but only if it is the first of the
 * program's objects the linker offers, since those offered before went
 * to the linker unclaimed. */
static enum ld_plugin_status take_declaration(const struct ld_plugin_input_file *file)
{
	int c;

	if (!is_program_object(file))
		return LDPS_OK;
	if ((c = declaration_of(file)) < 0)
		return fail("%s: its IA2_COMPARTMENT declaration cannot be read", file->name);
	if (!c) {
		if (!ld.undeclared)
			ld.undeclared = xstrdup(file->name);
		return LDPS_OK;
	}
	if (ld.undeclared)
		return fail("%s declares compartment %d (IA2_COMPARTMENT), but %s came before it on "
			    "the link line and was linked without ia2: put %s first, or give "
			    "-plugin-opt=ia2-compartment=%d", file->name, c, ld.undeclared, file->name,
			    c);
	ld.policy.compartment = c;
	return LDPS_OK;
}

static enum ld_plugin_status claim_file(const struct ld_plugin_input_file *file, int *claimed)
{
	*claimed = 0;
	if (ld.kind == LDPO_REL)
		return LDPS_OK;
	if (!ld.policy.compartment && take_declaration(file) != LDPS_OK)
		return LDPS_ERR;   /* after take_declaration's fatal message */
	if (!ld.policy.compartment)
		return LDPS_OK;
	ld.offered++;
	/* ld.bfd 2.40 crashes on a claim hook's LDPS_ERR unless a fatal
	 * message came first. */
	return claim_input(&ld, file, claimed) ? fail("%s: cannot claim it", file->name) : LDPS_OK;
}

/* The passes, as ia2-cc runs them (driver/link.c), on the claimed copies. */
static enum ld_plugin_status all_symbols_read(void)
{
	struct dso d = {0};
	char *gates_s, *gates_o, **paths;
	int rc;

	if (!ld.policy.compartment || ld.kind == LDPO_REL)
		return LDPS_OK;
	if (!ld.nclaimed)
		return fail("%s: the linker offered the plugin no object to rewrite (mold offers "
			    "plugins LTO objects only); link with ld.bfd or gold, or use ia2-cc",
			    ld.output);
	paths = xcalloc(ld.nclaimed, sizeof *paths);
	for (size_t i = 0; i < ld.nclaimed; i++)
		paths[i] = ld.claimed[i].copy;
	dso_for_policy(&d, &ld.policy, ld.workdir, ld.emulate);
	gates_s = format("%s/gates.s", ld.workdir);
	gates_o = format("%s/gates.o", ld.workdir);
	rc = run_passes(&d, paths, ld.nclaimed, gates_s) || assemble_gates(&d, gates_s, gates_o);
	for (size_t i = 0; !rc && i < ld.nclaimed; i++)
		rc = ld.add_input_file(rewritten_path(&d, paths[i])) != LDPS_OK;
	if (!rc)
		rc = ld.add_input_file(gates_o) != LDPS_OK;
	/* The linker reads the added files after this returns; they stay in
	 * the work directory until cleanup. */
	dso_free(&d);
	free(paths);
	free(gates_s);
	free(gates_o);
	return rc ? fail("%s: rewriting its objects failed", ld.output) : LDPS_OK;
}

/* The output is complete when the linker calls the cleanup hook. */
static enum ld_plugin_status cleanup(void)
{
	char *rm[] = {"rm", "-rf", "--", (char *)ld.workdir, NULL};
	int rc = 0;

	if (ld.policy.compartment && ld.kind != LDPO_REL && ld.nclaimed)
		rc = finish_dso(ld.output);
	if (!getenv("IA2_KEEP_TEMPS"))
		run_command(rm);
	return rc ? fail("%s: the post-link step failed", ld.output) : LDPS_OK;
}

static enum ld_plugin_status read_transfer_vector(struct ld_plugin_tv *tv)
{
	for (; tv->tv_tag != LDPT_NULL; tv++) {
		switch (tv->tv_tag) {
		case LDPT_MESSAGE: ld.message = tv->tv_u.tv_message; break;
		case LDPT_LINKER_OUTPUT: ld.kind = tv->tv_u.tv_val; break;
		case LDPT_OUTPUT_NAME: ld.output = tv->tv_u.tv_string; break;
		case LDPT_ADD_SYMBOLS: ld.add_symbols = tv->tv_u.tv_add_symbols; break;
		case LDPT_ADD_INPUT_FILE: ld.add_input_file = tv->tv_u.tv_add_input_file; break;
		case LDPT_REGISTER_CLAIM_FILE_HOOK: ld.register_claim = tv->tv_u.tv_register_claim_file; break;
		case LDPT_REGISTER_ALL_SYMBOLS_READ_HOOK:
			ld.register_all_read = tv->tv_u.tv_register_all_symbols_read;
			break;
		case LDPT_REGISTER_CLEANUP_HOOK: ld.register_cleanup = tv->tv_u.tv_register_cleanup; break;
		default: break;
		}
	}
	for (tv = ld.tv; tv->tv_tag != LDPT_NULL; tv++)
		if (tv->tv_tag == LDPT_OPTION && parse_option(tv->tv_u.tv_string) != LDPS_OK)
			return LDPS_ERR;
	return LDPS_OK;
}

__attribute__((visibility("default"))) enum ld_plugin_status onload(struct ld_plugin_tv *tv)
{
	char workdir[] = "/tmp/ia2-plugin.XXXXXX";

	ld.tv = tv;
	elf_version(EV_CURRENT);
	if (read_transfer_vector(tv) != LDPS_OK)
		return LDPS_ERR;
	if (!ld.message || !ld.add_symbols || !ld.add_input_file || !ld.register_claim ||
	    !ld.register_all_read || !ld.register_cleanup || !ld.output)
		return LDPS_ERR;
	if (read_options_policy() != LDPS_OK)
		return fail("%s: cannot read the config", ld.config);
	if (!mkdtemp(workdir))
		return fail("cannot create a temporary directory: %s", strerror(errno));
	ld.workdir = xstrdup(workdir);
	if (ld.register_claim(claim_file) != LDPS_OK || ld.register_all_read(all_symbols_read) != LDPS_OK ||
	    ld.register_cleanup(cleanup) != LDPS_OK)
		return LDPS_ERR;
	return LDPS_OK;
}
