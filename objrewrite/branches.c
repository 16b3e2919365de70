/* emit: the DSO's indirect-branch thunks (docs/design.md, "Indirect
 * calls").
 *
 * ia2-cc compiles with gcc's -mindirect-branch=thunk-extern (clang's
 * -mretpoline-external-thunk), so every indirect call and jump of the
 * program's code, a call through a function pointer, a tail call through
 * one, a jump table, becomes a call or jump to __x86_indirect_thunk_REG,
 * which each link must define. A compartment DSO's thunks go straight to
 * a target inside the DSO's own image; any other target is first checked
 * by libia2 (__ia2_indirect_slow), which stops the program unless the
 * caller's compartment may run that code with its rights: a pointer to
 * another compartment's code is good only at one of its gates.
 *
 * The thunks keep every register and the stack as the branch found them
 * (a jump table's code keeps values in any register), but the flags,
 * which no code expects to carry over a call or jump through a pointer.
 * gcc gives no red zone to a function with an indirect jump once the
 * jumps go through thunks (i386.cc, ix86_red_zone_used), but the slow
 * path steps over one anyway. The image's bounds sit in RELRO, which
 * no compartment can write (memory_policy.c). */
#include "asm.h"
#include "rewrite.h"

static const char *const branch_regs[] = {"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp",
					  "r8",  "r9",  "r10", "r11", "r12", "r13", "r14", "r15"};

/* The slow half calls libia2; a DSO's own thunk tries its image first. */
static void emit_thunk(struct out *out, const char *reg, bool own_image)
{
	fprintf(out->f, "\n\t.p2align 4\n\t.globl __x86_indirect_thunk_%s\n", reg);
	if (own_image)
		fprintf(out->f, "\t.hidden __x86_indirect_thunk_%s\n", reg);
	fprintf(out->f, "\t.type __x86_indirect_thunk_%s, @function\n"
		     "__x86_indirect_thunk_%s:\n",
		reg, reg);
	if (own_image)
		fprintf(out->f, "\tcmp .Lia2_image_lo(%%rip), %%%s\n"
			     "\tjb 1f\n"
			     "\tcmp .Lia2_image_hi(%%rip), %%%s\n"
			     "\tjae 1f\n"
			     "\tjmp *%%%s\n"
			     "1:",
			reg, reg, reg);
	fprintf(out->f, "\tlea -128(%%rsp), %%rsp\n"
		     "\tpush %%%s\n"
		     "\tcall __ia2_indirect_slow@PLT\n"
		     "\tpop %%%s\n"
		     "\tlea 128(%%rsp), %%rsp\n"
		     "\tjmp *%%%s\n"
		     "\t.size __x86_indirect_thunk_%s, .-__x86_indirect_thunk_%s\n",
		reg, reg, reg, reg, reg);
}

void emit_branch_thunks(struct out *out)
{
	fprintf(out->f, "\n\t.section .data.rel.ro, \"aw\"\n"
		     "\t.p2align 3\n"
		     "\t.hidden __ehdr_start\n"
		     "\t.hidden _end\n"
		     ".Lia2_image_lo:\n\t.quad __ehdr_start\n"
		     ".Lia2_image_hi:\n\t.quad _end\n"
		     "\t.text\n");
	for (size_t i = 0; i < sizeof branch_regs / sizeof *branch_regs; i++)
		emit_thunk(out, branch_regs[i], true);
}

void emit_runtime_branch_thunks(struct out *out)
{
	for (size_t i = 0; i < sizeof branch_regs / sizeof *branch_regs; i++)
		emit_thunk(out, branch_regs[i], false);
}

int write_plain_branch_thunks(const char *asm_path)
{
	struct out o;

	if (open_out(&o, asm_path, false))
		return -1;
	fprintf(o.f, "# indirect-branch thunks of a link without a compartment (objrewrite/branches.c)\n"
		     "\t.text\n");
	for (size_t i = 0; i < sizeof branch_regs / sizeof *branch_regs; i++)
		fprintf(o.f, "\t.weak __x86_indirect_thunk_%s\n"
			     "\t.hidden __x86_indirect_thunk_%s\n"
			     "\t.type __x86_indirect_thunk_%s, @function\n"
			     "__x86_indirect_thunk_%s:\n"
			     "\tjmp *%%%s\n",
			branch_regs[i], branch_regs[i], branch_regs[i], branch_regs[i],
			branch_regs[i]);
	fprintf(o.f, "\t.section .note.GNU-stack, \"\", @progbits\n");
	return close_out(&o, asm_path);
}
