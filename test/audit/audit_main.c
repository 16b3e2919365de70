/* Compartment 1 (audit). Exits 0 only if every crossing worked, which
 * needs IA2_AUDIT or the rules it writes. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "audit.h"

int counter;
/* The kernel reads it for the library's open(2): without a rule, open
 * fails with EFAULT. An open goes through the monitor's own check of
 * the file, unlike read. */
char self_path[4096];

/* The function a share-heap rule must name. */
__attribute__((noinline, noclone)) static int *make_numbers(int n)
{
	int *v = malloc(n * sizeof *v);

	for (int i = 0; i < n; i++)
		v[i] = i;
	return v;
}

/* A callback: the rule is copy-arg for it. */
__attribute__((noinline, noclone)) static void fill(struct point *p)
{
	p->x = 3;
	p->y = 4;
}

/* The kernel writes the library's block for read(2): without the rule,
 * read fails with EFAULT, and no fault shows it. */
static int read_own_start(const char *path)
{
	char *buf = lib_buffer(16);
	int fd = open(path, O_RDONLY), ok;

	ok = fd >= 0 && read(fd, buf, 16) == 16 && lib_is_elf(buf);
	close(fd);
	return ok;
}

int main(int argc, char **argv)
{
	int *v = make_numbers(100);
	int sum = lib_sum(v, 100);
	const int *t = lib_table(), *calls;
	int measure, elf = argc > 0 && read_own_start(argv[0]), fd;

	strncpy(self_path, argc > 0 ? argv[0] : "", sizeof self_path - 1);
	fd = lib_open(self_path);
	if (fd >= 0)
		close(fd);

	lib_count(&counter);
	lib_count(&counter);
	measure = lib_measure(fill);
	calls = lib_calls();
	printf("audit: sum %d, counter %d, table %d %d, calls %d, measure %d, elf %d, open %d\n", sum,
	       counter, t[0], t[1], *calls, measure, elf, fd >= 0);
	return sum == 4950 && counter == 2 && t[0] + t[1] == 3 && *calls == 41 && measure == 7 &&
	       elf && fd >= 0 ? 0 : 1;
}
