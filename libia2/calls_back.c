/* glibc's functions that call a pointer back before they return:
 * qsort's comparator, twalk's action, nftw's function. glibc calls it
 * with its caller's PKRU, so the pointer must be one that the calling
 * compartment could call itself (indirect.c): a compartment that hands
 * another the body behind one of its gates would otherwise have it run
 * with the other's rights as soon as the other sorts with it. Each
 * checks its pointers, stops the program if one is refused (these calls
 * have no way to fail), and goes on to glibc's.
 *
 * On x86-64 the *64 names (ftw64, nftw64, scandir64) are glibc's same
 * functions under a second name (off_t is off64_t). */
#include <dirent.h>
#include <ftw.h>
#include <search.h>
#include <stdlib.h>

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
}

#define LIBC(field, name) ((__typeof__(__ia2_ro.s.libc_calls_back.field))libc_function( \
	(void *const *)&__ia2_ro.s.libc_calls_back.field, name))

static void check(const void *fn, const char *api)
{
	struct code_place p;
	int c = branching_compartment();

	if (!fn || !c)
		return;
	if (!may_hand(c, (void *)fn, api, &p))
		die("%s() stopped: it would call the function with compartment %d's rights", api, c);
}

API void qsort(void *base, size_t n, size_t size, __compar_fn_t cmp)
{
	check(cmp, "qsort");
	LIBC(qsort, "qsort")(base, n, size, cmp);
}

API void qsort_r(void *base, size_t n, size_t size, __compar_d_fn_t cmp, void *arg)
{
	check(cmp, "qsort_r");
	LIBC(qsort_r, "qsort_r")(base, n, size, cmp, arg);
}

API void *bsearch(const void *key, const void *base, size_t n, size_t size, __compar_fn_t cmp)
{
	check(cmp, "bsearch");
	return LIBC(bsearch, "bsearch")(key, base, n, size, cmp);
}

API void *lfind(const void *key, const void *base, size_t *n, size_t size, __compar_fn_t cmp)
{
	check(cmp, "lfind");
	return LIBC(lfind, "lfind")(key, base, n, size, cmp);
}

API void *lsearch(const void *key, void *base, size_t *n, size_t size, __compar_fn_t cmp)
{
	check(cmp, "lsearch");
	return LIBC(lsearch, "lsearch")(key, base, n, size, cmp);
}

API void *tsearch(const void *key, void **root, __compar_fn_t cmp)
{
	check(cmp, "tsearch");
	return LIBC(tsearch, "tsearch")(key, root, cmp);
}

API void *tfind(const void *key, void *const *root, __compar_fn_t cmp)
{
	check(cmp, "tfind");
	return LIBC(tfind, "tfind")(key, root, cmp);
}

API void *tdelete(const void *restrict key, void **restrict root, __compar_fn_t cmp)
{
	check(cmp, "tdelete");
	return LIBC(tdelete, "tdelete")(key, root, cmp);
}

API void twalk(const void *root, __action_fn_t action)
{
	check(action, "twalk");
	LIBC(twalk, "twalk")(root, action);
}

API void twalk_r(const void *root, void (*action)(const void *, VISIT, void *), void *closure)
{
	check(action, "twalk_r");
	LIBC(twalk_r, "twalk_r")(root, action, closure);
}

API void tdestroy(void *root, __free_fn_t free_node)
{
	check(free_node, "tdestroy");
	LIBC(tdestroy, "tdestroy")(root, free_node);
}

API int ftw(const char *dir, __ftw_func_t fn, int fds)
{
	check(fn, "ftw");
	return LIBC(ftw, "ftw")(dir, fn, fds);
}

API int ftw64(const char *dir, __ftw64_func_t fn, int fds)
{
	check(fn, "ftw64");
	return LIBC(ftw, "ftw")(dir, fn, fds);
}

API int nftw(const char *dir, __nftw_func_t fn, int fds, int flags)
{
	check(fn, "nftw");
	return LIBC(nftw, "nftw")(dir, fn, fds, flags);
}

API int nftw64(const char *dir, __nftw64_func_t fn, int fds, int flags)
{
	check(fn, "nftw64");
	return LIBC(nftw, "nftw")(dir, fn, fds, flags);
}

API int scandir(const char *dir, struct dirent ***list, int (*select)(const struct dirent *),
		int (*cmp)(const struct dirent **, const struct dirent **))
{
	check(select, "scandir");
	check(cmp, "scandir");
	return LIBC(scandir, "scandir")(dir, list, select, cmp);
}

API int scandir64(const char *dir, struct dirent64 ***list, int (*select)(const struct dirent64 *),
		  int (*cmp)(const struct dirent64 **, const struct dirent64 **))
{
	check(select, "scandir64");
	check(cmp, "scandir64");
	return LIBC(scandir, "scandir")(dir, list, select, cmp);
}
