/* copyarg: check the functions that the config's copy-arg rules name.
 *
 * Such a function takes a pointer to a struct that its caller keeps in
 * its own memory: a request to fill in, a picture to describe. Its gate
 * copies the struct to the shared stack under the caller's PKRU, passes
 * the copy, and the return stub copies it back under the caller's PKRU
 * again (gate_abi.h, IA2_COPY_ALIGN; emit.c). So the gate must know which
 * argument it is and how big: one register argument that points to a
 * complete struct or union, from DWARF. */
#include "rewrite.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

#include "ia2/gate_abi.h"

/* Why the gate of f cannot copy its argument, or NULL if it can; `buf`
 * holds a reason with numbers in it. */
static const char *why_not_copyable(const struct func *f, char *buf, size_t n)
{
	const struct signature *s = &f->sig;

	if (!f->gated)
		return "is neither exported nor address-taken, so no other compartment calls it and "
		       "it has no gate; remove the rule";
	if (!f->has_sig)
		return "has no DWARF type information, which copy-arg needs to find the argument "
		       "and its size; compile it with -g";
	if (s->variadic)
		return "is variadic; copy-arg gates take fixed parameters only";
	if (s->record_ptrs == 0)
		return "has no register parameter that points to a complete struct or union";
	if (s->record_ptrs > 1)
		return "has several parameters that point to structs or unions; a copy-arg gate "
		       "copies one";
	if (s->record_size > IA2_COPY_MAX_BYTES)
		snprintf(buf, n, "points to a %d-byte struct; a gate copies at most %d bytes",
			 s->record_size, IA2_COPY_MAX_BYTES);
	else if (s->record_align > IA2_COPY_ALIGN)
		snprintf(buf, n, "points to a %d-byte-aligned struct; a gate aligns copies to %d bytes",
			 s->record_align, IA2_COPY_ALIGN);
	else
		return NULL;
	return buf;
}

/* Every definition of that name is checked and marked: a static
 * function in each of several objects too. */
static int mark_copies(struct dso *d, const struct named_symbol *req)
{
	bool found = false;

	for (size_t i = 0; i < d->nfuncs; i++) {
		struct func *f = &d->funcs[i];
		char buf[128];
		const char *why;
		if (strcmp(f->name, req->name))
			continue;
		found = true;
		why = why_not_copyable(f, buf, sizeof buf);
		if (why)
			return error("%s: copy-arg %s: %s %s", req->origin, f->name,
				     d->objs[f->obj].name, why);
		f->copies_arg = true;
	}
	if (!found)
		return error("%s: no object of this link defines a function %s", req->origin,
			     req->name);
	return 0;
}

int plan_arg_copies(struct dso *d)
{
	for (size_t i = 0; i < d->ncopied; i++)
		if (mark_copies(d, &d->copied[i]))
			return -1;
	return 0;
}
