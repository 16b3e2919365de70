/* Small helpers shared by the objrewrite passes. */
#ifndef IA2_UTIL_H
#define IA2_UTIL_H

#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>

/* Print "ia2: " + message to stderr. Returns -1 so callers can `return error(...)`. */
int error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocation that cannot fail: on exhaustion the process exits. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *format(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Open `path` and start libelf on it with `cmd`; on failure print why and
 * return NULL. The caller closes *fd after elf_end. */
Elf *open_elf(const char *path, Elf_Cmd cmd, int *fd);

/* Run argv[0] with PATH lookup and wait; returns its exit status, or -1. */
int run_command(char *const argv[]);
bool starts_with(const char *s, const char *prefix);
bool ends_with(const char *s, const char *suffix);

/* cp FROM TO; 0, or -1 after a message. */
int copy_file(const char *from, const char *to);

/* The compiler ia2 runs for compiling, assembling and linking: $IA2_CC,
 * default cc. */
const char *real_compiler(void);

#endif
