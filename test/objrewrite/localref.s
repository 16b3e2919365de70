# An exported function whose own entry is loaded through a local label,
# as ASan's frame descriptions do: the assembler resolves `lea .Lself(%rip)`
# itself and leaves no relocation. ASan keeps that address to name the
# frame in reports and never calls it, and the same lea is x86inc's table
# base (sectionbase.s), so it is not an address taken: it stays on the
# body, and the object still links into a shared object (valid.localref).
	.text
	.globl	selfref
	.type	selfref, @function
selfref:
.Lself:
	leaq	.Lself(%rip), %rax
	jmp	elsewhere@PLT
	.size	selfref, .-selfref

	.section .text.elsewhere, "ax", @progbits
	.globl	elsewhere
	.hidden	elsewhere
	.type	elsewhere, @function
elsewhere:
	ret
	.size	elsewhere, .-elsewhere

	.section .note.GNU-stack, "", @progbits
