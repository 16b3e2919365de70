/* Function signatures from DWARF; see signature.h.
 *
 * The object is opened through libdwfl's offline reporting, not
 * dwarf_begin_elf: in a relocatable object the DWARF sections refer to
 * each other (.debug_str, .debug_str_offsets, .debug_line_str, ...)
 * through RELA relocations whose in-place values are 0, and only libdwfl
 * applies them.
 *
 * Section numbers below are those of the System V AMD64 psABI. */

#include "signature.h"
#include "util.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <gelf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_GPR 6 /* rdi rsi rdx rcx r8 r9 */
#define MAX_SSE 8 /* xmm0..xmm7 */

const char *const gpr_arg[MAX_GPR] = {"rdi", "rsi", "rdx", "rcx", "r8", "r9"};

/* The argument classes of 3.2.3. */
enum class { NO_CLASS, INTEGER, SSE, SSEUP, X87, X87UP, COMPLEX_X87, MEMORY };

/* A parameter or return type: its size, alignment and the class of each
 * eightbyte. Only values of at most two eightbytes travel in registers
 * (wider vectors would need AVX; they are MEMORY here, as without -mavx),
 * so two classes suffice. */
struct layout {
	Dwarf_Word size;
	Dwarf_Word align;
	enum class eb[2];
};

struct reader {
	const char *path;
	bool clang;     /* the current unit was compiled by clang */
	char why[256];  /* what the last failure was, for the caller to report */
};

struct entry {
	char *name;
	struct signature sig;
};

struct sigtab {
	struct entry *v;
	size_t len, cap;
};

/* Note why reading failed. The message is printed by whoever decides
 * what the failure costs: one function (add_subprogram) or the whole
 * object (sigtab_read). */
static int fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->why, sizeof r->why, fmt, ap);
	va_end(ap);
	return -1;
}

/* Attribute `at` of `die` as an unsigned constant. Returns 1 if absent. */
static int attr_udata(struct reader *r, Dwarf_Die *die, unsigned int at, Dwarf_Word *out)
{
	Dwarf_Attribute attr;

	if (!dwarf_attr(die, at, &attr))
		return 1;
	if (dwarf_formudata(&attr, out) != 0)
		return fail(r, "attribute 0x%x of DIE 0x%lx: %s", at,
		            (unsigned long)dwarf_dieoffset(die), dwarf_errmsg(-1));
	return 0;
}

/* The DIE named by DW_AT_type, looking through DW_AT_abstract_origin and
 * DW_AT_specification. Returns 1 if there is none (void). */
static int type_of(struct reader *r, Dwarf_Die *die, Dwarf_Die *type)
{
	Dwarf_Attribute attr;

	if (!dwarf_attr_integrate(die, DW_AT_type, &attr))
		return 1;
	if (!dwarf_formref_die(&attr, type))
		return fail(r, "DW_AT_type of DIE 0x%lx: %s",
		            (unsigned long)dwarf_dieoffset(die), dwarf_errmsg(-1));
	return 0;
}

/* `type` without typedefs and qualifiers. */
static int peel(struct reader *r, Dwarf_Die *type, Dwarf_Die *out)
{
	if (dwarf_peel_type(type, out) != 0)
		return fail(r, "cannot follow type DIE 0x%lx to a type", (unsigned long)dwarf_dieoffset(type));
	return 0;
}

static int type_size(struct reader *r, Dwarf_Die *type, Dwarf_Word *size)
{
	if (dwarf_aggregate_size(type, size) != 0)
		return fail(r, "type DIE 0x%lx (tag 0x%x) has no size", (unsigned long)dwarf_dieoffset(type),
		            dwarf_tag(type));
	return 0;
}

static bool is_record(int tag)
{
	return tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
	       tag == DW_TAG_class_type;
}

/* x87 extended precision and IEEE binary128 are both 16-byte floats to
 * DWARF; only the name tells them apart. gcc says "long double",
 * "_Float64x", "_Float128"; clang says "long double", "__float128", and
 * plain "complex" for every complex type, so that a clang complex
 * __float128 passes for a complex long double. */
static bool is_binary128(Dwarf_Die *type)
{
	const char *name = dwarf_diename(type);

	return name && strstr(name, "128");
}

/* Whether DIE `m` is a data member or base class of its record. */
static bool is_field(Dwarf_Die *m)
{
	int tag = dwarf_tag(m);

	/* A C++ static data member is a DW_TAG_member declaration in DWARF 4. */
	return (tag == DW_TAG_member || tag == DW_TAG_inheritance) &&
	       !dwarf_hasattr(m, DW_AT_declaration);
}

/* The type of member or parameter `die`, which must have one. */
static int field_type(struct reader *r, Dwarf_Die *die, Dwarf_Die *type)
{
	int rc = type_of(r, die, type);

	if (rc == 1)
		return fail(r, "DIE 0x%lx has no type", (unsigned long)dwarf_dieoffset(die));
	return rc;
}

static int type_align(struct reader *r, Dwarf_Die *type, Dwarf_Word *align);

/* The alignment of member `m`: _Alignas or its type's. */
static int member_align(struct reader *r, Dwarf_Die *m, Dwarf_Word *align)
{
	Dwarf_Die type;
	int rc = attr_udata(r, m, DW_AT_alignment, align);

	if (rc <= 0)
		return rc;
	if (field_type(r, m, &type) < 0)
		return -1;
	return type_align(r, &type, align);
}

/* The largest alignment among a record's members. */
static int record_align(struct reader *r, Dwarf_Die *rec, Dwarf_Word *align)
{
	Dwarf_Die m;
	Dwarf_Word a, size;
	int rc;

	*align = 1;
	rc = dwarf_child(rec, &m);
	for (; rc == 0; rc = dwarf_siblingof(&m, &m)) {
		if (!is_field(&m))
			continue;
		if (member_align(r, &m, &a) < 0)
			return -1;
		if (a > *align)
			*align = a;
	}
	if (rc < 0)
		return fail(r, "members of DIE 0x%lx: %s", (unsigned long)dwarf_dieoffset(rec), dwarf_errmsg(-1));
	/* A size that is not a multiple of the members' alignment means
	 * __attribute__((packed)), which DWARF does not record. */
	if (type_size(r, rec, &size) < 0)
		return -1;
	if (size % *align != 0)
		*align = 1;
	return 0;
}

/* The alignment of `type`: DW_AT_alignment where the source asked for one
 * (on the type or on any typedef on the way to it), else the natural one. */
static int type_align(struct reader *r, Dwarf_Die *type, Dwarf_Word *align)
{
	Dwarf_Die t = *type, elem;
	Dwarf_Word size, enc;
	int tag, rc;

	for (;;) {
		rc = attr_udata(r, &t, DW_AT_alignment, align);
		if (rc <= 0)
			return rc;
		tag = dwarf_tag(&t);
		if (tag != DW_TAG_typedef && tag != DW_TAG_const_type && tag != DW_TAG_volatile_type &&
		    tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type)
			break;
		if (field_type(r, &t, &t) < 0)
			return -1;
	}
	if (is_record(tag))
		return record_align(r, &t, align);
	if (tag == DW_TAG_array_type && !dwarf_hasattr(&t, DW_AT_GNU_vector))
		return field_type(r, &t, &elem) < 0 ? -1 : type_align(r, &elem, align);
	/* Scalars and vectors are aligned to their size, complex numbers to
	 * the size of one part (3.1.2, figure 3.1). */
	if (type_size(r, &t, &size) < 0)
		return -1;
	if (tag == DW_TAG_base_type) {
		rc = attr_udata(r, &t, DW_AT_encoding, &enc);
		if (rc < 0)
			return -1;
		if (rc == 0 && enc == DW_ATE_complex_float)
			size /= 2;
	}
	*align = size ? size : 1;
	return 0;
}

/* Merge two classes of the same eightbyte, 3.2.3 step 4 of the
 * aggregate rules. */
static enum class merge(enum class a, enum class b)
{
	if (a == b)
		return a;
	if (a == NO_CLASS)
		return b;
	if (b == NO_CLASS)
		return a;
	if (a == MEMORY || b == MEMORY)
		return MEMORY;
	if (a == INTEGER || b == INTEGER)
		return INTEGER;
	if (a == X87 || a == X87UP || a == COMPLEX_X87 ||
	    b == X87 || b == X87UP || b == COMPLEX_X87)
		return MEMORY;
	return SSE;
}

/* Merge `c` into every eightbyte that bytes [off, off+size) touch. */
static int mark(struct reader *r, enum class eb[2], Dwarf_Word off, Dwarf_Word size, enum class c)
{
	if (size == 0)
		return 0;
	if (off + size > 16)
		return fail(r, "field at offset %lu, size %lu lies outside its 16-byte object",
		            (unsigned long)off, (unsigned long)size);
	for (Dwarf_Word i = off / 8; i <= (off + size - 1) / 8; i++)
		eb[i] = merge(eb[i], c);
	return 0;
}

/* A scalar of `size` bytes at `off`: class `lo` for its first eightbyte,
 * `hi` for the second if it has one (3.2.3, "Classification"). */
static int mark_scalar(struct reader *r, enum class eb[2], Dwarf_Word off, Dwarf_Word size,
                       enum class lo, enum class hi)
{
	if (size <= 8)
		return mark(r, eb, off, size, lo);
	return mark(r, eb, off, 8, lo) < 0 ? -1 : mark(r, eb, off + 8, size - 8, hi);
}

static int classify(struct reader *r, Dwarf_Die *type, Dwarf_Word off, enum class eb[2]);

static int classify_base(struct reader *r, Dwarf_Die *type, Dwarf_Word off, enum class eb[2])
{
	Dwarf_Word enc, size;

	if (attr_udata(r, type, DW_AT_encoding, &enc) != 0)
		return fail(r, "base type DIE 0x%lx without an encoding", (unsigned long)dwarf_dieoffset(type));
	if (type_size(r, type, &size) < 0)
		return -1;
	switch (enc) {
	case DW_ATE_float:
		/* long double is X87, X87UP; __float128 is SSE, SSEUP. */
		if (size == 16 && !is_binary128(type))
			return mark_scalar(r, eb, off, size, X87, X87UP);
		return mark_scalar(r, eb, off, size, SSE, SSEUP);
	case DW_ATE_decimal_float:
		return mark_scalar(r, eb, off, size, SSE, SSEUP);
	case DW_ATE_complex_float:
		/* complex float and double are pairs of SSE values. complex
		 * long double is COMPLEX_X87; complex __float128 is a
		 * 32-byte struct, so MEMORY. Neither is ever a member of a
		 * 16-byte aggregate, so the whole of `eb` is theirs. */
		if (size <= 16)
			return mark_scalar(r, eb, off, size, SSE, SSE);
		eb[0] = is_binary128(type) ? MEMORY : COMPLEX_X87;
		return 0;
	default:
		/* Integers, bool, characters; __int128 is two INTEGERs and
		 * a _BitInt wider than that is MEMORY. */
		if (size > 16) {
			eb[0] = MEMORY;
			return 0;
		}
		return mark_scalar(r, eb, off, size, INTEGER, INTEGER);
	}
}

/* Each element of an array member is classified as a field of its own.
 * A flexible array member has no size and takes no part (see
 * classify_record for clang's view of it). */
static int classify_array(struct reader *r, Dwarf_Die *type, Dwarf_Word off, enum class eb[2])
{
	Dwarf_Die elem;
	Dwarf_Word size, esize;

	if (dwarf_aggregate_size(type, &size) != 0)
		return 0;
	if (field_type(r, type, &elem) < 0 || type_size(r, &elem, &esize) < 0)
		return -1;
	for (Dwarf_Word at = 0; esize && at < size; at += esize)
		if (classify(r, &elem, off + at, eb) < 0)
			return -1;
	return 0;
}

/* Where member `m` starts, in bits from the start of its record. */
static int member_bit_offset(struct reader *r, Dwarf_Die *m, Dwarf_Word bits, Dwarf_Word *start)
{
	Dwarf_Word loc = 0, bit_off, storage;
	Dwarf_Die type;
	int rc;

	rc = attr_udata(r, m, DW_AT_data_bit_offset, start);
	if (rc <= 0)
		return rc;
	if (attr_udata(r, m, DW_AT_data_member_location, &loc) < 0)
		return -1;
	rc = attr_udata(r, m, DW_AT_bit_offset, &bit_off);
	if (rc < 0)
		return -1;
	if (rc == 1) {
		*start = loc * 8;
		return 0;
	}
	/* DWARF 2/3 bitfields (clang -gdwarf-4): DW_AT_bit_offset counts from
	 * the most significant bit of a storage unit of DW_AT_byte_size. */
	rc = attr_udata(r, m, DW_AT_byte_size, &storage);
	if (rc < 0 || (rc == 1 && (field_type(r, m, &type) < 0 || type_size(r, &type, &storage) < 0)))
		return -1;
	*start = loc * 8 + storage * 8 - bit_off - bits;
	return 0;
}

/* A bitfield makes INTEGER every eightbyte its bits touch. */
static int classify_bitfield(struct reader *r, Dwarf_Die *m, Dwarf_Word off, Dwarf_Word bits, enum class eb[2])
{
	Dwarf_Word start, first, last;

	if (bits == 0) /* int : 0 only pads */
		return 0;
	if (member_bit_offset(r, m, bits, &start) < 0)
		return -1;
	first = start / 8;
	last = (start + bits - 1) / 8;
	return mark(r, eb, off + first, last - first + 1, INTEGER);
}

static int classify_member(struct reader *r, Dwarf_Die *m, Dwarf_Word off, enum class eb[2])
{
	Dwarf_Die type;
	Dwarf_Word loc = 0, bits, align;
	int rc;

	rc = attr_udata(r, m, DW_AT_bit_size, &bits);
	if (rc < 0)
		return -1;
	if (rc == 0)
		return classify_bitfield(r, m, off, bits, eb);
	/* Union members have no location: they all start at 0. */
	if (attr_udata(r, m, DW_AT_data_member_location, &loc) < 0 || field_type(r, m, &type) < 0 ||
	    member_align(r, m, &align) < 0)
		return -1;
	/* 3.2.3 aggregate rule 1: unaligned fields make the whole MEMORY. */
	if (loc % align != 0) {
		eb[0] = MEMORY;
		return 0;
	}
	return classify(r, &type, off + loc, eb);
}

/* Whether member `m` is a flexible array member: an array without a
 * size (a GNU zero-length array has DW_AT_count 0, hence a size). */
static int is_flexible_array(struct reader *r, Dwarf_Die *m)
{
	Dwarf_Die type, t;
	Dwarf_Word size;

	if (field_type(r, m, &type) < 0 || peel(r, &type, &t) < 0)
		return -1;
	return dwarf_tag(&t) == DW_TAG_array_type && dwarf_aggregate_size(&t, &size) != 0;
}

static int classify_record(struct reader *r, Dwarf_Die *rec, Dwarf_Word off, enum class eb[2])
{
	Dwarf_Die m;
	int rc;

	rc = dwarf_child(rec, &m);
	for (; rc == 0; rc = dwarf_siblingof(&m, &m)) {
		if (!is_field(&m))
			continue;
		/* clang passes every record with a flexible array member in
		 * memory ("assume variable sized types are passed in
		 * memory"); gcc ignores the array, as the psABI does. */
		if (r->clang) {
			int flex = is_flexible_array(r, &m);
			if (flex < 0)
				return -1;
			if (flex) {
				eb[0] = MEMORY;
				return 0;
			}
		}
		if (classify_member(r, &m, off, eb) < 0)
			return -1;
	}
	if (rc < 0)
		return fail(r, "members of DIE 0x%lx: %s", (unsigned long)dwarf_dieoffset(rec), dwarf_errmsg(-1));
	return 0;
}

/* Merge the classes of `type`, placed at byte `off` of a value of at most
 * 16 bytes, into `eb`. */
static int classify(struct reader *r, Dwarf_Die *type, Dwarf_Word off, enum class eb[2])
{
	Dwarf_Die t;
	Dwarf_Word size;
	int tag;

	if (peel(r, type, &t) < 0)
		return -1;
	tag = dwarf_tag(&t);
	if (tag == DW_TAG_base_type)
		return classify_base(r, &t, off, eb);
	if (is_record(tag))
		return classify_record(r, &t, off, eb);
	if (tag == DW_TAG_array_type && !dwarf_hasattr(&t, DW_AT_GNU_vector))
		return classify_array(r, &t, off, eb);
	if (type_size(r, &t, &size) < 0)
		return -1;
	/* __m64 is SSE, __m128 is SSE, SSEUP. Wider vectors never get here:
	 * they are over 16 bytes. */
	if (tag == DW_TAG_array_type)
		return mark_scalar(r, eb, off, size, SSE, SSEUP);
	if (tag == DW_TAG_pointer_type || tag == DW_TAG_reference_type ||
	    tag == DW_TAG_rvalue_reference_type || tag == DW_TAG_enumeration_type)
		return mark_scalar(r, eb, off, size, INTEGER, INTEGER);
	return fail(r, "type DIE 0x%lx has unsupported tag 0x%x", (unsigned long)dwarf_dieoffset(&t), tag);
}

/* The post merger cleanup of 3.2.3 step 5. Rule (c), for objects over two
 * eightbytes, was applied before classifying. */
static void post_merge(struct layout *l)
{
	if (l->eb[0] == MEMORY || l->eb[1] == MEMORY)
		l->eb[0] = l->eb[1] = MEMORY;
	if (l->eb[1] == X87UP && l->eb[0] != X87)
		l->eb[0] = l->eb[1] = MEMORY;
	if (l->eb[1] == SSEUP && l->eb[0] != SSE)
		l->eb[1] = SSE;
}

static int layout_of(struct reader *r, Dwarf_Die *type, struct layout *l)
{
	Dwarf_Die t;

	if (peel(r, type, &t) < 0 || type_size(r, &t, &l->size) < 0 || type_align(r, type, &l->align) < 0)
		return -1;
	l->eb[0] = l->eb[1] = NO_CLASS;
	/* 3.2.3: an aggregate over two eightbytes is MEMORY unless it is
	 * one wide vector, and those we treat as MEMORY anyway. A scalar
	 * that big (complex long double) has its own class. */
	if (l->size > 16 && dwarf_tag(&t) != DW_TAG_base_type) {
		l->eb[0] = l->eb[1] = MEMORY;
		return 0;
	}
	if (classify(r, &t, 0, l->eb) < 0)
		return -1;
	post_merge(l);
	return 0;
}

static int count_class(const struct layout *l, enum class c)
{
	return (l->eb[0] == c) + (l->eb[1] == c);
}

/* Whether an argument of layout `l` must be passed in memory: MEMORY, and
 * X87, X87UP and COMPLEX_X87, which 3.2.3 passes in memory too. */
static bool needs_memory(const struct layout *l)
{
	for (int i = 0; i < 2; i++)
		if (l->eb[i] == MEMORY || l->eb[i] == X87 || l->eb[i] == X87UP || l->eb[i] == COMPLEX_X87)
			return true;
	return false;
}

/* Stack arguments take eightbytes, each aligned to 8 or to its type's
 * alignment if larger (3.2.3, "Parameter Passing", and figure 3.3). */
static void push_stack(struct signature *s, const struct layout *l)
{
	int align = l->align > 8 ? (int)l->align : 8;

	s->stack_bytes = (s->stack_bytes + align - 1) / align * align;
	s->stack_bytes += (int)((l->size + 7) / 8 * 8);
	if (align > s->stack_align)
		s->stack_align = align;
}

/* 3.2.3: an argument goes in registers only if all its eightbytes fit in
 * the registers left; otherwise the whole of it goes on the stack and the
 * registers stay free for later arguments. */
static void assign_arg(struct signature *s, const struct layout *l)
{
	int gpr = count_class(l, INTEGER), sse = count_class(l, SSE);

	if (!needs_memory(l) && s->gpr_args + gpr <= MAX_GPR && s->sse_args + sse <= MAX_SSE) {
		s->gpr_args += gpr;
		s->sse_args += sse;
		return;
	}
	push_stack(s, l);
}

/* 3.2.3, "Returning of Values". A MEMORY value is returned through a
 * buffer whose address the caller passes in rdi, ahead of all arguments. */
static void assign_return(struct signature *s, const struct layout *l)
{
	if (l->eb[0] == X87 || l->eb[0] == COMPLEX_X87) {
		s->ret = RET_X87;
	} else if (l->eb[0] == MEMORY) {
		s->ret = RET_MEMORY;
		s->ret_size = (int)l->size;
		s->gpr_args = 1;
	} else {
		s->ret = RET_REGS;
		s->ret_gpr = count_class(l, INTEGER);
		s->ret_sse = count_class(l, SSE);
	}
}

/* The type `ptr` points to, through typedefs and qualifiers; *is_const
 * says whether a const was among them. Returns 1 for void. */
static int pointee(struct reader *r, Dwarf_Die *ptr, Dwarf_Die *out, bool *is_const)
{
	int rc = type_of(r, ptr, out);

	*is_const = false;
	for (; rc == 0; rc = type_of(r, out, out)) {
		int tag = dwarf_tag(out);
		if (tag == DW_TAG_const_type)
			*is_const = true;
		else if (tag != DW_TAG_typedef && tag != DW_TAG_volatile_type &&
			 tag != DW_TAG_restrict_type && tag != DW_TAG_atomic_type)
			return 0;
	}
	return rc;
}

/* 3.5.7: va_list is an array of one struct __va_list_tag, so a va_list
 * parameter is a pointer to it; gcc and clang both name the struct. */
static bool is_va_list_tag(Dwarf_Die *rec)
{
	const char *name = dwarf_diename(rec);

	return name && !strcmp(name, "__va_list_tag");
}

/* Note parameter type `type` if it is a va_list, or a pointer to a
 * complete struct or union, that travels in the next integer register. */
static int note_pointer_argument(struct reader *r, Dwarf_Die *type, struct signature *s)
{
	Dwarf_Die t, rec;
	Dwarf_Word size, align;
	bool is_const;
	int rc;

	if (peel(r, type, &t) < 0)
		return -1;
	if (dwarf_tag(&t) != DW_TAG_pointer_type || s->gpr_args >= MAX_GPR)
		return 0;
	rc = pointee(r, &t, &rec, &is_const);
	if (rc != 0 || !is_record(dwarf_tag(&rec)) || dwarf_hasattr(&rec, DW_AT_declaration))
		return rc < 0 ? -1 : 0;
	if (is_va_list_tag(&rec)) {
		if (s->va_lists++ == 0)
			s->va_list_reg = s->gpr_args;
		return 0;
	}
	/* Only the first is described, so only its size and alignment (a
	 * walk of every member) are worth reading. */
	if (s->record_ptrs++ > 0)
		return 0;
	if (type_size(r, &rec, &size) < 0 || type_align(r, &rec, &align) < 0)
		return -1;
	s->record_reg = s->gpr_args;
	s->record_size = size > INT_MAX ? INT_MAX : (int)size;
	s->record_align = (int)align;
	s->record_const = is_const;
	return 0;
}

/* What a copy-arg rule may ask of parameter `die` of type `type`, which
 * travels alone in an integer register (signature.h). */
static int note_reg_param(struct reader *r, Dwarf_Die *die, Dwarf_Die *type, struct reg_param *p)
{
	const char *name = dwarf_diename(die);
	Dwarf_Die t, pt, base;
	Dwarf_Word size, align, enc;
	int rc;

	memset(p, 0, sizeof *p);
	if (name && strlen(name) < sizeof p->name)
		strcpy(p->name, name);
	if (peel(r, type, &t) < 0)
		return -1;
	if (dwarf_tag(&t) == DW_TAG_base_type || dwarf_tag(&t) == DW_TAG_enumeration_type) {
		if (type_size(r, &t, &size) < 0)
			return -1;
		p->int_size = size <= 8 ? (int)size : 0;
		return 0;
	}
	if (dwarf_tag(&t) != DW_TAG_pointer_type)
		return 0;
	p->is_pointer = true;
	rc = pointee(r, &t, &pt, &p->to_const);
	if (rc != 0 || dwarf_hasattr(&pt, DW_AT_declaration) || dwarf_tag(&pt) == DW_TAG_subroutine_type)
		return rc < 0 ? -1 : 0;
	if (type_size(r, &pt, &size) < 0 || type_align(r, &pt, &align) < 0)
		return -1;
	p->pointee_size = size > INT_MAX ? INT_MAX : (int)size;
	p->pointee_align = (int)align;
	if (peel(r, &pt, &base) < 0)
		return -1;
	p->to_char = dwarf_tag(&base) == DW_TAG_base_type && size == 1 &&
		     attr_udata(r, &base, DW_AT_encoding, &enc) == 0 &&
		     (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char);
	return 0;
}

/* The signature of subprogram `fn`. An out-of-line copy of an inlined
 * function (or a clone) refers to its abstract instance for the
 * declared parameters. */
static int read_signature(struct reader *r, Dwarf_Die *fn, struct signature *s)
{
	Dwarf_Attribute attr;
	Dwarf_Die decl = *fn, child, type;
	struct layout l;
	int rc;

	if (dwarf_attr(fn, DW_AT_abstract_origin, &attr) && !dwarf_formref_die(&attr, &decl))
		return fail(r, "DW_AT_abstract_origin: %s", dwarf_errmsg(-1));
	memset(s, 0, sizeof *s);
	s->stack_align = 8;
	s->ret = RET_VOID;
	rc = type_of(r, fn, &type);
	if (rc < 0 || (rc == 0 && layout_of(r, &type, &l) < 0))
		return -1;
	if (rc == 0)
		assign_return(s, &l);

	rc = dwarf_child(&decl, &child);
	for (; rc == 0; rc = dwarf_siblingof(&child, &child)) {
		if (dwarf_tag(&child) == DW_TAG_unspecified_parameters)
			s->variadic = true;
		if (dwarf_tag(&child) != DW_TAG_formal_parameter)
			continue;
		int gpr = s->gpr_args;
		if (field_type(r, &child, &type) < 0 || layout_of(r, &type, &l) < 0 ||
		    note_pointer_argument(r, &type, s) < 0)
			return -1;
		assign_arg(s, &l);
		if (s->gpr_args == gpr + 1 && l.size <= 8 && note_reg_param(r, &child, &type, &s->params[gpr]) < 0)
			return -1;
	}
	if (rc < 0)
		return fail(r, "parameters: %s", dwarf_errmsg(-1));
	return 0;
}

/* The symbol name of subprogram `fn`, or NULL. Clones and out-of-line
 * copies carry their name on the abstract instance. */
static const char *function_name(Dwarf_Die *fn)
{
	Dwarf_Attribute attr;

	if (dwarf_attr_integrate(fn, DW_AT_linkage_name, &attr) ||
	    dwarf_attr_integrate(fn, DW_AT_MIPS_linkage_name, &attr) ||
	    dwarf_attr_integrate(fn, DW_AT_name, &attr))
		return dwarf_formstring(&attr);
	return NULL;
}

static void add_entry(struct sigtab *t, const char *name, const struct signature *s)
{
	if (t->len == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = xrealloc(t->v, t->cap * sizeof *t->v);
	}
	t->v[t->len].name = xstrdup(name);
	t->v[t->len++].sig = *s;
}

/* gas describes assembly functions (binutils 2.40 and later) with a
 * DW_TAG_unspecified_type return and no parameters: nothing is known. */
static bool untyped(Dwarf_Die *fn)
{
	Dwarf_Attribute attr;
	Dwarf_Die type;

	return dwarf_attr_integrate(fn, DW_AT_type, &attr) && dwarf_formref_die(&attr, &type) &&
	       dwarf_tag(&type) == DW_TAG_unspecified_type;
}

/* Record subprogram `fn` if it is a definition. One whose types cannot be
 * classified is reported and left out, so that sigtab_find fails for it
 * alone rather than the whole object. */
static void add_subprogram(struct reader *r, Dwarf_Die *fn, struct sigtab *t)
{
	struct signature s;
	const char *name;

	if (dwarf_hasattr(fn, DW_AT_declaration) || untyped(fn))
		return;
	name = function_name(fn);
	if (!name)
		return;
	if (read_signature(r, fn, &s) < 0) {
		warn("%s: %s: %s; no signature recorded", r->path, name, r->why);
		return;
	}
	add_entry(t, name, &s);
}

/* Visit every DIE under `die`: subprograms also hide in namespaces,
 * classes and (GNU C nested functions) other subprograms. */
static int walk(struct reader *r, Dwarf_Die *die, struct sigtab *t)
{
	Dwarf_Die child;
	int rc;

	rc = dwarf_child(die, &child);
	for (; rc == 0; rc = dwarf_siblingof(&child, &child)) {
		if (dwarf_tag(&child) == DW_TAG_subprogram)
			add_subprogram(r, &child, t);
		if (walk(r, &child, t) < 0)
			return -1;
	}
	if (rc < 0)
		return fail(r, "DIE 0x%lx: %s", (unsigned long)dwarf_dieoffset(die), dwarf_errmsg(-1));
	return 0;
}

/* Whether the object has a .debug_info section. Without one there is
 * nothing to read, which is not an error. */
static int has_debug_info(struct reader *r, Dwfl_Module *mod)
{
	Dwarf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;
	size_t shstrndx;
	const char *name;

	if (!elf)
		return fail(r, "dwfl_module_getelf: %s", dwfl_errmsg(-1));
	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return fail(r, "elf_getshdrstrndx: %s", elf_errmsg(-1));
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr))
			return fail(r, "gelf_getshdr: %s", elf_errmsg(-1));
		name = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (name && strcmp(name, ".debug_info") == 0)
			return 1;
	}
	return 0;
}

static bool compiled_by_clang(Dwarf_Die *cudie)
{
	Dwarf_Attribute attr;
	const char *producer = NULL;

	if (dwarf_attr(cudie, DW_AT_producer, &attr))
		producer = dwarf_formstring(&attr);
	return producer && strstr(producer, "clang");
}

static int read_units(struct reader *r, Dwarf *dw, struct sigtab *t)
{
	Dwarf_CU *cu = NULL;
	Dwarf_Die cudie;
	uint8_t unit_type;
	int rc;

	while ((rc = dwarf_get_units(dw, cu, &cu, NULL, &unit_type, &cudie, NULL)) == 0) {
		if (unit_type != DW_UT_compile && unit_type != DW_UT_partial)
			continue;
		r->clang = compiled_by_clang(&cudie);
		if (walk(r, &cudie, t) < 0)
			return -1;
	}
	if (rc < 0)
		return fail(r, "dwarf_get_units: %s", dwarf_errmsg(-1));
	return 0;
}

static const Dwfl_Callbacks offline_callbacks = {
	.find_debuginfo = dwfl_standard_find_debuginfo,
	.section_address = dwfl_offline_section_address,
};

static int read_object(struct reader *r, Dwfl *dwfl, struct sigtab *t)
{
	Dwfl_Module *mod;
	Dwarf *dw;
	Dwarf_Addr bias;
	int rc;

	mod = dwfl_report_offline(dwfl, r->path, r->path, -1);
	if (!mod)
		return fail(r, "%s", dwfl_errmsg(-1));
	if (dwfl_report_end(dwfl, NULL, NULL) != 0)
		return fail(r, "dwfl_report_end: %s", dwfl_errmsg(-1));
	rc = has_debug_info(r, mod);
	if (rc <= 0)
		return rc;
	/* For ET_REL this applies the relocations to the DWARF sections. */
	dw = dwfl_module_getdwarf(mod, &bias);
	if (!dw)
		return fail(r, "dwfl_module_getdwarf: %s", dwfl_errmsg(-1));
	return read_units(r, dw, t);
}

static int compare_entries(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

struct sigtab *sigtab_read(const char *path)
{
	struct reader r = { .path = path };
	struct sigtab *t;
	Dwfl *dwfl;

	dwfl = dwfl_begin(&offline_callbacks);
	if (!dwfl) {
		error("%s: dwfl_begin: %s", path, dwfl_errmsg(-1));
		return NULL;
	}
	t = xcalloc(1, sizeof *t);
	if (read_object(&r, dwfl, t) < 0) {
		error("%s: %s", path, r.why);
		sigtab_free(t);
		t = NULL;
	}
	dwfl_end(dwfl);
	if (t && t->len)
		qsort(t->v, t->len, sizeof *t->v, compare_entries);
	return t;
}

bool sigtab_find(const struct sigtab *t, const char *name, struct signature *out)
{
	struct entry key = { .name = (char *)name };
	const struct entry *e;

	if (t->len == 0)
		return false;
	e = bsearch(&key, t->v, t->len, sizeof *t->v, compare_entries);
	if (!e)
		return false;
	*out = e->sig;
	return true;
}

void sigtab_free(struct sigtab *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->len; i++)
		free(t->v[i].name);
	free(t->v);
	free(t);
}
