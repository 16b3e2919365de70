/* heapshare: mark the functions that the config's share-heap rules name.
 *
 * Such a function allocates for another compartment: a buffer its
 * caller fills, a picture the caller reads. While it runs, what it and
 * its callees allocate comes from the shared heap, not the compartment's
 * own. Every way in, the gate and every direct call in the DSO, goes
 * through a wrapper (emit.c) that counts the calls in progress in the
 * compartment's CTB, which libia2's malloc reads (gate_abi.h,
 * IA2_CTB_HEAP_DEPTH). */
#include "rewrite.h"
#include "util.h"

#include <string.h>

/* Every definition of that name is marked: a static function in each of
 * several objects too. */
static int mark_one(struct dso *d, const struct named_symbol *req)
{
	bool found = false;

	for (size_t i = 0; i < d->nfuncs; i++)
		if (!strcmp(d->funcs[i].name, req->name))
			d->funcs[i].heap_shared = found = true;
	if (!found)
		return error("%s: no object of this link defines a function %s", req->origin,
			     req->name);
	return 0;
}

int plan_heap_sharing(struct dso *d)
{
	for (size_t i = 0; i < d->nheap_shared; i++)
		if (mark_one(d, &d->heap_shared[i]))
			return -1;
	return 0;
}
