/* A DSO outside every compartment, built without unwind tables, so that
 * libia2 cannot tell where its functions start: it hands glibc static
 * functions of its own, which its own code may call through a pointer
 * (libia2/calls_back.c). */
#include <link.h>
#include <stdio.h>
#include <stdlib.h>

static int dsos;

static int count_dso(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)info, (void)size, (void)data;
	dsos++;
	return 0;
}

static int compare(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

int plain_walk(void)
{
	int v[3] = {3, 1, 2};

	dl_iterate_phdr(count_dso, NULL);
	qsort(v, 3, sizeof *v, compare);
	printf("plain: %d DSOs, sorted %d %d %d\n", dsos, v[0], v[1], v[2]);
	return dsos > 0 && v[0] == 1 && v[2] == 3 ? 0 : 1;
}
