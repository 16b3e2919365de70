/* Code pointers that a compartment hands libc to call later run with
 * that compartment's rights.
 *
 * libc keeps such a pointer and calls it when some compartment, maybe
 * another, triggers it: an exit handler at exit, a fork handler at fork,
 * a thread-specific data destructor as a thread ends, a printf handler
 * in printf, a cookie stream's functions as the stream is used. libc is
 * compartment 0 code, which runs with its caller's PKRU, so the pointer
 * would run with the rights of whoever triggers it. Pointers that
 * compartment code takes are its gates (objrewrite), which switch to
 * their own compartment; but a compartment that reads a gate's bytes
 * finds the body behind it, and the body, or any other code, would run
 * with the triggering compartment's rights.
 *
 * So libia2 defines the registration functions and hands libc, instead
 * of the pointer, a callback slot of the registering compartment c: a
 * gate into c whose body jumps to the pointer (objrewrite/stubs.c,
 * emit_callback_slots). A pointer to a gate's entry needs none. The slots'
 * targets live in a read-only page that a privileged operation replaces
 * as a whole (privilege.c, replace_runtime_table), in the row of the
 * compartment that calls it, whatever the caller says, and the same
 * pointer from the same compartment gets the same slot. Slots stay
 * taken: libc keeps most such pointers until the process ends, and a
 * slot freed while libc may still call it would run the next
 * registration's function.
 *
 * Calls that use a pointer only while they run (qsort, bsearch, tsearch,
 * twalk, nftw, scandir...) need no slot: libc calls it back before
 * returning, with its caller's PKRU, which is the registering
 * compartment's; calls_back.c checks the pointer. docs/runtime.md,
 * "Callbacks", lists glibc 2.36's API and what ia2 does for each. */
#include <dlfcn.h>
#include <errno.h>
#include <printf.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "runtime.h"

union callback_targets {
	uintptr_t t[IA2_LAST_COMPARTMENT + 1][IA2_CALLBACK_SLOTS];
	char page[PAGE];
};
_Static_assert(sizeof(union callback_targets) == PAGE, "one page");
/* Read by the slots' bodies (objrewrite/stubs.c). */
union callback_targets __ia2_callback_targets RUNTIME_TABLE;
extern void *const __ia2_callback_slots[IA2_LAST_COMPARTMENT + 1][IA2_CALLBACK_SLOTS];

void set_up_callbacks(void)
{
	if (mprotect(&__ia2_callback_targets, PAGE, PROT_READ))
		die("cannot make the callback table read-only: %s", strerrorname_np(errno));
}

struct slot_change {
	int c, i;
	uintptr_t target;
};

static void set_target(void *copy, const void *arg)
{
	const struct slot_change *ch = arg;

	((union callback_targets *)copy)->t[ch->c][ch->i] = ch->target;
}

static int find_slot(int c, uintptr_t target)
{
	for (int i = 0; i < IA2_CALLBACK_SLOTS; i++)
		if (__ia2_callback_targets.t[c][i] == target)
			return i;
	return -1;
}

/* The privileged operation: the slot of the caller's row that calls
 * target, taken now if none does; -1 if every slot is taken. The
 * operations run one at a time, which orders the changes. */
struct pair op_take_callback_slot(uintptr_t target, uintptr_t b, int caller)
{
	struct slot_change ch;
	int i;

	(void)b;
	if (caller < 1 || caller > IA2_LAST_COMPARTMENT || !target)
		return (struct pair){(uintptr_t)-1, 0};
	i = find_slot(caller, target);
	if (i < 0 && (i = find_slot(caller, 0)) >= 0) {
		ch = (struct slot_change){caller, i, target};
		replace_runtime_table(&__ia2_callback_targets, PAGE, set_target, &ch,
				      "the callback table");
	}
	return (struct pair){(uintptr_t)i, 0};
}

void *callback_slot(int c, void *fn, const char *api)
{
	int i = (int)run_privileged(IA2_OP_TAKE_CALLBACK_SLOT, (uintptr_t)fn, 0).a;

	if (i < 0) {
		say("compartment %d handed %s more than %d functions that need a callback slot; %s "
		    "fails",
		    c, api, IA2_CALLBACK_SLOTS, api);
		return NULL;
	}
	return __ia2_callback_slots[c][i];
}

/* The slot of c's row that calls target; NULL if none does. */
void *taken_callback_slot(int c, uintptr_t target)
{
	int i = find_slot(c, target);

	return i < 0 ? NULL : __ia2_callback_slots[c][i];
}

bool is_callback_slot(const void *p)
{
	for (int c = 1; c <= IA2_LAST_COMPARTMENT; c++)
		for (int i = 0; i < IA2_CALLBACK_SLOTS; i++)
			if (p == __ia2_callback_slots[c][i])
				return true;
	return false;
}

/* fn as compartment c's caller hands it to `api`: fn itself if it is
 * NULL, a gate, or c is 0; else a slot of c that calls fn; NULL, after
 * a message, if c has none left or may not call fn itself (indirect.c). */
void *wrap_callback(void *fn, const char *api)
{
	struct code_place place;
	int c;

	/* Before libia2's setup only code outside the compartments has run
	 * (compartment DSOs depend on libia2, whose constructor goes first),
	 * with the kernel's PKRU, which is no compartment's. */
	if (!fn || !__ia2_ro.s.set_up_begun || !(c = current_compartment()))
		return fn;
	if (!may_hand(c, fn, api, &place))
		return NULL;
	if (place.gate)
		return fn;
	return callback_slot(c, fn, api);
}

void find_registrations(struct libc_registrations *r)
{
	r->cxa_atexit = find_in_libc("__cxa_atexit");
	r->cxa_at_quick_exit = find_in_libc("__cxa_at_quick_exit");
	r->cxa_thread_atexit_impl = find_in_libc("__cxa_thread_atexit_impl");
	r->on_exit = find_in_libc("on_exit");
	r->pthread_key_create = find_in_libc("pthread_key_create");
	r->register_printf_specifier = find_in_libc("register_printf_specifier");
	r->register_printf_function = find_in_libc("register_printf_function");
	r->register_printf_type = find_in_libc("register_printf_type");
	r->fopencookie = find_in_libc("fopencookie");
}

/* glibc's function, from __ia2_ro once libia2's setup found it. Before,
 * only code outside the compartments runs, jemalloc's among it, which
 * creates its thread-specific data keys inside the malloc that the
 * setup's first lookup makes: the next definition after libia2's is
 * glibc's then (this one runs only if libia2 comes first). */
void *libc_function(void *const *found, const char *name)
{
	return *found ? *found : dlsym(RTLD_NEXT, name);
}

#define LIBC(field, name) ((__typeof__(__ia2_ro.s.libc_registrations.field))libc_function( \
	(void *const *)&__ia2_ro.s.libc_registrations.field, name))

/* Each wrapped pointer that a slot could not take fails the call as the
 * function reports a failure. */
#define WRAP(fn, api) wrap_callback((void *)(fn), api)

/* atexit comes from libc_nonshared.a into each DSO, and calls this with
 * the DSO's handle (glibc 2.34 on); pthread_atfork likewise calls
 * __register_atfork, which fork.c defines. */
API int __cxa_atexit(void (*fn)(void *), void *arg, void *dso)
{
	void (*w)(void *) = WRAP(fn, "atexit");

	return fn && !w ? -1 : LIBC(cxa_atexit, "__cxa_atexit")(w, arg, dso);
}

API int __cxa_at_quick_exit(void (*fn)(void), void *dso)
{
	void (*w)(void) = WRAP(fn, "at_quick_exit");

	return fn && !w ? -1 : LIBC(cxa_at_quick_exit, "__cxa_at_quick_exit")(w, dso);
}

API int __cxa_thread_atexit_impl(void (*fn)(void *), void *obj, void *dso)
{
	void (*w)(void *) = WRAP(fn, "__cxa_thread_atexit_impl");

	return fn && !w ? -1 : LIBC(cxa_thread_atexit_impl, "__cxa_thread_atexit_impl")(w, obj, dso);
}

API int on_exit(void (*fn)(int, void *), void *arg)
{
	void (*w)(int, void *) = WRAP(fn, "on_exit");

	return fn && !w ? -1 : LIBC(on_exit, "on_exit")(w, arg);
}

API int pthread_key_create(pthread_key_t *key, void (*destructor)(void *))
{
	void (*w)(void *) = WRAP(destructor, "pthread_key_create");

	return destructor && !w ? EAGAIN : LIBC(pthread_key_create, "pthread_key_create")(key, w);
}

API int register_printf_specifier(int spec, printf_function *render,
				  printf_arginfo_size_function *arginfo)
{
	printf_function *r = WRAP(render, "register_printf_specifier");
	printf_arginfo_size_function *a = WRAP(arginfo, "register_printf_specifier");

	return (render && !r) || (arginfo && !a) ? -1 : LIBC(register_printf_specifier, "register_printf_specifier")(spec, r, a);
}

API int register_printf_function(int spec, printf_function *render,
				 printf_arginfo_function *arginfo)
{
	printf_function *r = WRAP(render, "register_printf_function");
	printf_arginfo_function *a = WRAP(arginfo, "register_printf_function");

	return (render && !r) || (arginfo && !a) ? -1 : LIBC(register_printf_function, "register_printf_function")(spec, r, a);
}

API int register_printf_type(printf_va_arg_function *fn)
{
	printf_va_arg_function *w = WRAP(fn, "register_printf_type");

	return fn && !w ? -1 : LIBC(register_printf_type, "register_printf_type")(w);
}

API FILE *fopencookie(void *cookie, const char *mode, cookie_io_functions_t io)
{
	cookie_io_functions_t w = {
		.read = WRAP(io.read, "fopencookie"),
		.write = WRAP(io.write, "fopencookie"),
		.seek = WRAP(io.seek, "fopencookie"),
		.close = WRAP(io.close, "fopencookie"),
	};

	if ((io.read && !w.read) || (io.write && !w.write) || (io.seek && !w.seek) ||
	    (io.close && !w.close)) {
		errno = ENOMEM;
		return NULL;
	}
	return LIBC(fopencookie, "fopencookie")(cookie, mode, w);
}
