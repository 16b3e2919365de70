/* Compartment 1: calls compartment 2's probes with every register dirty
 * and checks what crossed the gate. Exit status 0 only if the gates
 * scrubbed every register that carries no argument or return value and
 * restored the caller's callee-saved registers. */
#include <stdio.h>

long probe_entry(long a);
long probe_exit(void);

/* Fill everything but rdi with junk, then call probe_entry(rdi). */
__attribute__((naked)) static long call_dirty(long a)
{
	__asm__("push %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n\t"
		"sub $8, %rsp\n\t"
		"mov $0x3c3c3c3c3c3c3c3c, %rax\n\t"
		"mov %rax, %rsi\n\tmov %rax, %rdx\n\tmov %rax, %rcx\n\tmov %rax, %r8\n\t"
		"mov %rax, %r9\n\tmov %rax, %r10\n\tmov %rax, %r11\n\tmov %rax, %rbx\n\t"
		"mov %rax, %rbp\n\tmov %rax, %r12\n\tmov %rax, %r13\n\tmov %rax, %r14\n\t"
		"mov %rax, %r15\n\t"
		"movq %rax, %xmm0\n\tpshufd $0, %xmm0, %xmm0\n\t"
		"movdqa %xmm0, %xmm1\n\tmovdqa %xmm0, %xmm2\n\tmovdqa %xmm0, %xmm3\n\t"
		"movdqa %xmm0, %xmm4\n\tmovdqa %xmm0, %xmm5\n\tmovdqa %xmm0, %xmm6\n\t"
		"movdqa %xmm0, %xmm7\n\tmovdqa %xmm0, %xmm8\n\tmovdqa %xmm0, %xmm9\n\t"
		"movdqa %xmm0, %xmm10\n\tmovdqa %xmm0, %xmm11\n\tmovdqa %xmm0, %xmm12\n\t"
		"movdqa %xmm0, %xmm13\n\tmovdqa %xmm0, %xmm14\n\tmovdqa %xmm0, %xmm15\n\t"
		"call probe_entry@PLT\n\t"
		"add $8, %rsp\n\t"
		"pop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbp\n\tpop %rbx\n\t"
		"ret");
}

/* Call probe_exit with known callee-saved values; return a bit mask of
 * what came back wrong: bit 0 rax != 42, bit 1 a scratch register not
 * zero, bit 2 a vector register not zero, bit 3 a callee-saved register
 * not restored, bit 4 the direction flag left set. */
__attribute__((naked)) static long call_check_exit(void)
{
	__asm__("push %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n\t"
		"sub $8, %rsp\n\t"
		"mov $0x1111, %rbx\n\tmov $0x2222, %rbp\n\tmov $0x3333, %r12\n\t"
		"mov $0x4444, %r13\n\tmov $0x5555, %r14\n\tmov $0x6666, %r15\n\t"
		"call probe_exit@PLT\n\t"
		"xor %r8d, %r8d\n\t"     /* r8 is checked first, then used for the mask */
		"cmp $42, %rax\n\tje 1f\n\tor $1, %r8\n"
		"1:\tor %rdx, %rcx\n\tor %rsi, %rcx\n\tor %rdi, %rcx\n\tor %r9, %rcx\n\t"
		"or %r10, %rcx\n\tor %r11, %rcx\n\tjz 2f\n\tor $2, %r8\n"
		"2:\tpor %xmm1, %xmm0\n\tpor %xmm2, %xmm0\n\tpor %xmm3, %xmm0\n\tpor %xmm4, %xmm0\n\t"
		"por %xmm5, %xmm0\n\tpor %xmm6, %xmm0\n\tpor %xmm7, %xmm0\n\tpor %xmm8, %xmm0\n\t"
		"por %xmm9, %xmm0\n\tpor %xmm10, %xmm0\n\tpor %xmm11, %xmm0\n\tpor %xmm12, %xmm0\n\t"
		"por %xmm13, %xmm0\n\tpor %xmm14, %xmm0\n\tpor %xmm15, %xmm0\n\t"
		"ptest %xmm0, %xmm0\n\tjz 3f\n\tor $4, %r8\n"
		"3:\tcmp $0x1111, %rbx\n\tjne 4f\n\tcmp $0x2222, %rbp\n\tjne 4f\n\t"
		"cmp $0x3333, %r12\n\tjne 4f\n\tcmp $0x4444, %r13\n\tjne 4f\n\t"
		"cmp $0x5555, %r14\n\tjne 4f\n\tcmp $0x6666, %r15\n\tje 5f\n"
		"4:\tor $8, %r8\n"
		"5:\tpushf\n\tpop %rax\n\ttest $0x400, %rax\n\tjz 6f\n\tor $16, %r8\n\tcld\n"
		"6:\tmov %r8, %rax\n\t"
		"add $8, %rsp\n\t"
		"pop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbp\n\tpop %rbx\n\t"
		"ret");
}

int main(void)
{
	long entry = call_dirty(7), exit_mask = call_check_exit();

	printf("scrub: registers the callee saw on entry OR to %#lx (want 0)\n", entry);
	printf("scrub: return mask %#lx (want 0)\n", exit_mask);
	return entry != 0 || exit_mask != 0;
}
