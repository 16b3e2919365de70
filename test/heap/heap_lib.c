/* Compartment 2 of the heap test. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../common/pkeyof.h"
#include "alloc.inc"
#include "heap.h"
#include "ia2.h"

void *lib_alloc(const char *how) { return allocate(how); }

int lib_check(void *p, const char *how, int check_pkey)
{
	return contents_ok(p, how) && (!check_pkey || pkey_of(p) == 2);
}

void lib_free(void *p) { free(p); }
int lib_read(const char *p) { return *(const volatile char *)p; }
void lib_write(char *p) { *(volatile char *)p = 'w'; }
char *lib_shared_string(void) { return ia2_shared_strdup("shared"); }

char *lib_getline(const char *path)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t n = 0;

	if (!f)
		return NULL;
	if (getline(&line, &n, f) < 0) {
		free(line);
		line = NULL;
	}
	fclose(f);
	return line;
}

char *lib_memstream(void)
{
	char *buf;
	size_t n;
	FILE *f = open_memstream(&buf, &n);

	if (!f)
		return NULL;
	fprintf(f, "memstream %d", 2);
	fclose(f);
	return buf;
}

void lib_print(const char *s)
{
	printf("compartment 2: %s\n", s);
}

static void *alloc_thread(void *unused)
{
	(void)unused;
	return strdup("made in another thread");
}

int lib_cross_thread(int check_pkey)
{
	pthread_t t;
	void *p;

	if (pthread_create(&t, NULL, alloc_thread, NULL) || pthread_join(t, &p) || !p)
		return 0;
	int ok = (!check_pkey || pkey_of(p) == 2) && !strcmp(p, "made in another thread");
	free(p);
	return ok;
}
