/* tlscheck static|dynamic LIB [DSO-NAME...]: with `static`, LIB is
 * already loaded (LD_PRELOAD), so its TLS is static, placed at startup;
 * with `dynamic` it is dlopen'ed, and its TLS allocated on first use. In
 * the main thread and in a new one, the TLS block of LIB and of every
 * DSO named must start on a page and fill whole pages (dl_iterate_phdr's
 * dlpi_tls_data and PT_TLS), and LIB's fix_check must pass. */
#include <dlfcn.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static int failures;
static char **names;
static int nnames;

static int check_block(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size, (void)arg;
	for (int n = 0; n < nnames; n++) {
		if (!strstr(info->dlpi_name, names[n]))
			continue;
		for (int i = 0; i < info->dlpi_phnum; i++) {
			const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
			unsigned long lo = (unsigned long)info->dlpi_tls_data;
			if (ph->p_type != PT_TLS)
				continue;
			if (!lo || (lo & 4095) || (ph->p_memsz & 4095)) {
				printf("FAIL: %s: TLS block of %#lx bytes at %#lx\n", info->dlpi_name,
				       (unsigned long)ph->p_memsz, lo);
				failures++;
			}
		}
	}
	return 0;
}

static int (*fix_check)(void);

static void *run(void *unused)
{
	(void)unused;
	if (!fix_check()) {
		printf("FAIL: fix_check\n");
		failures++;
	}
	dl_iterate_phdr(check_block, NULL);
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;
	void *h;

	if (argc < 3 || (strcmp(argv[1], "static") && strcmp(argv[1], "dynamic"))) {
		fprintf(stderr, "usage: tlscheck static|dynamic LIB [DSO-NAME...]\n");
		return 2;
	}
	h = strcmp(argv[1], "static") ? dlopen(argv[2], RTLD_NOW) : RTLD_DEFAULT;
	if ((h == RTLD_DEFAULT && strcmp(argv[1], "static")) ||
	    !(fix_check = (int (*)(void))dlsym(h, "fix_check"))) {
		fprintf(stderr, "tlscheck: %s\n", dlerror());
		return 2;
	}
	names = argv + 2;
	nnames = argc - 2;
	run(NULL);
	if (pthread_create(&t, NULL, run, NULL) || pthread_join(t, NULL))
		return 2;
	printf("%s: %d failures\n", failures ? "FAIL" : "PASS", failures);
	return failures != 0;
}
