/* libia2 startup: runs as a constructor of libia2.so, which every
 * compartment DSO depends on, so ld.so runs it before their constructors
 * (gABI, "Initialization and Termination Functions": dependencies first).
 * A DSO outside the compartments may be initialized earlier: one that the
 * executable needs after libia2, as `cc ... $(ia2-config --ldflags) -lfoo`
 * links it, goes first in glibc's order (elf/dl-sort-maps.c walks the
 * dependencies from the end). Should its constructor call one of
 * libia2's functions that rely on the setup (pthread_create, sigaction,
 * the longjmp family, pthread_cancel, dlclose), that call sets libia2 up
 * first (set_up_libia2), so no thread or handler ever escapes it.
 *
 *  1. check that the CPU and kernel offer protection keys;
 *  2. allocate pkeys 1..15, so compartment N gets pkey N and the runtime
 *     pkey 15, and set up the runtime's private memory (privilege.c,
 *     registry.c, fork.c);
 *  3. find each compartment DSO by its .note.ia2 and tag its writable
 *     memory, leaving RELRO and its ia2_shared section at pkey 0 (dso.c);
 *  4. set up the heaps, and the main thread's stacks, CTBs, TLS and
 *     signal stack, for those compartments and for those the program
 *     may dlopen later;
 *  5. make every PKRU writer in the loaded code that is not one of ia2's
 *     checked gates unusable (writers.c), have ld.so show libia2 each
 *     DSO that dlopen loads, before its code runs (loads.c), and install
 *     the syscall filter (syscall_filter.c), before any compartment code
 *     runs.
 *
 * It ends by leaving the startup state (all keys open) for PKRU(0), which
 * no code ever changes back (docs/design.md, "Compartments and the PKRU
 * policy"). */
#include <cpuid.h>
#include <dlfcn.h>
#include <errno.h>
#include <gnu/lib-names.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"


/* XCR0 tells which register state the OS saves: AVX needs bits 1-2,
 * AVX-512 bits 5-7 (Intel SDM vol. 1, 13.3). */
static unsigned char detect_xfeatures(void)
{
	unsigned a = 0, b = 0, c = 0, d = 0, lo, hi;
	unsigned char f = 0;

	__get_cpuid(1, &a, &b, &c, &d);
	if (!(c & (1u << 27)))   /* OSXSAVE: xgetbv is usable */
		return 0;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((c & (1u << 28)) && (lo & 6) == 6)
		f |= IA2_XF_AVX;
	if (__get_cpuid_count(7, 0, &a, &b, &c, &d) && (b & (1u << 16)) && (lo & 0xe6) == 0xe6)
		f |= IA2_XF_AVX512;
	return f;
}

/* XSAVE component 9 is PKRU; CPUID leaf 0DH, sub-leaf 9 gives its size
 * and its offset in the standard format that signal frames use (Intel
 * SDM vol. 1, 13.2). */
static unsigned short pkru_xsave_offset(void)
{
	unsigned a = 0, b = 0, c = 0, d = 0;

	if (!__get_cpuid_count(0xd, 9, &a, &b, &c, &d) || a != 8 || b > 0xfff0)
		return 0;
	return (unsigned short)b;
}

/* libia2 defines pthread_create() (threads.c), sigaction() and the
 * longjmp family (signals.c), and must go on to glibc's. A lookup through libc's own
 * handle finds them wherever libia2 sits in the lookup scope (RTLD_NEXT
 * would not when libc comes first); dlmopen, since libia2's dlopen goes
 * on to glibc's found here (loads.c). */
void *find_in_libc(const char *name)
{
	void *libc = dlmopen(LM_ID_BASE, LIBC_SO, RTLD_LAZY | RTLD_NOLOAD);
	void *f = libc ? dlsym(libc, name) : NULL;

	if (!f)
		die("cannot find glibc's %s() in %s: %s", name, LIBC_SO, dlerror());
	return f;
}

/* Without a compartment, main would run in the startup state with every
 * key open, and the compartments it calls would protect nothing. */
static void require_main_compartment(const struct startup_dsos *found)
{
	/* Only ia2's links add libia2; a program with no compartment at all
	 * was linked by a linker that skipped ia2's plugin. */
	if (!found->compartments)
		die("libia2 is linked in, but no DSO of this program has a compartment: a linker "
		    "ignored ia2's plugin (lld and mold do); link with ld.bfd or gold, or use ia2-cc");
	if (found->main_compartment)
		return;
	die("the main program has no compartment, but compartment %d exists: link the "
	    "executable with ia2-cc and --ia2-compartment=N (or a config rule)",
	    __builtin_ctz(found->compartments));
}

/* Compartments get stacks and heaps at startup, dlopen's too: a thread
 * that exists when a compartment first appears could not get a stack
 * for it. */
static void choose_compartments(const struct startup_dsos *found)
{
	unsigned all = found->compartments | found->loadable;

	for (int c = 1; c <= IA2_LAST_COMPARTMENT; c++)
		__ia2_ro.s.present[c] = (all >> c) & 1;
}

/* Heaps are separate only if libia2's malloc is the process's; a malloc
 * preloaded or linked ahead of it (another allocator, a sanitizer) would
 * put every compartment's data in one heap. The emulated runtime isolates
 * nothing anyway, and ASan and valgrind need their own malloc (valgrind
 * replaces the malloc family in every DSO that defines it, libia2's too). */
static bool own_malloc(void)
{
	void *used = dlsym(RTLD_DEFAULT, "malloc");

	if (used == (void *)ia2_own_malloc && !RUNNING_ON_VALGRIND)
		return true;
	if (!pkru_emulated)
		die("another malloc (%p) comes before libia2's in the symbol lookup order, so the "
		    "compartments' heaps would not be separate; do not preload an allocator", used);
	fputs("ia2: warning: another malloc is in use (ASan's or valgrind's); compartments "
	      "share its heap\n", stderr);
	return false;
}

/* The main thread's record, stacks, CTBs, TLS blocks and alternate
 * signal stack, as any thread's (registry.c). */
static void set_up_main_thread(void)
{
	struct pair record = run_privileged(IA2_OP_THREAD_NEW, 0, 0);

	__safestack_unsafe_stack_ptr = run_privileged(IA2_OP_THREAD_START, record.a, 0).b;
}

static void ia2_init(void)
{
	struct startup_dsos found;

	/* Before anything below can reach an entry point that checks it. */
	__ia2_ro.s.set_up_begun = 1;
	set_up_pkeys();
	__ia2_ro.s.xfeatures = detect_xfeatures();
	__ia2_ro.s.pkru_xsave = pkru_xsave_offset();
	__ia2_ro.s.libc_pthread_create = find_in_libc("pthread_create");
	__ia2_ro.s.libc_sigaction = find_in_libc("sigaction");
	__ia2_ro.s.libc_longjmp.siglongjmp = find_in_libc("siglongjmp");
	__ia2_ro.s.libc_longjmp.longjmp = find_in_libc("longjmp");
	__ia2_ro.s.libc_longjmp._longjmp = find_in_libc("_longjmp");
	__ia2_ro.s.libc_longjmp.longjmp_chk = find_in_libc("__longjmp_chk");
	__ia2_ro.s.libc_dlopen = find_in_libc("dlopen");
	__ia2_ro.s.libc_dlclose = find_in_libc("dlclose");
	__ia2_ro.s.libc_obstack.newchunk = find_in_libc("_obstack_newchunk");
	__ia2_ro.s.libc_obstack.begin_1 = find_in_libc("_obstack_begin_1");
	__ia2_ro.s.libc_argp_parse = find_in_libc("argp_parse");
	__ia2_ro.s.libc_pthread_cancel = find_in_libc("pthread_cancel");
	find_registrations(&__ia2_ro.s.libc_registrations);
	find_context_loaders(&__ia2_ro.s.context_loaders);
	find_calls_back(&__ia2_ro.s.libc_calls_back);
	find_notifications(&__ia2_ro.s.libc_notifications);
	find_id_functions(&__ia2_ro.s.libc_ids);
	__ia2_ro.s.libc_cancel.register_cancel = find_in_libc("__pthread_register_cancel");
	__ia2_ro.s.libc_cancel.unregister_cancel = find_in_libc("__pthread_unregister_cancel");
	__ia2_ro.s.libc_cancel.register_cancel_defer = find_in_libc("__pthread_register_cancel_defer");
	__ia2_ro.s.libc_cancel.unregister_cancel_restore =
		find_in_libc("__pthread_unregister_cancel_restore");
	__ia2_ro.s.libc_cancel.unwind_next = find_in_libc("__pthread_unwind_next");
	set_up_private_memory();
	set_up_registry();
	set_up_fork();
	tag_startup_dsos(&found);
	require_main_compartment(&found);
	choose_compartments(&found);
	know_startup_code();
	find_tls_blocks();
	if (own_malloc())
		set_up_heaps();
	else
		use_process_malloc();
	register_fork_handlers();
	neutralize_pkru_writers();
	watch_dso_loads();
	set_up_syscall_filter();
	if (mprotect(&__ia2_ro, PAGE, PROT_READ))
		die("cannot make ia2's settings read-only: %s", strerrorname_np(errno));
	set_up_main_thread();
	set_up_thread_cancel(0);
	set_up_signals();
	set_up_dynamic_tls();
	set_up_callbacks();
	take_loader_slots();
	set_up_notifications();
	init_threads();
	__ia2_leave_startup();
}

/* Only the main thread exists before this has run: every pthread_create
 * comes here first. */
void set_up_libia2(void)
{
	if (!__ia2_ro.s.set_up_begun)
		ia2_init();
}

__attribute__((constructor(101))) static void ia2_constructor(void)
{
	set_up_libia2();
}
