/* Function signatures recovered from DWARF, reduced to what a call gate
 * needs: which argument registers are live, how many bytes of stack
 * arguments to copy, and which return registers to keep.
 *
 * Classification follows the System V AMD64 psABI, section 3.2.3
 * ("Parameter Passing"). */
#ifndef IA2_SIGNATURE_H
#define IA2_SIGNATURE_H

#include <stdbool.h>

enum ret_kind {
	RET_VOID,
	RET_REGS,   /* in rax/rdx and/or xmm0/xmm1, see ret_gpr/ret_sse */
	RET_MEMORY, /* sret: caller passes the buffer in rdi, callee returns it in rax */
	RET_X87,    /* long double or complex long double: st0/st1 */
};

/* A parameter that travels alone in an integer register, for copy-arg
 * rules that name parameters (copyarg.c): its name, and whether it is an
 * integer or a pointer, and to what. */
struct reg_param {
	char name[64];      /* "" if it has none, or a longer one */
	int int_size;       /* an integer's (or enum's, or bool's) size, 1..8; 0 if not one */
	bool is_pointer;
	bool to_const;      /* the pointee is const */
	bool to_char;       /* the pointee is a character type */
	int pointee_size;   /* a complete pointee's size and alignment; 0 for void or incomplete */
	int pointee_align;
};

struct signature {
	int gpr_args;    /* integer argument registers used, 0..6 (rdi rsi rdx rcx r8 r9); includes the sret pointer */
	int sse_args;    /* vector argument registers used, 0..8 (xmm0..xmm7) */
	int stack_bytes; /* bytes of arguments passed on the stack, a multiple of 8 */
	int stack_align; /* 8, or the largest alignment of a stack argument */
	bool variadic;
	enum ret_kind ret;
	int ret_gpr;     /* RET_REGS: 0..2 of rax, rdx */
	int ret_sse;     /* RET_REGS: 0..2 of xmm0, xmm1 */
	int ret_size;    /* RET_MEMORY: size of the returned object in bytes */
	/* For copy-arg rules (config.h): how many register arguments point
	 * to a complete struct or union, and the first one's register (0..5,
	 * as gpr_args counts), its pointee's size and alignment, and whether
	 * the pointee is const. */
	int record_ptrs;
	int record_reg;
	int record_size;
	int record_align;
	bool record_const;
	/* How many register arguments are a va_list (3.5.7: a pointer to
	 * struct __va_list_tag), and the first one's register. */
	int va_lists;
	int va_list_reg;
	/* The parameters in integer registers, by register; those that share
	 * registers with others (a struct passed by value) are left out. */
	struct reg_param params[6];
};

/* The integer argument registers in order (3.2.3), as assembly names them. */
extern const char *const gpr_arg[6];

/* A signature cache for one relocatable object, built from its DWARF. */
struct sigtab;

/* Read every subprogram's signature from the DWARF in the ELF object at
 * `path`. Returns NULL with a message on stderr if the file cannot be read;
 * an object without DWARF yields an empty table, not an error. */
struct sigtab *sigtab_read(const char *path);

/* Look up the definition of function `name` (linkage name). Returns false
 * if the object has no type information for it. */
bool sigtab_find(const struct sigtab *t, const char *name, struct signature *out);

void sigtab_free(struct sigtab *t);

#endif
