#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void report(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "ia2: %s: ", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("error", fmt, ap);
	va_end(ap);
	return -1;
}

void warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("warning", fmt, ap);
	va_end(ap);
}

static void *check_alloc(void *p)
{
	if (!p) {
		fputs("ia2: out of memory\n", stderr);
		exit(1);
	}
	return p;
}

void *xmalloc(size_t n) { return check_alloc(malloc(n ? n : 1)); }
void *xcalloc(size_t n, size_t size) { return check_alloc(calloc(n ? n : 1, size ? size : 1)); }
void *xrealloc(void *p, size_t n) { return check_alloc(realloc(p, n ? n : 1)); }
char *xstrdup(const char *s) { return check_alloc(strdup(s)); }

char *format(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return check_alloc(s);
}

int run_command(char *const argv[])
{
	pid_t pid;
	int status, err;

	err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (err)
		return error("cannot run %s: %s", argv[0], strerror(err));
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return error("waiting for %s: %s", argv[0], strerror(errno));
	if (WIFSIGNALED(status))
		return error("%s killed by signal %d", argv[0], WTERMSIG(status));
	return WEXITSTATUS(status);
}

bool starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int copy_file(const char *from, const char *to)
{
	char *argv[] = {"cp", "--", (char *)from, (char *)to, NULL};
	return run_command(argv) == 0 ? 0 : error("cannot copy %s to %s", from, to);
}

const char *real_compiler(void)
{
	const char *cc = getenv("IA2_CC");
	return cc && *cc ? cc : "cc";
}

Elf *open_elf(const char *path, Elf_Cmd cmd, int *fd)
{
	Elf *e;

	*fd = open(path, cmd == ELF_C_RDWR ? O_RDWR : O_RDONLY);
	if (*fd < 0) {
		error("%s: %s", path, strerror(errno));
		return NULL;
	}
	e = elf_begin(*fd, cmd, NULL);
	if (!e) {
		error("%s: %s", path, elf_errmsg(-1));
		close(*fd);
		*fd = -1;
	}
	return e;
}
