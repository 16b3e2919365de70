# share-heap rules (heapshare.c), as rwtest --share-heap make
# --share-heap fill gives them: the exported `make` and the static `fill`
# get wrappers; every call goes through the wrapper, and make's gate
# (emit.c) jumps to it too.
	.text
	.globl	make
	.type	make, @function
make:
	ret
	.size	make, .-make

	.globl	user
	.type	user, @function
user:
	call	make
	call	fill
	ret
	.size	user, .-user

	.section .text.fill, "ax", @progbits
	.type	fill, @function
fill:
	ret
	.size	fill, .-fill
	.section .note.GNU-stack, "", @progbits
