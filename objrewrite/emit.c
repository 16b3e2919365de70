/* emit: write the DSO's call gates as assembly (docs/design.md, "Gate ABI").
 *
 * A gate is entered by any caller. It reads PKRU to learn the caller's
 * compartment c: 1..14, or 0 for code outside every compartment, libc and
 * ld.so after libia2's startup, whose PKRU(0) opens pkey 0 alone. If c is
 * the gate's own compartment k (or the startup state) it jumps straight
 * to the body. Otherwise, under the caller's
 * PKRU, it saves the caller's callee-saved registers and a frame link on
 * the caller's stack and records the frame in CTB(c); then one wrpkru to
 * the constant PKRU(k), a switch to k's stack, a scrub, and the call. On
 * return it scrubs again and jumps to libia2's __ia2_return_to_<c>, whose
 * one wrpkru to the constant PKRU(c) is the second of the round trip. */
#include "asm.h"
#include "rewrite.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

#include "ia2/gate_abi.h"
#include "ia2/pkru.h"

/* A variadic callee gets al, which its gate kept in r15 (emit_gate). */
static void emit_scrub_entry(struct out *out, const struct signature *s)
{
	static const char *const always[] = {"rbx", "rbp", "r10", "r11",
					     "r12", "r13", "r14", "r15"};

	if (s->variadic)
		fprintf(out->f, "\tmovzbl %%r15b, %%eax\n");
	else
		fprintf(out->f, "\txor %%eax, %%eax\n");
	emit_scrub_vectors(out, s->sse_args, 0);
	for (int i = s->gpr_args; i < 6; i++)
		fprintf(out->f, "\txor %%%s, %%%s\n", gpr_arg[i], gpr_arg[i]);
	for (size_t i = 0; i < sizeof always / sizeof *always; i++)
		fprintf(out->f, "\txor %%%s, %%%s\n", always[i], always[i]);
	fprintf(out->f, "\tcld\n");
}

/* Chunks of 16 bytes an sret result travels in, from xmm8 on. */
static int sret_chunks(const struct signature *s)
{
	return s->ret == RET_MEMORY ? (s->ret_size + 15) / 16 : 0;
}

/* After the body: only the return registers survive; r11 holds c.
 * rbx, rbp and r12-r15 are reloaded from the caller's frame by the
 * return stub, so the callee's values never reach the caller. */
static void emit_scrub_return(struct out *out, const struct signature *s)
{
	static const char *const always[] = {"rcx", "rsi", "rdi", "r8", "r9", "r10"};
	int gpr = s->ret == RET_REGS ? s->ret_gpr : 0;
	int sse = s->ret == RET_REGS ? s->ret_sse : 0;

	emit_scrub_vectors(out, sse, sret_chunks(s));
	if (gpr < 1)
		fprintf(out->f, "\txor %%eax, %%eax\n");
	if (gpr < 2)
		fprintf(out->f, "\txor %%edx, %%edx\n");
	for (size_t i = 0; i < sizeof always / sizeof *always; i++)
		fprintf(out->f, "\txor %%%s, %%%s\n", always[i], always[i]);
	fprintf(out->f, "\tcld\n");
}

static void emit_symbol_header(struct out *out, const struct func *f)
{
	fprintf(out->f, "\n\t.p2align 4\n");
	if (f->bind == STB_WEAK)
		fprintf(out->f, "\t.weak %s\n", f->gate);
	else
		fprintf(out->f, "\t.globl %s\n", f->gate);
	/* A renamed gate keeps the function's visibility. */
	if (!f->renamed || f->vis == STV_HIDDEN || f->vis == STV_INTERNAL)
		fprintf(out->f, "\t.hidden %s\n", f->gate);
	else if (f->vis == STV_PROTECTED)
		fprintf(out->f, "\t.protected %s\n", f->gate);
	if (f->renamed)
		fprintf(out->f, "\t.globl %s\n\t.hidden %s\n%s:\n", f->gate_local, f->gate_local,
			f->gate_local);
	fprintf(out->f, "\t.type %s, @function\n%s:\n\tendbr64\n", f->gate, f->gate);
	/* The plain label goes; the versioned name stays, the gate's
	 * binding and visibility with it (GNU as 2.35, .symver's remove). */
	if (f->symver)
		fprintf(out->f, "\t.symver %s, %s, remove\n", f->gate, f->symver);
}

/* eax holds the caller's PKRU. Valid values open exactly pkey 0 and one
 * pkey c of a compartment, or pkey 0 alone, PKRU(0) (pkru.h); anything
 * else, the runtime's own pkey included, traps. Leaves c in r11. */
static void emit_caller_compartment(struct out *out, const struct func *f)
{
	fprintf(out->f, "\txor %%r11d, %%r11d\n"
		     "\tcmp $%#x, %%eax\n"
		     "\tje .Lcaller.%s\n"
		     "\tnot %%eax\n"
		     "\tand $-4, %%eax\n"
		     "\tbsf %%eax, %%r11d\n"
		     "\tjz .Ltrap\n"
		     "\tmov $3, %%r10d\n"
		     "\tshlx %%r11d, %%r10d, %%r10d\n"
		     "\tcmp %%eax, %%r10d\n"
		     "\tjne .Ltrap\n"
		     "\tshr $1, %%r11d\n"
		     "\tcmp $%d, %%r11d\n"
		     "\tja .Ltrap\n"
		     ".Lcaller.%s:\n",
		IA2_PKRU(0), f->gate, IA2_LAST_COMPARTMENT, f->gate);
}

/* rep movsb takes rdi, rsi and rcx, which may carry arguments: they wait
 * in rbx, rbp and r15, which emit_save_caller saved already. */
static void emit_park_string_regs(struct out *out)
{
	fprintf(out->f, "\tmov %%rdi, %%rbx\n"
		     "\tmov %%rsi, %%rbp\n"
		     "\tmov %%rcx, %%r15\n");
}

static void emit_unpark_string_regs(struct out *out)
{
	fprintf(out->f, "\tmov %%rbx, %%rdi\n"
		     "\tmov %%rbp, %%rsi\n"
		     "\tmov %%r15, %%rcx\n");
}

/* Under the caller's PKRU, with CTB(c)'s TLS offset in r11: reg = (from -
 * bytes) rounded down to `align`, which becomes the shared stack pointer;
 * below this thread's shared stack it traps, before anything is written
 * there. `bytes` is an operand: an immediate or a register other than
 * r10, which holds the pointer's TLS offset and which `from` may use. */
static void emit_claim_shared_stack(struct out *out, const char *from, const char *bytes,
				    int align, const char *reg)
{
	fprintf(out->f, "	mov " IA2_SHARED_STACK_PTR "@gottpoff(%%rip), %%r10\n"
		     "	mov %s, %%%s\n"
		     "	sub %s, %%%s\n"
		     "	and $%d, %%%s\n"
		     "	cmp %%fs:%d(%%r11), %%%s\n"
		     "	jb .Ltrap\n"
		     "	mov %%%s, %%fs:(%%r10)\n",
		from, reg, bytes, reg, -align, reg, IA2_CTB_SHARED_LO, reg, reg);
}

/* Where an argument register waits while emit_park_string_regs has
 * rdi, rsi and rcx. */
static const char *parked(int reg)
{
	static const char *const at[6] = {"rbx", "rbp", "rdx", "r15", "r8", "r9"};

	return at[reg];
}

/* rcx = the count in argument register `reg`, `size` bytes wide: the
 * psABI leaves the upper bits of a narrower argument undefined (3.2.3). */
static void emit_count(struct out *out, int reg, int size)
{
	static const char *const r32[6] = {"edi", "esi", "edx", "ecx", "r8d", "r9d"};
	static const char *const r16[6] = {"di", "si", "dx", "cx", "r8w", "r9w"};
	static const char *const r8[6] = {"dil", "sil", "dl", "cl", "r8b", "r9b"};

	if (size == 8)
		fprintf(out->f, "\tmov %%%s, %%rcx\n", gpr_arg[reg]);
	else if (size == 4)
		fprintf(out->f, "\tmov %%%s, %%ecx\n", r32[reg]);
	else
		fprintf(out->f, "\tmovz%s %%%s, %%ecx\n", size == 2 ? "wl" : "bl",
			size == 2 ? r16[reg] : r8[reg]);
}

/* One argument of a copy-arg gate (copyarg.c), under the caller's PKRU
 * with its frame at rsp: if the argument is not NULL, rcx = the bytes to
 * copy (a string's measured by repne scasb, its NUL included), move the
 * shared stack pointer below a copy of them, copy them and pass the copy
 * instead. A buffer or string over IA2_COPY_MAX_BUFFER is passed as it
 * is. The argument copied back is the first, so its copy's place comes
 * from the frame's saved pointer, where the return stub finds it, and
 * the frame records its address and size. */
static void emit_copy_arg(struct out *out, const struct arg_copy *c)
{
	const char *arg = gpr_arg[c->reg], *at = parked(c->reg);

	fprintf(out->f, "\ttest %%%s, %%%s\n"
		     "\tjz 1f\n", arg, arg);
	emit_park_string_regs(out);
	if (c->kind == COPY_OBJECT)
		fprintf(out->f, "\tmov $%d, %%ecx\n", c->size);
	else if (c->kind == COPY_LENGTH)
		emit_count(out, c->len_reg, c->len_size);
	else
		fprintf(out->f, "\tmov %%%s, %%rdi\n"
			     "\txor %%eax, %%eax\n"
			     "\tmov $-1, %%rcx\n"
			     "\tcld\n"
			     "\trepne scasb\n"
			     "\tnot %%rcx\n", at);
	if (c->kind != COPY_OBJECT)
		fprintf(out->f, "\tcmp $%d, %%rcx\n"
			     "\tja 2f\n", IA2_COPY_MAX_BUFFER);
	if (c->back)
		fprintf(out->f, "\tmov %%%s, %d(%%rsp)\n"
			     "\tmov %%rcx, %d(%%rsp)\n", at, IA2_FRAME_COPY_DST, IA2_FRAME_COPY_SIZE);
	fprintf(out->f, "\tmov %%%s, %%rsi\n", at);
	emit_claim_shared_stack(out, "%fs:(%r10)", "%rcx", IA2_COPY_ALIGN, "rdi");
	fprintf(out->f, "\tmov %%rdi, %%r10\n"
		     "\tcld\n"
		     "\trep movsb\n");
	emit_unpark_string_regs(out);
	fprintf(out->f, "\tmov %%r10, %%%s\n"
		     "\tjmp 1f\n"
		     "2:\n", arg);
	emit_unpark_string_regs(out);
	fprintf(out->f, "1:\n");
}

/* A gate for a function that takes a va_list, under the caller's PKRU
 * after emit_copy_arg: if the argument is not NULL, move the shared stack
 * pointer below room for a copy of the va_list and what it points to
 * (gate_abi.h, IA2_VA_COPY_BYTES), copy them, point the copy at its own
 * register save area and stack arguments, and pass it instead. The
 * va_list's fields (psABI 3.5.7): gp_offset and fp_offset, 4 bytes each,
 * overflow_arg_area at 8, reg_save_area at 16. r12 keeps the caller's
 * va_list, r13 the copy. */
static void emit_copy_va_list(struct out *out, const struct signature *s)
{
	const char *arg = gpr_arg[s->va_list_reg];
	char bytes[16];

	snprintf(bytes, sizeof bytes, "$%d", IA2_VA_COPY_BYTES);
	fprintf(out->f, "\ttest %%%s, %%%s\n"
		     "\tjz 1f\n", arg, arg);
	emit_park_string_regs(out);
	fprintf(out->f, "\tmov %%%s, %%r12\n", arg);
	emit_claim_shared_stack(out, "%fs:(%r10)", bytes, 16, "r13");
	fprintf(out->f, "\tmov (%%r12), %%rax\n"
		     "\tmov %%rax, (%%r13)\n"
		     "\tlea %d(%%r13), %%rdi\n"
		     "\tmov %%rdi, 16(%%r13)\n"
		     "\tmov 16(%%r12), %%rsi\n"
		     "\tmov $%d, %%ecx\n"
		     "\tcld\n"
		     "\trep movsb\n"
		     "\tmov %%rdi, 8(%%r13)\n"
		     "\tmov 8(%%r12), %%rsi\n"
		     "\tmov $%d, %%ecx\n"
		     "\trep movsb\n",
		IA2_VA_TAG_BYTES, IA2_VA_SAVE_BYTES, IA2_GATE_MAX_STACK_BYTES);
	emit_unpark_string_regs(out);
	fprintf(out->f, "\tmov %%r13, %%%s\n"
		     "1:\n", arg);
}

/* Call frame information for the callee's side of the gate (DWARF 5,
 * 6.4.2): the caller's frame is on another stack, so the CFA, the
 * caller's stack pointer before its call, is the gate frame's address,
 * kept in the callee's stack at rsp + off, plus IA2_FRAME_ARGS.
 * DW_CFA_def_cfa_expression: DW_OP_breg7 (rsp) off, DW_OP_deref,
 * DW_OP_plus_uconst IA2_FRAME_ARGS. The caller's registers are where
 * emit_save_caller said, relative to the CFA. */
static void emit_cfa_in_slot(struct out *out, int off)
{
	unsigned char expr[16];
	int n = 0, more;

	expr[n++] = 0x77;
	do {   /* SLEB128 */
		unsigned char b = off & 0x7f;
		off >>= 7;
		more = !((off == 0 && !(b & 0x40)) || (off == -1 && (b & 0x40)));
		expr[n++] = more ? b | 0x80 : b;
	} while (more);
	expr[n++] = 0x06;
	expr[n++] = 0x23;
	expr[n++] = IA2_FRAME_ARGS;   /* < 128: one ULEB128 byte */
	fprintf(out->f, "\t.cfi_escape 0x0f, %d", n);
	for (int i = 0; i < n; i++)
		fprintf(out->f, ", %#x", expr[i]);
	fprintf(out->f, "\n");
}

/* Stack arguments cross the PKRU switch in xmm8-xmm15: the caller's stack
 * is unreadable after it, the callee's unwritable before it. */
static void emit_load_stack_args(struct out *out, int bytes)
{
	for (int i = 0; i < bytes; i += 16)
		fprintf(out->f, bytes - i >= 16 ? "\tmovdqu %d(%%rsp), %%xmm%d\n" : "\tmovq %d(%%rsp), %%xmm%d\n",
			IA2_FRAME_ARGS + i, 8 + i / 16);
}

static void emit_store_stack_args(struct out *out, int bytes)
{
	for (int i = 0; i < bytes; i += 16)
		fprintf(out->f, bytes - i >= 16 ? "\tmovdqu %%xmm%d, %d(%%rsp)\n" : "\tmovq %%xmm%d, %d(%%rsp)\n",
			8 + i / 16, i);
}

/* The callee's stack below the saved c: [stack arguments][sret buffer]
 * [padding], 16-byte aligned at the call as the psABI requires (3.2.2).
 * c is stored below the stack pointer and then allocated, not pushed:
 * valgrind 3.19 folds a push that follows a stack switch into the switch,
 * so memcheck never makes the red-zone word the push exposes addressable
 * and reports the callee's first use of it. The word is safe until the
 * sub, as the kernel skips the 128-byte red zone (psABI 3.2.2) when it
 * builds a signal frame. */
static void emit_cross_call(struct out *out, const struct func *f, int k)
{
	int args = (f->sig.stack_bytes + 15) & ~15;
	int area = args + 16 * sret_chunks(&f->sig);

	emit_caller_compartment(out, f);
	emit_save_caller(out, f->gate_local, f->sig.ret == RET_MEMORY ? f->sig.ret_size : 0);
	for (int i = 0; i < f->ncopies; i++)
		emit_copy_arg(out, &f->copies[i]);
	if (f->sig.va_lists)
		emit_copy_va_list(out, &f->sig);
	if (f->sig.variadic)
		fprintf(out->f, "\tmovq %%xmm15, %%r15\n");
	emit_load_stack_args(out, f->sig.stack_bytes);
	fprintf(out->f, "\tmov %%rcx, %%r12\n\tmov %%rdx, %%r13\n");
	if (out->emulate)
		fprintf(out->f, "\tmov %%rsp, %%rbp\n\t.cfi_def_cfa %%rbp, %d\n", IA2_FRAME_ARGS);
	emit_write_pkru(out, IA2_PKRU(k));
	fprintf(out->f, "\tmov %%r12, %%rcx\n"
		     "\tmov %%r13, %%rdx\n"
		     "\tmov __ia2_ctb@gottpoff(%%rip), %%r11\n");
	/* Checked before the stack switch: valgrind loses track of the stack
	 * pointer if a branch separates the switch from the sub below. */
	emit_check_shared_stack(out, k, "r11");
	fprintf(out->f, "\tmov %%fs:%d(%%r11), %%rsp\n", k * IA2_CTB_SIZE + IA2_CTB_FRAME);
	/* Only the emulated build, made for debugging, tells the callee where
	 * its caller's gate frame is, for debuggers to unwind across: in the
	 * enforcing build the callee learns nothing of its caller's stack,
	 * and the frame information ends at the gate. */
	if (!out->emulate)
		fprintf(out->f, "\t.cfi_undefined %%rip\n");
	fprintf(out->f, "\tand $-16, %%rsp\n"
		     "\tmov %%r14, -8(%%rsp)\n");
	if (out->emulate)
		fprintf(out->f, "\tmov %%rbp, -16(%%rsp)\n");
	fprintf(out->f, "\tsub $%d, %%rsp\n", 16 + area);
	if (out->emulate)
		emit_cfa_in_slot(out, area);
	emit_store_stack_args(out, f->sig.stack_bytes);
	if (f->sig.ret == RET_MEMORY)
		fprintf(out->f, "\tlea %d(%%rsp), %%rdi\n", args);
	emit_scrub_entry(out, &f->sig);
	fprintf(out->f, "\tcall %s\n", entry_of(f));
	for (int i = 0; i < sret_chunks(&f->sig); i++)
		fprintf(out->f, "\tmovdqu %d(%%rsp), %%xmm%d\n", args + 16 * i, 8 + i);
	fprintf(out->f, "\tadd $%d, %%rsp\n", 8 + area);
	if (out->emulate)
		emit_cfa_in_slot(out, -8);
	fprintf(out->f, "\tpop %%r11\n");
	if (out->emulate)
		emit_cfa_in_slot(out, -16);
	emit_scrub_return(out, &f->sig);
	/* c came back from the callee's stack, so it is only a hint: the
	 * return stub trusts nothing but CTB(c), readable under PKRU(c) alone. */
	fprintf(out->f, "\tcmp $%d, %%r11\n"
		     "\tja .Ltrap\n"
		     "\tmov __ia2_return_table@GOTPCREL(%%rip), %%r10\n"
		     "\tjmp *(%%r10,%%r11,8)\n",
		IA2_LAST_COMPARTMENT);
}

/* Callers in k, and in the startup state, which only ld.so and libia2's
 * own startup run in, go straight to the body; callers in other
 * compartments, compartment 0 included, cross (emit_cross_call).
 * A variadic function's al is an argument that reading PKRU overwrites:
 * it waits in xmm15, which no argument uses, until the body gets it. */
void emit_gate(struct out *out, const struct func *f, int k)
{
	char *same = f->sig.variadic ? format(".Lsame.%s", f->gate) : xstrdup(entry_of(f));

	emit_symbol_header(out, f);
	/* The gate's entry, 4 bytes of endbr64 back, goes into the DSO's
	 * table of entry points (gate_abi.h, IA2_NOTE_GATES). */
	fprintf(out->f, ".Lia2_after_endbr.%s:\n"
		     "\t.pushsection ia2_gates, \"a\"\n"
		     "\t.balign 4\n"
		     "\t.long .Lia2_after_endbr.%s - 4 - .\n"
		     "\t.popsection\n",
		f->gate, f->gate);
	fprintf(out->f, "\t.cfi_startproc\n\t.cfi_remember_state\n");
	if (f->sig.variadic)
		fprintf(out->f, "\tmovq %%rax, %%xmm15\n");
	emit_read_pkru(out);
	fprintf(out->f, "\tcmp $%#x, %%eax\n"
		     "\tje %s\n"
		     "\ttest %%eax, %%eax\n"
		     "\tje %s\n",
		IA2_PKRU(k), same, same);
	free(same);
	emit_cross_call(out, f, k);
	fprintf(out->f, "\t.cfi_restore_state\n");
	if (f->sig.variadic)
		fprintf(out->f, ".Lsame.%s:\n"
			     "\tmovq %%xmm15, %%rax\n"
			     "\tjmp %s\n",
			f->gate, entry_of(f));
	fprintf(out->f, "\t.cfi_endproc\n\t.size %s, .-%s\n", f->gate, f->gate);
}

/* r11 = the TLS offset of CTB(k)'s share-heap depth. */
static void emit_heap_depth_slot(struct out *out, int k)
{
	fprintf(out->f, "\tmov __ia2_ctb@gottpoff(%%rip), %%r11\n"
		     "\tadd $%d, %%r11\n",
		k * IA2_CTB_SIZE + IA2_CTB_HEAP_DEPTH);
}

/* The share-heap wrapper (heapshare.c) runs in k, under k's PKRU, like
 * the body. It moves its return address from the stack to the next
 * return slot in CTB(k) and raises the depth, so the body finds its
 * stack arguments where the caller put them and needs no signature;
 * then it calls the body and undoes both. With every slot taken, libia2
 * stops the program (malloc.c). It uses only r10 and r11,
 * which no argument uses and the psABI lets a call clobber (3.2.1).
 * Between the two, the return address is in no place DWARF can name, so
 * unwinding stops at the wrapper. */
static void emit_heap_wrapper(struct out *out, const struct func *f, int k)
{
	fprintf(out->f, "\n\t.p2align 4\n\t.globl %s\n\t.hidden %s\n\t.type %s, @function\n%s:\n"
		     "\t.cfi_startproc\n\tendbr64\n",
		f->wrapper, f->wrapper, f->wrapper, f->wrapper);
	emit_heap_depth_slot(out, k);
	fprintf(out->f, "\tmov %%fs:(%%r11), %%r10\n"
		     "\tcmp $%d, %%r10\n"
		     "\tjae __ia2_heap_too_deep@PLT\n"
		     "\tpop %%fs:%d(%%r11,%%r10,8)\n"
		     "\t.cfi_adjust_cfa_offset -8\n\t.cfi_undefined %%rip\n"
		     "\tinc %%r10\n"
		     "\tmov %%r10, %%fs:(%%r11)\n"
		     "\tcall %s\n",
		IA2_HEAP_MAX_DEPTH, IA2_CTB_HEAP_RETURNS - IA2_CTB_HEAP_DEPTH, f->body);
	emit_heap_depth_slot(out, k);
	fprintf(out->f, "\tmov %%fs:(%%r11), %%r10\n"
		     "\tdec %%r10\n"
		     "\tmov %%r10, %%fs:(%%r11)\n"
		     "\tpush %%fs:%d(%%r11,%%r10,8)\n"
		     "\t.cfi_adjust_cfa_offset 8\n\t.cfi_offset %%rip, -8\n"
		     "\tret\n"
		     "\t.cfi_endproc\n\t.size %s, .-%s\n",
		IA2_CTB_HEAP_RETURNS - IA2_CTB_HEAP_DEPTH, f->wrapper, f->wrapper);
}

/* rbx and r15 = the start and end of the array whose offset and size
 * the note holds at `field` (postlink.c writes them). */
static void emit_array_bounds(struct out *out, int field)
{
	fprintf(out->f, "\tlea __ia2_note+%d(%%rip), %%rax\n"
		     "\tmovslq (%%rax), %%rbx\n"
		     "\tadd %%rax, %%rbx\n"
		     "\tmov 4(%%rax), %%r15d\n"
		     "\tadd %%rbx, %%r15\n", field);
}

/* ld.so and libc run a DSO's init and fini arrays, crtbegin's entries
 * among them, which touch the DSO's own data, in whatever state the
 * process is in: the startup state, or at exit the compartment that
 * called exit. After the link ia2 points DT_INIT_ARRAY and DT_FINI_ARRAY
 * at a one-entry array each and records the linker's arrays in the note
 * (postlink.c), whose gates run the linker's arrays inside the DSO's
 * compartment:
 * __ia2_init_body(argc, argv, envp) calls every init function with those
 * arguments in order, __ia2_fini_body every fini function in reverse
 * (gABI, "Initialization and Termination Functions"). The one-entry
 * arrays are RELRO, so no compartment can redirect them.
 *
 * The init array's entry first hands the DSO's note to libia2
 * (__ia2_dso_loaded, libia2/dso.c), which tags the DSO's memory before
 * any of its constructors runs: at startup libia2 has done so already,
 * but a DSO that dlopen loads is seen here first. Three pushes keep the
 * stack 16-byte aligned at that call. A no-op entry in each array makes
 * sure the DSO has both, for postlink.c to redirect, even if nothing
 * else in it has a constructor or destructor. */
static void emit_init_fini(struct out *out, int k)
{
	struct func init = {.name = "__ia2_run_init", .gate = "__ia2_run_init",
			    .body = "__ia2_init_body", .bind = STB_GLOBAL, .vis = STV_HIDDEN,
			    .sig = {.gpr_args = 3, .stack_align = 8, .ret = RET_VOID}};
	struct func fini = {.name = "__ia2_run_fini", .gate = "__ia2_run_fini",
			    .body = "__ia2_fini_body", .bind = STB_GLOBAL, .vis = STV_HIDDEN,
			    .sig = {.stack_align = 8, .ret = RET_VOID}};

	/* The init body keeps argc, argv and envp in r12-r14 for every call;
	 * both keep their array's bounds in rbx and r15. Five pushes keep the
	 * stack 16-byte aligned at each call. */
	fprintf(out->f, "\n\t.p2align 4\n\t.type __ia2_init_body, @function\n"
		     "__ia2_init_body:\n"
		     "\tendbr64\n"
		     "\tpush %%rbx\n\tpush %%r12\n\tpush %%r13\n\tpush %%r14\n\tpush %%r15\n"
		     "\tmov %%edi, %%r12d\n\tmov %%rsi, %%r13\n\tmov %%rdx, %%r14\n");
	emit_array_bounds(out, IA2_NOTE_INIT_ARRAY);
	fprintf(out->f, "1:\tcmp %%r15, %%rbx\n"
		     "\tjae 2f\n"
		     "\tmov %%r12d, %%edi\n\tmov %%r13, %%rsi\n\tmov %%r14, %%rdx\n"
		     "\tcall *(%%rbx)\n"
		     "\tadd $8, %%rbx\n"
		     "\tjmp 1b\n"
		     "2:\tpop %%r15\n\tpop %%r14\n\tpop %%r13\n\tpop %%r12\n\tpop %%rbx\n"
		     "\tret\n"
		     "\t.size __ia2_init_body, .-__ia2_init_body\n"
		     "\n\t.p2align 4\n\t.type __ia2_fini_body, @function\n"
		     "__ia2_fini_body:\n"
		     "\tendbr64\n"
		     "\tpush %%rbx\n\tpush %%r12\n\tpush %%r13\n\tpush %%r14\n\tpush %%r15\n");
	emit_array_bounds(out, IA2_NOTE_FINI_ARRAY);
	fprintf(out->f, "1:\tcmp %%rbx, %%r15\n"
		     "\tjbe 2f\n"
		     "\tsub $8, %%r15\n"
		     "\tcall *(%%r15)\n"
		     "\tjmp 1b\n"
		     "2:\tpop %%r15\n\tpop %%r14\n\tpop %%r13\n\tpop %%r12\n\tpop %%rbx\n"
		     "\tret\n"
		     "\t.size __ia2_fini_body, .-__ia2_fini_body\n");
	emit_gate(out, &init, k);
	emit_gate(out, &fini, k);
	fprintf(out->f, "\n\t.p2align 4\n\t.type __ia2_init_entry, @function\n"
		     "__ia2_init_entry:\n"
		     "\tendbr64\n"
		     "\tpush %%rdi\n\tpush %%rsi\n\tpush %%rdx\n"
		     "\tlea __ia2_note(%%rip), %%rdi\n"
		     "\tcall __ia2_dso_loaded@PLT\n"
		     "\tpop %%rdx\n\tpop %%rsi\n\tpop %%rdi\n"
		     "\tjmp __ia2_run_init\n"
		     "\t.size __ia2_init_entry, .-__ia2_init_entry\n"
		     "\n\t.p2align 4\n\t.type __ia2_no_op, @function\n"
		     "__ia2_no_op:\n"
		     "\tendbr64\n"
		     "\tret\n"
		     "\t.size __ia2_no_op, .-__ia2_no_op\n"
		     "\n\t.section .init_array, \"aw\", @init_array\n"
		     "\t.p2align 3\n"
		     "\t.quad __ia2_no_op\n"
		     "\t.section .fini_array, \"aw\", @fini_array\n"
		     "\t.p2align 3\n"
		     "\t.quad __ia2_no_op\n"
		     "\n\t.section .data.rel.ro, \"aw\"\n"
		     "\t.p2align 3\n"
		     "__ia2_initfini:\n"
		     "\t.quad __ia2_init_entry\n"
		     "\t.quad __ia2_run_fini\n"
		     "\t.text\n");
}

/* The config's path rules (config.h), for libia2/loads.c: each a byte
 * (the compartment), then the glob as a C string. Every byte of the glob
 * goes out as a number, so no character can end the directive. */
static void emit_load_rules(struct out *out, const struct dso *d)
{
	fprintf(out->f, "\t.section ia2_loads, \"a\"\n");
	for (size_t i = 0; i < d->nloads; i++) {
		fprintf(out->f, "\t.byte %d", d->loads[i].compartment);
		for (const char *c = d->loads[i].glob; *c; c++)
			fprintf(out->f, ", %d", (unsigned char)*c);
		fprintf(out->f, ", 0\n");
	}
}

/* The config's syscalls rules (config.h), for libia2/syscall_policy.c. */
static void emit_syscall_rules(struct out *out, const struct dso *d)
{
	fprintf(out->f, "\t.section ia2_syscalls, \"a\"\n"
		     "\t.balign 4\n");
	for (size_t i = 0; i < d->ndenied_calls; i++)
		fprintf(out->f, "\t.long %#x\n",
			(unsigned)d->denied_calls[i].compartment << 16 | (unsigned)d->denied_calls[i].nr);
}

/* The note tells libia2 the DSO's compartment and where its shared
 * section, its table of gate entries, its path rules and its syscalls
 * rules are (as offsets
 * from the note fields, so no dynamic relocation is needed). The empty,
 * page-aligned ia2_shared contribution makes the section exist and, as
 * ia2-cc links gates.o last, page-aligns its end; the empty ia2_gates,
 * ia2_loads and ia2_syscalls ones make those sections exist in a DSO
 * without gates or rules. */
static void emit_dso_note(struct out *out, const struct dso *d)
{
	int k = d->compartment;

	fprintf(out->f, "\t.section .note.ia2, \"a\", @note\n"
		     "\t.balign 4\n"
		     "\t.long 4, %d, %#x\n"
		     "\t.asciz \"IA2\"\n"
		     "__ia2_note:\n"
		     "\t.long %d\n"
		     "\t.long __start_ia2_shared - .\n"
		     "\t.long __stop_ia2_shared - .\n"
		     "\t.long %d\n"
		     "\t.long __ia2_initfini - .\n"
		     "\t.long 0, 0, 0, 0\n"
		     "\t.long %#x\n"
		     "\t.long __start_ia2_gates - .\n"
		     "\t.long __stop_ia2_gates - .\n"
		     "\t.long __start_ia2_loads - .\n"
		     "\t.long __stop_ia2_loads - .\n"
		     "\t.long __start_ia2_syscalls - .\n"
		     "\t.long __stop_ia2_syscalls - .\n"
		     "\t.section ia2_shared, \"aw\", @progbits\n"
		     "\t.balign 4096\n"
		     "\t.section ia2_gates, \"a\"\n"
		     "\t.balign 4\n",
		IA2_NOTE_DESCSZ, IA2_NOTE_TYPE, k, out->emulate ? IA2_NOTE_EMULATED : 0,
		d->loadable | 1u << k);
	emit_load_rules(out, d);
	emit_syscall_rules(out, d);
	fprintf(out->f, "\t.section .note.GNU-stack, \"\", @progbits\n");
}

/* The DSO's TLS block must fill whole pages of its own for libia2 to tag
 * it with the compartment's pkey in every thread. This empty .tbss piece
 * aligns the TLS segment to a page, so the linker places the image on a
 * page and computes the executable's thread-pointer offsets for that
 * alignment; after the link, padtls (padtls.c) fills the last page. */
static void emit_tls_padding(struct out *out)
{
	fprintf(out->f, "	.section .tbss, \"awT\", @nobits\n"
			"	.balign 4096\n");
}

/* A reference that gives the DSO a dynamic symbol __ia2_tls_get_addr,
 * for the post-link step to bind its __tls_get_addr calls to
 * (tlsbind.c). */
static void emit_tls_binding(struct out *out)
{
	fprintf(out->f, "\n\t.section .data.rel.ro, \"aw\"\n"
		     "\t.p2align 3\n"
		     "\t.quad __ia2_tls_get_addr\n"
		     "\t.text\n");
}

/* Gates of archive members go into the member itself (rewrite.c), so that
 * the linker pulls a gate in exactly when it pulls the member; all other
 * gates go into the DSO's gates.s. Returns the member's object index, or
 * -1 for gates.s. */
static int gate_home(const struct dso *d, const struct func *f)
{
	return d->objs[f->obj].archive >= 0 ? f->obj : -1;
}

/* Weak definitions may repeat across objects: one gate per file. */
static bool emitted_before(const struct dso *d, size_t i, int home)
{
	for (size_t j = 0; j < i; j++)
		if (is_planned(&d->funcs[j]) && gate_home(d, &d->funcs[j]) == home &&
		    !strcmp(d->funcs[j].gate, d->funcs[i].gate))
			return true;
	return false;
}

static int write_gates(struct dso *d, const char *asm_path, int home)
{
	struct out o, *out = &o;

	if (open_out(out, asm_path, d->emulate_pkru))
		return -1;
	fprintf(out->f, "# ia2 call gates for compartment %d, generated by objrewrite/emit.c\n"
		     "\t.text\n", d->compartment);
	for (size_t i = 0; i < d->nfuncs; i++) {
		const struct func *f = &d->funcs[i];
		if (!is_planned(f) || gate_home(d, f) != home || emitted_before(d, i, home))
			continue;
		if (f->gated)
			emit_gate(out, f, d->compartment);
		if (f->wrapper)
			emit_heap_wrapper(out, f, d->compartment);
	}
	if (home < 0) {
		emit_init_fini(out, d->compartment);
		emit_tls_binding(out);
		emit_branch_thunks(out);
	}
	fprintf(out->f, "\n.Ltrap:\n\tud2\n");
	if (home < 0 && d->has_tls)
		emit_tls_padding(out);
	if (home < 0)
		emit_dso_note(out, d);
	else
		fprintf(out->f, "\t.section .note.GNU-stack, \"\", @progbits\n");
	return close_out(out, asm_path);
}

int emit_gates(struct dso *d, const char *asm_path)
{
	return write_gates(d, asm_path, -1);
}

bool member_has_gates(const struct dso *d, int obj)
{
	for (size_t i = 0; i < d->nfuncs; i++)
		if (is_planned(&d->funcs[i]) && d->funcs[i].obj == obj)
			return true;
	return false;
}

int emit_member_gates(struct dso *d, int obj, const char *asm_path)
{
	return write_gates(d, asm_path, obj);
}

int assemble_gates(const struct dso *d, const char *asm_path, const char *obj_path)
{
	char *argv[] = {(char *)d->cc, "-c", (char *)asm_path, "-o", (char *)obj_path, NULL};

	return run_command(argv) == 0 ? 0 : error("assembling the gates %s failed", asm_path);
}
