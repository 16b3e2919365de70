/* ia2-objrewrite: the objrewrite engine on prebuilt objects and archives.
 *
 *   ia2-objrewrite --compartment=N -o DIR [--config=FILE --output=NAME]
 *                  [--loadable=N,...] [--emulate-pkru] [--explain[=json]]
 *                  INPUT.o|INPUT.a...
 *   ia2-objrewrite --finish FILE...
 *
 * The first form writes DIR/<input's name> for each input, rewritten, and
 * DIR/gates.o. Link those, gates.o last, with `ia2-config --ldflags`, then
 * run the second form on the linked executable or shared object: it is
 * the post-link step ia2-cc runs itself (objrewrite/postlink.c), and
 * libia2 refuses a DSO that skipped it. --config takes the share rules and
 * the loadable compartments of output NAME from the config file, and its
 * compartment if --compartment is not given; without either, the inputs'
 * own declaration (IA2_COMPARTMENT) gives it. --explain prints every
 * decision to stdout (explain.c). docs/usage.md has examples. */
#include <errno.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "rewrite.h"
#include "util.h"

enum explain { EXPLAIN_NONE, EXPLAIN_TEXT, EXPLAIN_JSON };

struct options {
	const char *compartment, *outdir, *config, *output, *loadable;
	bool emulate, finish;
	enum explain explain;
	char **inputs;
	int ninputs;
};

static int usage(void)
{
	fprintf(stderr, "usage: ia2-objrewrite --compartment=N -o DIR [--config=FILE --output=NAME] "
			"[--loadable=N,...] [--emulate-pkru] [--explain[=json]] INPUT.o|INPUT.a...\n"
			"       ia2-objrewrite --finish FILE...\n");
	return 2;
}

static const char *value_of(const char *arg, const char *name)
{
	size_t n = strlen(name);

	return !strncmp(arg, name, n) && arg[n] == '=' ? arg + n + 1 : NULL;
}

static int parse_options(int argc, char **argv, struct options *o)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i], *v;
		if ((v = value_of(a, "--compartment")))
			o->compartment = v;
		else if (!strcmp(a, "-o") && i + 1 < argc)
			o->outdir = argv[++i];
		else if ((v = value_of(a, "--config")))
			o->config = v;
		else if ((v = value_of(a, "--output")))
			o->output = v;
		else if ((v = value_of(a, "--loadable")))
			o->loadable = v;
		else if (!strcmp(a, "--emulate-pkru"))
			o->emulate = true;
		else if (!strcmp(a, "--explain"))
			o->explain = EXPLAIN_TEXT;
		else if (!strcmp(a, "--explain=json"))
			o->explain = EXPLAIN_JSON;
		else if (!strcmp(a, "--finish"))
			o->finish = true;
		else
			return error("unknown option %s", a), -1;
	}
	o->inputs = argv + i;
	o->ninputs = argc - i;
	return 0;
}

/* The compartment and share rules: --compartment, the config's policy
 * for the output the objects are meant for, or the objects' own
 * declaration (objrewrite/declared.c). */
static int read_options_policy(const struct options *o, struct policy *p)
{
	memset(p, 0, sizeof *p);
	if (o->config && !o->output)
		return error("--config needs --output=NAME, the name of the file the objects will be "
			     "linked into, which the config's rules match");
	if (o->config && read_policy(o->config, o->output, p))
		return -1;
	if (o->loadable && parse_loadable("--loadable", o->loadable, p))
		return -1;
	if (o->compartment && (p->compartment = parse_compartment(o->compartment)) < 0)
		return error("--compartment=%s: expected a compartment number 1..%d", o->compartment,
			     IA2_LAST_COMPARTMENT);
	if (!p->compartment && (p->compartment = declared_compartment(o->inputs, (size_t)o->ninputs)) < 0)
		return -1;
	if (!p->compartment)
		return error(o->config ? "%s: no rule gives %s a compartment, no input declares one, and "
					 "there is no --compartment=N"
				       : "%s%sgive the objects a compartment with --compartment=N",
			     o->config ? o->config : "", o->config ? o->output : "");
	return 0;
}

/* Two inputs with one name would overwrite each other's copy in DIR. */
static int check_names(const struct options *o)
{
	for (int i = 0; i < o->ninputs; i++) {
		char *a = xstrdup(o->inputs[i]), *an = basename(a);
		bool clash = !strcmp(an, "gates.o");
		for (int j = 0; j < i && !clash; j++) {
			char *b = xstrdup(o->inputs[j]);
			clash = !strcmp(an, basename(b));
			free(b);
		}
		free(a);
		if (clash)
			return error("%s: another input, or the gates, would have the same name in %s; "
				     "rename it", o->inputs[i], o->outdir);
	}
	return 0;
}

static int copy_out(struct dso *d, const struct options *o)
{
	for (int i = 0; i < o->ninputs; i++) {
		char *copy = xstrdup(o->inputs[i]);
		char *to = format("%s/%s", o->outdir, basename(copy));
		int rc = copy_file(rewritten_path(d, o->inputs[i]), to);
		free(to);
		free(copy);
		if (rc)
			return -1;
	}
	return 0;
}

static int rewrite(const struct options *o)
{
	char workdir[] = "/tmp/ia2-objrewrite.XXXXXX";
	struct policy p;
	struct dso d = {0};
	char *gates_s, *gates_o;
	char *rm[] = {"rm", "-rf", "--", workdir, NULL};
	int rc;

	if (!o->outdir || !o->ninputs)
		return usage();
	if (read_options_policy(o, &p) || check_names(o))
		return 1;
	if (mkdir(o->outdir, 0777) && errno != EEXIST)
		return error("%s: %s", o->outdir, strerror(errno)), 1;
	if (!mkdtemp(workdir))
		return error("cannot create a temporary directory: %s", strerror(errno)), 1;
	dso_for_policy(&d, &p, workdir, o->emulate);
	d.explain = o->explain != EXPLAIN_NONE;
	gates_s = format("%s/gates.s", workdir);
	gates_o = format("%s/gates.o", o->outdir);
	rc = run_passes(&d, o->inputs, (size_t)o->ninputs, gates_s);
	if (!rc)
		rc = assemble_gates(&d, gates_s, gates_o);
	if (!rc)
		rc = copy_out(&d, o);
	if (!rc && o->explain == EXPLAIN_TEXT)
		explain_text(stdout, &d);
	else if (!rc && o->explain == EXPLAIN_JSON)
		explain_json(stdout, &d);
	dso_free(&d);
	policy_free(&p);
	run_command(rm);
	free(gates_s);
	free(gates_o);
	return rc ? 1 : 0;
}

int main(int argc, char **argv)
{
	struct options o = {0};

	if (parse_options(argc, argv, &o))
		return usage();
	if (!o.finish)
		return rewrite(&o);
	if (!o.ninputs)
		return usage();
	for (int i = 0; i < o.ninputs; i++)
		if (finish_dso(o.inputs[i]))
			return 1;
	return 0;
}
