/* libia2's internal interface. */
#ifndef IA2_RUNTIME_H
#define IA2_RUNTIME_H

#include <stddef.h>
#include <stdint.h>

#include "ia2/gate_abi.h"
#include "ia2/pkru.h"

#define PAGE 4096UL

/* __ia2_ro: settings fixed at startup, then made read-only, so no
 * compartment can change them. Gates read the first fields at the
 * offsets gate_abi.h names. */
struct ia2_settings {
	unsigned char xfeatures;                          /* IA2_RO_XFEATURES */
	void (*libc_exit)(int);                           /* IA2_RO_LIBC_EXIT */
	int (*libc_pthread_create)(void *, const void *, void *(*)(void *), void *);
	unsigned char present[IA2_MAX_COMPARTMENTS + 1];  /* compartments with a DSO */
};

union ia2_ro {
	struct ia2_settings s;
	unsigned char page[PAGE];
};

extern union ia2_ro __ia2_ro;

/* This thread's compartment thread blocks (gate_abi.h). */
extern __thread char __ia2_ctb[IA2_MAX_COMPARTMENTS + 1][IA2_CTB_SIZE];

__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);

/* pkey_mprotect [lo, hi) read-write with `pkey`; `what` names it in errors. */
void tag(uintptr_t lo, uintptr_t hi, int pkey, const char *what);

/* Stacks: 8 MiB with an inaccessible page on each side. */
uintptr_t allocate_stack(int compartment);
void free_stack(uintptr_t top);

/* pkeys.c: the only code that differs in the emulated-PKRU runtime. */
/* True in libia2-emulated.so, whose gates keep PKRU in a variable. */
extern const _Bool pkru_emulated;
/* Check for PKU and allocate pkeys 1..15 (emulated: say so, loudly). */
void set_up_pkeys(void);
/* The compartment whose PKRU this thread runs with; 0 in the startup state. */
int current_compartment(void);
/* A new thread starts in its creator's compartment. */
void inherit_pkru(int compartment);

/* Give this thread's CTBs their stacks (tops[c], 0 if none) and pkeys. */
void set_up_thread_blocks(const uintptr_t *tops);
/* Return this thread's CTB pages to pkey 0, for glibc to reuse. */
void release_thread_blocks(void);

/* threads.c: called once at startup. */
void init_threads(void);

#endif
