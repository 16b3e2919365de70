# x86inc.asm's constant-table base (dav1d, FFmpeg): `lea rbx, [$$]` loads
# the section's start, which an assembler resolves with no relocation,
# and the section's first function, the global `first`, starts there.
# The lea takes no function's address: `first` gets the gate that its
# export gives it, and no reference may be retargeted to that gate
# (classify.c, add_hidden_refs). The static `helper` taken the same way
# is an address: it gets a gate and a synthetic relocation.
	.text
.Lbase:
	.globl	first
	.type	first, @function
first:
	leaq	.Lbase(%rip), %rbx
	movl	table-.Lbase(%rbx), %eax
	ret
	.size	first, .-first

	.type	helper, @function
helper:
	ret
	.size	helper, .-helper

	.globl	second
	.type	second, @function
second:
	leaq	helper(%rip), %rax
	ret
	.size	second, .-second

	.section .rodata
table:
	.long	42
	.section .note.GNU-stack, "", @progbits
