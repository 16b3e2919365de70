/* glibc's hook variables: function pointers in libc's data, which every
 * compartment can write, that glibc calls from inside a function some
 * compartment calls. A compartment could point one at the body behind
 * another compartment's gate, or anywhere in that compartment's code,
 * and have that code run with the rights of whichever compartment calls
 * the function next. libia2 defines the functions that call them, reads
 * the hook once, and calls it only where the calling compartment's own
 * indirect call could go (indirect.c): a gate (which switches to its own
 * compartment), the compartment's own code, which it could run anyway,
 * or shared code at a function's start; any other value is ignored, with
 * a line saying so.
 *
 * error and error_at_line print the program's name through
 * error_print_progname, if it is set (error(3)). An ignored hook prints
 * the program's name as if the hook were unset. Otherwise they print
 * what glibc 2.36's do (misc/error.c): stdout flushed, the name or the
 * hook, the message, errnum's text, a newline; error_message_count
 * counted; error_one_per_line honoured; exit(status) if status is not 0.
 *
 * obstack_alloc_failed_handler is called by glibc's _obstack_begin,
 * _obstack_begin_1 and _obstack_newchunk when the obstack's chunk
 * function returns NULL (malloc/obstack.c). libia2's run glibc's with
 * chunk and free functions of libia2's in the obstack for the length of
 * the call, which call the obstack's own; where the chunk function
 * fails, they put the obstack back as it was, then call the hook, or
 * print "memory exhausted" and exit with obstack_exit_failure, as
 * glibc's default handler does, so that glibc's own call of the hook is
 * never reached. glibc's internal obstacks (obstack_printf's) still
 * reach it.
 *
 * argp_program_version_hook is called by argp_parse for --version
 * (argp/argp-parse.c, argp_default_parser). libia2's argp_parse clears
 * a hook it may not call before it runs glibc's, which then offers
 * --version only if argp_program_version is set. Another thread can set
 * the hook again while glibc's runs. The argp's own parsers are checked
 * as calls_back.c checks any pointer glibc calls back. */
#include <argp.h>
#include <errno.h>
#include <error.h>
#include <obstack.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

/* hook, the value of `variable` that `call` would call, or NULL; `instead`
 * says what happens then. The hook is judged as the caller's own
 * indirect call would be (indirect.c). */
static void *usable_hook(void *hook, const char *call, const char *variable,
			 const char *instead)
{
	struct code_place p;
	const char *why;
	int c = branching_compartment();

	if (!hook || !c || !(why = refused_branch(c, (uintptr_t)hook, &p)))
		return hook;
	say("compartment %d called %s with %s at %p (%s+%#lx, compartment %d's): %s; ignored, "
	    "and %s", c, call, variable, hook, p.dso ? p.dso : "no DSO", (unsigned long)p.offset,
	    p.compartment, why, instead);
	return NULL;
}

/* The message, errnum's text and the newline; exit(status) if status is
 * not 0, as glibc's error_tail does, with stderr still locked (the lock
 * is recursive, and exit flushes it). */
static void print_tail(int status, int errnum, const char *format, va_list ap)
{
	char text[1024];

	vfprintf(stderr, format, ap);
	++error_message_count;
	if (errnum)
		fprintf(stderr, ": %s", strerror_r(errnum, text, sizeof text));
	putc('\n', stderr);
	fflush(stderr);
	if (status)
		exit(status);
}

/* What error and error_at_line print, with stdout flushed, stderr
 * locked and cancellation off, as glibc's do: the hook or the program's
 * name (then ": " for error, ":" for error_at_line), error_at_line's
 * place (at_line), and the tail. */
static void print_error(int status, int errnum, bool at_line, const char *file, unsigned line,
			const char *format, va_list ap)
{
	void (*hook)(void) = usable_hook((void *)error_print_progname, "error()",
					 "error_print_progname", "the program's name printed instead");
	int cancel;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
	fflush(stdout);
	flockfile(stderr);
	if (hook)
		hook();
	else
		fprintf(stderr, at_line ? "%s:" : "%s: ", program_invocation_name);
	if (at_line && file)
		fprintf(stderr, "%s:%u: ", file, line);
	else if (at_line)
		fputs(" ", stderr);
	print_tail(status, errnum, format, ap);
	funlockfile(stderr);
	pthread_setcancelstate(cancel, NULL);
}

API void error(int status, int errnum, const char *format, ...)
{
	va_list ap;

	va_start(ap, format);
	print_error(status, errnum, false, NULL, 0, format, ap);
	va_end(ap);
}

API void error_at_line(int status, int errnum, const char *file, unsigned line,
		       const char *format, ...)
{
	static const char *old_file;
	static unsigned old_line;
	va_list ap;

	if (error_one_per_line) {
		if (old_line == line &&
		    (file == old_file || (old_file && file && !strcmp(old_file, file))))
			return;
		old_file = file;
		old_line = line;
	}
	va_start(ap, format);
	print_error(status, errnum, true, file, line, format, ap);
	va_end(ap);
}

/* An obstack's own chunk and free functions, while libia2's are in it. */
struct chunk_call {
	struct obstack *h;
	struct _obstack_chunk *(*chunkfun)(void *, long);
	void (*freefun)(void *, struct _obstack_chunk *);
	void *extra_arg;
	unsigned use_extra_arg;
	const char *call;
};

static void put_back(const struct chunk_call *c)
{
	c->h->chunkfun = c->chunkfun;
	c->h->freefun = c->freefun;
	c->h->extra_arg = c->extra_arg;
	c->h->use_extra_arg = c->use_extra_arg;
}

/* glibc's print_and_abort, after the hook if it may run. The hook should
 * not return (<obstack.h>); if it longjmps, the obstack is as it was. */
__attribute__((noreturn)) static void obstack_failed(const struct chunk_call *c)
{
	void (*hook)(void) = usable_hook((void *)obstack_alloc_failed_handler, c->call,
					 "obstack_alloc_failed_handler",
					 "\"memory exhausted\" printed instead");

	put_back(c);
	if (hook)
		hook();
	fputs("memory exhausted\n", stderr);
	exit(obstack_exit_failure);
}

static struct _obstack_chunk *checked_chunk(void *arg, long size)
{
	const struct chunk_call *c = arg;
	struct _obstack_chunk *chunk =
		c->use_extra_arg ? c->chunkfun(c->extra_arg, size)
				 : ((struct _obstack_chunk * (*)(long)) (void (*)(void))c->chunkfun)(size);

	if (!chunk)
		obstack_failed(c);
	return chunk;
}

static void checked_free(void *arg, struct _obstack_chunk *chunk)
{
	const struct chunk_call *c = arg;

	if (c->use_extra_arg)
		c->freefun(c->extra_arg, chunk);
	else
		((void (*)(struct _obstack_chunk *))(void (*)(void))c->freefun)(chunk);
}

/* Puts libia2's functions in h, with c to find the obstack's own. */
static void take_over(struct obstack *h, struct chunk_call *c)
{
	h->chunkfun = checked_chunk;
	h->freefun = checked_free;
	h->extra_arg = c;
	h->use_extra_arg = 1;
}

API void _obstack_newchunk(struct obstack *h, int length)
{
	struct chunk_call c = {h, h->chunkfun, h->freefun, h->extra_arg, h->use_extra_arg,
			       "_obstack_newchunk()"};

	set_up_libia2();
	take_over(h, &c);
	__ia2_ro.s.libc_obstack.newchunk(h, length);
	put_back(&c);
}

/* glibc's _obstack_begin_1 with libia2's functions, then the obstack's
 * own put in: their extra argument says which prototype they have. */
static int begin(struct obstack *h, int size, int alignment, struct chunk_call *c)
{
	int rc;

	set_up_libia2();
	rc = __ia2_ro.s.libc_obstack.begin_1(h, size, alignment, (void *(*)(void *, long))checked_chunk,
					     (void (*)(void *, void *))checked_free, c);
	put_back(c);
	return rc;
}

API int _obstack_begin(struct obstack *h, int size, int alignment, void *(*chunkfun)(long),
		       void (*freefun)(void *))
{
	struct chunk_call c = {h, (struct _obstack_chunk * (*)(void *, long))(void (*)(void))chunkfun,
			       (void (*)(void *, struct _obstack_chunk *))(void (*)(void))freefun,
			       NULL, 0, "_obstack_begin()"};

	return begin(h, size, alignment, &c);
}

API int _obstack_begin_1(struct obstack *h, int size, int alignment,
			 void *(*chunkfun)(void *, long), void (*freefun)(void *, void *), void *arg)
{
	struct chunk_call c = {h, (struct _obstack_chunk * (*)(void *, long))chunkfun,
			       (void (*)(void *, struct _obstack_chunk *))freefun, arg, 1,
			       "_obstack_begin_1()"};

	return begin(h, size, alignment, &c);
}

API error_t argp_parse(const struct argp *argp, int argc, char **argv, unsigned flags,
		       int *arg_index, void *input)
{
	void *hook = (void *)argp_program_version_hook;

	set_up_libia2();
	check_argp(argp, "argp_parse", __builtin_return_address(0));
	if (usable_hook(hook, "argp_parse()", "argp_program_version_hook",
			"argp_parse goes on without it") != hook)
		argp_program_version_hook = NULL;
	return __ia2_ro.s.libc_argp_parse(argp, argc, argv, flags, arg_index, input);
}
