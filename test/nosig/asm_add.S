/* An exported function with no DWARF type information: its gate gets the
 * conservative signature (docs/design.md, "Signatures"). */
	.text
	.globl asm_add
	.type asm_add, @function
asm_add:
	lea (%rdi,%rsi), %eax
	add counter(%rip), %eax
	incl counter(%rip)
	ret
	.size asm_add, .-asm_add

	.data
counter:
	.long 100
	.section .note.GNU-stack, "", @progbits
