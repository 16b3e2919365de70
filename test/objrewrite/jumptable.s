# A switch the way gcc -O2 -fPIC compiles it without -ffunction-sections:
# the jump table holds .Lcase - .Ltable, assembled as R_X86_64_PC32
# against .text with addend = case offset + entry offset in the table
# (value = S + A - P, psABI 4.4). Entry 4 goes to .Ldefault at addend
# .Ldefault + 16, exactly where `next` starts. It still jumps to
# .Ldefault: no entry takes a function's address, so `next` (hidden, only
# called) must get no gate and the table must stay as it is.
	.text
	.globl	sw
	.type	sw, @function
sw:
	cmpl	$4, %edi
	ja	.Ldefault
	leaq	.Ltable(%rip), %rdx
	movslq	(%rdx,%rdi,4), %rax
	addq	%rdx, %rax
	jmp	*%rax
.Lcase0:
	call	next
	ret
.Ldefault:
	xorl	%eax, %eax
	ret
	.fill	13, 1, 0xcc
	.size	sw, .-sw

	.globl	next
	.hidden	next
	.type	next, @function
next:
	movl	%esi, %eax
	ret
	.size	next, .-next

	.section .rodata
	.p2align 2
.Ltable:
	.long	.Lcase0-.Ltable
	.long	.Ldefault-.Ltable
	.long	.Ldefault-.Ltable
	.long	.Ldefault-.Ltable
	.long	.Ldefault-.Ltable

	.section .note.GNU-stack, "", @progbits
