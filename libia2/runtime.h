/* libia2's internal interface. */
#ifndef IA2_RUNTIME_H
#define IA2_RUNTIME_H

#include <link.h>
#include <stddef.h>
#include <stdint.h>

#include "ia2/gate_abi.h"
#include "ia2/pkru.h"

/* valgrind's client requests (valgrind.h): a few instructions that do
 * nothing outside valgrind. Only the emulated-PKRU runtime can run under
 * valgrind. */
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define VALGRIND_STACK_REGISTER(lo, hi) 0
#define RUNNING_ON_VALGRIND 0
#endif

#define PAGE 4096UL

/* __ia2_ro: settings fixed at startup, then made read-only, so no
 * compartment can change them. Gates read the first fields at the
 * offsets gate_abi.h names. */
#define MAX_CODE_RANGES 64
#define MAX_STARTUP_DSOS 64

/* The executable segments of a compartment's DSOs: a function whose
 * address is in one of them is that compartment's (signals.c). */
struct code_range {
	uintptr_t lo, hi;
	int compartment;
};

/* glibc's longjmp family, which signals.c wraps. */
struct libc_longjmp {
	void (*siglongjmp)(void *, int) __attribute__((noreturn));
	void (*longjmp)(void *, int) __attribute__((noreturn));
	void (*_longjmp)(void *, int) __attribute__((noreturn));
	void (*longjmp_chk)(void *, int) __attribute__((noreturn));
};

/* glibc's cleanup-region functions, which cancel.c replaces. */
struct libc_cancel {
	void (*register_cancel)(void *);
	void (*unregister_cancel)(void *);
	void (*register_cancel_defer)(void *);
	void (*unregister_cancel_restore)(void *);
	void (*unwind_next)(void *) __attribute__((noreturn));
};

/* Another allocator's malloc family, when it comes before libia2's. */
struct process_malloc {
	void *(*malloc)(size_t);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void (*free)(void *);
	void *(*aligned_alloc)(size_t, size_t);
	size_t (*malloc_usable_size)(void *);
};

struct ia2_settings {
	unsigned char xfeatures;                          /* IA2_RO_XFEATURES */
	unsigned char set_up_begun;                       /* init.c */
	unsigned short pkru_xsave;                        /* IA2_RO_PKRU_XSAVE */
	int (*libc_pthread_create)(void *, const void *, void *(*)(void *), void *);
	int (*libc_sigaction)(int, const void *, void *);
	int (*libc_dlclose)(void *);
	int (*libc_pthread_cancel)(unsigned long);
	struct libc_longjmp libc_longjmp;
	struct libc_cancel libc_cancel;
	/* Compartments with stacks and a heap: those with a DSO at startup,
	 * and those the program may load (IA2_NOTE_LOADABLE). */
	unsigned char present[IA2_MAX_COMPARTMENTS + 1];
	uintptr_t heap_base, heap_span, heap_size;        /* heap.c */
	struct process_malloc process;
	unsigned heap_arena[IA2_MAX_COMPARTMENTS + 1];
	int ncode;
	struct code_range code[MAX_CODE_RANGES];
	/* The notes of the compartment DSOs tagged at startup (dso.c). */
	int nstartup;
	const void *startup_notes[MAX_STARTUP_DSOS];
};

union ia2_ro {
	struct ia2_settings s;
	unsigned char page[PAGE];
};

extern union ia2_ro __ia2_ro;
_Static_assert(sizeof(struct ia2_settings) <= PAGE, "update_settings copies one page");

/* Change __ia2_ro after startup, when it is read-only (runtime.c). */
void update_settings(void (*change)(struct ia2_settings *));
/* Replace read-only pages by a changed copy (runtime.c); the caller
 * orders the changes of the same pages. `what` names them for messages. */
void replace_pages(void *pages, size_t size, void (*change)(void *copy, const void *arg),
		   const void *arg, const char *what);

/* This thread's compartment thread blocks (gate_abi.h), and the word at
 * `offset` (an IA2_CTB_* field) of CTB(c). */
extern __thread char __ia2_ctb[IA2_MAX_COMPARTMENTS + 1][IA2_CTB_SIZE];

static inline uintptr_t *ctb_word(int c, int offset)
{
	return (uintptr_t *)&__ia2_ctb[c][offset];
}

__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);

/* init.c: libia2's setup, unless it has begun already. Entry points
 * that use __ia2_ro call it, for constructors that run before libia2's. */
void set_up_libia2(void);
/* glibc's definition of a function libia2 replaces, found through
 * libc's own handle; dies if there is none. */
void *find_in_libc(const char *name);



/* A compartment's stack on a thread (IA2_STACK_SIZE), its signal stack
 * (IA2_SIGSTACK_SIZE), its landing stack (IA2_CANCEL_STACK_SIZE) and its
 * dynamic TLS area (IA2_DYNTLS_SIZE), with guard pages: allocate_stack
 * returns the stack's top, sigstack_top the signal stack's, landing_top
 * the landing stack's, dyntls_area the area's bottom. */
uintptr_t allocate_stack(int compartment);
/* A thread's stacks: tops[0] its shared stack, tops[c] compartment c's
 * for each compartment the program has (0 for the others). */
void allocate_stacks(uintptr_t *tops);
void free_stacks(const uintptr_t *tops);
uintptr_t sigstack_top(uintptr_t top);
uintptr_t landing_top(uintptr_t top);
uintptr_t dyntls_area(uintptr_t top);
void free_stack(uintptr_t top);

/* pkeys.c: the only code that differs in the emulated-PKRU runtime. */
/* True in libia2-emulated.so, whose gates keep PKRU in a variable. */
extern const _Bool pkru_emulated;
/* Check for PKU and allocate pkeys 1..15, the compartments' and the
 * runtime's (emulated: say so, loudly). */
void set_up_pkeys(void);
/* pkey_mprotect [lo, hi) read-write with `pkey`: try_tag returns -1 with
 * errno on failure, tag dies naming `what`. */
int try_tag(uintptr_t lo, uintptr_t hi, int pkey);
void tag(uintptr_t lo, uintptr_t hi, int pkey, const char *what);
/* This thread's PKRU; the compartment whose it is (0 for PKRU(0) and
 * the runtime's rights); whether it has the runtime's rights. */
unsigned current_pkru(void);
int compartment_of_pkru(unsigned pkru);
int current_compartment(void);
_Bool has_runtime_rights(void);
/* A new thread starts with its creator's PKRU. */
void inherit_pkru(unsigned pkru);
/* stubs.c: the end of the startup state, PKRU(0). */
void __ia2_leave_startup(void);

/* Give this thread's CTBs their stacks (tops[c], 0 if none; tops[0] is
 * the shared stack) and pkeys, and set the shared stack pointer. */
void set_up_thread_blocks(const uintptr_t *tops);
/* Return this thread's CTB pages to pkey 0, for glibc to reuse. */
void release_thread_blocks(void);

/* heap.c: heap 0 is the shared heap, heap c compartment c's. */
void set_up_heaps(void);
/* Leave every block to the malloc that comes first (set_up_heaps's
 * alternative when it is not libia2's). */
void use_process_malloc(void);
/* The compartment whose heap holds p, or 0. */
int heap_owner(const void *p);
void *heap_alloc(int heap, size_t size, size_t align, _Bool zero);
void *heap_realloc(int heap, void *p, size_t size);
void heap_free(int heap, void *p);
size_t heap_usable_size(const void *p);

/* malloc.c: libia2's malloc, whether or not the name malloc resolves to it. */
void *ia2_own_malloc(size_t size);

/* dso.c: the compartment in a DSO's .note.ia2, or 0. */
int dso_compartment(const struct dl_phdr_info *info);
/* Its .note.ia2 descriptor, or NULL. */
const void *dso_note(const struct dl_phdr_info *info);

/* The compartment DSOs loaded at startup, bit c for compartment c; the
 * compartments their notes say the program may load; and the main
 * program's compartment, 0 if it has none. */
#define IA2_COMPARTMENT_BITS ((2u << IA2_MAX_COMPARTMENTS) - 2)
struct startup_dsos {
	unsigned compartments, loadable;
	int main_compartment;
};
/* Checks each compartment DSO loaded now and tags its memory. */
void tag_startup_dsos(struct startup_dsos *found);
/* Fills s->code with the executable segments of every loaded
 * compartment DSO. */
void list_code(struct ia2_settings *s);

/* tls.c: give this thread's TLS blocks of compartment DSOs their pkeys,
 * and pkey 0 back before the thread's memory is reused; a DSO's PT_TLS,
 * or NULL. */
void tag_thread_tls(void);
void release_thread_tls(void);
const ElfW(Phdr) *tls_segment(const struct dl_phdr_info *info);

/* dyntls.c: the dynamic TLS of compartment DSOs loaded with dlopen. The
 * module table becomes read-only at startup; a DSO is added as dlopen
 * loads it, and those no longer loaded are dropped after a dlclose. */
void set_up_dynamic_tls(void);
void add_dynamic_tls(const struct dl_phdr_info *info, const void *note, int compartment);
void drop_unloaded_tls(void);

/* signals.c: the handler table, once at startup; each thread's alternate
 * stack for the kernel, set up as it starts and freed as it ends; and
 * glibc's own handlers wrapped once glibc has installed them. */
void set_up_signals(void);
void set_up_thread_signals(void);
void release_thread_signals(void);
void wrap_glibc_handlers(void);
/* Arm all of this thread's alternate stack again, after a handler was
 * left without rt_sigreturn. */
void rearm_altstack(void);

/* cancel.c: a thread's landing buffer and end, in the compartment it
 * starts in (0: the main thread). */
void set_up_thread_cancel(int compartment);

/* threads.c: called once at startup. */
void init_threads(void);

#endif
