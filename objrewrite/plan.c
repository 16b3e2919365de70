/* plan: choose the functions that get a gate and name the gate and the body.
 *
 * A function needs a gate when code outside the DSO can reach it: it is
 * exported (global, default or protected visibility), or its address is
 * taken anywhere in the DSO and so may travel to another compartment.
 * main is reached from crt1's _start (is_program_entry). Direct calls
 * inside the DSO keep going straight to the body, or to the body's
 * shared-heap wrapper (heapshare.c). */
#include "rewrite.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#include "ia2/gate_abi.h"

static bool exported(const struct func *f)
{
	return f->bind != STB_LOCAL && (f->vis == STV_DEFAULT || f->vis == STV_PROTECTED);
}

/* glibc's Scrt1.o (crt1.o) passes main to __libc_start_main, from an
 * object that no entry point scans, being the toolchain's own. So a
 * global main gets a gate whatever its visibility, under its own name,
 * the one _start refers to: built with -fvisibility=hidden, as meson
 * projects such as dav1d are, main would otherwise run in the caller's
 * rights, libc's PKRU(0), on the thread's original stack. */
bool is_program_entry(const struct func *f)
{
	return f->bind != STB_LOCAL && !strcmp(f->name, "main");
}

/* A versioned name, which `.symver foo_v2, foo@@V2` makes the assembler
 * put in the object (GNU as, "Symver"), is no symbol an assembler accepts
 * in a label: the gate gets a plain one and exports the versioned name
 * with .symver too (emit.c), which keeps the version; the body and the
 * hidden twin are plain, '@' becoming '.'. */
static void name_versioned_gate(struct func *f)
{
	char *plain = xstrdup(f->name);

	for (char *c = plain; *c; c++)
		if (*c == '@')
			*c = '.';
	f->gate = format("__ia2_symver_%s", plain);
	f->gate_local = format(IA2_GATE_PREFIX "%s", plain);
	f->body = format(IA2_BODY_PREFIX "%s", plain);
	f->symver = xstrdup(f->name);
	f->renamed = true;
	free(plain);
}

/* Exported f keeps its name for the gate, so other DSOs and function
 * pointers reach the gate; the definition becomes the hidden
 * __ia2_body_f. A hidden or static function keeps its name, and the gate
 * gets a new hidden one; a static body also gets a hidden global alias so
 * that the gate object can jump to it.
 *
 * A reference that bound to the definition locally (a section symbol, a
 * local alias, or none at all) must keep binding locally: a PC-relative
 * reference to the preemptible f cannot be linked into a shared object.
 * Such references go to gate_local, the exported gate's hidden twin.
 *
 * A function that a share-heap rule names also gets a hidden wrapper,
 * the entry that its gate and direct calls use instead of the body. */
static void name_gate(struct func *f)
{
	if (exported(f) && strchr(f->name, '@')) {
		name_versioned_gate(f);
	} else if (exported(f) || is_program_entry(f)) {
		f->gate = xstrdup(f->name);
		f->gate_local = format(IA2_GATE_PREFIX "%s", f->name);
		f->body = format(IA2_BODY_PREFIX "%s", f->name);
		f->renamed = true;
	} else if (f->bind != STB_LOCAL) {
		f->gate = format(IA2_GATE_PREFIX "%s", f->name);
		f->gate_local = xstrdup(f->gate);
		f->body = xstrdup(f->name);
	} else {
		f->gate = format(IA2_GATE_PREFIX "%d_%s", f->obj, f->name);
		f->gate_local = xstrdup(f->gate);
		f->body = format(IA2_BODY_PREFIX "%d_%s", f->obj, f->name);
	}
	if (f->heap_shared && f->bind != STB_LOCAL)
		f->wrapper = format("__ia2_heap_shared_%s", f->name);
	else if (f->heap_shared)
		f->wrapper = format("__ia2_heap_shared_%d_%s", f->obj, f->name);
}

bool is_planned(const struct func *f)
{
	return f->gated || f->heap_shared;
}

const char *entry_of(const struct func *f)
{
	return f->wrapper ? f->wrapper : f->body;
}

int plan_gates(struct dso *d)
{
	for (size_t i = 0; i < d->nfuncs; i++) {
		struct func *f = &d->funcs[i];
		if (!strncmp(f->name, "__ia2_", 6))
			return error("%s: defines %s; the __ia2_ prefix is reserved for ia2's gates",
				     d->objs[f->obj].name, f->name);
		f->gated = exported(f) || f->address_taken || is_program_entry(f);
		if ((f->gated || f->heap_shared) && strchr(f->name, '@') && !exported(f))
			return error("%s: %s is a versioned name of a function this DSO does not "
				     "export; ia2 gates versioned names only of exported functions: "
				     "make it exported, or drop its .symver",
				     d->objs[f->obj].name, f->name);
		if (f->gated || f->heap_shared)
			name_gate(f);
	}
	return 0;
}

/* A function without DWARF (hand-written assembly, an object built
 * without -g) gets the widest register signature: all six integer and
 * eight vector argument registers pass through unscrubbed, and rax, rdx,
 * xmm0 and xmm1 come back. Stack arguments cannot be guessed, so none are
 * copied; docs/design.md explains the trade-off. */
void conservative_signature(struct signature *s)
{
	memset(s, 0, sizeof *s);
	s->gpr_args = 6;
	s->sse_args = 8;
	s->stack_align = 8;
	s->ret = RET_REGS;
	s->ret_gpr = 2;
	s->ret_sse = 2;
}

/* Nothing tells a variadic function's gate how many unnamed arguments
 * its caller passed, nor where: they may use every argument register,
 * al (an upper bound on the vector registers used, psABI 3.5.7) and the
 * stack after the named arguments. So the gate passes all of them, and
 * copies the most stack a gate carries; every compartment stack keeps
 * that much slack at its top (IA2_STACK_SLACK), so the copy stays on the
 * caller's stack. The price, in docs/design.md ("Variadic functions"):
 * the callee may read that many bytes of its caller's frame. */
static void widen_variadic(struct signature *s)
{
	s->gpr_args = 6;
	s->sse_args = 8;
	s->stack_bytes = IA2_GATE_MAX_STACK_BYTES;
}

static int check_signature(struct dso *d, struct func *f)
{
	const char *obj = d->objs[f->obj].name;

	if (f->sig.ret == RET_X87)
		return error("%s: %s returns long double (x87 st0); not supported by gates yet", obj,
			     f->name);
	if (f->sig.ret == RET_MEMORY && f->sig.ret_size > IA2_GATE_MAX_SRET_BYTES)
		return error("%s: %s returns a %d-byte struct in memory; gates carry at most %d bytes "
			     "for now", obj, f->name, f->sig.ret_size, IA2_GATE_MAX_SRET_BYTES);
	/* The gate's stack-argument area is 16-byte aligned, as at any call. */
	if (f->sig.stack_align > 16)
		return error("%s: %s passes a %d-byte-aligned argument on the stack; gates align "
			     "stack arguments to 16 bytes", obj, f->name, f->sig.stack_align);
	if (f->sig.va_lists > 1)
		warn("%s: %s takes %d va_lists; its gate copies the first, and another compartment "
		     "reading the others faults", obj, f->name, f->sig.va_lists);
	if (f->sig.stack_bytes > IA2_GATE_MAX_STACK_BYTES)
		return error("%s: %s passes %d bytes on the stack; gates carry at most "
			     "%d bytes for now", obj, f->name, f->sig.stack_bytes,
			     IA2_GATE_MAX_STACK_BYTES);
	return 0;
}

/* One warning per object: hand-written SIMD code has hundreds of gated
 * functions without DWARF, and one line each would bury everything else. */
static void warn_unsigned(const struct dso *d)
{
	for (size_t obj = 0; obj < d->nobjs; obj++) {
		const char *first = NULL, *second = NULL;
		size_t n = 0;
		for (size_t i = 0; i < d->nfuncs; i++) {
			const struct func *f = &d->funcs[i];
			if (f->obj != (int)obj || !f->gated || f->has_sig)
				continue;
			if (n == 0)
				first = f->name;
			else if (n == 1)
				second = f->name;
			n++;
		}
		if (n == 1)
			warn("%s: no DWARF type information for %s (compile with -g); its gate passes "
			     "all argument and return registers and no stack arguments",
			     d->objs[obj].name, first);
		else if (n > 1)
			warn("%s: no DWARF type information for %zu gated functions (%s, %s%s; compile "
			     "with -g); their gates pass all argument and return registers and no stack "
			     "arguments", d->objs[obj].name, n, first, second, n > 2 ? ", ..." : "");
	}
}

/* The name DWARF knows f by: a versioned name (name_versioned_gate) is
 * an alias the assembler made of another symbol at the same place, which
 * is the function's own name. */
static const char *dwarf_name(const struct dso *d, const struct func *f)
{
	if (!strchr(f->name, '@'))
		return f->name;
	for (size_t i = 0; i < d->nfuncs; i++) {
		const struct func *g = &d->funcs[i];
		if (g->obj == f->obj && g->shndx == f->shndx && g->value == f->value &&
		    !strchr(g->name, '@'))
			return g->name;
	}
	return f->name;
}

int read_signatures(struct dso *d)
{
	struct sigtab **tabs = xcalloc(d->nobjs, sizeof *tabs);
	int rc = 0;

	for (size_t i = 0; i < d->nfuncs && !rc; i++) {
		struct func *f = &d->funcs[i];
		if (!f->gated)
			continue;
		if (!tabs[f->obj] && !(tabs[f->obj] = sigtab_read(d->objs[f->obj].path))) {
			rc = -1;
			break;
		}
		f->has_sig = sigtab_find(tabs[f->obj], dwarf_name(d, f), &f->sig);
		if (!f->has_sig)
			conservative_signature(&f->sig);
		rc = check_signature(d, f);
		if (f->sig.variadic)
			widen_variadic(&f->sig);
	}
	for (size_t i = 0; i < d->nobjs; i++)
		if (tabs[i])
			sigtab_free(tabs[i]);
	free(tabs);
	if (!rc)
		warn_unsigned(d);
	return rc;
}
