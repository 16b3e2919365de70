/* decode: a linear sweep of one executable section with Capstone, kept as
 * a sorted table of instructions so that a relocation can be mapped to the
 * instruction it patches. */
#ifndef IA2_DECODE_H
#define IA2_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum insn_kind {
	INSN_OTHER,
	INSN_BRANCH_DIRECT,   /* call/jmp/jcc rel32 */
	INSN_BRANCH_MEMORY,   /* call/jmp *mem */
	INSN_LEA_RIP,         /* lea disp(%rip), reg: materializes an address */
};

struct insn {
	uint64_t off;
	uint8_t len;
	uint8_t disp_off;     /* INSN_LEA_RIP: where the displacement starts */
	enum insn_kind kind;
	int64_t target;       /* INSN_LEA_RIP: section offset it computes */
};

struct insn_table {
	struct insn *v;
	size_t n;
};

/* Sweep `size` bytes at `code`. On bytes Capstone cannot decode, the sweep
 * resumes at the next offset in `resync` (sorted; function starts) or stops.
 * Then each offset in `anchors` (relocations: each patches a displacement
 * or an immediate) that no decoded instruction covers is decoded on its
 * own, from the start whose 4-byte displacement or immediate it is.
 * Returns 0, or -1 with no message on a Capstone failure. */
int decode_section(const uint8_t *code, size_t size, const uint64_t *resync, size_t nresync,
		   const uint64_t *anchors, size_t nanchors, struct insn_table *t);

/* The instruction containing byte `off`, or NULL. */
const struct insn *insn_at(const struct insn_table *t, uint64_t off);

/* Offset of the first wrpkru byte sequence (0f 01 ef) at any alignment, or -1.
 * Unaligned sequences are gadgets a control-flow hijack could use. */
long long find_wrpkru_bytes(const uint8_t *code, size_t size);
/* The same for xrstor and xrstors, which load PKRU from memory when the
 * mask in edx:eax asks for it. */
long long find_xrstor_bytes(const uint8_t *code, size_t size);

void insn_table_free(struct insn_table *t);

#endif
