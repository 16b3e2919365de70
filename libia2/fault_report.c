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
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime.h"
#include "unwind.h"

/* What ia2-symbolize (symbolize.c) says of one address. */
struct place {
	char module[256], symbol[128], source[256];
	char copies[128];   /* what a copy-arg rule could name of the function's parameters */
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
	char *field[6];

	for (int i = 0; i < 6; i++)
		if (!(field[i] = strsep(&line, "\t")))
			return false;
	format_to(p->copies, sizeof p->copies, "%s", field[5]);
	format_to(p->module, sizeof p->module, "%s", field[0]);
	format_to(p->symbol, sizeof p->symbol, "%s", field[1]);
	p->offset = strtoul(field[2], NULL, 0);
	p->size = strtoul(field[3], NULL, 0);
	format_to(p->source, sizeof p->source, "%s", field[4]);
	return true;
}

/* Whether the helper's pipe has output or its end within 90 s: the
 * monitor, which every thread of the program may be waiting for, must
 * not wait on the helper for ever (it gives up itself after 60 s, but a
 * stopped helper would not). */
static bool answers(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	int n;

	while ((n = poll(&p, 1, 90000)) < 0 && errno == EINTR)
		;
	if (n == 0)
		say("ia2-symbolize gave no answer in 90 s: the report names addresses only");
	return n > 0;
}

/* Runs ia2-symbolize PID ARGS... with standard input from `input` (-1:
 * none) into out, NUL-terminated; false if it could not run or failed. */
static bool run_symbolizer(pid_t pid, char *const args[], int nargs, int input, char *out,
			   size_t size)
{
	char helper[PATH_MAX], arg0[32], *argv[8] = {helper, arg0};
	/* None of the program's environment: LD_LIBRARY_PATH or LD_PRELOAD
	 * could give the helper's libdw a compartment DSO (a libz.so.1 of
	 * the program's own), which needs a compartment program. */
	char *env[] = {NULL};
	int fd[2], status;
	size_t len = 0;
	ssize_t got;
	pid_t child;

	if (nargs > 5 || !find_symbolizer(helper, sizeof helper) || pipe2(fd, O_CLOEXEC))
		return false;
	format_to(arg0, sizeof arg0, "%d", pid);
	memcpy(argv + 2, args, nargs * sizeof *args);
	argv[nargs + 2] = NULL;
	child = raw_fork();
	if (child == 0) {
		dup2(fd[1], 1);
		if (input >= 0)
			dup2(input, 0);
		execve(helper, argv, env);
		_exit(127);
	}
	close(fd[1]);
	while (child > 0 && len < size - 1 && answers(fd[0]) &&
	       ((got = read(fd[0], out + len, size - 1 - len)) > 0 || (got < 0 && errno == EINTR)))
		len += got > 0 ? (size_t)got : 0;
	close(fd[0]);
	if (child > 0)
		kill(child, SIGKILL);   /* ended already, or gave no answer */
	out[len] = 0;
	return child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	       !WEXITSTATUS(status);
}

/* The next line of text, which is cut off; NULL at the end. */
static char *next_line(char **text)
{
	char *line = *text, *end;

	if (!line || !*line)
		return NULL;
	end = strchr(line, '\n');
	if (end)
		*end++ = 0;
	*text = end;
	return line;
}

/* Names each of the n addresses of process pid through ia2-symbolize:
 * places[i], where found[i] says so. */
static void symbolize(pid_t pid, const uintptr_t *addrs, int n, struct place *places, bool *found)
{
	char arg[4][32], *args[4] = {arg[0], arg[1], arg[2], arg[3]}, out[4096], *text = out, *line;

	for (int i = 0; i < n; i++) {
		found[i] = false;
		format_to(arg[i], sizeof arg[i], "%#lx", (unsigned long)addrs[i]);
	}
	if (!run_symbolizer(pid, args, n, -1, out, sizeof out))
		return;
	for (int i = 0; i < n && (line = next_line(&text)); i++)
		found[i] = parse_place(line, &places[i]);
}

/* A gated function's code is its body, and its gate is code of its
 * too (a tail call from the body returns into the gate): both are named
 * by the function's source name. */
static const char *function_name(const struct place *p)
{
	return ia2_source_name(p->symbol);
}

/* "function+offset (module, file:line)" for code. */
static void name_code(const struct place *p, char *buf, size_t size)
{
	const char *fn = function_name(p);

	format_to(buf, size, "%s%s%#lx (%s%s%s)", fn, fn[0] ? "+" : "", p->offset, p->module,
		  p->source[0] ? ", " : "", p->source);
}

/* A variable of a DSO: by its symbol, the static ones included; else by
 * the DSO and the offset. */
static void describe_variable(uintptr_t addr, const struct place *p, struct fault *f)
{
	const char *dso = base_name(p->module);

	if (p->symbol[0] && p->offset < p->size) {
		format_to(f->what, sizeof f->what, "the variable %s of %s", p->symbol, p->module);
		format_to(f->rule, sizeof f->rule, "'share %s %s' in the config of %s, if every "
			  "compartment may read and write it", dso, p->symbol, dso);
		format_to(f->line, sizeof f->line, "share %s %s", dso, p->symbol);
		f->lo = addr - p->offset, f->hi = f->lo + p->size;
		return;
	}
	format_to(f->what, sizeof f->what, "data of %s, %#lx bytes past %s", p->module, p->offset,
		  p->symbol[0] ? p->symbol : "its start");
	format_to(f->rule, sizeof f->rule, "'share %s VARIABLE', naming the variable there ('nm -n' "
		  "lists them), if every compartment may read and write it", dso);
}

/* The function whose body or gate the code is, if it is a gated
 * function's: one that another compartment calls, such as a callback;
 * NULL otherwise. */
static const char *gated_function(const struct place *code)
{
	const char *fn = code ? function_name(code) : NULL;

	return fn && fn != code->symbol ? fn : NULL;
}

/* A block of compartment heap's heap, by the call that allocated it
 * where audit mode's log has it (alloc_log.c); when a gated function
 * touched it, copy-arg for that function is the narrower rule if it was
 * handed a pointer to a struct in the block. */
static void describe_block(pid_t pid, int heap, const struct alloc_record *b, const struct place *site,
			   const struct place *code, struct fault *f)
{
	const char *fn = gated_function(code);
	char more[sizeof f->rule], allocated_at[512];
	unsigned long bytes, blocks;

	if (!b || !site) {
		format_to(f->what, sizeof f->what, "compartment %d's heap", heap);
		format_to(f->rule, sizeof f->rule, "'share-heap GLOB FUNCTION' in compartment %d's "
			  "config, naming the function of that DSO that allocated the block, if the "
			  "block is meant to cross (IA2_AUDIT names it)", heap);
		return;
	}
	name_code(site, allocated_at, sizeof allocated_at);
	blocks = count_site(pid, b->site, &bytes);
	format_to(f->what, sizeof f->what, "a block of %zu bytes at %#lx in compartment %d's heap, "
		  "allocated at %s", b->size, (unsigned long)b->start, heap, allocated_at);
	format_to(f->rule, sizeof f->rule, "'share-heap %s %s' in the config of %s, if the block is "
		  "meant to cross: it shares every block %s allocates (in this run so far, %lu "
		  "blocks of %lu bytes), and what the functions it calls allocate",
		  base_name(site->module), function_name(site), base_name(site->module),
		  function_name(site), blocks, bytes);
	format_to(f->line, sizeof f->line, "share-heap %s %s", base_name(site->module),
		  function_name(site));
	f->lo = b->start, f->hi = b->start + (b->size ? b->size : 1);
	if (!fn)
		return;
	format_to(more, sizeof more, "%s; or, if %s was handed a pointer to a struct in the block, "
		  "'copy-arg %s %s', which copies that struct alone", f->rule, fn,
		  base_name(code->module), fn);
	memcpy(f->rule, more, sizeof more);
}

/* Memory on another compartment's stack crosses by copy-arg, if a gated
 * function was handed a pointer there, or by the shared stack, if it is
 * a caller's local variable. When the faulting code is a gated
 * function's own body, copy-arg for it is the config line: the link
 * refuses it, naming the function, if it takes no such pointer. Else
 * the stack's compartment's pending call names the function that was
 * handed the pointer, `callee`, called at `call`; its parameter's name
 * is the porter's to write. */
/* The rule for a caller's local variable (docs/runtime.md, "Shared
 * stack"), and how to name a pointer parameter in a copy-arg rule. */
#define SHARED_STACK_RULE \
	"--ia2-shared-stack (clang only; IA2_SHARED_STACK=1 for ia2-cc) if it was a local " \
	"variable of the caller's"
#define NAME_COUNT \
	"with NAME the parameter that points there and COUNT the one that gives its length " \
	"(NAME:string for a string, NAME alone for one object)"

static void describe_stack_rule(const struct place *code, const struct place *call,
				const struct place *callee, struct fault *f)
{
	const char *fn = gated_function(code);
	char where[300];

	if (!fn && callee && call) {
		name_code(call, where, sizeof where);
		if (!callee->copies[0]) {
			format_to(f->rule, sizeof f->rule, "'copy-arg %s %s(NAME:COUNT)' in the "
				  "config of %s, " NAME_COUNT ", as it was called at %s; or "
				  SHARED_STACK_RULE, base_name(callee->module), function_name(callee),
				  base_name(callee->module), where);
			return;
		}
		format_to(f->line, sizeof f->line, "copy-arg %s %s(%s)", base_name(callee->module),
			  function_name(callee), callee->copies);
		format_to(f->rule, sizeof f->rule, "'%s' in the config of %s, which copies what "
			  "those parameters point to for each call, as the one at %s, if one of them "
			  "points there (ia2 guessed them from their types: check them); or "
			  SHARED_STACK_RULE, f->line, base_name(callee->module), where);
	} else if (!fn) {
		format_to(f->rule, sizeof f->rule, "'copy-arg GLOB FUNCTION(NAME:COUNT)' for the "
			  "function that was handed a pointer there, or " SHARED_STACK_RULE);
	} else if (code->copies[0]) {
		format_to(f->line, sizeof f->line, "copy-arg %s %s(%s)", base_name(code->module), fn,
			  code->copies);
		format_to(f->rule, sizeof f->rule, "'%s' in the config of %s, if one of those "
			  "parameters points there (ia2 guessed them from their types: check them), or "
			  "'copy-arg %s %s' if it was handed a pointer to a struct there; else "
			  SHARED_STACK_RULE, f->line, base_name(code->module), base_name(code->module),
			  fn);
	} else {
		format_to(f->line, sizeof f->line, "copy-arg %s %s", base_name(code->module), fn);
		format_to(f->rule, sizeof f->rule, "'%s' in the config of %s, if %s was handed a "
			  "pointer to a struct there, or %s(NAME:COUNT) " NAME_COUNT "; else "
			  SHARED_STACK_RULE, f->line, base_name(code->module), fn, fn);
	}
}

void describe_fault(pid_t pid, uintptr_t rip, uintptr_t addr, unsigned pkey, struct fault *f)
{
	struct place places[4];
	struct alloc_record block;
	bool found[4];
	char path[256];
	int heap = heap_owner((void *)addr);
	bool logged = heap > 0 && find_allocation(pid, addr, &block);
	uintptr_t ret = 0, gate = 0;
	uintptr_t addrs[4];

	if (heap <= 0 && !pending_call(pid, addr, &ret, &gate))
		ret = gate = 0;
	addrs[0] = rip, addrs[1] = addr, addrs[2] = logged ? block.site : ret, addrs[3] = gate;
	enum thread_area area;

	f->line[0] = 0;
	f->lo = addr & -(uintptr_t)PAGE, f->hi = f->lo + PAGE;
	f->site = logged ? block.site : 0;
	symbolize(pid, addrs, logged ? 3 : ret ? 4 : 2, places, found);
	if (found[0])
		name_code(&places[0], f->at, sizeof f->at);
	else
		format_to(f->at, sizeof f->at, "%#lx", (unsigned long)rip);

	if (pkey == IA2_RUNTIME_PKEY) {
		format_to(f->what, sizeof f->what, "libia2's own state");
		format_to(f->rule, sizeof f->rule, "none: only libia2's code may touch it");
	} else if (heap > 0) {
		describe_block(pid, heap, logged ? &block : NULL, logged && found[2] ? &places[2] : NULL,
			       found[0] ? &places[0] : NULL, f);
	} else if ((area = name_thread_area(pid, addr, f->what, sizeof f->what)) == STACK_AREA) {
		describe_stack_rule(found[0] ? &places[0] : NULL, ret && found[2] ? &places[2] : NULL,
				    ret && found[3] ? &places[3] : NULL, f);
	} else if (area == TLS_AREA) {
		format_to(f->rule, sizeof f->rule, "none: thread-local variables stay their "
			  "compartment's; pass the value through a call's arguments, or share a global "
			  "instead");
	} else if (found[1]) {
		describe_variable(addr, &places[1], f);
	} else if (!path_at(pid, addr, path, sizeof path)) {
		format_to(f->what, sizeof f->what, "no mapped memory");
		format_to(f->rule, sizeof f->rule, "none");
	} else {
		format_to(f->what, sizeof f->what, "%s%s with pkey %u",
			  path[0] ? "a mapping of " : "an anonymous mapping", path, pkey);
		format_to(f->rule, sizeof f->rule, "none that the monitor can name");
	}
}

/* A short backtrace: at most this many segments (unwind.h), and
 * ia2-symbolize prints at most 16 frames of each. */
#define BACKTRACE_SEGMENTS 6

/* Says frame #i, named `name`: the gate that entered its compartment,
 * if the next frame is another segment's and it is no body. */
static void say_frame(int i, const char *name, const char *symbol, bool last_of_segment)
{
	bool gate = last_of_segment && !ia2_is_body_symbol(symbol);

	say("    #%d %s%s", i, name, gate ? ", the gate" : "");
}

void say_backtrace(pid_t pid, const struct user_regs_struct *r, int k)
{
	struct unwind_segment segs[BACKTRACE_SEGMENTS];
	char *args[] = {"--unwind"}, out[16384], *text = out, *line, *rest, name[600] = "";
	char symbol[sizeof ((struct place *)0)->symbol] = "";
	int n = gate_segments(pid, r, k, segs, BACKTRACE_SEGMENTS), frame = 0;
	int fd = memfd_create("ia2-unwind", MFD_CLOEXEC);
	long seg, last = -1;
	struct place p;
	bool ran = fd >= 0 && write_segments(fd, pid, segs, n) && lseek(fd, 0, SEEK_SET) == 0 &&
		   run_symbolizer(pid, args, 1, fd, out, sizeof out);

	if (fd >= 0)
		close(fd);
	if (!ran)
		return;
	say("backtrace, innermost first, across gates:");
	while ((line = next_line(&text))) {
		seg = strtol(line, &rest, 10);
		if (*rest != '\t' || seg < 0 || seg >= n || !parse_place(rest + 1, &p))
			continue;
		if (last >= 0)
			say_frame(frame++, name, symbol, seg != last);
		if (seg != last)
			say("  in compartment %d%s:", (int)segs[seg].compartment,
			    last < 0 ? "" : ", which called through the gate above");
		name_code(&p, name, sizeof name);
		format_to(symbol, sizeof symbol, "%s", p.symbol);
		last = seg;
	}
	if (last >= 0)
		say_frame(frame, name, symbol, false);
}
