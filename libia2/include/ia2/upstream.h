/* Upstream IA2's source API (immunant/IA2-Phase2,
 * runtime/libia2/include/ia2.h), so that a program annotated for it
 * builds unchanged with ia2-cc; ia2.h includes this.
 *
 * Upstream rewrites the program's sources, and most of its macros name
 * what its source rewriter writes: wrappers, opaque function pointers.
 * ia2 rewrites objects at link time and needs no annotation, so each
 * macro here becomes what it means without a rewriter: IA2_FN(f) is f,
 * whose address objrewrite turns into f's gate; IA2_CALL(p, id, ...) is
 * a plain call. docs/usage.md, "Programs written for upstream IA2", says
 * what each one does here.
 *
 * Numbering: upstream's compartment N is ia2's compartment N, with pkey
 * N; both leave libc and everything unassigned in compartment 0. ia2
 * keeps pkey 15 for its runtime, so compartments go up to 14, not 15.
 * A source file says which compartment its DSO is in by defining
 * IA2_COMPARTMENT and including ia2_compartment_init.inc, as upstream's
 * do; ia2-cc links the DSO into that compartment. */
#ifndef IA2_UPSTREAM_H
#define IA2_UPSTREAM_H

/* Upstream's ia2.h includes these, and its programs may rely on them. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <ia2/pkru.h>

/* Upstream counts compartment numbers, 0 included: arrays indexed by
 * ia2_get_compartment() have this many entries. */
#define IA2_MAX_COMPARTMENTS 16

/* The PKRU that compartment pkey runs with. */
#define PKRU(pkey) IA2_PKRU(pkey)

/* Upstream's rewriter skips the functions declared between these two,
 * so that they run with their caller's rights. ia2 has no such
 * exception: a call from another compartment goes through the
 * function's gate and runs in the function's compartment. */
#define IA2_BEGIN_NO_WRAP
#define IA2_END_NO_WRAP

/* Annotations for upstream's rewriter, which calls pre- and
 * post-condition functions around a function's gate and tracks the
 * lifetime of typed pointers. ia2 calls no such functions: the
 * annotated functions stay ordinary functions. */
#define IA2_PRE_CONDITION_FOR(target_func)
#define IA2_POST_CONDITION_FOR(target_func)
#define IA2_CONSTRUCTOR
#define IA2_DESTRUCTOR

/* Function pointers: plain C. objrewrite gives every function whose
 * address is taken a gate, and the address is the gate's. */
#define IA2_DEFINE_WRAPPER(func)
#define IA2_IGNORE(x) x
#define IA2_FN_ADDR(func) (func)
#define IA2_FN(func) (func)
#define IA2_ADDR(opaque) ((void *)(opaque))
#define IA2_AS_PTR(opaque) (opaque)
#define IA2_CALL(opaque, id, ...) (opaque)(__VA_ARGS__)
#define IA2_CAST(func, ty) ((ty)(void *)(func))

/* Upstream's debug check of PKRU inside inline assembly. */
#define ASSERT_PKRU(pkru)

/* Signal handlers: libia2's sigaction runs a handler in the compartment
 * whose code it is (docs/runtime.md, "Signals"), so the handler itself
 * is what sigaction takes, and `pkey` must be a compartment. These check
 * the handler's type and end without a semicolon, like upstream's. */
#define IA2_SIGHANDLER(func) func
#define IA2_DEFINE_SIGHANDLER(function, pkey)                                              \
	_Static_assert(__builtin_types_compatible_p(__typeof__(&(function)), void (*)(int)) && \
			       (pkey) >= 1 && (pkey) <= IA2_LAST_COMPARTMENT,                      \
		       "IA2_DEFINE_SIGHANDLER(" #function ", " #pkey                               \
		       "): needs a void (int) function and a compartment 1..14")
#define IA2_DEFINE_SIGACTION(function, pkey)                                        \
	_Static_assert(__builtin_types_compatible_p(__typeof__(&(function)),            \
						    void (*)(int, siginfo_t *, void *)) &&  \
			       (pkey) >= 1 && (pkey) <= IA2_LAST_COMPARTMENT,               \
		       "IA2_DEFINE_SIGACTION(" #function ", " #pkey                         \
		       "): needs a void (int, siginfo_t *, void *) function and a "         \
		       "compartment 1..14")

/* Upstream sets its runtime up for n compartments and calls the
 * program's ia2_main before main. ia2 sets itself up without being
 * asked; here a constructor of the main program calls ia2_main, whose
 * ia2_register_compartment calls check that each DSO was linked into the
 * compartment named, and then libia2 checks that no DSO is in a
 * compartment above n. */
#define INIT_RUNTIME(n)                                                   \
	__attribute__((constructor)) static void ia2_upstream_start(void) \
	{                                                                 \
		ia2_main();                                               \
		ia2_check_compartment_count(n);                           \
	}                                                                 \
	_Static_assert((n) >= 1 && (n) <= IA2_LAST_COMPARTMENT,           \
		       "INIT_RUNTIME(" #n "): ia2 has compartments 1..14")

/* Upstream's section for variables every compartment may read and
 * write. objrewrite makes it part of the DSO's ia2_shared section, which
 * stays pkey 0 (IA2_SHARED in ia2.h). */
#define IA2_SHARED_DATA __attribute__((section("ia2_shared_data")))

/* The thread's PKRU. */
size_t ia2_get_tag(void);
/* The compartment running: 0 in code outside every compartment. */
size_t ia2_get_compartment(void);
/* The calling compartment's stack on this thread: its lowest address
 * and its size. */
void ia2_get_compartment_stack(void **stack_base_ptr, size_t *stack_size);
/* Dies unless `lib` ("main" for the main program, else a DSO's file
 * name) and each of the semicolon-separated `extra_libraries` are
 * loaded and were linked into `compartment`. */
void ia2_register_compartment(const char *lib, int compartment, const char *extra_libraries);
/* Dies if a loaded DSO's compartment is above n. */
void ia2_check_compartment_count(int n);
/* Defined by the program, in the main program, when it uses
 * INIT_RUNTIME. */
void ia2_main(void);

#endif
