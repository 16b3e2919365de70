/* fork in a compartmentalized program (docs/runtime.md, "Processes").
 *
 * glibc's fork runs the pthread_atfork handlers in the forking thread,
 * with that thread's PKRU (nptl/fork.c, __run_fork_handlers). jemalloc
 * registers three, which lock every mutex it has before the fork and
 * unlock or reinitialize them after, compartment arenas' included, whose
 * mutexes live in the compartments' own memory (heap.c): from a
 * compartment's rights they fault on every other compartment's arena.
 *
 * So libia2 takes jemalloc's registration (__register_atfork, which
 * glibc's pthread_atfork in libc_nonshared.a calls) and registers its
 * own three handlers in their place, which run jemalloc's as privileged
 * operations (privilege.c). The prepare operation keeps the lock of the
 * privileged operations until the parent or child operation, so no
 * thread is inside one, halfway through a change to its stacks or
 * records, when the process is copied. In the child, which has only the
 * forking thread, the child operation also ends the records of every
 * other thread (registry.c): their stacks are unmapped, and their CTBs
 * and TLS blocks cleared and given pkey 0 back, for glibc, which keeps
 * their memory for new threads (nptl/fork.c, reclaim_stacks) and
 * reinitializes it from whichever thread creates one.
 *
 * The child operation must run only in a real child. A process created
 * with CLONE_VM (vfork) shares the parent's memory, where clearing the
 * other threads' blocks would expose live threads' data. A page marked
 * MADV_WIPEONFORK reads as zeros in a child with memory of its own, and
 * as the parent left it in one that shares it (madvise(2)). */
#include <dlfcn.h>
#include <errno.h>
#include <jemalloc/jemalloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

typedef int register_atfork_fn(void (*)(void), void (*)(void), void (*)(void), void *);

/* In the startup state: the page that tells a fork's child apart. */
void set_up_fork(void)
{
	struct private_state *st = private_state();
	void *m = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED || madvise(m, PAGE, MADV_WIPEONFORK))
		die("cannot map the page that tells a fork's child apart: %s (MADV_WIPEONFORK needs "
		    "Linux 4.14 or later)", strerrorname_np(errno));
	tag((uintptr_t)m, (uintptr_t)m + PAGE, IA2_RUNTIME_PKEY, "the fork marker");
	st->fork_marker = m;
	*st->fork_marker = 1;
}

/* libia2's own mutexes are held across the fork too, lest the child
 * find one taken by a thread that did not come along (a pthread_create
 * in another thread, in the middle of wrapping glibc's handlers, hung
 * fork.thread-fork's child). The forking thread blocks signals until
 * after the fork: a handler of its own could otherwise wait for them, or
 * for the lock of the privileged operations that the fork keeps. */
static pthread_mutex_t *const runtime_locks[] = {&reload_lock, &signals_lock, &dyntls_lock};
static __thread sigset_t mask_before_fork;

static void fork_prepare(void)
{
	sigset_t all;

	set_up_libia2();
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &mask_before_fork);
	for (size_t i = 0; i < sizeof runtime_locks / sizeof *runtime_locks; i++)
		pthread_mutex_lock(runtime_locks[i]);
	run_privileged(IA2_OP_FORK_PREPARE, 0, 0);
}

static void release_runtime_locks(void)
{
	for (size_t i = 0; i < sizeof runtime_locks / sizeof *runtime_locks; i++)
		pthread_mutex_unlock(runtime_locks[i]);
	pthread_sigmask(SIG_SETMASK, &mask_before_fork, NULL);
}

static void fork_parent(void)
{
	run_privileged(IA2_OP_FORK_PARENT, 0, 0);
	release_runtime_locks();
}

/* The child's mutexes are its copies, held by its one thread. A
 * recursive one, reload_lock, records its owner's thread ID, which the
 * child's thread does not have, so glibc refuses to unlock it (EPERM,
 * nptl/pthread_mutex_unlock.c) and the child's next fork would wait for
 * it forever (fork.main-daemon): it starts afresh. */
static void fork_child(void)
{
	run_privileged(IA2_OP_FORK_CHILD, 0, 0);
	release_runtime_locks();
	reload_lock = (pthread_mutex_t)PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
}

static int register_handlers(void *dso)
{
	register_atfork_fn *libc = find_in_libc("__register_atfork");

	__ia2_ro.s.fork_handlers_registered = 1;
	return libc(fork_prepare, fork_parent, fork_child, dso);
}

/* libia2's handlers are registered where jemalloc's would have been,
 * early in the process's first malloc, so they run last before the fork
 * and first after it, around every handler registered later (glibc runs
 * prepare handlers in reverse order of registration). Without jemalloc
 * (another malloc comes first, in the emulated runtime), libia2's setup
 * registers them for the child's records alone. */
void register_fork_handlers(void)
{
	if (!__ia2_ro.s.fork_handlers_registered && register_handlers(NULL))
		die("cannot register libia2's fork handlers");
}

static int register_wrapped(void (*prepare)(void), void (*parent)(void), void (*child)(void),
			    void *dso)
{
	void (*p)(void) = wrap_callback((void *)prepare, "pthread_atfork");
	void (*a)(void) = wrap_callback((void *)parent, "pthread_atfork");
	void (*c)(void) = wrap_callback((void *)child, "pthread_atfork");

	if ((prepare && !p) || (parent && !a) || (child && !c))
		return ENOMEM;
	return ((register_atfork_fn *)find_in_libc("__register_atfork"))(p, a, c, dso);
}

static bool from_allocator(void (*handler)(void))
{
	Dl_info h, jemalloc;

	return handler && dladdr((void *)handler, &h) && dladdr((void *)mallocx, &jemalloc) &&
	       h.dli_fbase == jemalloc.dli_fbase;
}

/* jemalloc initializes in libia2's setup at the latest (heap.c), unless
 * another malloc serves the process (use_process_malloc): then it may
 * register later, but has no compartment arenas, and its handlers need
 * no rights beyond the forking thread's. Every other registration (from
 * pthread_atfork, in libc_nonshared.a) gets handlers that run in the
 * registering compartment (callbacks.c). */
API int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void),
			  void *dso)
{
	if (!from_allocator(prepare) || __ia2_ro.s.fork_handlers_registered)
		return register_wrapped(prepare, parent, child, dso);
	__ia2_ro.s.allocator_fork.prepare = prepare;
	__ia2_ro.s.allocator_fork.parent = parent;
	__ia2_ro.s.allocator_fork.child = child;
	return register_handlers(dso);
}

struct pair op_fork_prepare(uintptr_t a, uintptr_t b, int caller)
{
	struct private_state *st = private_state();

	(void)a, (void)b, (void)caller;
	check_thread_control_block();
	if (__ia2_ro.s.allocator_fork.prepare)
		__ia2_ro.s.allocator_fork.prepare();
	st->fork_tid = syscall(SYS_gettid);
	st->fork_pid = getpid();
	return (struct pair){0, 0};
}

struct pair op_fork_parent(uintptr_t a, uintptr_t b, int caller)
{
	struct private_state *st = private_state();

	(void)a, (void)b, (void)caller;
	check_thread_control_block();
	if (__ia2_ro.s.allocator_fork.parent)
		__ia2_ro.s.allocator_fork.parent();
	st->fork_tid = st->fork_pid = 0;
	return (struct pair){0, 0};
}

struct pair op_fork_child(uintptr_t a, uintptr_t b, int caller)
{
	struct private_state *st = private_state();

	(void)a, (void)b, (void)caller;
	if (*st->fork_marker)
		die("fork's child operation in a process that shares its parent's memory "
		    "(vfork or clone with CLONE_VM)");
	*st->fork_marker = 1;
	check_thread_control_block();
	if (__ia2_ro.s.allocator_fork.child)
		__ia2_ro.s.allocator_fork.child();
	end_other_threads();
	st->fork_tid = st->fork_pid = 0;
	return (struct pair){0, 0};
}
