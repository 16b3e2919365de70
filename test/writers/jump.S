/* jump_to_resolver_gadget(area, stack, target, gadget): what a compartment
 * would do with ld.so's resolver: enter it at its xrstor with edx:eax
 * asking for PKRU alone (bit 9), rsp at a save area of its own making,
 * and rbx and r11 set so that the resolver's epilogue (restore the
 * argument registers from rsp, rsp = rbx, pop rbx, skip two words, jmp
 * *r11) lands in target on the given stack. */
	.text
	.globl jump_to_resolver_gadget
	.hidden jump_to_resolver_gadget
	.type jump_to_resolver_gadget, @function
jump_to_resolver_gadget:
	mov %rdi, %rsp
	mov %rsi, %rbx
	mov %rdx, %r11
	mov %rcx, %r10
	mov $0x200, %eax
	xor %edx, %edx
	jmp *%r10
	.size jump_to_resolver_gadget, .-jump_to_resolver_gadget
	.section .note.GNU-stack, "", @progbits
