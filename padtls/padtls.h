/* padtls: make a linked DSO's TLS block fill whole pages, so that libia2
 * can give each thread's block its own pkey without touching another
 * DSO's TLS (docs/runtime.md, "TLS"). */
#ifndef IA2_PADTLS_H
#define IA2_PADTLS_H

#include <stdbool.h>

/* Pad the PT_TLS segment of the ELF executable or shared object at
 * `path` in place: alignment at least a page, size a whole number of
 * pages. With `check`, change nothing and report. Returns 0 if the file
 * is padded (or has no TLS), 1 if `check` found it unpadded, -1 with a
 * message naming the file and the reason if it cannot be padded. */
int pad_tls(const char *path, bool check);

#endif
