/* libia2's internal interface. */
#ifndef IA2_RUNTIME_H
#define IA2_RUNTIME_H

#include <link.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

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

/* libia2 is built with hidden visibility (CMakeLists.txt): what programs
 * and gates call, and the libc functions it stands in for, say API. */
#define API __attribute__((visibility("default")))

/* __ia2_ro: settings fixed at startup, then made read-only for good, so
 * no compartment can change them. Gates read the first fields at the
 * offsets gate_abi.h names. */
#define MAX_STARTUP_DSOS 64

/* libia2's tables: read-only pages that change only as a whole, each
 * kind gathered in a section so that the syscall monitor knows them
 * (memory_policy.c) by the linker's bounds of it. A runtime table
 * changes only in a privileged operation (privilege.c,
 * replace_runtime_table); a replaceable table, in libia2 code that runs
 * in the calling compartment (runtime.c, replace_pages), so the monitor
 * lets any compartment move a copy over it: docs/runtime.md lists them
 * as the open gap. */
#define RUNTIME_TABLE __attribute__((section("ia2_runtime_tables"), aligned(PAGE)))
#define REPLACEABLE_TABLE __attribute__((section("ia2_tables"), aligned(PAGE)))
extern char __start_ia2_runtime_tables[] __attribute__((visibility("hidden")));
extern char __stop_ia2_runtime_tables[] __attribute__((visibility("hidden")));
extern char __start_ia2_tables[] __attribute__((visibility("hidden")));
extern char __stop_ia2_tables[] __attribute__((visibility("hidden")));

/* glibc's longjmp family, which signals.c wraps. */
struct libc_longjmp {
	void (*siglongjmp)(void *, int) __attribute__((noreturn));
	void (*longjmp)(void *, int) __attribute__((noreturn));
	void (*_longjmp)(void *, int) __attribute__((noreturn));
	void (*longjmp_chk)(void *, int) __attribute__((noreturn));
};

/* The functions that indirect.c never lets a pointer call: they load
 * the registers from memory that the caller names. */
struct context_loaders {
	int n;
	void *v[12];
};

/* glibc's obstack functions that hooks.c runs with chunk functions of
 * its own (struct obstack *, as <obstack.h> has them): _obstack_begin
 * goes to _obstack_begin_1 too. */
struct libc_obstack {
	void (*newchunk)(void *, int);
	int (*begin_1)(void *, int, int, void *(*)(void *, long), void (*)(void *, void *), void *);
};

/* glibc's cleanup-region functions, which cancel.c replaces. */
struct libc_cancel {
	void (*register_cancel)(void *);
	void (*unregister_cancel)(void *);
	void (*register_cancel_defer)(void *);
	void (*unregister_cancel_restore)(void *);
	void (*unwind_next)(void *) __attribute__((noreturn));
};

/* glibc's set*id family, which ids.c wraps. */
struct libc_ids {
	int (*setuid)(uid_t);
	int (*setgid)(gid_t);
	int (*seteuid)(uid_t);
	int (*setegid)(gid_t);
	int (*setreuid)(uid_t, uid_t);
	int (*setregid)(gid_t, gid_t);
	int (*setresuid)(uid_t, uid_t, uid_t);
	int (*setresgid)(gid_t, gid_t, gid_t);
	int (*setgroups)(size_t, const gid_t *);
};

/* glibc's functions that keep a code pointer for later, which
 * callbacks.c replaces. */
struct libc_registrations {
	int (*cxa_atexit)(void (*)(void *), void *, void *);
	int (*cxa_at_quick_exit)(void (*)(void), void *);
	int (*cxa_thread_atexit_impl)(void (*)(void *), void *, void *);
	int (*on_exit)(void (*)(int, void *), void *);
	int (*pthread_key_create)(pthread_key_t *, void (*)(void *));
	int (*register_printf_specifier)(int, void *, void *);
	int (*register_printf_function)(int, void *, void *);
	int (*register_printf_type)(void *);
	FILE *(*fopencookie)(void *, const char *, cookie_io_functions_t);
};

/* glibc's functions that call a pointer back before they return
 * (calls_back.c). */
struct libc_calls_back {
	void (*qsort)(void *, size_t, size_t, void *);
	void (*qsort_r)(void *, size_t, size_t, void *, void *);
	void *(*bsearch)(const void *, const void *, size_t, size_t, void *);
	void *(*lfind)(const void *, const void *, size_t *, size_t, void *);
	void *(*lsearch)(const void *, void *, size_t *, size_t, void *);
	void *(*tsearch)(const void *, void **, void *);
	void *(*tfind)(const void *, void *const *, void *);
	void *(*tdelete)(const void *, void **, void *);
	void (*twalk)(const void *, void *);
	void (*twalk_r)(const void *, void *, void *);
	void (*tdestroy)(void *, void *);
	int (*ftw)(const char *, void *, int);
	int (*nftw)(const char *, void *, int, int);
	int (*scandir)(const char *, void *, void *, void *);
	int (*scandirat)(int, const char *, void *, void *, void *);
	int (*glob)(const char *, int, void *, void *);
	void *(*fts_open)(char *const *, int, void *);
	void *(*fts_read)(void *);
	void *(*fts_children)(void *, int);
	void (*argp_help)(const void *, FILE *, unsigned, char *);
	void (*argp_state_help)(const void *, FILE *, unsigned);
	int (*dl_iterate_phdr)(void *, void *);
	int (*pthread_once)(pthread_once_t *, void (*)(void));
	void (*call_once)(void *, void (*)(void));
};

/* glibc's functions that take a SIGEV_THREAD notification (sigev.c). */
struct sigevent;
struct aiocb;
struct gaicb;
struct libc_notifications {
	int (*timer_create)(clockid_t, struct sigevent *, timer_t *);
	int (*timer_delete)(timer_t);
	int (*mq_notify)(int, const struct sigevent *);
	int (*aio_read)(struct aiocb *);
	int (*aio_write)(struct aiocb *);
	int (*aio_fsync)(int, struct aiocb *);
	int (*lio_listio)(int, struct aiocb *const *, int, struct sigevent *);
	int (*getaddrinfo_a)(int, struct gaicb **, int, struct sigevent *);
};

/* jemalloc's fork handlers, which fork.c runs with the runtime's rights. */
struct allocator_fork {
	void (*prepare)(void);
	void (*parent)(void);
	void (*child)(void);
};

/* A compartment DSO's static TLS block, at the same offset from every
 * thread's thread pointer (tls.c). */
#define MAX_TLS_BLOCKS 32
struct tls_block {
	intptr_t offset;
	const char *image;
	unsigned size, filesz;
	int compartment;
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
	char *private_area;                               /* IA2_RO_PRIVATE */
	int (*libc_pthread_create)(void *, const void *, void *(*)(void *), void *);
	int (*libc_sigaction)(int, const void *, void *);
	void *(*libc_dlopen)(const char *, int);
	int (*libc_dlclose)(void *);
	/* The objects that dl_iterate_phdr lists at startup, ld.so's error
	 * exit for dlopen, and whether a debugger's breakpoint on
	 * _dl_debug_state makes libia2 see loads late (loads.c). */
	int startup_objects;
	__attribute__((noreturn)) void (*dl_signal_error)(int, const char *, const char *,
							  const char *);
	unsigned char loads_late;
	int (*libc_pthread_cancel)(unsigned long);
	struct libc_registrations libc_registrations;     /* callbacks.c */
	struct libc_notifications libc_notifications;     /* sigev.c */
	struct libc_longjmp libc_longjmp;
	struct libc_cancel libc_cancel;
	struct libc_obstack libc_obstack;                 /* hooks.c */
	int (*libc_argp_parse)(const void *, int, char **, unsigned, int *, void *);
	struct libc_ids libc_ids;                         /* ids.c */
	struct context_loaders context_loaders;           /* indirect.c */
	struct libc_calls_back libc_calls_back;           /* calls_back.c */
	/* Compartments with stacks and a heap: those with a DSO at startup,
	 * and those the program may load (IA2_NOTE_LOADABLE). */
	unsigned char present[IA2_LAST_COMPARTMENT + 1];
	uintptr_t heap_base, heap_span, heap_size;        /* heap.c */
	struct process_malloc process;
	unsigned heap_arena[IA2_LAST_COMPARTMENT + 1];
	struct allocator_fork allocator_fork;             /* fork.c */
	unsigned char fork_handlers_registered;
	unsigned char syscall_filter;                     /* syscall_filter.c */
	unsigned char monitor;                            /* monitor.c: enum monitor_mode */
	unsigned char audit;                              /* monitor.c: IA2_AUDIT is set */
	struct alloc_log *alloc_log;                      /* alloc_log.c: audit mode only */
	int ntls;                                         /* tls.c */
	struct tls_block tls[MAX_TLS_BLOCKS];
	/* The notes of the compartment DSOs tagged at startup (dso.c). */
	int nstartup;
	const void *startup_notes[MAX_STARTUP_DSOS];
};

union ia2_ro {
	struct ia2_settings s;
	unsigned char page[PAGE];
};

extern union ia2_ro __ia2_ro;
_Static_assert(sizeof(struct ia2_settings) <= PAGE, "__ia2_ro is one page");

/* Replace read-only pages by a changed copy (runtime.c); the caller
 * orders the changes of the same pages. `what` names them for messages. */
void replace_pages(void *pages, size_t size, void (*change)(void *copy, const void *arg),
		   const void *arg, const char *what);
/* The same, for a runtime table, in a privileged operation. */
void replace_runtime_table(void *pages, size_t size, void (*change)(void *copy, const void *arg),
			   const void *arg, const char *what);

/* privilege.c: the runtime's privileged operations (gate_abi.h). Each
 * gets two words from its caller and the caller's compartment, and
 * returns two words. */
struct pair {
	uintptr_t a, b;
};
typedef struct pair (*privileged_op)(uintptr_t a, uintptr_t b, int caller);
/* Runs operation op (IA2_OP_*) with the runtime's rights; in the startup
 * state, right here. Call set_up_libia2 first. */
struct pair run_privileged(int op, uintptr_t a, uintptr_t b);
/* The first page of the runtime's private area (gate_abi.h): state only
 * the runtime's rights can read or write. */
struct thread_record;
struct private_state {
	int lock, fork_tid, fork_pid;       /* IA2_PRIVATE_*, the entry's */
	volatile int *fork_marker;          /* fork.c */
	struct thread_record *records;      /* registry.c */
	long nrecords, free_record;
};
struct private_state *private_state(void);
void set_up_private_memory(void);
/* This thread's thread pointer, from the kernel. */
uintptr_t thread_pointer(void);
/* Dies unless %fs:0 is the thread pointer. */
void check_thread_control_block(void);

/* fork.c: the operations, the fork marker page (at startup), and the
 * handlers, registered at startup if jemalloc did not register first. */
struct pair op_fork_prepare(uintptr_t a, uintptr_t b, int caller);
struct pair op_fork_parent(uintptr_t a, uintptr_t b, int caller);
struct pair op_fork_child(uintptr_t a, uintptr_t b, int caller);
void set_up_fork(void);
void register_fork_handlers(void);

/* registry.c: the thread records (at startup) and their operations:
 * new (the creator: maps the stacks; returns the record and the stack
 * top of the creator's compartment), abandon (pthread_create failed),
 * start (the new thread: sets up its CTBs, TLS blocks and alternate
 * signal stack; returns the same stack top and the shared stack's) and
 * end; and, in a fork's child, the end of every other thread's record. */
void set_up_registry(void);
/* writers.c: turn the PKRU writer at address a, in executable memory,
 * into a trap; the syscall monitor lets only the runtime make code
 * writable. */
struct pair op_trap_writer(uintptr_t a, uintptr_t b, int caller);
struct pair op_take_callback_slot(uintptr_t target, uintptr_t b, int caller);
struct pair op_set_signal_handler(uintptr_t a, uintptr_t mask, int caller);
struct pair op_thread_new(uintptr_t a, uintptr_t b, int caller);
struct pair op_thread_abandon(uintptr_t record, uintptr_t b, int caller);
struct pair op_thread_start(uintptr_t record, uintptr_t b, int caller);
struct pair op_thread_end(uintptr_t record, uintptr_t b, int caller);
void end_other_threads(void);

/* libia2's mutexes: of the loads for another compartment (loads.c),
 * held across such a load, which may take the others; of the signal
 * tables (signals.c) and of the dynamic TLS table (dyntls.c), neither of
 * which is taken while the other is held. fork.c holds them all across a
 * fork, in this order. */
extern pthread_mutex_t reload_lock, signals_lock, dyntls_lock;

/* This thread's compartment thread blocks (gate_abi.h). */
extern __thread char __ia2_ctb[IA2_LAST_COMPARTMENT + 1][IA2_CTB_SIZE];

/* The shared stack pointer (gate_abi.h, IA2_SHARED_STACK_PTR). */
extern __thread uintptr_t __safestack_unsafe_stack_ptr;

/* The same word of the thread with thread pointer fs, in this process or,
 * as an address to read, in a copy of its layout (runtime.c). */
uintptr_t *ctb_at(uintptr_t fs, int c, int offset);

/* The word at `offset` (an IA2_CTB_* field) of this thread's CTB(c),
 * read and written %fs-relative, as the gates do: the compiler would take
 * a TLS variable's address from the thread control block's self pointer
 * at %fs:0, or from the DTV it points to, both in pkey-0 memory, so that
 * another compartment's thread could point this thread's reads of CTB(c)
 * elsewhere (a heap depth that sends c's allocations to the shared heap,
 * say). The variable's offset comes from the GOT, which is RELRO. */
static inline uintptr_t ctb_get(int c, int offset)
{
	uintptr_t v, at = (uintptr_t)c * IA2_CTB_SIZE + (uintptr_t)offset;

	__asm__ volatile("add __ia2_ctb@gottpoff(%%rip), %1\n\t"
			 "mov %%fs:(%1), %0"
			 : "=r"(v), "+r"(at));
	return v;
}

static inline void ctb_set(int c, int offset, uintptr_t v)
{
	uintptr_t at = (uintptr_t)c * IA2_CTB_SIZE + (uintptr_t)offset;

	__asm__ volatile("add __ia2_ctb@gottpoff(%%rip), %0\n\t"
			 "mov %1, %%fs:(%0)"
			 : "+r"(at)
			 : "r"(v)
			 : "memory");
}

/* Messages to stderr, one line each, starting "ia2: ", formatted without
 * stdio (runtime.c): die then exits with status 1. format_to writes the
 * same conversions into buf. */
__attribute__((noreturn, format(printf, 1, 2))) void die(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void say(const char *fmt, ...);
__attribute__((format(printf, 3, 4))) size_t format_to(char *buf, size_t size, const char *fmt, ...);
/* Whether IA2_EXPLAIN=1 asks libia2 to say what it changed. */
_Bool explaining(void);

/* syscall_policy.c: the calls the kernel refuses to every compartment
 * after startup; arg >= 0 limits a rule to calls whose argument arg has
 * `value` in its low 32 bits. syscall_filter.c enforces them. */
struct syscall_rule {
	int nr, arg;
	uint32_t value;
	const char *name, *why;
};
extern const struct syscall_rule denied_syscalls[];
extern const size_t ndenied_syscalls;
/* The calls that the filter hands to the syscall monitor: call nr,
 * unless arg >= 0 and the low half of argument arg is among `values`
 * (or, with `only`, is not among them). */
struct monitored_rule {
	int nr, arg;
	_Bool only;
	const uint32_t *values;
	size_t nvalues;
};
extern const struct monitored_rule monitored_syscalls[];
extern const size_t nmonitored_syscalls;
/* Whether madvise's advice keeps the pages' contents. */
_Bool harmless_madvise(unsigned long advice);
/* Installs the filter for every thread, unless IA2_SYSCALL_FILTER=off. */
void set_up_syscall_filter(void);

/* monitor.c: the syscall monitor (docs/design.md, "The syscall
 * monitor"). start_monitor starts the supervisor process unless
 * IA2_MONITOR=off, and sets __ia2_ro.s.monitor. */
enum monitor_mode { MONITOR_OFF, MONITOR_ON, MONITOR_PERMISSIVE };
#define SUPERVISOR_NAME "ia2-monitor"
/* The status a process ends with when the monitor denies a call. */
#define MONITOR_DENIED_STATUS 112
/* libia2's request to its monitor: write a trap (ud2 int3, n bytes)
 * over the PKRU writer at address a (writers.c). No Linux syscall has
 * this number, so without a monitor it fails with ENOSYS. */
#define MONITOR_TRAP_WRITER_CALL 1000
/* libia2's request to its monitor: seal the DSO extent [a, a + b)
 * (struct address_space). Any compartment may ask: it only takes rights
 * away. */
#define MONITOR_SEAL_CALL 1001
/* libia2's question to its monitor: which compartment mapped the page
 * that holds address a, which is in no DSO (indirect.c); -ESRCH if none,
 * or libia2 did. Any compartment may ask. */
#define MONITOR_MAPPER_CALL 1002
void start_monitor(void);
/* fork(2) itself: glibc's fork would run the program's fork handlers
 * (libia2's and jemalloc's among them), in the monitor too. */
pid_t raw_fork(void);
/* The text of /proc/PID/NAME; the number after `field` in its status. */
_Bool read_proc(pid_t pid, const char *name, char *buf, size_t size);
/* n bytes at `at` in process pid, from outside: the kernel checks no
 * pkey on another process's memory (arch_vma_access_permitted,
 * `foreign`). */
_Bool read_remote(pid_t pid, uintptr_t at, void *buf, size_t n);
unsigned long status_field(pid_t pid, const char *field, int base, unsigned long otherwise);
/* supervisor.c, in the supervisor process: trace every thread of
 * `program`; then decide the calls the filter hands over, until no
 * traced process is left. */
void attach_supervisor(pid_t program);
__attribute__((noreturn)) void supervise(void);
/* memory_policy.c: the memory calls' rules. An address space records
 * the ranges each compartment mapped itself since the monitor started;
 * memory_verdict returns NULL to allow call nr with arguments a from
 * compartment c (0..IA2_LAST_COMPARTMENT) of process pid, or why not. */
struct made_range {
	uintptr_t lo, hi;
	int compartment;
	_Bool given;   /* has another compartment's key now */
};
/* sealed: the extents of the DSOs that dlopen loaded, sealed once ld.so
 * mapped them (loads.c): nobody changes their pages any more but to take
 * rights away, and each goes only as a whole. */
struct address_space {
	struct made_range *v;
	size_t n, cap;
	struct made_range *sealed;
	size_t nsealed, capsealed;
};
const char *memory_verdict(pid_t pid, const struct address_space *as, int c, long nr,
			   const unsigned long *a);
void note_mapped(struct address_space *as, int c, uintptr_t lo, uintptr_t hi);
void note_unmapped(struct address_space *as, uintptr_t lo, uintptr_t hi);
/* After pkey_mprotect of [lo, hi) with pkey, by anyone. */
void note_keyed(struct address_space *as, uintptr_t lo, uintptr_t hi, int pkey);
void note_sealed(struct address_space *as, uintptr_t lo, uintptr_t hi);
/* The compartment that mapped the page holding addr since the monitor
 * started, -1 (RUNTIME: libia2) or below if none. */
int mapper_of(const struct address_space *as, uintptr_t addr);
void free_address_space(struct address_space *as);
/* The pkey of the mapping that holds addr in process pid, -1 if none. */
int pkey_at(pid_t pid, uintptr_t addr);
/* The path of the mapping that holds addr in process pid, "" for an
 * anonymous one; false if no mapping holds it. */
_Bool path_at(pid_t pid, uintptr_t addr, char *path, size_t size);
/* Whether the mapping that holds addr in process pid is executable. */
_Bool executable_at(pid_t pid, uintptr_t addr);
/* The pkey, other than 0 and c's, of a shared mapping in process pid
 * of the file with that device and inode; 0 if none has one. */
int shared_file_pkey(pid_t pid, unsigned long dev_major, unsigned long dev_minor,
		     unsigned long ino, int c);
/* new_code.c, in the supervisor: code that a compartment maps from a
 * file becomes a scanned copy. open_code_file opens for the monitor the
 * file behind descriptor fd of task tid of process tgid, for an
 * executable mmap at offset off; 0, or the -errno the kernel would fail
 * the call with. code_file_verdict says why the file may give no code,
 * or NULL. copy_code reads len bytes of it at off, scans them, and
 * writes them at `at` in process pid, in the anonymous memory the call
 * mapped instead, for compartment c; why not, or NULL. keep_going:
 * copies all of it even so (IA2_MONITOR=permissive). */
struct code_file {
	int fd;
	_Bool regular;
	char path[4096];
};
long open_code_file(pid_t tgid, pid_t tid, int fd, unsigned long off, struct code_file *f);
const char *code_file_verdict(const struct code_file *f);
const char *copy_code(pid_t pid, const struct code_file *f, unsigned long off, uintptr_t at,
		      size_t len, int c, _Bool keep_going);
/* registry.c, in the supervisor: which of a thread's areas in process
 * pid (a copy of this one's layout) holds addr: one of libia2's stacks,
 * as "compartment 2's stack on the thread with thread pointer 0x...",
 * or a static TLS block (tls.c, name_tls). */
enum thread_area { NO_AREA, STACK_AREA, TLS_AREA };
enum thread_area name_thread_area(pid_t pid, uintptr_t addr, char *buf, size_t size);
/* For addr on compartment c's stack on a thread of pid: the innermost
 * call that c made through a gate on that thread (the call that may have
 * handed the address on), as where it returns and the gate it went
 * through; false if c has none. */
_Bool pending_call(pid_t pid, uintptr_t addr, uintptr_t *ret, uintptr_t *gate);
/* backtrace.c, in the monitor: the stack segments (unwind.h) of the
 * thread whose registers are r, faulting in compartment k, out through
 * the gates that led there, at most max; and writing them, each with
 * what can be read of its stack, to fd. */
struct unwind_segment;
struct user_regs_struct;
int gate_segments(pid_t pid, const struct user_regs_struct *r, int k, struct unwind_segment *segs,
		  int max);
_Bool write_segments(int fd, pid_t pid, struct unwind_segment *segs, int n);
/* fault_report.c, in the supervisor: for a protection-key fault of
 * the instruction at rip at addr in process pid, that instruction (at),
 * what it touched, the rule that would allow the access where one
 * exists, and that rule as a config line ("" if it is none); [lo, hi)
 * is the memory around addr with the same owner (the variable, the
 * block, else the page). */
struct fault {
	char at[512], what[512], rule[512], line[256];
	uintptr_t lo, hi;
	uintptr_t site;   /* a heap block's allocating call, where the log has it; else 0 */
};
void describe_fault(pid_t pid, uintptr_t rip, uintptr_t addr, unsigned pkey, struct fault *f);
/* fault_report.c: say the backtrace of the thread whose registers are
 * r, faulting in compartment k, across gates. */
void say_backtrace(pid_t pid, const struct user_regs_struct *r, int k);
void copy_address_space(struct address_space *to, const struct address_space *from);
/* audit.c: audit mode (IA2_AUDIT=FILE). check_audit_file, in the
 * program, dies unless FILE is a regular file it can write; in the
 * supervisor, start_audit opens FILE if IA2_AUDIT is set, auditing says
 * whether it is, and audit_fault describes a fault of thread tid the
 * first time its instruction touches that memory's owner, and adds the
 * rule to FILE. */
void check_audit_file(const char *path);
/* The SECCOMP_RET_DATA of a call that the filter allows, which stops
 * for the monitor in audit mode alone (syscall_filter.c). */
#define TRACE_AUDIT_ONLY 1
void start_audit(void);
_Bool auditing(void);
void audit_fault(pid_t pid, pid_t tid, const char *who, uintptr_t rip, uintptr_t addr, unsigned pkey);
/* alloc_log.c: audit mode's log of the blocks compartments allocate.
 * note_block, in the program, logs block p of a compartment's heap as
 * allocated by the call that returns to site, and returns p; in the
 * monitor, find_allocation finds the newest record of a block that holds
 * addr, and count_site how many blocks (and bytes) site allocated. */
struct alloc_record {
	uintptr_t start;
	size_t size;
	uintptr_t site;
};
void set_up_alloc_log(void);
void *note_block(void *p, void *site);
_Bool find_allocation(pid_t pid, uintptr_t addr, struct alloc_record *found);
unsigned long count_site(pid_t pid, uintptr_t site, unsigned long *bytes);
/* file_policy.c: why thread tid of process tgid, running as compartment
 * c, may not keep descriptor fd, which it just opened, or NULL;
 * `foreign`: the process has executed another program. */
const char *opened_file_verdict(pid_t tid, pid_t tgid, int fd, int c, _Bool foreign);

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
 * the landing stack's, dyntls_area the area's bottom;
 * stack_top_above_landing goes back from the landing stack's top to the
 * stack's. */
uintptr_t allocate_stack(int compartment);
/* A thread's stacks: tops[0] its shared stack, tops[c] compartment c's
 * for each compartment the program has (0 for the others). */
void allocate_stacks(uintptr_t *tops);
void free_stacks(const uintptr_t *tops);
uintptr_t sigstack_top(uintptr_t top);
uintptr_t landing_top(uintptr_t top);
uintptr_t stack_top_above_landing(uintptr_t landing);
uintptr_t dyntls_area(uintptr_t top);
void free_stack(uintptr_t top);
/* CTB(c).frame while c has no call pending on a thread: `at`, 16-byte
 * aligned, which now holds at + 1, an odd value that no gate frame's link
 * is (a link is the aligned address of an older frame, gate_abi.h); c's
 * return stub stops the program there (objrewrite/stubs.c). A stale
 * frame, one that a vfork child left, cannot look like it. */
uintptr_t no_call_frame(uintptr_t at);

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
/* The same, read-only with pkey 0. */
void tag_read_only(uintptr_t lo, uintptr_t hi, const char *what);
/* This thread's PKRU; the compartment whose it is (0 for PKRU(0) and
 * the runtime's rights); whether it has the runtime's rights. */
unsigned current_pkru(void);
int compartment_of_pkru(unsigned pkru);
/* The PKRU the kernel starts a signal handler with (init_pkru_value,
 * arch/x86/mm/pkeys.c): pkey 0 alone, with access (not write) disabled
 * for the others. */
#define IA2_PKRU_KERNEL_DEFAULT 0x55555554u
/* For reports, and for the monitor, which judge a PKRU that no gate may
 * have written: the compartment c whose PKRU(c) pkru is, the kernel's
 * default PKRU counting as compartment 0, or -1; and "compartment N" or
 * "code with PKRU X" for it. */
int compartment_of_any_pkru(unsigned pkru);
void name_pkru(unsigned pkru, char *buf, size_t size);
int current_compartment(void);
_Bool has_runtime_rights(void);
/* A new thread starts with its creator's PKRU. */
void inherit_pkru(unsigned pkru);
/* stubs.c: the end of the startup state, PKRU(0). */
void __ia2_leave_startup(void);

/* With the runtime's rights: tag the CTBs of the thread whose thread
 * pointer is fs with their pkeys and give them their stacks (tops[c], 0
 * if none; tops[0] is the shared stack); clear them and give them pkey
 * 0 back, for glibc to reuse. Both leave CTB(keep)'s frame as it is
 * (keep 0: none), where the privileged entry that called them returns
 * through. */
void set_up_thread_blocks(uintptr_t fs, const uintptr_t *tops, int keep);
void clear_thread_blocks(uintptr_t fs, int keep);

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

/* dso.c: a DSO's name for messages ("the main program" for the
 * executable). */
const char *dso_name(const struct dl_phdr_info *info);
/* The compartment in a DSO's .note.ia2, or 0; checked_compartment also
 * dies unless the note suits this runtime. */
int dso_compartment(const struct dl_phdr_info *info);
int checked_compartment(const struct dl_phdr_info *info);
/* Whether a path rule of the DSOs loaded at startup (IA2_NOTE_LOADS)
 * names compartment c for the file at path; *glob is the rule's. */
_Bool path_rule_admits(const char *path, int c, const char **glob);
/* Whether the config's syscalls rules, as the DSOs loaded at startup
 * carry them, deny call nr to compartment c. */
_Bool config_denies_call(int c, long nr);
/* Its .note.ia2 descriptor, or NULL. */
const void *dso_note(const struct dl_phdr_info *info);
/* The DSO's .eh_frame_hdr, NULL if none; the start of the function
 * holding addr, from that search table: 0 if hdr is NULL or addr is
 * before its first entry. */
const uint8_t *eh_frame_hdr(const struct dl_phdr_info *info);
uintptr_t function_start_in(const uint8_t *hdr, uintptr_t addr);
/* Whether pc is a gate entry in the table of the DSO whose .note.ia2 is
 * note (IA2_NOTE_GATES). */
_Bool is_gate_entry(const void *note, uintptr_t pc);
/* What the code at pc is: its DSO (NULL: in none) and offset there, the
 * DSO's compartment, and whether pc is one of its gates' entries or the
 * start of a function (in .eh_frame_hdr or the dynamic symbols). */
struct code_place {
	const char *dso;
	uintptr_t offset;
	int compartment;
	_Bool gate, function;
	_Bool runtime;      /* libia2's or ld.so's code (known_code.c) */
	_Bool startup;      /* told by the record of the startup code */
};
void find_code_place(uintptr_t pc, struct code_place *out);
/* known_code.c: the executable segments of the DSOs loaded at startup,
 * recorded before any compartment runs and read-only from then on, with
 * the exported functions of libia2 and ld.so. known_code_place fills
 * *out as find_code_place does if pc is in one; known_runtime_export
 * says whether pc is the start of one of those exported functions. */
void know_startup_code(void);
_Bool known_code_place(uintptr_t pc, struct code_place *out);
_Bool known_runtime_export(uintptr_t pc);
/* Whether pc is in the startup code; if so, *compartment is that of the
 * gate whose entry pc is, 0 if none. */
_Bool known_gate(uintptr_t pc, int *compartment);
/* The compartment of the gate whose entry pc is, 0 if none; *startup
 * says whether the record of the startup code told, or ld.so's link maps
 * did. Without dladdr, which takes ld.so's load lock, which a dlopen
 * holds while it waits for a privileged operation: operations ask it. */
int gate_compartment(uintptr_t pc, _Bool *startup);

/* The compartment DSOs loaded at startup, bit c for compartment c; the
 * compartments their notes say the program may load; and the main
 * program's compartment, 0 if it has none. */
#define IA2_COMPARTMENT_BITS ((2u << IA2_LAST_COMPARTMENT) - 2)
struct startup_dsos {
	unsigned compartments, loadable;
	int main_compartment;
};
/* Checks each compartment DSO loaded now and tags its memory. */
void tag_startup_dsos(struct startup_dsos *found);

/* tls.c: the static TLS blocks of the compartment DSOs loaded at
 * startup, found once then; with the runtime's rights, tag the blocks of
 * the thread whose thread pointer is fs and initialize them from their
 * DSOs' images, or clear them and give them pkey 0 back; a DSO's
 * PT_TLS, or NULL. */
void find_tls_blocks(void);
void tag_tls_blocks(uintptr_t fs);
void clear_tls_blocks(uintptr_t fs);
/* The static TLS block at thread pointer fs that holds addr, as
 * "compartment 2's thread-local storage of DSO, N bytes in"; false if
 * none. */
_Bool name_tls(uintptr_t fs, uintptr_t addr, char *buf, size_t size);
const ElfW(Phdr) *tls_segment(const struct dl_phdr_info *info);

/* dyntls.c: the dynamic TLS of compartment DSOs loaded with dlopen. The
 * module table becomes read-only at startup; a DSO is added as dlopen
 * loads it, and those no longer loaded are dropped after a dlclose. */
void set_up_dynamic_tls(void);
void add_dynamic_tls(const struct dl_phdr_info *info, const void *note, int compartment);
void drop_unloaded_tls(void);

/* signals.c: the handler table, once at startup; each thread's alternate
 * stack for the kernel, the signal stack of its shared stack's mapping
 * (shared_top: that stack's top), armed as it starts and disarmed as it
 * ends; and glibc's own handlers wrapped once glibc has installed them. */
void set_up_signals(void);
void set_up_thread_signals(uintptr_t shared_top);
void release_thread_signals(void);
void wrap_glibc_handlers(void);
/* Arm all of this thread's alternate stack again, after a handler was
 * left without rt_sigreturn. */
void rearm_altstack(void);

/* cancel.c: a thread's landing buffer and end, in the compartment it
 * starts in (0: the main thread). */
void set_up_thread_cancel(int compartment);

/* writers.c: make every PKRU writer in the code of the DSOs loaded at
 * startup, other than ia2's checked gates, unusable; the same for one DSO
 * loaded later, keeping the checked gates to PKRU(compartment) (0: none).
 * patch_code writes n bytes of code at p, in DSO `dso` (for messages). */
void neutralize_pkru_writers(void);
void neutralize_dso_writers(const struct dl_phdr_info *info, int compartment);
void patch_code(void *p, const void *bytes, size_t n, const char *dso);
/* Whether the wrpkru at p, with code up to end, is one of ia2's checked
 * gates: followed at once by cmp $PKRU, %eax (3d imm32, or 83 f8 imm8
 * sign-extended) and a jne (75 rel8 or 0f 85 rel32) to a trap, as
 * objrewrite/asm.c's emit_write_pkru writes it; *pkru: that PKRU. A jump
 * to it with another eax traps, whatever bytes come before it. */
_Bool is_checked_gate(const uint8_t *p, const uint8_t *end, uint32_t *pkru);
/* What a neutralized writer becomes: ud2, then int3 (the first two bytes
 * alone over an xrstor's opcode). */
extern const uint8_t trap_bytes[3];

/* loads.c: from startup on, see each DSO that dlopen loads before its
 * code runs; whether it admitted the compartment DSO `info` at run time.
 * Under a debugger that breaks where loads.c would see them, DSOs are
 * seen only when see_loads_late is called: as a compartment DSO starts,
 * and after a dlclose. */
void watch_dso_loads(void);
_Bool admitted_at_run_time(const struct dl_phdr_info *info);
void see_loads_late(void);
/* loads.c: a DSO of compartment n that another compartment loads or
 * unloads is loaded and unloaded in n's name, through a callback slot of
 * n's taken at startup for each compartment (take_loader_slots). */
void take_loader_slots(void);
int close_for_other(int n, const char *path);

/* callbacks.c: the slot table, read-only from startup on; fn, a code
 * pointer that the calling compartment hands `api` (a registration
 * function) for libc to call later, as libc should keep it: a gate, or a
 * callback slot that runs fn in that compartment; NULL if none is left. */
void find_registrations(struct libc_registrations *r);
/* glibc's function from *found, set by the startup; dlsym(RTLD_NEXT)'s
 * before that. */
void *libc_function(void *const *found, const char *name);
/* ids.c: glibc's set*id functions, which it runs on a pkey-0 stack. */
void find_id_functions(struct libc_ids *ids);
/* Calls fn(arg) with rsp = stack_top (stack.S). */
void *__ia2_run_on_stack(void *(*fn)(void *), void *arg, uintptr_t stack_top);
void set_up_callbacks(void);
void *wrap_callback(void *fn, const char *api);
/* A slot of compartment c (1..14), the caller's, that calls fn, gate or
 * not; NULL, after a message, if none is left. */
void *callback_slot(int c, void *fn, const char *api);
/* Whether p is one of the callback slots. */
_Bool is_callback_slot(const void *p);
void *taken_callback_slot(int c, uintptr_t target);

/* indirect.c: which code compartment c may run through a pointer
 * (docs/design.md, "Indirect calls"). refused_branch says why not, NULL
 * if it may, and where target is in *p. */
void find_context_loaders(struct context_loaders *l);
const char *refused_branch(int c, uintptr_t target, struct code_place *p);
/* The syscall monitor's word on code at target: the compartment that
 * mapped it (0: libia2), -ESRCH if no one did, -ENOSYS without a
 * monitor. errno is left alone. */
long mapper_of_code(uintptr_t target);
/* The compartment whose rights a pointer called now runs with; 0 before
 * libia2's setup, in the startup state and in compartment 0, where
 * nothing is checked: the code there runs outside every compartment. */
int branching_compartment(void);
/* Whether compartment c may hand `api` the code pointer fn for libc to
 * call with c's rights; if not, one line says why. */
_Bool may_hand(int c, void *fn, const char *api, struct code_place *p);

/* calls_back.c: glibc's functions that call a pointer back before they
 * return, which libia2 checks the pointer for. check_argp checks the
 * parsers and help filters of an argp tree that the code at caller
 * hands `api`. iterate_dsos and run_once are glibc's dl_iterate_phdr
 * and pthread_once for libia2's own calls, whose functions the checks
 * would refuse to a compartment: libia2 never calls its checking
 * definitions of these. */
void find_calls_back(struct libc_calls_back *l);
struct argp;
void check_argp(const struct argp *a, const char *api, const void *caller);
struct dl_phdr_info;
int iterate_dsos(int (*fn)(struct dl_phdr_info *, size_t, void *), void *data);
int run_once(pthread_once_t *once, void (*fn)(void));

/* threads.c: called once at startup. adopt_thread gives a thread that
 * glibc started itself what libia2's own threads get at their start, the
 * first time it is called on the thread, and returns where the thread's
 * compartment stack starts (0 in compartment 0, whose code runs on the
 * thread's own stack). */
void init_threads(void);
uintptr_t adopt_thread(void);

/* sigev.c: SIGEV_THREAD notifications. */
void find_notifications(struct libc_notifications *n);
void set_up_notifications(void);

#endif
