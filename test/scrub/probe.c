/* Compartment 2: naked functions, so nothing runs between the gate and
 * these instructions. The C prototypes give the gates their signatures
 * through DWARF; the bodies look at the raw registers. */

/* long probe_entry(long a): one integer argument, so on entry every
 * register but rdi and rsp must be zero (rax, the other argument
 * registers, rbx, rbp, r10-r15, xmm0-xmm15). Returns the OR of them all:
 * 0 when the gate scrubbed everything. */
__attribute__((naked)) long probe_entry(long a)
{
	__asm__("or %rsi, %rax\n\t"
		"or %rdx, %rax\n\t"
		"or %rcx, %rax\n\t"
		"or %r8, %rax\n\t"
		"or %r9, %rax\n\t"
		"or %r10, %rax\n\t"
		"or %r11, %rax\n\t"
		"or %rbx, %rax\n\t"
		"or %rbp, %rax\n\t"
		"or %r12, %rax\n\t"
		"or %r13, %rax\n\t"
		"or %r14, %rax\n\t"
		"or %r15, %rax\n\t"
		"por %xmm1, %xmm0\n\t"
		"por %xmm2, %xmm0\n\t"
		"por %xmm3, %xmm0\n\t"
		"por %xmm4, %xmm0\n\t"
		"por %xmm5, %xmm0\n\t"
		"por %xmm6, %xmm0\n\t"
		"por %xmm7, %xmm0\n\t"
		"por %xmm8, %xmm0\n\t"
		"por %xmm9, %xmm0\n\t"
		"por %xmm10, %xmm0\n\t"
		"por %xmm11, %xmm0\n\t"
		"por %xmm12, %xmm0\n\t"
		"por %xmm13, %xmm0\n\t"
		"por %xmm14, %xmm0\n\t"
		"por %xmm15, %xmm0\n\t"
		"movq %xmm0, %rdx\n\t"
		"or %rdx, %rax\n\t"
		"punpckhqdq %xmm0, %xmm0\n\t"
		"movq %xmm0, %rdx\n\t"
		"or %rdx, %rax\n\t"
		"ret");
}

/* long probe_exit(void): returns 42 in rax and leaves junk in every other
 * register, callee-saved ones included, as a hostile callee would. */
__attribute__((naked)) long probe_exit(void)
{
	__asm__("mov $0x5a5a5a5a5a5a5a5a, %rcx\n\t"
		"mov %rcx, %rdx\n\t"
		"mov %rcx, %rsi\n\t"
		"mov %rcx, %rdi\n\t"
		"mov %rcx, %r8\n\t"
		"mov %rcx, %r9\n\t"
		"mov %rcx, %r10\n\t"
		"mov %rcx, %r11\n\t"
		"mov %rcx, %rbx\n\t"
		"mov %rcx, %rbp\n\t"
		"mov %rcx, %r12\n\t"
		"mov %rcx, %r13\n\t"
		"mov %rcx, %r14\n\t"
		"mov %rcx, %r15\n\t"
		"movq %rcx, %xmm0\n\t"
		"pshufd $0, %xmm0, %xmm0\n\t"
		"movdqa %xmm0, %xmm1\n\t"
		"movdqa %xmm0, %xmm2\n\t"
		"movdqa %xmm0, %xmm3\n\t"
		"movdqa %xmm0, %xmm4\n\t"
		"movdqa %xmm0, %xmm5\n\t"
		"movdqa %xmm0, %xmm6\n\t"
		"movdqa %xmm0, %xmm7\n\t"
		"movdqa %xmm0, %xmm8\n\t"
		"movdqa %xmm0, %xmm9\n\t"
		"movdqa %xmm0, %xmm10\n\t"
		"movdqa %xmm0, %xmm11\n\t"
		"movdqa %xmm0, %xmm12\n\t"
		"movdqa %xmm0, %xmm13\n\t"
		"movdqa %xmm0, %xmm14\n\t"
		"movdqa %xmm0, %xmm15\n\t"
		"std\n\t"
		"mov $42, %eax\n\t"
		"ret");
}
