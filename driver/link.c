/* link: the last pass. Sources on the link line are compiled first. If
 * the output has a compartment, from the options, the config or the
 * inputs' own declaration (objrewrite/declared.c), the objects and
 * archives are rewritten (objrewrite), the gates assembled, and the real
 * compiler links the copies plus gates.o and libia2; if not, the real
 * compiler links them as they are. */
#include "link.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "flags.h"
#include "rewrite.h"
#include "util.h"

void cmdline_push(struct cmdline *c, const char *arg)
{
	if (c->n + 2 > c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->argv = xrealloc(c->argv, c->cap * sizeof *c->argv);
	}
	c->argv[c->n++] = (char *)arg;
	c->argv[c->n] = NULL;
}

/* Options whose value is the next argument (gcc and clang spelling). */
static bool takes_value(const char *a)
{
	static const char *const opts[] = {"-o", "-x", "-include", "-imacros", "-isystem",
					   "-iquote", "-idirafter", "-MF", "-MT", "-MQ", "-Xlinker",
					   "-T", "-u", "-z", "-L", "-l", "-I", "-D", "-U", NULL};
	for (int i = 0; opts[i]; i++)
		if (!strcmp(a, opts[i]))
			return true;
	return false;
}

const char *link_output(const struct cmdline *c)
{
	for (int i = 1; i < c->n; i++) {
		if (!strcmp(c->argv[i], "-o") && i + 1 < c->n)
			return c->argv[i + 1];
		if (!strncmp(c->argv[i], "-o", 2) && c->argv[i][2])
			return c->argv[i] + 2;
	}
	return "a.out";
}

static bool is_source(const char *a)
{
	return ends_with(a, ".c") || ends_with(a, ".i") || ends_with(a, ".s") ||
	       ends_with(a, ".S");
}

/* An input the linker reads as an object or an archive, by its contents:
 * nasm writes .obj, libtool .lo, and every one must be scanned, if only
 * for wrpkru bytes (check.c). Linker scripts and shared objects are
 * neither. */
static bool is_object_or_archive(const char *a)
{
	unsigned char head[18];
	int fd = open(a, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, head, sizeof head);

	if (fd >= 0)
		close(fd);
	if (n >= 8 && (!memcmp(head, "!<arch>\n", 8) || !memcmp(head, "!<thin>\n", 8)))
		return true;
	return n == (ssize_t)sizeof head && !memcmp(head, "\177ELF", 4) && head[16] == ET_REL;
}

bool has_link_inputs(const struct cmdline *c)
{
	for (int i = 1; i < c->n; i++) {
		const char *a = c->argv[i];
		if (a[0] == '-') {
			if (takes_value(a))
				i++;
		} else if (is_source(a) || is_object_or_archive(a)) {
			return true;
		}
	}
	return false;
}

/* Linker-only arguments, dropped when compiling a source of the link line. */
static bool link_only(const char *a)
{
	return !strncmp(a, "-l", 2) || !strncmp(a, "-L", 2) || !strncmp(a, "-Wl,", 4) ||
	       !strcmp(a, "-shared") || !strcmp(a, "-static") || !strcmp(a, "-pie") ||
	       !strcmp(a, "-no-pie") || !strcmp(a, "-rdynamic") || !strcmp(a, "-Xlinker") ||
	       !strcmp(a, "-T") || !strcmp(a, "-u") || !strcmp(a, "-z") || !strcmp(a, "-o");
}

struct inputs {
	char **paths;     /* objects and archives, in command-line order */
	int n;
	char **source_obj; /* argv index -> object compiled from that source, or NULL */
};

static int compile_source(const struct cmdline *c, int src, const char *out, bool shared_stack)
{
	struct cmdline cc = {0};
	int rc;

	cmdline_push(&cc, real_compiler());
	for (const char *const *f = ia2_compile_flags(shared_stack); *f; f++)
		cmdline_push(&cc, *f);
	cmdline_push(&cc, ia2_include_flag());
	for (int i = 1; i < c->n; i++) {
		const char *a = c->argv[i];
		if (a[0] != '-') {
			continue;   /* inputs */
		} else if (link_only(a)) {
			if (takes_value(a))
				i++;
		} else if (!ia2_overrides_pic(a)) {
			cmdline_push(&cc, a);
			if (takes_value(a) && i + 1 < c->n)
				cmdline_push(&cc, c->argv[++i]);
		}
	}
	cmdline_push(&cc, "-c");
	cmdline_push(&cc, c->argv[src]);
	cmdline_push(&cc, "-o");
	cmdline_push(&cc, out);
	rc = run_command(cc.argv);
	free(cc.argv);
	return rc == 0 ? 0 : error("compiling %s failed", c->argv[src]);
}

static int collect_inputs(const struct cmdline *c, const char *workdir, struct inputs *in,
			  bool shared_stack)
{
	in->paths = xcalloc((size_t)c->n, sizeof *in->paths);
	in->source_obj = xcalloc((size_t)c->n, sizeof *in->source_obj);
	for (int i = 1; i < c->n; i++) {
		const char *a = c->argv[i];
		if (a[0] == '-') {
			if (takes_value(a))
				i++;
			continue;
		}
		if (is_source(a)) {
			in->source_obj[i] = format("%s/src%d.o", workdir, i);
			if (compile_source(c, i, in->source_obj[i], shared_stack))
				return -1;
			in->paths[in->n++] = in->source_obj[i];
		} else if (is_object_or_archive(a)) {
			in->paths[in->n++] = (char *)a;
		}
	}
	return 0;
}

/* The link with each input replaced by its rewritten copy, and gates.o
 * last (its ia2_shared piece must end the section, emit.c). */
static int final_link(const struct cmdline *c, struct dso *d, struct inputs *in, const char *gates_o)
{
	struct cmdline l = {0};
	int rc;

	cmdline_push(&l, c->argv[0]);
	for (int i = 1; i < c->n; i++) {
		const char *a = c->argv[i];
		if (in->source_obj[i])
			cmdline_push(&l, rewritten_path(d, in->source_obj[i]));
		else if (a[0] != '-' && is_object_or_archive(a) && (i == 1 || strcmp(c->argv[i - 1], "-o")))
			cmdline_push(&l, rewritten_path(d, a));
		else
			cmdline_push(&l, a);
	}
	cmdline_push(&l, gates_o);
	for (const char *const *f = ia2_link_flags(d->emulate_pkru); *f; f++)
		cmdline_push(&l, *f);
	rc = run_command(l.argv);
	free(l.argv);
	return rc == 0 ? 0 : -1;
}

static void remove_workdir(const char *workdir)
{
	char *argv[] = {"rm", "-rf", "--", (char *)workdir, NULL};
	if (!getenv("IA2_KEEP_TEMPS"))
		run_command(argv);
	else
		fprintf(stderr, "ia2: kept temporary files in %s\n", workdir);
}

/* The command with each source replaced by the object compiled from it,
 * the plain indirect-branch thunks that ia2's compiles call, and
 * SafeStack's runtime if the objects were compiled for it. */
static int plain_link(const struct cmdline *c, const struct inputs *in, const char *workdir,
		      bool shared_stack)
{
	struct cmdline l = {0};
	char *thunks_s = format("%s/thunks.s", workdir), *thunks_o = format("%s/thunks.o", workdir);
	char *as[] = {(char *)real_compiler(), "-c", thunks_s, "-o", thunks_o, NULL};
	int rc = 1;

	if (write_plain_branch_thunks(thunks_s) || run_command(as)) {
		error("assembling %s failed", thunks_s);
		goto out;
	}
	for (int i = 0; i < c->n; i++)
		cmdline_push(&l, in->source_obj[i] ? in->source_obj[i] : c->argv[i]);
	cmdline_push(&l, thunks_o);
	if (shared_stack)
		cmdline_push(&l, IA2_SHARED_STACK_FLAG);
	rc = run_command(l.argv);
	rc = rc < 0 ? 1 : rc;
	free(l.argv);
out:
	free(thunks_s);
	free(thunks_o);
	return rc;
}

static int compartment_link(const struct cmdline *c, const struct policy *p,
			    const struct ia2_options *opt, struct inputs *in, const char *workdir)
{
	struct dso d = {0};
	char *gates_s = format("%s/gates.s", workdir), *gates_o = format("%s/gates.o", workdir);
	int rc;

	dso_for_policy(&d, p, workdir, opt->emulate_pkru);
	rc = run_passes(&d, in->paths, (size_t)in->n, gates_s);
	if (!rc)
		rc = assemble_gates(&d, gates_s, gates_o);
	if (!rc)
		rc = final_link(c, &d, in, gates_o);
	if (!rc)
		rc = finish_dso(link_output(c));
	dso_free(&d);
	free(gates_s);
	free(gates_o);
	return rc ? 1 : 0;
}

int link_program(const struct cmdline *c, struct policy *p, const struct ia2_options *opt)
{
	char workdir[] = "/tmp/ia2-cc.XXXXXX";
	struct inputs in = {0};
	int rc;

	if (!mkdtemp(workdir))
		return error("cannot create a temporary directory: %s", strerror(errno)), 1;
	rc = collect_inputs(c, workdir, &in, opt->shared_stack) ? 1 : 0;
	if (!rc && !p->compartment && (p->compartment = declared_compartment(in.paths, (size_t)in.n)) < 0)
		rc = 1;
	if (!rc)
		rc = p->compartment ? compartment_link(c, p, opt, &in, workdir)
				    : plain_link(c, &in, workdir, opt->shared_stack);
	remove_workdir(workdir);
	for (int i = 0; i < c->n; i++)
		free(in.source_obj[i]);
	free(in.source_obj);
	free(in.paths);
	return rc;
}
