/* Unit test for objrewrite/signature.c.
 *
 * usage: sigtest gcc|clang NOT_ELF NO_DWARF FIXTURE.o...
 *
 * Reads each FIXTURE.o (sigs.c built by the named compiler) and checks the
 * signature of every function in the table below, which was written from
 * the psABI (section 3.2.3) and checked against the registers and stack
 * slots that gcc 12 and clang 14 fill when calling these functions. Also
 * checks that NOT_ELF is rejected with a message naming it, and that
 * NO_DWARF, an object without debug information, gives an empty table.
 * Prints one line per mismatch; exits 1 if there was any. */

#include "signature.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The fields of struct signature that say how a call passes arguments. */
struct expect {
	const char *name;
	const char *only; /* the compiler this line is for, or NULL for both */
	int gpr_args, sse_args, stack_bytes, stack_align;
	bool variadic;
	enum ret_kind ret;
	int ret_gpr, ret_sse, ret_size;
};

static const struct expect expects[] = {
	{ "i0", NULL, 0, 0, 0, 8, false, RET_REGS, 1, 0, 0 },
	{ "i1", NULL, 1, 0, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "i6", NULL, 6, 0, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "i7", NULL, 6, 0, 8, 8, false, RET_VOID, 0, 0, 0 },
	{ "i12", NULL, 6, 0, 48, 8, false, RET_REGS, 1, 0, 0 },
	{ "scalars", NULL, 6, 0, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "ptrs", NULL, 3, 0, 0, 8, false, RET_REGS, 1, 0, 0 },
	{ "b1", NULL, 1, 0, 0, 8, false, RET_REGS, 1, 0, 0 },
	{ "e1", NULL, 1, 0, 0, 8, false, RET_REGS, 1, 0, 0 },
	{ "i128", NULL, 4, 0, 0, 8, false, RET_REGS, 2, 0, 0 },
	/* clang before 20 does not follow the psABI here (LLVM issues
	 * 41784, 123935) and signature.c does not model it. */
	{ "i128_stack", "gcc", 6, 0, 16, 16, false, RET_VOID, 0, 0, 0 },
	{ "quals", NULL, 2, 2, 0, 8, false, RET_VOID, 0, 0, 0 },

	{ "d8", NULL, 0, 8, 0, 8, false, RET_REGS, 0, 1, 0 },
	{ "d10", NULL, 0, 8, 16, 8, false, RET_VOID, 0, 0, 0 },
	{ "f1", NULL, 0, 1, 0, 8, false, RET_REGS, 0, 1, 0 },
	{ "mix_id", NULL, 2, 2, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "mix_many", NULL, 6, 8, 16, 8, false, RET_VOID, 0, 0, 0 },
	{ "q1", NULL, 0, 1, 0, 8, false, RET_REGS, 0, 1, 0 },
	{ "vec4", NULL, 0, 1, 0, 8, false, RET_REGS, 0, 1, 0 },
	{ "vec8", NULL, 1, 0, 32, 32, false, RET_VOID, 0, 0, 0 },

	{ "s_ii", NULL, 1, 0, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_dd", NULL, 0, 2, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_id", NULL, 1, 1, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_di", NULL, 1, 1, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_ccc", NULL, 1, 0, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_fff", NULL, 0, 2, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_fi", NULL, 1, 0, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_big", NULL, 0, 0, 24, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_hasld", NULL, 0, 0, 32, 16, false, RET_VOID, 0, 0, 0 },
	{ "s_ld1", NULL, 0, 0, 16, 16, false, RET_VOID, 0, 0, 0 },
	{ "s_a16", NULL, 6, 0, 40, 16, false, RET_VOID, 0, 0, 0 },
	{ "s_a16_reg", NULL, 2, 0, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_a32", NULL, 6, 0, 72, 32, false, RET_VOID, 0, 0, 0 },
	{ "s_i128s", NULL, 2, 0, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_farr", NULL, 0, 2, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_iarr", NULL, 2, 0, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_carr", NULL, 0, 0, 24, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_ffarr", NULL, 0, 2, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_bits", NULL, 1, 0, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_bitd", NULL, 1, 1, 0, 8, false, RET_VOID, 0, 0, 0 },
	/* clang passes a struct with a flexible array member in memory. */
	{ "s_flex", "gcc", 2, 0, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_flex", "clang", 1, 0, 8, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_zero", NULL, 2, 0, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_empty", NULL, 1, 0, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_packed", NULL, 1, 0, 8, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_nested", NULL, 1, 1, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_inu", NULL, 1, 0, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "u_if", NULL, 1, 0, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "u_fd", NULL, 0, 1, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "u_big", NULL, 0, 0, 24, 8, false, RET_VOID, 0, 0, 0 },
	{ "u_vl", NULL, 2, 1, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "u_ldl", NULL, 2, 0, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "c_f", NULL, 0, 1, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "c_d", NULL, 0, 2, 0, 8, false, RET_VOID, 0, 0, 0 },
	{ "c_ld", NULL, 0, 0, 32, 16, false, RET_VOID, 0, 0, 0 },

	{ "s_ll5", NULL, 6, 0, 16, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_dd7", NULL, 0, 8, 16, 8, false, RET_VOID, 0, 0, 0 },
	{ "s_id6", NULL, 6, 0, 16, 8, false, RET_VOID, 0, 0, 0 },

	{ "ld1", NULL, 0, 0, 16, 16, false, RET_VOID, 0, 0, 0 },
	{ "ld_pad", NULL, 6, 0, 32, 16, false, RET_VOID, 0, 0, 0 },
	{ "ld_mid", NULL, 1, 1, 16, 16, false, RET_VOID, 0, 0, 0 },

	{ "r_ii", NULL, 0, 0, 0, 8, false, RET_REGS, 1, 0, 0 },
	{ "r_ll", NULL, 0, 0, 0, 8, false, RET_REGS, 2, 0, 0 },
	{ "r_dd", NULL, 0, 0, 0, 8, false, RET_REGS, 0, 2, 0 },
	{ "r_id", NULL, 0, 0, 0, 8, false, RET_REGS, 1, 1, 0 },
	{ "r_di", NULL, 0, 0, 0, 8, false, RET_REGS, 1, 1, 0 },
	{ "r_fff", NULL, 0, 0, 0, 8, false, RET_REGS, 0, 2, 0 },
	{ "r_big", NULL, 1, 0, 0, 8, false, RET_MEMORY, 0, 0, 24 },
	{ "r_big6", NULL, 6, 0, 8, 8, false, RET_MEMORY, 0, 0, 24 },
	{ "r_hasld", NULL, 1, 0, 0, 8, false, RET_MEMORY, 0, 0, 32 },
	{ "r_flex", "gcc", 0, 0, 0, 8, false, RET_REGS, 1, 0, 0 },
	{ "r_flex", "clang", 1, 0, 0, 8, false, RET_MEMORY, 0, 0, 4 },
	{ "r_empty", NULL, 0, 0, 0, 8, false, RET_REGS, 0, 0, 0 },
	{ "r_ld", NULL, 0, 0, 0, 8, false, RET_X87, 0, 0, 0 },
	{ "r_ld1", NULL, 0, 0, 0, 8, false, RET_X87, 0, 0, 0 },
	{ "r_cld", NULL, 0, 0, 0, 8, false, RET_X87, 0, 0, 0 },
	{ "r_cf", NULL, 0, 0, 0, 8, false, RET_REGS, 0, 1, 0 },
	{ "r_cd", NULL, 0, 0, 0, 8, false, RET_REGS, 0, 2, 0 },
	{ "r_d", NULL, 0, 0, 0, 8, false, RET_REGS, 0, 1, 0 },
	{ "r_u128", NULL, 0, 0, 0, 8, false, RET_REGS, 2, 0, 0 },

	{ "v_printf", NULL, 1, 0, 0, 8, true, RET_REGS, 1, 0, 0 },
	{ "v_mixed", NULL, 1, 1, 0, 8, true, RET_VOID, 0, 0, 0 },
	{ "knr", NULL, 1, 1, 0, 8, false, RET_REGS, 1, 0, 0 },
	{ "st", NULL, 1, 1, 0, 8, false, RET_REGS, 1, 0, 0 },
	{ "cp", NULL, 2, 0, 0, 8, false, RET_REGS, 1, 0, 0 },
	{ "use_statics", NULL, 1, 0, 0, 8, false, RET_REGS, 1, 0, 0 },
	{ "calls_declared", NULL, 1, 0, 0, 8, false, RET_REGS, 1, 0, 0 },
};

/* What signature.c notes of pointers to records (copy-arg rules):
 * record_ptrs, record_reg, record_size, record_align, record_const. */
struct expect_record {
	const char *name;
	int ptrs, reg, size, align;
	bool is_const;
};

static const struct expect_record records[] = {
	{ "ptrs", 0, 0, 0, 0, false },
	{ "quals", 1, 1, 16, 8, true },
	{ "rp_one", 1, 1, 24, 8, false },
	{ "rp_typedef", 1, 1, 32, 32, false },
	{ "rp_union", 1, 0, 4, 4, false },
	{ "rp_two", 2, 0, 8, 4, false },
	{ "rp_none", 0, 0, 0, 0, false },
	{ "rp_stack", 0, 0, 0, 0, false },
	{ "rp_sret", 1, 1, 8, 4, false },
};

/* Functions the table must not have: one only declared, one absent. */
static const char *const absent[] = { "declared_only", "not_in_dwarf" };

static int failures;

static void mismatch(const char *obj, const char *fn, const char *field, int got, int want)
{
	printf("%s: %s: %s is %d, expected %d\n", obj, fn, field, got, want);
	failures++;
}

static void check_field(const char *obj, const char *fn, const char *field, int got, int want)
{
	if (got != want)
		mismatch(obj, fn, field, got, want);
}

/* The signature of `name`, or a failure if the table lacks it. */
static bool find(const char *obj, const struct sigtab *t, const char *name, struct signature *g)
{
	if (sigtab_find(t, name, g))
		return true;
	printf("%s: %s: not found\n", obj, name);
	failures++;
	return false;
}

static void check_signature(const char *obj, const struct sigtab *t, const struct expect *e)
{
	const struct expect *w = e;
	struct signature g;

	if (!find(obj, t, e->name, &g))
		return;
	check_field(obj, e->name, "gpr_args", g.gpr_args, w->gpr_args);
	check_field(obj, e->name, "sse_args", g.sse_args, w->sse_args);
	check_field(obj, e->name, "stack_bytes", g.stack_bytes, w->stack_bytes);
	check_field(obj, e->name, "stack_align", g.stack_align, w->stack_align);
	check_field(obj, e->name, "variadic", g.variadic, w->variadic);
	check_field(obj, e->name, "ret", (int)g.ret, (int)w->ret);
	check_field(obj, e->name, "ret_gpr", g.ret_gpr, w->ret_gpr);
	check_field(obj, e->name, "ret_sse", g.ret_sse, w->ret_sse);
	check_field(obj, e->name, "ret_size", g.ret_size, w->ret_size);
}

static void check_record(const char *obj, const struct sigtab *t, const struct expect_record *e)
{
	struct signature g;

	if (!find(obj, t, e->name, &g))
		return;
	check_field(obj, e->name, "record_ptrs", g.record_ptrs, e->ptrs);
	if (e->ptrs == 0)
		return;
	check_field(obj, e->name, "record_reg", g.record_reg, e->reg);
	check_field(obj, e->name, "record_size", g.record_size, e->size);
	check_field(obj, e->name, "record_align", g.record_align, e->align);
	check_field(obj, e->name, "record_const", g.record_const, e->is_const);
}

static void check_absent(const char *obj, const struct sigtab *t, const char *name)
{
	struct signature g;

	if (sigtab_find(t, name, &g)) {
		printf("%s: %s: found, expected no signature\n", obj, name);
		failures++;
	}
}

static void check_fixture(const char *obj, const char *compiler)
{
	struct sigtab *t = sigtab_read(obj);

	if (!t) {
		printf("%s: sigtab_read failed\n", obj);
		failures++;
		return;
	}
	for (size_t i = 0; i < sizeof expects / sizeof *expects; i++)
		if (!expects[i].only || strcmp(expects[i].only, compiler) == 0)
			check_signature(obj, t, &expects[i]);
	for (size_t i = 0; i < sizeof records / sizeof *records; i++)
		check_record(obj, t, &records[i]);
	for (size_t i = 0; i < sizeof absent / sizeof *absent; i++)
		check_absent(obj, t, absent[i]);
	sigtab_free(t);
}

/* An object without DWARF is no error: it just has no signatures. */
static void check_no_dwarf(const char *obj)
{
	struct sigtab *t = sigtab_read(obj);

	if (!t) {
		printf("%s: sigtab_read failed on an object without DWARF\n", obj);
		failures++;
		return;
	}
	check_absent(obj, t, "i0");
	sigtab_free(t);
}

/* sigtab_read(path) must fail and say so on stderr, naming `path`. The
 * message is captured through a temporary file standing in for fd 2. */
static void check_rejected(const char *path)
{
	char msg[1024] = "";
	FILE *log = tmpfile();
	int saved = dup(2);
	struct sigtab *t;

	if (!log || saved < 0) {
		perror("sigtest: capturing stderr");
		exit(2);
	}
	fflush(stderr);
	dup2(fileno(log), 2);
	t = sigtab_read(path);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(log);
	msg[fread(msg, 1, sizeof msg - 1, log)] = '\0';
	fclose(log);

	if (t) {
		printf("%s: sigtab_read accepted it\n", path);
		sigtab_free(t);
		failures++;
	} else if (!strstr(msg, "ia2: ") || !strstr(msg, path)) {
		printf("%s: message does not name the file: \"%s\"\n", path, msg);
		failures++;
	}
}

int main(int argc, char **argv)
{
	if (argc < 5 || (strcmp(argv[1], "gcc") != 0 && strcmp(argv[1], "clang") != 0)) {
		fprintf(stderr, "usage: sigtest gcc|clang NOT_ELF NO_DWARF FIXTURE.o...\n");
		return 2;
	}
	check_rejected(argv[2]);
	check_rejected("/nonexistent/sigtest.o");
	check_no_dwarf(argv[3]);
	for (int i = 4; i < argc; i++)
		check_fixture(argv[i], argv[1]);
	if (failures)
		printf("%d mismatches\n", failures);
	return failures != 0;
}
