/* glibc's functions that call a pointer back before they return:
 * qsort's comparator, twalk's action, nftw's function, pthread_once's
 * routine, dl_iterate_phdr's callback. glibc calls it with its caller's
 * PKRU, so the pointer must be one that the calling compartment could
 * call itself (indirect.c): a compartment that hands another the body
 * behind one of its gates would otherwise have it run with the other's
 * rights as soon as the other sorts with it. Each checks its pointers,
 * stops the program if one is refused (several of these calls have no
 * way to fail, and a refusal means a compartment is hostile), and goes
 * on to glibc's.
 *
 * A DSO outside every compartment that hands glibc a function of its
 * own DSO (a Rust library's unwinder calls dl_iterate_phdr with its own
 * callback) is checked as its own indirect call would be: objrewrite's
 * thunks let a DSO branch into itself without asking, and a plain DSO
 * has no thunks at all. That DSO may have been loaded by another
 * compartment than the one whose PKRU runs it now, which the rule for
 * later code (indirect.c) would refuse.
 *
 * On x86-64 the *64 names (ftw64, nftw64, scandir64, scandirat64,
 * glob64, fts64_*) are glibc's same functions under a second name
 * (off_t is off64_t, and FTS64 and glob64_t have FTS's and glob_t's
 * layout). libia2's own calls of dl_iterate_phdr and pthread_once,
 * whose functions are libia2's inner ones that the check refuses, go
 * straight to glibc's (iterate_dsos, run_once). */
#include <argp.h>
#include <dirent.h>
#include <fts.h>
#include <ftw.h>
#include <glob.h>
#include <link.h>
#include <pthread.h>
#include <search.h>
#include <stdbool.h>
#include <stdlib.h>
#include <threads.h>

#include "runtime.h"

void find_calls_back(struct libc_calls_back *l)
{
	l->qsort = find_in_libc("qsort");
	l->qsort_r = find_in_libc("qsort_r");
	l->bsearch = find_in_libc("bsearch");
	l->lfind = find_in_libc("lfind");
	l->lsearch = find_in_libc("lsearch");
	l->tsearch = find_in_libc("tsearch");
	l->tfind = find_in_libc("tfind");
	l->tdelete = find_in_libc("tdelete");
	l->twalk = find_in_libc("twalk");
	l->twalk_r = find_in_libc("twalk_r");
	l->tdestroy = find_in_libc("tdestroy");
	l->ftw = find_in_libc("ftw");
	l->nftw = find_in_libc("nftw");
	l->scandir = find_in_libc("scandir");
	l->scandirat = find_in_libc("scandirat");
	l->glob = find_in_libc("glob");
	l->fts_open = find_in_libc("fts_open");
	l->fts_read = find_in_libc("fts_read");
	l->fts_children = find_in_libc("fts_children");
	l->argp_help = find_in_libc("argp_help");
	l->argp_state_help = find_in_libc("argp_state_help");
	l->dl_iterate_phdr = find_in_libc("dl_iterate_phdr");
	l->pthread_once = find_in_libc("pthread_once");
	l->call_once = find_in_libc("call_once");
}

#define LIBC(field, name) ((__typeof__(__ia2_ro.s.libc_calls_back.field))libc_function( \
	(void *const *)&__ia2_ro.s.libc_calls_back.field, name))

/* Whether fn is in the same DSO as caller, a DSO outside every
 * compartment and outside the runtime. */
static bool in_callers_plain_dso(const void *fn, const void *caller)
{
	struct code_place f, c;

	find_code_place((uintptr_t)caller, &c);
	if (!c.dso || c.compartment || c.runtime)
		return false;
	find_code_place((uintptr_t)fn, &f);
	return f.dso && (uintptr_t)fn - f.offset == (uintptr_t)caller - c.offset;
}

/* fn, which the code at `caller` hands `api` to call back. */
static void check(const void *fn, const char *api, const void *caller)
{
	struct code_place p;
	int c = branching_compartment();

	if (!fn || !c || in_callers_plain_dso(fn, caller))
		return;
	if (!may_hand(c, (void *)fn, api, &p))
		die("%s() stopped: it would call the function with compartment %d's rights", api, c);
}

#define CALLER __builtin_return_address(0)

API void qsort(void *base, size_t n, size_t size, __compar_fn_t cmp)
{
	check(cmp, "qsort", CALLER);
	LIBC(qsort, "qsort")(base, n, size, cmp);
}

API void qsort_r(void *base, size_t n, size_t size, __compar_d_fn_t cmp, void *arg)
{
	check(cmp, "qsort_r", CALLER);
	LIBC(qsort_r, "qsort_r")(base, n, size, cmp, arg);
}

API void *bsearch(const void *key, const void *base, size_t n, size_t size, __compar_fn_t cmp)
{
	check(cmp, "bsearch", CALLER);
	return LIBC(bsearch, "bsearch")(key, base, n, size, cmp);
}

API void *lfind(const void *key, const void *base, size_t *n, size_t size, __compar_fn_t cmp)
{
	check(cmp, "lfind", CALLER);
	return LIBC(lfind, "lfind")(key, base, n, size, cmp);
}

API void *lsearch(const void *key, void *base, size_t *n, size_t size, __compar_fn_t cmp)
{
	check(cmp, "lsearch", CALLER);
	return LIBC(lsearch, "lsearch")(key, base, n, size, cmp);
}

API void *tsearch(const void *key, void **root, __compar_fn_t cmp)
{
	check(cmp, "tsearch", CALLER);
	return LIBC(tsearch, "tsearch")(key, root, cmp);
}

API void *tfind(const void *key, void *const *root, __compar_fn_t cmp)
{
	check(cmp, "tfind", CALLER);
	return LIBC(tfind, "tfind")(key, root, cmp);
}

API void *tdelete(const void *restrict key, void **restrict root, __compar_fn_t cmp)
{
	check(cmp, "tdelete", CALLER);
	return LIBC(tdelete, "tdelete")(key, root, cmp);
}

API void twalk(const void *root, __action_fn_t action)
{
	check(action, "twalk", CALLER);
	LIBC(twalk, "twalk")(root, action);
}

API void twalk_r(const void *root, void (*action)(const void *, VISIT, void *), void *closure)
{
	check(action, "twalk_r", CALLER);
	LIBC(twalk_r, "twalk_r")(root, action, closure);
}

API void tdestroy(void *root, __free_fn_t free_node)
{
	check(free_node, "tdestroy", CALLER);
	LIBC(tdestroy, "tdestroy")(root, free_node);
}

API int ftw(const char *dir, __ftw_func_t fn, int fds)
{
	check(fn, "ftw", CALLER);
	return LIBC(ftw, "ftw")(dir, fn, fds);
}

API int ftw64(const char *dir, __ftw64_func_t fn, int fds)
{
	check(fn, "ftw64", CALLER);
	return LIBC(ftw, "ftw")(dir, fn, fds);
}

API int nftw(const char *dir, __nftw_func_t fn, int fds, int flags)
{
	check(fn, "nftw", CALLER);
	return LIBC(nftw, "nftw")(dir, fn, fds, flags);
}

API int nftw64(const char *dir, __nftw64_func_t fn, int fds, int flags)
{
	check(fn, "nftw64", CALLER);
	return LIBC(nftw, "nftw")(dir, fn, fds, flags);
}

API int scandir(const char *dir, struct dirent ***list, int (*select)(const struct dirent *),
		int (*cmp)(const struct dirent **, const struct dirent **))
{
	check(select, "scandir", CALLER);
	check(cmp, "scandir", CALLER);
	return LIBC(scandir, "scandir")(dir, list, select, cmp);
}

API int scandir64(const char *dir, struct dirent64 ***list, int (*select)(const struct dirent64 *),
		  int (*cmp)(const struct dirent64 **, const struct dirent64 **))
{
	check(select, "scandir64", CALLER);
	check(cmp, "scandir64", CALLER);
	return LIBC(scandir, "scandir")(dir, list, select, cmp);
}

API int scandirat(int dirfd, const char *dir, struct dirent ***list,
		  int (*select)(const struct dirent *),
		  int (*cmp)(const struct dirent **, const struct dirent **))
{
	check(select, "scandirat", CALLER);
	check(cmp, "scandirat", CALLER);
	return LIBC(scandirat, "scandirat")(dirfd, dir, list, select, cmp);
}

API int scandirat64(int dirfd, const char *dir, struct dirent64 ***list,
		    int (*select)(const struct dirent64 *),
		    int (*cmp)(const struct dirent64 **, const struct dirent64 **))
{
	check(select, "scandirat64", CALLER);
	check(cmp, "scandirat64", CALLER);
	return LIBC(scandirat, "scandirat")(dirfd, dir, list, select, cmp);
}

/* With GLOB_ALTDIRFUNC glob reads directories through the five
 * functions in *g (glob(3)); errfunc is called for each unreadable one. */
static void check_glob(int flags, const void *errfunc, const glob_t *g, const char *api,
		       const void *caller)
{
	check(errfunc, api, caller);
	if (!(flags & GLOB_ALTDIRFUNC))
		return;
	check(g->gl_closedir, api, caller);
	check(g->gl_readdir, api, caller);
	check(g->gl_opendir, api, caller);
	check(g->gl_lstat, api, caller);
	check(g->gl_stat, api, caller);
}

API int glob(const char *pattern, int flags, int (*errfunc)(const char *, int), glob_t *g)
{
	check_glob(flags, errfunc, g, "glob", CALLER);
	return LIBC(glob, "glob")(pattern, flags, errfunc, g);
}

API int glob64(const char *pattern, int flags, int (*errfunc)(const char *, int), glob64_t *g)
{
	check_glob(flags, errfunc, (const glob_t *)g, "glob64", CALLER);
	return LIBC(glob, "glob")(pattern, flags, errfunc, g);
}

/* fts keeps the comparator in the FTS, in its caller's heap, and calls
 * it from fts_read and fts_children too, which any compartment that has
 * the FTS may call: each checks it for its own caller. */
API FTS *fts_open(char *const *paths, int options,
		  int (*cmp)(const FTSENT **, const FTSENT **))
{
	check(cmp, "fts_open", CALLER);
	return LIBC(fts_open, "fts_open")(paths, options, cmp);
}

API FTSENT *fts_read(FTS *fts)
{
	check(fts ? fts->fts_compar : NULL, "fts_read", CALLER);
	return LIBC(fts_read, "fts_read")(fts);
}

API FTSENT *fts_children(FTS *fts, int options)
{
	check(fts ? fts->fts_compar : NULL, "fts_children", CALLER);
	return LIBC(fts_children, "fts_children")(fts, options);
}

API FTS64 *fts64_open(char *const *paths, int options,
		      int (*cmp)(const FTSENT64 **, const FTSENT64 **))
{
	check(cmp, "fts64_open", CALLER);
	return LIBC(fts_open, "fts_open")(paths, options, cmp);
}

API FTSENT64 *fts64_read(FTS64 *fts)
{
	check(fts ? fts->fts_compar : NULL, "fts64_read", CALLER);
	return LIBC(fts_read, "fts_read")(fts);
}

API FTSENT64 *fts64_children(FTS64 *fts, int options)
{
	check(fts ? fts->fts_compar : NULL, "fts64_children", CALLER);
	return LIBC(fts_children, "fts_children")(fts, options);
}

/* glibc nests an argp's children to any depth, and recurses on a cycle
 * until its stack ends; the check stops first. */
#define ARGP_DEPTH 64

static void check_argp_at(const struct argp *a, const char *api, const void *caller, int depth)
{
	if (!a)
		return;
	if (depth == ARGP_DEPTH)
		die("%s() stopped: its argp nests children more than %d deep", api, ARGP_DEPTH);
	check(a->parser, api, caller);
	check(a->help_filter, api, caller);
	for (const struct argp_child *k = a->children; k && k->argp; k++)
		check_argp_at(k->argp, api, caller, depth + 1);
}

/* argp_parse and the help functions call each parser and help filter of
 * the argp and of its children. */
void check_argp(const struct argp *a, const char *api, const void *caller)
{
	check_argp_at(a, api, caller, 0);
}

API void argp_help(const struct argp *a, FILE *stream, unsigned flags, char *name)
{
	check_argp(a, "argp_help", CALLER);
	LIBC(argp_help, "argp_help")(a, stream, flags, name);
}

API void argp_state_help(const struct argp_state *state, FILE *stream, unsigned flags)
{
	check_argp(state ? state->root_argp : NULL, "argp_state_help", CALLER);
	LIBC(argp_state_help, "argp_state_help")(state, stream, flags);
}

API int dl_iterate_phdr(int (*fn)(struct dl_phdr_info *, size_t, void *), void *data)
{
	check(fn, "dl_iterate_phdr", CALLER);
	return LIBC(dl_iterate_phdr, "dl_iterate_phdr")(fn, data);
}

int iterate_dsos(int (*fn)(struct dl_phdr_info *, size_t, void *), void *data)
{
	return LIBC(dl_iterate_phdr, "dl_iterate_phdr")(fn, data);
}

API int pthread_once(pthread_once_t *once, void (*fn)(void))
{
	check(fn, "pthread_once", CALLER);
	return LIBC(pthread_once, "pthread_once")(once, fn);
}

int run_once(pthread_once_t *once, void (*fn)(void))
{
	return LIBC(pthread_once, "pthread_once")(once, fn);
}

API void call_once(once_flag *once, void (*fn)(void))
{
	check(fn, "call_once", CALLER);
	LIBC(call_once, "call_once")(once, fn);
}
