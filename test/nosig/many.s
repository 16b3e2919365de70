# Three exported functions with no DWARF in one object (nosig.warning-count).
	.text
	.globl a1, a2, a3
	.type a1, @function
a1:	ret
	.type a2, @function
a2:	ret
	.type a3, @function
a3:	ret
	.section .note.GNU-stack, "", @progbits
