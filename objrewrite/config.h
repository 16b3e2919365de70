/* The ia2 config file: what each link output is, one rule a line.
 *
 *     # comment
 *     GLOB  COMPARTMENT
 *     share GLOB SYMBOL...
 *     share-heap GLOB FUNCTION...
 *     copy-arg GLOB FUNCTION...
 *     syscalls COMPARTMENT deny SYSCALL...
 *
 * GLOB is matched with fnmatch(3) against the basename of the link output
 * (`-o`). A compartment rule puts matching outputs in COMPARTMENT, 1..14;
 * the first matching one wins. A compartment rule whose GLOB holds a '/'
 * matches no output: it names the DSOs, by the path the kernel gives
 * their file, that any compartment may dlopen into COMPARTMENT at run
 * time (libia2/loads.c). A share rule keeps the named global
 * variables of matching outputs in shared memory (pkey 0), readable and
 * writable by every compartment. A share-heap rule makes the named
 * functions of matching outputs allocate from the shared heap while they
 * run, what they call included. A copy-arg rule makes the gates of the
 * named functions pass a copy of the struct their pointer argument
 * points to, and copy it back after the call. A syscalls rule has the
 * syscall monitor refuse the named calls to COMPARTMENT, whichever output
 * the line is read for: every compartment DSO carries all of them
 * (docs/usage.md, "Config file"). */
#ifndef IA2_CONFIG_H
#define IA2_CONFIG_H

#include <stddef.h>

#include "ia2/pkru.h"

/* A symbol a share, share-heap or copy-arg rule names, and the rule's FILE:LINE
 * for messages. */
struct named_symbol {
	char *name;
	char *origin;
};

/* A path rule: DSOs whose file matches `glob` may join `compartment` at
 * run time, whichever compartment loads them. */
struct load_rule {
	char *glob;
	int compartment;
};

/* A syscalls rule's call, for one compartment. */
struct denied_call {
	int compartment;
	int nr;
};

/* What the config says of one output. */
struct policy {
	int compartment;   /* 0 if no rule matches */
	unsigned named;    /* bit c: some rule names compartment c (dlopen, docs/runtime.md) */
	struct load_rule *loads;           /* path rules, and --ia2-loadable's */
	size_t nloads;
	struct named_symbol *shared;       /* share: variables */
	size_t nshared;
	struct named_symbol *heap_shared;  /* share-heap: functions */
	size_t nheap_shared;
	struct named_symbol *copied;       /* copy-arg: functions */
	size_t ncopied;
	struct denied_call *denied_calls;  /* syscalls */
	size_t ndenied_calls;
};

/* Fills *p for `output` from the config file at `path`; returns 0, or -1
 * after printing "FILE:LINE: what is wrong" for a malformed file. */
int read_policy(const char *path, const char *output, struct policy *p);
void policy_free(struct policy *p);

/* Parses "N" as a compartment number 1..IA2_LAST_COMPARTMENT; -1 if it is
 * not one. */
int parse_compartment(const char *s);
/* Parses --ia2-loadable's "ITEM,...", each item a compartment N, which the
 * program sets up for dlopen, or "N:/PATH-GLOB", which also admits the
 * DSOs at PATH-GLOB into N as a path rule does; adds them to *p. Returns
 * -1 after printing what is wrong, naming the option `what`. */
int parse_loadable(const char *what, const char *s, struct policy *p);

#endif
