/* The one definition of the instructions that write PKRU from user
 * mode, by their bytes: objrewrite refuses them in compartment objects
 * (objrewrite/classify.c), libia2 neutralizes them in every other loaded
 * DSO (libia2/writers.c). Both look at every byte offset, since x86 lets
 * a jump land inside an instruction. */
#ifndef IA2_PKRU_WRITERS_H
#define IA2_PKRU_WRITERS_H

#include <stddef.h>
#include <stdint.h>

enum ia2_pkru_writer { IA2_NOT_A_WRITER = -1, IA2_WRPKRU, IA2_XRSTOR, IA2_XRSTORS };

/* wrpkru is 0f 01 ef; xrstor 0f ae /5 and xrstors 0f c7 /3, both with a
 * memory operand (Intel SDM vol. 2): the ModRM byte's reg field selects
 * them, and mod 3 (a register operand) is another instruction. left is
 * how many bytes p may read. */
static inline enum ia2_pkru_writer ia2_pkru_writer_at(const uint8_t *p, size_t left)
{
	unsigned reg, mod;

	if (left < 3 || p[0] != 0x0f)
		return IA2_NOT_A_WRITER;
	if (p[1] == 0x01 && p[2] == 0xef)
		return IA2_WRPKRU;
	reg = (p[2] >> 3) & 7, mod = p[2] >> 6;
	if (mod == 3)
		return IA2_NOT_A_WRITER;
	if (p[1] == 0xae && reg == 5)
		return IA2_XRSTOR;
	if (p[1] == 0xc7 && reg == 3)
		return IA2_XRSTORS;
	return IA2_NOT_A_WRITER;
}

static inline const char *ia2_pkru_writer_name(enum ia2_pkru_writer w)
{
	return w == IA2_WRPKRU ? "wrpkru" : w == IA2_XRSTOR ? "xrstor" : "xrstors";
}

#endif
