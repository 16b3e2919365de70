/* The engine as a sequence of named passes (docs/design.md, "Pipeline"):
 * each reads what the ones before it left in struct dso. */
#include "rewrite.h"
#include "util.h"

void dso_for_policy(struct dso *d, const struct policy *p, const char *workdir, bool emulate)
{
	d->compartment = p->compartment;
	d->loadable = p->named | 1u << p->compartment;
	d->loads = p->loads;
	d->nloads = p->nloads;
	d->shared = p->shared;
	d->nshared = p->nshared;
	d->heap_shared = p->heap_shared;
	d->nheap_shared = p->nheap_shared;
	d->copied = p->copied;
	d->ncopied = p->ncopied;
	d->denied_calls = p->denied_calls;
	d->ndenied_calls = p->ndenied_calls;
	d->workdir = workdir;
	d->cc = real_compiler();
	d->emulate_pkru = emulate;
}

int run_passes(struct dso *d, char **paths, size_t npaths, const char *gates_s)
{
	if (scan_inputs(d, paths, npaths) || check_declarations(d) || classify_relocs(d) ||
	    plan_heap_sharing(d) || plan_gates(d) || read_signatures(d) || plan_arg_copies(d) ||
	    plan_heap_calls(d) || plan_shared_data(d) || emit_gates(d, gates_s) ||
	    rewrite_objects(d))
		return -1;
	return 0;
}
