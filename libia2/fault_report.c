/* What a protection-key fault touched, for the monitor's report of a
 * fault that kills the program (supervisor.c, on_pkey_fault), and the
 * config rule that would allow the access, where one exists
 * (docs/usage.md, "Config file").
 *
 * Code and variables are named by ia2-symbolize (symbolize.c), which
 * reads the program's map and its DSOs' files. The monitor is a copy of
 * the program made at startup, so libia2's own addresses (the thread
 * records, the heap reservation) are the program's; what it reads of
 * the program's memory it reads from outside (registry.c,
 * name_thread_area), so the faulting compartment cannot change the
 * report by changing its own memory. The report is for porting: a
 * compartment that controls the DSO files can still mislead it. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime.h"

/* What ia2-symbolize (symbolize.c) says of one address. */
struct place {
	char module[256], symbol[128], source[256];
	unsigned long offset, size;
};

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

/* ia2-symbolize sits in ia2/ next to libia2 (libia2/CMakeLists.txt), in
 * the build tree as where it is installed. */
static bool find_symbolizer(char *path, size_t size)
{
	Dl_info info;
	char dir[PATH_MAX], *slash;

	if (!dladdr((void *)find_symbolizer, &info) || !info.dli_fname)
		return false;
	format_to(dir, sizeof dir, "%s", info.dli_fname);
	if (!(slash = strrchr(dir, '/')))
		return false;
	*slash = 0;
	format_to(path, size, "%s/ia2/ia2-symbolize", dir);
	return access(path, X_OK) == 0;
}

/* Split one line of ia2-symbolize's output; false for "?". */
static bool parse_place(char *line, struct place *p)
{
	char *field[5];

	for (int i = 0; i < 5; i++)
		if (!(field[i] = strsep(&line, "\t")))
			return false;
	format_to(p->module, sizeof p->module, "%s", field[0]);
	format_to(p->symbol, sizeof p->symbol, "%s", field[1]);
	p->offset = strtoul(field[2], NULL, 0);
	p->size = strtoul(field[3], NULL, 0);
	format_to(p->source, sizeof p->source, "%s", field[4]);
	return true;
}

/* Names the instruction at rip and the address addr of process pid
 * through ia2-symbolize: places[0] and places[1], where found[i] says
 * so. */
static void symbolize(pid_t pid, uintptr_t rip, uintptr_t addr, struct place *places, bool *found)
{
	char helper[PATH_MAX], arg[3][32], out[4096], *line, *next;
	char *argv[] = {helper, arg[0], arg[1], arg[2], NULL};
	int fd[2], status;
	size_t len = 0;
	ssize_t got;
	pid_t child;

	found[0] = found[1] = false;
	if (!find_symbolizer(helper, sizeof helper) || pipe2(fd, O_CLOEXEC))
		return;
	format_to(arg[0], sizeof arg[0], "%d", pid);
	format_to(arg[1], sizeof arg[1], "%#lx", (unsigned long)rip);
	format_to(arg[2], sizeof arg[2], "%#lx", (unsigned long)addr);
	child = raw_fork();
	if (child == 0) {
		dup2(fd[1], 1);
		execv(helper, argv);
		_exit(127);
	}
	close(fd[1]);
	while (child > 0 && len < sizeof out - 1 &&
	       ((got = read(fd[0], out + len, sizeof out - 1 - len)) > 0 || (got < 0 && errno == EINTR)))
		len += got > 0 ? (size_t)got : 0;
	close(fd[0]);
	out[len] = 0;
	if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return;
	line = out;
	for (int i = 0; i < 2 && line && *line; i++, line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = 0;
		found[i] = parse_place(line, &places[i]);
	}
}

/* "function+offset (module, file:line)" for code. A gated function's
 * code is its body, which objrewrite names __ia2_body_NAME (plan.c). */
static void name_code(const struct place *p, char *buf, size_t size)
{
	const char *fn = p->symbol;

	if (!strncmp(fn, "__ia2_body_", 11))
		fn += 11;
	format_to(buf, size, "%s%s%#lx (%s%s%s)", fn, fn[0] ? "+" : "", p->offset, p->module,
		  p->source[0] ? ", " : "", p->source);
}

/* A variable of a DSO: by its symbol, the static ones included; else by
 * the DSO and the offset. */
static void describe_variable(const struct place *p, char *what, size_t wsize, char *rule,
			      size_t rsize)
{
	const char *dso = base_name(p->module);

	if (p->symbol[0] && p->offset < p->size) {
		format_to(what, wsize, "the variable %s of %s", p->symbol, p->module);
		format_to(rule, rsize, "'share %s %s' in the config of %s, if every compartment may "
			  "read and write it", dso, p->symbol, dso);
		return;
	}
	format_to(what, wsize, "data of %s, %#lx bytes past %s", p->module, p->offset,
		  p->symbol[0] ? p->symbol : "its start");
	format_to(rule, rsize, "'share %s VARIABLE', naming the variable there ('nm -n' lists "
		  "them), if every compartment may read and write it", dso);
}

void describe_fault(pid_t pid, uintptr_t rip, uintptr_t addr, unsigned pkey, char *at,
		    size_t asize, char *what, size_t wsize, char *rule, size_t rsize)
{
	struct place places[2];
	bool found[2];
	char path[256];
	int heap = heap_owner((void *)addr);
	enum thread_area area;

	symbolize(pid, rip, addr, places, found);
	if (found[0])
		name_code(&places[0], at, asize);
	else
		format_to(at, asize, "%#lx", (unsigned long)rip);

	if (pkey == IA2_RUNTIME_PKEY) {
		format_to(what, wsize, "libia2's own state");
		format_to(rule, rsize, "none: only libia2's code may touch it");
	} else if (heap > 0) {
		format_to(what, wsize, "compartment %d's heap", heap);
		format_to(rule, rsize, "'share-heap GLOB FUNCTION' in compartment %d's config, naming "
			  "the function of that DSO that allocated the block, if the block is meant "
			  "to cross", heap);
	} else if ((area = name_thread_area(pid, addr, what, wsize)) == STACK_AREA) {
		format_to(rule, rsize, "'copy-arg GLOB FUNCTION' for the function that was handed a "
			  "pointer to a struct there, or --ia2-shared-stack (clang only) if it was "
			  "a local variable of the caller's");
	} else if (area == TLS_AREA) {
		format_to(rule, rsize, "none: thread-local variables stay their compartment's; "
			  "pass the value through a call's arguments, or share a global instead");
	} else if (found[1]) {
		describe_variable(&places[1], what, wsize, rule, rsize);
	} else if (!path_at(pid, addr, path, sizeof path)) {
		format_to(what, wsize, "no mapped memory");
		format_to(rule, rsize, "none");
	} else {
		format_to(what, wsize, "%s%s with pkey %u", path[0] ? "a mapping of " : "an anonymous mapping",
			  path, pkey);
		format_to(rule, rsize, "none that the monitor can name");
	}
}
