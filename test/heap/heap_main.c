/* Compartment 1 of the heap test. `heap CASE`:
 *  - pkeys: every allocation function, called in either compartment,
 *    returns a block in that compartment's heap (its pkey, per smaps),
 *    usable and freeable there; the shared heap and glibc's own buffers
 *    have pkey 0 and work from either compartment; stdio, first used in
 *    one compartment, keeps working in the other; a block allocated in one
 *    thread of compartment 2 is freed in another;
 *  - functions: the same without the pkey checks, for the emulated-PKRU
 *    runtime under valgrind and ASan;
 *  - main-reads-lib-heap ... lib-writes-main-heap: must die with
 *    SEGV_PKUERR (run under ia2-expect-pkuerr);
 *  - free-foreign, realloc-foreign: must abort with a message. */
#define _GNU_SOURCE
#include "../common/pkeyof.h"
#include "alloc.inc"
#include "heap.h"
#include "ia2.h"

#include <errno.h>

static const char *const allocators[] = {
	"malloc", "calloc", "realloc", "reallocarray", "aligned_alloc", "posix_memalign",
	"memalign", "valloc", "pvalloc", "strdup", "strndup", "asprintf", "vasprintf",
	"realpath", "getcwd", "large",
};

static int failures;
static int check_pkeys;   /* the pkeys case; functions skips the pkey checks */

static void expect(int ok, const char *what, const char *how)
{
	if (!ok) {
		printf("FAIL: %s (%s)\n", what, how);
		failures++;
	}
}

static int pkey_is(const void *p, int want)
{
	return !check_pkeys || pkey_of(p) == want;
}

static void check_allocators(void)
{
	for (size_t i = 0; i < sizeof allocators / sizeof *allocators; i++) {
		const char *how = allocators[i];
		char *mine = allocate(how);
		char *theirs = lib_alloc(how);

		expect(mine && contents_ok(mine, how), "compartment 1's block is usable", how);
		expect(mine && pkey_is(mine, 1), "compartment 1's block has pkey 1", how);
		expect(theirs && lib_check(theirs, how, check_pkeys), "compartment 2's block has pkey 2", how);
		free(mine);
		lib_free(theirs);
	}
}

static void check_shared(void)
{
	char *s = lib_shared_string(), *p = ia2_shared_malloc(16), *mine = malloc(16);

	expect(s && !strcmp(s, "shared") && pkey_is(s, 0), "ia2_shared_strdup", "lib");
	expect(p && pkey_is(p, 0), "ia2_shared_malloc", "main");
	p = ia2_shared_realloc(p, 1 << 20);
	expect(p && pkey_is(p, 0), "ia2_shared_realloc keeps blocks shared", "main");
	errno = 0;
	if (check_pkeys)   /* the emulated runtime under ASan or valgrind has one heap */
		expect(!ia2_shared_realloc(mine, 32) && errno == EINVAL,
		       "ia2_shared_realloc refuses a compartment's block", "main");
	lib_write(s);
	lib_write(p);
	free(s);
	free(p);
	free(mine);
}

static void check_libc_buffers(const char *self)
{
	char *line = lib_getline(self), *ms = lib_memstream();

	expect(line && pkey_is(line, 0) && line[0], "getline's buffer is shared", "lib");
	expect(ms && pkey_is(ms, 0) && !strcmp(ms, "memstream 2"),
	       "open_memstream's buffer is shared", "lib");
	line = realloc(line, 4096);
	expect(line && pkey_is(line, 0), "realloc keeps a shared buffer shared", "main");
	free(line);
	free(ms);
}

static int check_all(const char *self)
{
	printf("compartment 1: stdio first\n");
	lib_print("stdio second");
	check_allocators();
	check_shared();
	check_libc_buffers(self);
	expect(lib_cross_thread(check_pkeys), "a block freed by another thread of its compartment", "lib");
	printf("%s: %d failures\n", failures ? "FAIL" : "PASS", failures);
	return failures != 0;
}

int main(int argc, char **argv)
{
	const char *c = argc == 2 ? argv[1] : "";
	char *mine = malloc(64), *theirs = lib_alloc("malloc");

	printf("heap: %s\n", c);
	fflush(stdout);
	strcpy(mine, "compartment 1");
	if (!strcmp(c, "pkeys") || !strcmp(c, "functions")) {
		check_pkeys = !strcmp(c, "pkeys");
		return check_all(argv[0]);
	}
	if (!strcmp(c, "main-reads-lib-heap"))
		return *(volatile char *)theirs;
	if (!strcmp(c, "main-writes-lib-heap"))
		return *(volatile char *)theirs = 1, 0;
	if (!strcmp(c, "lib-reads-main-heap"))
		return lib_read(mine);
	if (!strcmp(c, "lib-writes-main-heap"))
		return lib_write(mine), 0;
	if (!strcmp(c, "free-foreign"))
		return free(theirs), 0;
	if (!strcmp(c, "realloc-foreign"))
		return realloc(theirs, 128) != NULL;
	fprintf(stderr, "usage: heap pkeys|functions|main-reads-lib-heap|main-writes-lib-heap|"
			"lib-reads-main-heap|lib-writes-main-heap|free-foreign|realloc-foreign\n");
	return 2;
}
