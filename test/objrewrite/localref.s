# An exported function whose own address is taken through a local label,
# as ASan's frame descriptions do: the assembler resolves `lea .Lself(%rip)`
# itself and leaves no relocation. The synthetic relocation ia2 adds must
# go to a hidden symbol at the gate: a PC32 to the exported (preemptible)
# gate cannot be linked into a shared object. The tail call gives .text the
# relocation section the synthetic relocation joins.
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
