# Hand-written SIMD code holds instructions Capstone 4 cannot decode (it
# lacks some AVX-512 extensions); here the byte 0x06, which is invalid in
# 64-bit mode, stands in for one. The sweep stops at it and resumes at the
# next function, so the instructions after it are decoded one by one from
# their relocations (decode.c, decode_anchor): the lea that takes
# helper's address must still make helper's gate. A relocation inside
# bytes that decode to nothing at all names a table, not a function, and
# is left alone (classify.c, may_name_function).
	.text
	.globl	simd
	.hidden	simd
	.type	simd, @function
simd:
	.byte	0x06
	leaq	helper(%rip), %rax
	.byte	0x06, 0x06
	.long	table - .
	ret
	.size	simd, .-simd

	.section .text.helper, "ax", @progbits
	.type	helper, @function
helper:
	ret
	.size	helper, .-helper

	.section .rodata
	.type	table, @object
table:
	.quad	0
	.size	table, 8
	.section .note.GNU-stack, "", @progbits
