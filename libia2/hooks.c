/* glibc's error hook: error and error_at_line print the program's name
 * through error_print_progname, if it is set (error(3)). The variable
 * is in libc's data, which every compartment can write, so a
 * compartment could point it at the body behind another compartment's
 * gate, or anywhere in that compartment's code, and have that code run
 * with the rights of whichever compartment calls error next.
 *
 * libia2 defines error and error_at_line, which read the hook once and
 * call it only if it is a gate (which switches to its own compartment),
 * code outside every compartment, or the calling compartment's own
 * code, which it could run anyway; any other value is ignored, with a
 * line saying so, and the program's name is printed as if the hook
 * were unset. Otherwise they print what glibc 2.36's do
 * (misc/error.c): stdout flushed, the name or the hook, the message,
 * errnum's text, a newline; error_message_count counted;
 * error_one_per_line honoured; exit(status) if status is not 0. */
#include <errno.h>
#include <error.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime.h"

#define API __attribute__((visibility("default")))

static void (*usable_hook(void))(void)
{
	void (*hook)(void) = error_print_progname;
	struct code_place p;
	int c;

	if (!hook || !__ia2_ro.s.set_up_begun)
		return hook;
	find_code_place((uintptr_t)hook, &p);
	c = current_compartment();
	if (!p.compartment || p.gate || p.compartment == c)
		return hook;
	say("compartment %d called error() with error_print_progname at %p, %s+%#lx in "
	    "compartment %d's code, which is not one of its gates: ignored, and the program's "
	    "name printed instead", c, (void *)hook, p.dso, (unsigned long)p.offset,
	    p.compartment);
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
	void (*hook)(void) = usable_hook();
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
