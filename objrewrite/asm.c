#include "asm.h"
#include "util.h"

#include <errno.h>
#include <string.h>

#include "ia2/gate_abi.h"

int open_out(struct out *out, const char *path, bool emulate)
{
	out->f = fopen(path, "w");
	out->emulate = emulate;
	return out->f ? 0 : error("%s: %s", path, strerror(errno));
}

int close_out(struct out *out, const char *path)
{
	return fclose(out->f) ? error("%s: %s", path, strerror(errno)) : 0;
}

/* rdpkru needs ecx = 0 and writes eax and edx; rcx and rdx may carry
 * arguments, so they wait in r10 and r11, which no argument uses. */
void emit_read_pkru(struct out *out)
{
	if (out->emulate) {
		fprintf(out->f, "\tmov __ia2_pkru@gottpoff(%%rip), %%rax\n"
				"\tmov %%fs:(%%rax), %%eax\n");
		return;
	}
	fprintf(out->f, "\tmov %%rcx, %%r10\n"
		     "\tmov %%rdx, %%r11\n"
		     "\txor %%ecx, %%ecx\n"
		     "\trdpkru\n"
		     "\tmov %%r10, %%rcx\n"
		     "\tmov %%r11, %%rdx\n");
}

/* wrpkru to a constant, then check that the constant is what PKRU now
 * holds: a jump straight to the wrpkru with another eax traps (ERIM). */
void emit_write_pkru(struct out *out, unsigned pkru)
{
	const char *write = out->emulate ? "\tmov __ia2_pkru@gottpoff(%rip), %rcx\n"
					   "\tmov %eax, %fs:(%rcx)\n"
					   "\txor %ecx, %ecx\n"
					 : "\twrpkru\n";

	fprintf(out->f, "\txor %%ecx, %%ecx\n"
		     "\txor %%edx, %%edx\n"
		     "\tmov $%#x, %%eax\n"
		     "%s"
		     "\tcmp $%#x, %%eax\n"
		     "\tjne .Ltrap\n",
		pkru, write, pkru);
}

/* The shared stack pointer is in pkey-0 memory, where any compartment
 * may have pointed it anywhere: k uses it only within this thread's
 * shared stack, whose bounds CTB(k) holds. ctb: a register holding
 * __ia2_ctb's TLS offset; clobbers r10. */
void emit_check_shared_stack(struct out *out, int k, const char *ctb)
{
	fprintf(out->f, "\tmov " IA2_SHARED_STACK_PTR "@gottpoff(%%rip), %%r10\n"
		     "\tmov %%fs:(%%r10), %%r10\n"
		     "\tcmp %%fs:%d(%%%s), %%r10\n"
		     "\tjb .Ltrap\n"
		     "\tcmp %%fs:%d(%%%s), %%r10\n"
		     "\tja .Ltrap\n",
		k * IA2_CTB_SIZE + IA2_CTB_SHARED_LO, ctb, k * IA2_CTB_SIZE + IA2_CTB_SHARED_HI, ctb);
}

/* Registers no argument uses: zeroed so the callee learns nothing of the
 * caller (and back). The final xor also leaves the flags in one state. */
void emit_scrub_vectors(struct out *out, int keep_args, int keep_carried)
{
	for (int i = keep_args; i < 8; i++)
		fprintf(out->f, "\tpxor %%xmm%d, %%xmm%d\n", i, i);
	for (int i = 8 + keep_carried; i < 16; i++)
		fprintf(out->f, "\tpxor %%xmm%d, %%xmm%d\n", i, i);
	/* vzeroupper and the AVX-512 state exist only on CPUs that have them;
	 * __ia2_xfeatures says which, set once at startup (libia2/init.c). */
	fprintf(out->f, "\tmov __ia2_ro@GOTPCREL(%%rip), %%r10\n"
		     "\ttestb $%d, %d(%%r10)\n"
		     "\tjz 1f\n"
		     "\tvzeroupper\n"
		     "1:\ttestb $%d, %d(%%r10)\n"
		     "\tjz 1f\n",
		IA2_XF_AVX, IA2_RO_XFEATURES, IA2_XF_AVX512, IA2_RO_XFEATURES);
	for (int i = 16; i < 32; i++)
		fprintf(out->f, "\tvpxord %%zmm%d, %%zmm%d, %%zmm%d\n", i, i, i);
	for (int i = 0; i < 8; i++)
		fprintf(out->f, "\tkxorq %%k%d, %%k%d, %%k%d\n", i, i, i);
	fprintf(out->f, "1:\n");
}

/* Push the caller's callee-saved registers, its shared stack pointer,
 * the address of the gate `gate` (a hidden symbol; NULL for none), empty argument-copy
 * slots (emit.c, emit_copy_arg, fills them), its sret buffer (rdi) and the
 * result's size, sret_size, or two zeros for none, and link the gate frame
 * into CTB(c), all under the caller's PKRU, in the caller's own memory
 * (gate_abi.h). c is in r11, and then in r14; clobbers rax. */
void emit_save_caller(struct out *out, const char *gate, int sret_size)
{
	static const char *const saved[] = {"rbx", "rbp", "r12", "r13", "r14", "r15"};

	for (size_t i = 0; i < sizeof saved / sizeof *saved; i++)
		fprintf(out->f, "\tpush %%%s\n"
			     "\t.cfi_adjust_cfa_offset 8\n"
			     "\t.cfi_rel_offset %%%s, 0\n",
			saved[i], saved[i]);
	fprintf(out->f, "\tmov " IA2_SHARED_STACK_PTR "@gottpoff(%%rip), %%rax\n"
		     "\tpush %%fs:(%%rax)\n");
	if (gate)
		fprintf(out->f, "\tlea %s(%%rip), %%rax\n\tpush %%rax\n", gate);
	else
		fprintf(out->f, "\tpush $0\n");
	fprintf(out->f, "\tpush $0\n"
		     "\tpush $0\n"
		     "\t.cfi_adjust_cfa_offset 32\n");
	if (sret_size)
		fprintf(out->f, "\tpush %%rdi\n\tpush $%d\n", sret_size);
	else
		fprintf(out->f, "\tpush $0\n\tpush $0\n");
	fprintf(out->f, "\t.cfi_adjust_cfa_offset 16\n"
		     "\tmov %%r11, %%r14\n"
		     "\tshl $12, %%r11\n"
		     "\tadd __ia2_ctb@gottpoff(%%rip), %%r11\n"
		     "\tpush %%fs:%d(%%r11)\n"
		     "\t.cfi_adjust_cfa_offset 8\n"
		     "\tmov %%rsp, %%fs:%d(%%r11)\n",
		IA2_CTB_FRAME, IA2_CTB_FRAME);
}
