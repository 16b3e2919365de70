#include "decode.h"
#include "util.h"

#include "ia2/pkru_writers.h"

#include <capstone/capstone.h>
#include <stdlib.h>
#include <string.h>

static void push(struct insn_table *t, const struct insn *in)
{
	if ((t->n & (t->n - 1)) == 0)
		t->v = xrealloc(t->v, (t->n ? 2 * t->n : 1) * sizeof *t->v);
	t->v[t->n++] = *in;
}

static bool is_branch(const cs_insn *ci)
{
	for (int i = 0; i < ci->detail->groups_count; i++)
		if (ci->detail->groups[i] == X86_GRP_CALL || ci->detail->groups[i] == X86_GRP_JUMP)
			return true;
	return false;
}

static void classify_insn(const cs_insn *ci, struct insn *in)
{
	const cs_x86 *x = &ci->detail->x86;

	memset(in, 0, sizeof *in);
	in->off = ci->address;
	in->len = (uint8_t)ci->size;
	in->kind = INSN_OTHER;
	if (is_branch(ci) && x->op_count == 1) {
		if (x->operands[0].type == X86_OP_IMM)
			in->kind = INSN_BRANCH_DIRECT;
		else if (x->operands[0].type == X86_OP_MEM)
			in->kind = INSN_BRANCH_MEMORY;
	} else if (ci->id == X86_INS_LEA && x->op_count == 2 && x->operands[1].type == X86_OP_MEM &&
		   x->operands[1].mem.base == X86_REG_RIP) {
		in->kind = INSN_LEA_RIP;
		in->disp_off = x->encoding.disp_offset;
		in->target = (int64_t)(ci->address + ci->size) + x->operands[1].mem.disp;
	}
}

/* Capstone 4 does not know rdpkru (0f 01 ee) and returns no instruction
 * there (shared/DESIGN.md, "Decoders"). Nor wrpkru, whose bytes
 * classify.c refuses before any sweep. */
static bool rdpkru_insn(const uint8_t *p, size_t left, struct insn *in, uint64_t off)
{
	if (left < 3 || p[0] != 0x0f || p[1] != 0x01 || p[2] != 0xee)
		return false;
	memset(in, 0, sizeof *in);
	in->off = off;
	in->len = 3;
	in->kind = INSN_OTHER;
	return true;
}

static uint64_t next_resync(const uint64_t *resync, size_t n, uint64_t off)
{
	for (size_t i = 0; i < n; i++)
		if (resync[i] > off)
			return resync[i];
	return UINT64_MAX;
}

static void insert(struct insn_table *t, const struct insn *in)
{
	size_t i = t->n;

	push(t, in);
	while (i > 0 && t->v[i - 1].off > in->off) {
		t->v[i] = t->v[i - 1];
		i--;
	}
	t->v[i] = *in;
}

/* x86 instructions are at most 15 bytes (Intel SDM vol. 2, 2.3.11); the
 * field a relocation patches starts at least one byte in. */
static void decode_anchor(csh cs, cs_insn *ci, const uint8_t *code, size_t size, uint64_t anchor,
			  struct insn_table *t)
{
	for (uint64_t back = 1; back <= 14 && back <= anchor; back++) {
		const uint8_t *p = code + anchor - back;
		size_t left = size - (anchor - back);
		uint64_t addr = anchor - back;
		const cs_x86_encoding *e;
		struct insn in;

		if (!cs_disasm_iter(cs, &p, &left, &addr, ci))
			continue;
		e = &ci->detail->x86.encoding;
		if (!((e->disp_size == 4 && e->disp_offset == back) ||
		      (e->imm_size == 4 && e->imm_offset == back)) || ci->size <= back)
			continue;
		classify_insn(ci, &in);
		insert(t, &in);
		return;
	}
}

int decode_section(const uint8_t *code, size_t size, const uint64_t *resync, size_t nresync,
		   const uint64_t *anchors, size_t nanchors, struct insn_table *t)
{
	csh cs;
	cs_insn *ci;
	uint64_t off = 0;

	memset(t, 0, sizeof *t);
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return -1;
	cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON);
	ci = cs_malloc(cs);
	while (off < size) {
		const uint8_t *p = code + off;
		size_t left = size - off;
		uint64_t addr = off;
		struct insn in;

		if (rdpkru_insn(p, left, &in, off)) {
			push(t, &in);
			off += 3;
			continue;
		}
		if (!cs_disasm_iter(cs, &p, &left, &addr, ci)) {
			off = next_resync(resync, nresync, off);
			continue;
		}
		classify_insn(ci, &in);
		push(t, &in);
		off = addr;
	}
	for (size_t i = 0; i < nanchors; i++)
		if (anchors[i] < size && !insn_at(t, anchors[i]))
			decode_anchor(cs, ci, code, size, anchors[i], t);
	cs_free(ci, 1);
	cs_close(&cs);
	return 0;
}

const struct insn *insn_at(const struct insn_table *t, uint64_t off)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		const struct insn *in = &t->v[mid];
		if (off < in->off)
			hi = mid;
		else if (off >= in->off + in->len)
			lo = mid + 1;
		else
			return in;
	}
	return NULL;
}

long long find_wrpkru_bytes(const uint8_t *code, size_t size)
{
	for (size_t i = 0; i < size; i++)
		if (ia2_pkru_writer_at(code + i, size - i) == IA2_WRPKRU)
			return (long long)i;
	return -1;
}

long long find_xrstor_bytes(const uint8_t *code, size_t size)
{
	for (size_t i = 0; i < size; i++) {
		enum ia2_pkru_writer w = ia2_pkru_writer_at(code + i, size - i);
		if (w == IA2_XRSTOR || w == IA2_XRSTORS)
			return (long long)i;
	}
	return -1;
}

void insn_table_free(struct insn_table *t)
{
	free(t->v);
	memset(t, 0, sizeof *t);
}
