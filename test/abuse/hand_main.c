/* Compartment 1 hands glibc's functions that call a pointer back before
 * they return the body behind one of compartment 2's gates, which
 * compartment 2 offers it: glibc would call it with compartment 1's
 * rights, and the body reads compartment 1's secret. `hand API` must be
 * stopped by libia2 before glibc calls it. `hand own` hands each of them
 * compartment 1's own functions and checks that glibc called them;
 * `hand plain` lets a DSO outside every compartment hand dl_iterate_phdr
 * and qsort functions of its own that have no unwind tables, which the
 * DSO's own code may call through a pointer. */
#define _GNU_SOURCE
#include <argp.h>
#include <dirent.h>
#include <fcntl.h>
#include <fts.h>
#include <glob.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <threads.h>

void *abuse_offer(const char *what);
int plain_walk(void);

static int calls;

static void count(void)
{
	calls++;
}

static int count_dso(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)info, (void)size, (void)data;
	calls++;
	return 0;
}

static int count_entry(const struct dirent *d)
{
	(void)d;
	calls++;
	return 0;
}

static int compare_entries(const FTSENT **a, const FTSENT **b)
{
	calls++;
	return strcmp((*a)->fts_name, (*b)->fts_name);
}

static error_t parse(int key, char *arg, struct argp_state *state)
{
	(void)key, (void)arg, (void)state;
	calls++;
	return ARGP_ERR_UNKNOWN;
}

static char *paths[] = {"/etc", "/", NULL};

/* The functions, each with fn where it calls a pointer back. */
static void call_with(const char *api, void *fn)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	static once_flag flag = ONCE_FLAG_INIT;
	struct argp parent = {0}, child = {0};
	struct argp_child children[] = {{&child, 0, NULL, 0}, {0}};
	char *argv[] = {"hand", NULL};
	struct dirent **list;
	glob_t g = {0};
	FTS *fts;

	if (!strcmp(api, "pthread_once"))
		pthread_once(&once, (void (*)(void))fn);
	else if (!strcmp(api, "call_once"))
		call_once(&flag, (void (*)(void))fn);
	else if (!strcmp(api, "dl_iterate_phdr"))
		dl_iterate_phdr((int (*)(struct dl_phdr_info *, size_t, void *))fn, NULL);
	else if (!strcmp(api, "scandirat")) {
		if (scandirat(AT_FDCWD, "/", &list, (int (*)(const struct dirent *))fn, NULL) >= 0)
			free(list);
	} else if (!strcmp(api, "glob")) {
		glob("/nonexistent-ia2/*", 0, (int (*)(const char *, int))fn, &g);
		globfree(&g);
	} else if (!strcmp(api, "glob-altdir")) {
		g.gl_opendir = (void *(*)(const char *))fn;
		g.gl_readdir = (struct dirent *(*)(void *))readdir;
		g.gl_closedir = (void (*)(void *))closedir;
		g.gl_stat = stat;
		g.gl_lstat = lstat;
		glob("/*", GLOB_ALTDIRFUNC, NULL, &g);
		globfree(&g);
	} else if (!strcmp(api, "fts_open")) {
		if ((fts = fts_open(paths, FTS_PHYSICAL,
				    (int (*)(const FTSENT **, const FTSENT **))fn)))
			fts_close(fts);
	} else if (!strcmp(api, "fts_read")) {
		/* An FTS that reaches compartment 1 with the comparator changed. */
		if ((fts = fts_open(paths, FTS_PHYSICAL, NULL))) {
			fts->fts_compar = (int (*)(const void *, const void *))fn;
			fts_read(fts);
			fts_close(fts);
		}
	} else if (!strcmp(api, "argp_parse")) {
		parent.parser = (error_t(*)(int, char *, struct argp_state *))fn;
		argp_parse(&parent, 1, argv, ARGP_NO_HELP | ARGP_NO_EXIT, NULL, NULL);
	} else if (!strcmp(api, "argp_help")) {
		child.help_filter = (char *(*)(int, const char *, void *))fn;
		parent.children = children;
		argp_help(&parent, stdout, ARGP_HELP_USAGE, "hand");
	} else {
		printf("hand: no API %s\n", api);
		exit(2);
	}
}

/* Each function with compartment 1's own function: glibc calls it. */
static int hand_own(void)
{
	const struct {
		const char *api;
		void *fn;
	} own[] = {
		{"pthread_once", (void *)count},	{"call_once", (void *)count},
		{"dl_iterate_phdr", (void *)count_dso}, {"scandirat", (void *)count_entry},
		{"fts_open", (void *)compare_entries},	{"argp_parse", (void *)parse},
	};

	for (size_t i = 0; i < sizeof own / sizeof *own; i++) {
		int before = calls;
		call_with(own[i].api, own[i].fn);
		if (calls == before) {
			printf("hand: %s did not call compartment 1's function\n", own[i].api);
			return 1;
		}
	}
	printf("hand: glibc called each of compartment 1's functions\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	if (!strcmp(argv[1], "own"))
		return hand_own();
	if (!strcmp(argv[1], "plain"))
		return plain_walk();
	call_with(argv[1], abuse_offer("body"));
	printf("hand: %s ran compartment 2's body as compartment 1\n", argv[1]);
	return 0;
}
