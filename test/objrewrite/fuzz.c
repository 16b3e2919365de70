/* Mutation fuzzer for the objrewrite engine.
 *
 * usage: rwfuzz [--iterations N] [--seed S] [--only I] [--finish] SEED.o WORKDIR
 *
 * Each iteration writes a mutated copy of SEED.o (an x86-64 ET_REL
 * object, or a thin archive) to WORKDIR/input.o and runs every pass on it in a child
 * process; with --finish, SEED is a linked DSO and the child runs the
 * post-link step on it (postlink.c, tlsbind.c, padtls). The child must exit 0 (the mutant was still acceptable) or 1
 * (a pass refused it). A child killed by a signal is a bug: a crash, or
 * SIGALRM after the time limit, a hang; so is any other exit status. Its
 * input is kept as WORKDIR/crash-I.o, I being the iteration, and
 * `--seed S --only I` repeats exactly that iteration. Exits 1 if any
 * child failed so, 2 on bad usage.
 *
 * Mutations aim at what the engine parses: the ELF header, program and
 * section headers, symbols (static and dynamic) and relocation entries,
 * plus byte flips and truncation anywhere. */
#include "rewrite.h"
#include "random.h"
#include "util.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

enum { CHILD_SECONDS = 10, CHILD_MEMORY = 1 << 30 };

struct buf {
	unsigned char *p;
	size_t n;
};

/* Where the seed keeps the tables a mutation aims at. */
struct range {
	size_t off;     /* first entry */
	size_t count;   /* entries */
	size_t entsize;
};

struct layout {
	struct range phdrs, shdrs, syms, dynsyms, relas[64];
	size_t nrelas;
};

struct field {
	size_t off, size;
};

#define FIELD(type, member) {offsetof(type, member), sizeof(((type *)0)->member)}

static const struct field ehdr_fields[] = {
	{EI_CLASS, 1}, {EI_DATA, 1}, {EI_VERSION, 1},
	FIELD(Elf64_Ehdr, e_type), FIELD(Elf64_Ehdr, e_machine), FIELD(Elf64_Ehdr, e_phoff),
	FIELD(Elf64_Ehdr, e_shoff), FIELD(Elf64_Ehdr, e_ehsize), FIELD(Elf64_Ehdr, e_phnum),
	FIELD(Elf64_Ehdr, e_shentsize), FIELD(Elf64_Ehdr, e_shnum), FIELD(Elf64_Ehdr, e_shstrndx),
};

static const struct field phdr_fields[] = {
	FIELD(Elf64_Phdr, p_type), FIELD(Elf64_Phdr, p_flags), FIELD(Elf64_Phdr, p_offset),
	FIELD(Elf64_Phdr, p_vaddr), FIELD(Elf64_Phdr, p_filesz), FIELD(Elf64_Phdr, p_memsz),
	FIELD(Elf64_Phdr, p_align),
};

static const struct field shdr_fields[] = {
	FIELD(Elf64_Shdr, sh_name), FIELD(Elf64_Shdr, sh_type), FIELD(Elf64_Shdr, sh_flags),
	FIELD(Elf64_Shdr, sh_offset), FIELD(Elf64_Shdr, sh_size), FIELD(Elf64_Shdr, sh_link),
	FIELD(Elf64_Shdr, sh_info), FIELD(Elf64_Shdr, sh_addralign), FIELD(Elf64_Shdr, sh_entsize),
};

static const struct field sym_fields[] = {
	FIELD(Elf64_Sym, st_name), FIELD(Elf64_Sym, st_info), FIELD(Elf64_Sym, st_other),
	FIELD(Elf64_Sym, st_shndx), FIELD(Elf64_Sym, st_value), FIELD(Elf64_Sym, st_size),
};

/* r_info is split so that the symbol index and the type vary separately. */
static const struct field rela_fields[] = {
	FIELD(Elf64_Rela, r_offset), {offsetof(Elf64_Rela, r_info), 4},
	{offsetof(Elf64_Rela, r_info) + 4, 4}, FIELD(Elf64_Rela, r_addend),
};

#define COUNT(a) (sizeof(a) / sizeof *(a))

static void die(const char *what)
{
	fprintf(stderr, "rwfuzz: %s: %s\n", what, strerror(errno));
	exit(2);
}

static struct buf read_file(const char *path)
{
	struct buf b = {0};
	struct stat st;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st))
		die(path);
	b.n = (size_t)st.st_size;
	b.p = xmalloc(b.n);
	if (read(fd, b.p, b.n) != (ssize_t)b.n)
		die(path);
	close(fd);
	return b;
}

static void write_file(const char *path, const unsigned char *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, p, n) != (ssize_t)n || close(fd))
		die(path);
}

/* The seed is trusted: it is one of the test's own fixtures. A seed that
 * is no ELF64 object (a thin archive) has no tables to aim at: it gets
 * byte flips, truncation and pokes at fixed offsets only. */
static struct layout parse_seed(const struct buf *b)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)b->p;
	struct layout l = {0};

	if (b->n < sizeof *eh || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shoff + eh->e_shnum * sizeof(Elf64_Shdr) > b->n)
		return l;
	l.shdrs = (struct range){eh->e_shoff, eh->e_shnum, sizeof(Elf64_Shdr)};
	if (eh->e_phoff + eh->e_phnum * sizeof(Elf64_Phdr) <= b->n)
		l.phdrs = (struct range){eh->e_phoff, eh->e_phnum, sizeof(Elf64_Phdr)};
	for (size_t i = 0; i < eh->e_shnum; i++) {
		const Elf64_Shdr *sh = (const Elf64_Shdr *)(b->p + eh->e_shoff) + i;
		struct range r = {sh->sh_offset, sh->sh_entsize ? sh->sh_size / sh->sh_entsize : 0,
				  sh->sh_entsize};
		if (sh->sh_type == SHT_SYMTAB)
			l.syms = r;
		else if (sh->sh_type == SHT_DYNSYM)
			l.dynsyms = r;
		else if (sh->sh_type == SHT_RELA && l.nrelas < COUNT(l.relas))
			l.relas[l.nrelas++] = r;
	}
	return l;
}

/* A value likely to reach an edge: zero, all ones, sign boundaries, a
 * small index, a neighbour of the old value, or noise. */
static uint64_t pick_value(uint64_t *rng, uint64_t old, size_t size)
{
	uint64_t top = size >= 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;

	switch (below(rng, 7)) {
	case 0: return 0;
	case 1: return top;
	case 2: return top >> 1;
	case 3: return (top >> 1) + 1;
	case 4: return below(rng, 64);
	case 5: return old + (below(rng, 2) ? 1 : -1);
	default: return next_random(rng);
	}
}

static void poke(struct buf *b, size_t off, size_t size, uint64_t *rng)
{
	uint64_t old = 0, v;

	if (off + size > b->n)
		return;
	memcpy(&old, b->p + off, size);   /* x86-64 is little-endian, like the objects */
	v = pick_value(rng, old, size);
	memcpy(b->p + off, &v, size);
}

/* Overwrite one field of a random entry of table r. */
static void poke_entry(struct buf *b, const struct range *r, const struct field *f, size_t nf,
		       uint64_t *rng)
{
	const struct field *fl = &f[below(rng, nf)];

	if (r->count)
		poke(b, r->off + below(rng, r->count) * r->entsize + fl->off, fl->size, rng);
}

static const char *mutate_once(struct buf *b, const struct layout *l, uint64_t *rng)
{
	switch (below(rng, 8)) {
	case 0:
		for (size_t i = 1 + below(rng, 8); i > 0; i--)
			b->p[below(rng, b->n)] ^= (unsigned char)(1u << below(rng, 8));
		return "flip";
	case 1:
		b->n = below(rng, b->n);
		return "truncate";
	case 2: {
		const struct field *f = &ehdr_fields[below(rng, COUNT(ehdr_fields))];
		poke(b, f->off, f->size, rng);
		return "ehdr";
	}
	case 3:
		poke_entry(b, &l->shdrs, shdr_fields, COUNT(shdr_fields), rng);
		return "shdr";
	case 4:
		poke_entry(b, &l->syms, sym_fields, COUNT(sym_fields), rng);
		return "sym";
	case 5:
		poke_entry(b, &l->dynsyms, sym_fields, COUNT(sym_fields), rng);
		return "dynsym";
	case 6:
		poke_entry(b, &l->phdrs, phdr_fields, COUNT(phdr_fields), rng);
		return "phdr";
	default:
		if (l->nrelas)
			poke_entry(b, &l->relas[below(rng, l->nrelas)], rela_fields,
				   COUNT(rela_fields), rng);
		return "rela";
	}
}

/* One to three mutations; `what` names them for the report. */
static void mutate(struct buf *b, const struct layout *l, uint64_t *rng, char *what, size_t n)
{
	what[0] = '\0';
	for (size_t i = 1 + below(rng, 3); i > 0; i--) {
		const char *m = mutate_once(b, l, rng);
		size_t len = strlen(what);
		snprintf(what + len, n - len, "%s%s", len ? "+" : "", m);
	}
}

/* The whole pipeline, as ia2-cc's link runs it (driver/link.c), or
 * with --finish its post-link step. */
static bool finish;

static int run_pipeline(char *input, const char *workdir)
{
	struct dso d = {.compartment = 1, .workdir = workdir};
	char *gates;
	int rc;

	if (finish)
		return finish_dso(input);
	gates = format("%s/gates.s", workdir);
	rc = run_passes(&d, &input, 1, gates);

	dso_free(&d);
	free(gates);
	return rc;
}

/* In the child: the passes' messages are expected and many, so they go
 * to /dev/null; memory and time are bounded so that a mutated size field
 * cannot take the machine down, and a hang ends in SIGALRM. */
static void child(char *input, const char *workdir)
{
	struct rlimit mem = {CHILD_MEMORY, CHILD_MEMORY};
	int null = open("/dev/null", O_WRONLY);

	if (null >= 0)
		dup2(null, 2);
	setrlimit(RLIMIT_AS, &mem);
	alarm(CHILD_SECONDS);
	exit(run_pipeline(input, workdir) ? 1 : 0);
}

/* Runs one iteration; returns 0 if the child exited normally. */
static int iterate(const struct buf *seed, const struct layout *l, uint64_t seed_value, long iter,
		   const char *workdir)
{
	uint64_t rng = seed_value * 0x100000001b3ull ^ (uint64_t)iter;
	struct buf b = {xmalloc(seed->n), seed->n};
	char what[64], *input = format("%s/input.o", workdir);
	char *scratch = format("%s/out", workdir);
	int status, rc = 0;
	pid_t pid;

	memcpy(b.p, seed->p, seed->n);
	mutate(&b, l, &rng, what, sizeof what);
	write_file(input, b.p, b.n);
	mkdir(scratch, 0755);
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0)
		child(input, scratch);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			die("waitpid");
	if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) > 1)) {
		char *saved = format("%s/crash-%ld.o", workdir, iter);
		write_file(saved, b.p, b.n);
		printf("iteration %ld (seed %llu, %s): %s %d; input kept as %s\n", iter,
		       (unsigned long long)seed_value, what,
		       WIFSIGNALED(status) ? "killed by signal" : "exit status",
		       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), saved);
		free(saved);
		rc = 1;
	}
	free(b.p);
	free(input);
	free(scratch);
	return rc;
}

static void usage(void)
{
	fprintf(stderr, "usage: rwfuzz [--iterations N] [--seed S] [--only I] [--finish] SEED.o "
			"WORKDIR\n");
	exit(2);
}

int main(int argc, char **argv)
{
	long iterations = 300, only = -1, failures = 0;
	uint64_t seed_value = 1;
	int i;

	for (i = 1; i + 1 < argc && argv[i][0] == '-'; i += 2) {
		if (!strcmp(argv[i], "--finish")) {
			finish = true;
			i--;
		} else if (!strcmp(argv[i], "--iterations"))
			iterations = atol(argv[i + 1]);
		else if (!strcmp(argv[i], "--seed"))
			seed_value = strtoull(argv[i + 1], NULL, 0);
		else if (!strcmp(argv[i], "--only"))
			only = atol(argv[i + 1]);
		else
			usage();
	}
	if (argc - i != 2)
		usage();
	if (mkdir(argv[i + 1], 0755) && errno != EEXIST)
		die(argv[i + 1]);
	struct buf seed = read_file(argv[i]);
	struct layout l = parse_seed(&seed);
	long first = only >= 0 ? only : 0, end = only >= 0 ? only + 1 : iterations;
	for (long it = first; it < end; it++)
		failures += iterate(&seed, &l, seed_value, it, argv[i + 1]);
	printf("rwfuzz: %s: %ld of %ld mutants crashed the engine\n", argv[i], failures, end - first);
	free(seed.p);
	return failures ? 1 : 0;
}
