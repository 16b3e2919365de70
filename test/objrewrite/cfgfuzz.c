/* Fuzzer for the config parser (objrewrite/config.c).
 *
 * usage: cfgfuzz [--iterations N] WORKDIR
 *
 * Each iteration writes a config file of random lines to WORKDIR/ia2.conf:
 * rules built from pieces of the grammar (globs, compartment numbers in
 * and out of range, share rules, comments), very long lines, lines of
 * hundreds of fields, and raw bytes; then reads it for a few output names
 * in a child process. read_policy must return 0 or -1 and leave a policy
 * whose compartment is 0..IA2_LAST_COMPARTMENT, whose path rules have
 * absolute globs and compartments 1..IA2_LAST_COMPARTMENT, and whose
 * syscalls rules name compartments 1..IA2_LAST_COMPARTMENT and calls that
 * exist, never exit, exit_group or rt_sigreturn; a crash, a hang or another exit status is a
 * bug, and the file is kept as WORKDIR/crash-I.conf. */
#include "config.h"
#include "random.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const pieces[] = {
	"libfoo.so*", "*", "prog", "lib[a-z]*.so", "[", "\\\\", "share", "#", "# comment",
	"1", "2", "14", "15", "16", "0", "-1", "99999999999999999999", "2x", "table", "counter",
	"\t", " ", "libfoo.so", "[!a]*", "**", "share share", "share-heap", "share-heap share",
	"copy-arg", "copy-arg libfoo.so f", "/opt/app/*.so", "plugins/x.so", "/", "/a:b",
	"syscalls", "syscalls 2 deny", "deny", "allow", "socket", "openat", "exit_group",
	"rt_sigreturn", "sokcet", "syscalls 14 deny execve",
};

static void write_line(FILE *f, uint64_t *rng)
{
	switch (below(rng, 6)) {
	case 0:   /* raw bytes, NULs and newlines among them */
		for (size_t n = below(rng, 64); n > 0; n--)
			fputc((int)below(rng, 256), f);
		break;
	case 1:   /* a very long field */
		for (size_t n = 1000 + below(rng, 100000); n > 0; n--)
			fputc('a' + (int)below(rng, 26), f);
		break;
	case 2:   /* more fields than a line may have */
		fputs("share x", f);
		for (size_t n = 200 + below(rng, 200); n > 0; n--)
			fprintf(f, " v%zu", n);
		break;
	default:  /* grammar pieces */
		for (size_t n = below(rng, 5); n > 0; n--)
			fprintf(f, "%s%s", pieces[below(rng, sizeof pieces / sizeof *pieces)],
				below(rng, 4) ? " " : "");
		break;
	}
	if (below(rng, 8))
		fputc('\n', f);
}

static int read_all(const char *path)
{
	static const char *const outputs[] = {"libfoo.so.1", "prog", "", "/a/b/libz.so", "."};

	for (size_t i = 0; i < sizeof outputs / sizeof *outputs; i++) {
		struct policy p;
		int rc = read_policy(path, outputs[i], &p);
		if (rc != 0 && rc != -1)
			return 3;
		if (rc == 0 && (p.compartment < 0 || p.compartment > IA2_LAST_COMPARTMENT))
			return 4;
		for (size_t j = 0; rc == 0 && j < p.nloads; j++)
			if (p.loads[j].glob[0] != '/' || p.loads[j].compartment < 1 ||
			    p.loads[j].compartment > IA2_LAST_COMPARTMENT)
				return 5;
		/* 15 rt_sigreturn, 60 exit, 231 exit_group (asm/unistd_64.h) */
		for (size_t j = 0; rc == 0 && j < p.ndenied_calls; j++)
			if (p.denied_calls[j].compartment < 1 ||
			    p.denied_calls[j].compartment > IA2_LAST_COMPARTMENT ||
			    p.denied_calls[j].nr < 0 || p.denied_calls[j].nr == 15 ||
			    p.denied_calls[j].nr == 60 || p.denied_calls[j].nr == 231)
				return 6;
		if (rc == 0)
			policy_free(&p);
	}
	return 0;
}

static int iterate(const char *workdir, long iter)
{
	uint64_t rng = (uint64_t)iter * 0x100000001b3ull + 1;
	char *path = format("%s/ia2.conf", workdir);
	FILE *f = fopen(path, "w");
	int status;
	pid_t pid;

	if (!f)
		return fprintf(stderr, "cfgfuzz: %s: %s\n", path, strerror(errno)), 1;
	for (size_t n = below(&rng, 12); n > 0; n--)
		write_line(f, &rng);
	fclose(f);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stderr);
		alarm(10);
		_exit(read_all(path));
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 1;
	free(path);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	char *kept = format("%s/crash-%ld.conf", workdir, iter);
	char *argv[] = {"cp", path = format("%s/ia2.conf", workdir), kept, NULL};
	run_command(argv);
	printf("iteration %ld: %s %d; config kept as %s\n", iter,
	       WIFSIGNALED(status) ? "killed by signal" : "exit status",
	       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), kept);
	free(kept);
	free(path);
	return 1;
}

int main(int argc, char **argv)
{
	long iterations = 1000, failures = 0;
	int i = 1;

	if (argc == 4 && !strcmp(argv[1], "--iterations")) {
		iterations = atol(argv[2]);
		i = 3;
	}
	if (argc - i != 1) {
		fprintf(stderr, "usage: cfgfuzz [--iterations N] WORKDIR\n");
		return 2;
	}
	if (mkdir(argv[i], 0755) && errno != EEXIST)
		return fprintf(stderr, "cfgfuzz: %s: %s\n", argv[i], strerror(errno)), 2;
	for (long it = 0; it < iterations; it++)
		failures += iterate(argv[i], it);
	printf("cfgfuzz: %ld of %ld configs crashed the parser\n", failures, iterations);
	return failures ? 1 : 0;
}
