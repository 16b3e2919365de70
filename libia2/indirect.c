/* Indirect branches: the code a compartment may run through a pointer
 * (docs/design.md, "Indirect calls").
 *
 * A gate switches compartments only because the pointer called is a
 * gate; a pointer to any other code runs it with the caller's rights.
 * So a pointer that compartment c calls, or hands libc to call for it
 * later (callbacks.c, calls_back.c), may lead
 *   - anywhere into c's own DSOs: c's code with c's rights is nothing
 *     new (the DSO's own thunks go there without asking);
 *   - into another compartment's DSO only at one of its gates' entries,
 *     which make that compartment's checks: never its bodies;
 *   - into shared code, libc's say, at the start of a function, not at
 *     an arbitrary gadget in its middle; into libia2 and ld.so, whose
 *     inner functions run privileged steps, only at an exported
 *     function; and never to one that loads its registers from memory
 *     (the longjmp family, setcontext), which another compartment could
 *     have written.
 * That is for the code loaded at startup, as libia2 recorded it then
 * (known_code.c). Code mapped later, a DSO that dlopen loaded or a
 * file's code a compartment mapped itself, is the code of the
 * compartment that mapped it, as the syscall monitor, which watched the
 * mapping, says: c's own, or another's only at a gate of that
 * compartment's DSO. Without the monitor, ld.so's link maps tell where
 * later DSOs are, and code outside every DSO passes: nobody knows whose
 * it is, and any compartment can change any page anyway. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

/* <setjmp.h> declares it only for _FORTIFY_SOURCE; libia2 defines it. */
void __longjmp_chk(sigjmp_buf env, int val) __attribute__((noreturn));

/* Functions that take their registers from memory that the caller names.
 * libia2's longjmp family goes on to glibc's with any buffer, and
 * __pthread_unwind_next longjmps to the buffer's landing. */
void find_context_loaders(struct context_loaders *l)
{
	void *const runtime[] = {
		(void *)siglongjmp, (void *)longjmp,	     (void *)_longjmp,
		(void *)__longjmp_chk, (void *)__pthread_unwind_next,
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof runtime / sizeof *runtime; i++)
		l->v[n++] = runtime[i];
	l->v[n++] = find_in_libc("setcontext");
	l->v[n++] = find_in_libc("swapcontext");
	l->v[n++] = (void *)__ia2_ro.s.libc_longjmp.siglongjmp;
	l->v[n++] = (void *)__ia2_ro.s.libc_longjmp.longjmp;
	l->v[n++] = (void *)__ia2_ro.s.libc_longjmp._longjmp;
	l->v[n++] = (void *)__ia2_ro.s.libc_longjmp.longjmp_chk;
	l->n = n;
}

static bool loads_context(uintptr_t target)
{
	for (int i = 0; i < __ia2_ro.s.context_loaders.n; i++)
		if ((uintptr_t)__ia2_ro.s.context_loaders.v[i] == target)
			return true;
	return false;
}

/* Code loaded at startup, or any code where no monitor runs. */
static const char *placed_verdict(int c, uintptr_t target, const struct code_place *p)
{
	if (p->compartment == c || p->gate)
		return NULL;
	if (p->compartment)
		return "another compartment's code, which is not one of its gates";
	if (loads_context(target))
		return "a function that takes its registers from memory";
	if (p->runtime)
		return known_runtime_export(target) ? NULL : "not an exported function of the runtime";
	return p->function ? NULL : "not the start of a function";
}

/* Code mapped since the monitor started, by compartment m (below 1:
 * libia2, or no one): c's own, or a gate of m's own DSO, whose table of
 * gates the link maps lead to. */
static const char *mapped_verdict(int c, int m, const struct code_place *p)
{
	if (m == c || (m > 0 && p->compartment == m && p->gate))
		return NULL;
	if (m > 0)
		return "code that another compartment mapped, which is not one of its gates";
	return "code that no compartment mapped";
}

/* A raw system call, which leaves errno alone: the caller of a thunk
 * finds errno as it left it, and a privileged operation must not reach
 * errno, whose address glibc takes from %fs:0, which a compartment can
 * point anywhere. */
long mapper_of_code(uintptr_t target)
{
	long r;

	__asm__ volatile("syscall"
			 : "=a"(r)
			 : "0"((long)MONITOR_MAPPER_CALL), "D"(target)
			 : "rcx", "r11", "memory");
	return r;
}

const char *refused_branch(int c, uintptr_t target, struct code_place *p)
{
	long m;

	find_code_place(target, p);
	if (p->startup)
		return placed_verdict(c, target, p);
	m = mapper_of_code(target);
	if (m >= 0 || m == -ESRCH)
		return mapped_verdict(c, m >= 0 ? (int)m : -1, p);
	return p->dso ? placed_verdict(c, target, p) : NULL;
}

int branching_compartment(void)
{
	unsigned pkru;

	if (!__ia2_ro.s.set_up_begun || (pkru = current_pkru()) == 0)
		return 0;
	return compartment_of_pkru(pkru);
}

/* Called by __ia2_indirect_slow (stack.S) for a compartment DSO's thunk
 * at `from`, whose branch leaves the DSO for `target`. */
void check_indirect_branch(uintptr_t target, uintptr_t from)
{
	struct code_place p, site;
	const char *why;
	int c = branching_compartment();

	if (!c || !(why = refused_branch(c, target, &p)))
		return;
	find_code_place(from, &site);
	die("compartment %d branched through a pointer, from %s, to %p (%s+%#lx, compartment "
	    "%d's): %s. Stopped; a pointer to another compartment's function must be its "
	    "address as that compartment's code takes it",
	    c, site.dso ? site.dso : "?", (void *)target, p.dso ? p.dso : "no DSO",
	    (unsigned long)p.offset, p.compartment, why);
}

bool may_hand(int c, void *fn, const char *api, struct code_place *p)
{
	const char *why = refused_branch(c, (uintptr_t)fn, p);

	if (why)
		say("compartment %d handed %s() the function %p (%s+%#lx, compartment %d's): %s; "
		    "refused", c, api, fn, p->dso ? p->dso : "no DSO", (unsigned long)p->offset,
		    p->compartment, why);
	return !why;
}
