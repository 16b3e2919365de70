/* copyarg: check the functions that the config's copy-arg rules name,
 * and decide what their gates copy.
 *
 * Such a function takes pointers to memory that its caller keeps to
 * itself: a request to fill in, a picture to describe, a buffer on the
 * caller's stack, a file name. Its gate copies what they point to onto
 * the shared stack under the caller's PKRU and passes the copies; the
 * return stub copies one of them back under the caller's PKRU again
 * (gate_abi.h, IA2_COPY_ALIGN; emit.c). A rule names its function in
 * one of two forms:
 *
 *   FUNCTION              the one register argument that points to a
 *                         complete struct or union: the struct
 *   FUNCTION(ARG,...)     the arguments named, each ARG one of
 *     NAME                  the object NAME points to, as big as its type
 *     NAME:COUNT            as many bytes as integer argument COUNT says
 *     NAME:string           the NUL-terminated string NAME points to
 *
 * Sizes, registers and const come from DWARF. What a pointer to const
 * points to, and a string, is copied in only; at most one argument is
 * copied back, as the gate frame has room to record one. */
#include "rewrite.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia2/gate_abi.h"

/* Why the gate of f cannot copy anything, or NULL if it can. */
static const char *why_no_copy_gate(const struct func *f)
{
	if (!f->gated)
		return "is neither exported nor address-taken, so no other compartment calls it and "
		       "it has no gate; remove the rule";
	if (!f->has_sig)
		return "has no DWARF type information, which copy-arg needs to find the argument "
		       "and its size; compile it with -g";
	if (f->sig.variadic)
		return "is variadic; copy-arg gates take fixed parameters only";
	return NULL;
}

static void add_copy(struct func *f, const struct arg_copy *c)
{
	f->copies = xrealloc(f->copies, (size_t)(f->ncopies + 1) * sizeof *f->copies);
	if (c->back) {   /* first: the return stub finds it from the frame alone */
		memmove(f->copies + 1, f->copies, (size_t)f->ncopies * sizeof *f->copies);
		f->copies[0] = *c;
	} else {
		f->copies[f->ncopies] = *c;
	}
	f->ncopies++;
}

/* The bare form: the one struct pointer (signature.h, record_*). */
static const char *copy_the_struct(struct func *f, char *buf, size_t n)
{
	const struct signature *s = &f->sig;

	if (s->record_ptrs == 0)
		return "has no register parameter that points to a complete struct or union; name "
		       "the parameters to copy, as FUNCTION(NAME:LENGTH) or FUNCTION(NAME:string)";
	if (s->record_ptrs > 1)
		return "has several parameters that point to structs or unions; name the ones to "
		       "copy, as FUNCTION(NAME,...)";
	if (s->record_size > IA2_COPY_MAX_BYTES)
		snprintf(buf, n, "points to a %d-byte struct; a gate copies at most %d bytes",
			 s->record_size, IA2_COPY_MAX_BYTES);
	else if (s->record_align > IA2_COPY_ALIGN)
		snprintf(buf, n, "points to a %d-byte-aligned struct; a gate aligns copies to %d bytes",
			 s->record_align, IA2_COPY_ALIGN);
	else {
		add_copy(f, &(struct arg_copy){.reg = s->record_reg, .kind = COPY_OBJECT,
					       .size = s->record_size, .back = !s->record_const});
		return NULL;
	}
	return buf;
}

static int find_param(const struct func *f, const char *name, size_t len)
{
	for (int i = 0; i < f->sig.gpr_args && i < 6; i++)
		if (strlen(f->sig.params[i].name) == len && !strncmp(f->sig.params[i].name, name, len))
			return i;
	return -1;
}

/* One ARG of the named form, `len` bytes at `arg`. */
static const char *copy_named(struct func *f, const char *arg, size_t len, char *buf, size_t n)
{
	const char *colon = memchr(arg, ':', len);
	size_t name_len = colon ? (size_t)(colon - arg) : len;
	int reg = find_param(f, arg, name_len), count;
	const struct reg_param *p;
	struct arg_copy c = {.reg = reg};

	if (reg < 0)
		return snprintf(buf, n, "has no parameter '%.*s' in an integer register",
				(int)name_len, arg), buf;
	p = &f->sig.params[reg];
	if (!p->is_pointer)
		return snprintf(buf, n, "parameter '%s' is not a pointer", p->name), buf;
	c.back = !p->to_const;
	if (!colon) {
		if (!p->pointee_size)
			return snprintf(buf, n, "parameter '%s' points to void or an incomplete type; "
					"give its length, as %s:COUNT", p->name, p->name), buf;
		if (p->pointee_size > IA2_COPY_MAX_BYTES || p->pointee_align > IA2_COPY_ALIGN)
			return snprintf(buf, n, "parameter '%s' points to %d bytes aligned to %d; a "
					"gate copies at most %d, aligned to %d", p->name,
					p->pointee_size, p->pointee_align, IA2_COPY_MAX_BYTES,
					IA2_COPY_ALIGN), buf;
		c.kind = COPY_OBJECT;
		c.size = p->pointee_size;
	} else if ((size_t)(arg + len - colon - 1) == 6 && !strncmp(colon + 1, "string", 6)) {
		if (!p->to_char || !p->to_const)
			return snprintf(buf, n, "parameter '%s' is not a const char *: a string is "
					"copied in only", p->name), buf;
		c.kind = COPY_STRING;
		c.back = false;
	} else {
		count = find_param(f, colon + 1, (size_t)(arg + len - colon - 1));
		if (count < 0 || !f->sig.params[count].int_size)
			return snprintf(buf, n, "'%.*s' is no integer parameter in a register, which "
					"%s:COUNT needs", (int)(arg + len - colon - 1), colon + 1,
					p->name), buf;
		c.kind = COPY_LENGTH;
		c.len_reg = count;
		c.len_size = f->sig.params[count].int_size;
	}
	for (int i = 0; i < f->ncopies; i++) {
		if (f->copies[i].reg == reg)
			return snprintf(buf, n, "names parameter '%s' twice", p->name), buf;
		if (f->copies[i].back && c.back)
			return "copies back two arguments; a gate copies back one (make the other "
			       "const, or give it a rule of its own function)";
	}
	add_copy(f, &c);
	return NULL;
}

/* The copies `spec` (the rule's field after the name) asks of f. */
static const char *plan_copies(struct func *f, const char *spec, char *buf, size_t n)
{
	const char *why = why_no_copy_gate(f), *end;

	if (why)
		return why;
	free(f->copies);
	f->copies = NULL;
	f->ncopies = 0;
	if (!*spec)
		return copy_the_struct(f, buf, n);
	if (spec[0] != '(' || spec[strlen(spec) - 1] != ')' || spec[1] == ')')
		return "the rule's form is FUNCTION or FUNCTION(ARG,...)";
	for (const char *a = spec + 1; *a != ')'; a = *end == ',' ? end + 1 : end) {
		end = a + strcspn(a, ",)");
		if (end == a || *end == '\0')
			return "the rule's form is FUNCTION or FUNCTION(ARG,...)";
		if ((why = copy_named(f, a, (size_t)(end - a), buf, n)))
			return why;
	}
	return NULL;
}

/* Every definition of that name is checked and planned: a static
 * function in each of several objects too. */
static int mark_copies(struct dso *d, const struct named_symbol *req)
{
	size_t name_len = strcspn(req->name, "(");
	bool found = false;

	for (size_t i = 0; i < d->nfuncs; i++) {
		struct func *f = &d->funcs[i];
		char buf[192];
		const char *why;
		if (strlen(f->name) != name_len || strncmp(f->name, req->name, name_len))
			continue;
		found = true;
		why = plan_copies(f, req->name + name_len, buf, sizeof buf);
		if (why)
			return error("%s: copy-arg %s: %s %s", req->origin, req->name,
				     d->objs[f->obj].name, why);
	}
	if (!found)
		return error("%s: no object of this link defines a function %.*s", req->origin,
			     (int)name_len, req->name);
	return 0;
}

int plan_arg_copies(struct dso *d)
{
	for (size_t i = 0; i < d->ncopied; i++)
		if (mark_copies(d, &d->copied[i]))
			return -1;
	return 0;
}
