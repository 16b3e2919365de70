/* A .note.ia2 (libia2/include/ia2/gate_abi.h) that says compartment 1,
 * finished by the post-link step, and nothing else: what a compartment
 * that builds its own DSO can write. */
#include <ia2/gate_abi.h>

	.section .note.ia2, "a", @note
	.balign 4
	.long 4, IA2_NOTE_DESCSZ, IA2_NOTE_TYPE
	.asciz "IA2"
	.long 1
	.long 0, 0
	.long IA2_NOTE_FINISHED
	.fill (IA2_NOTE_DESCSZ - 16) / 4, 4, 0
	.section .note.GNU-stack, "", @progbits
