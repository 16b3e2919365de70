/* Compartment 1. `iso CASE` performs one access: the cases named
 * main-* and lib-* must die with SEGV_PKUERR (run under
 * ia2-expect-pkuerr); the cases named ok-* must succeed. */
#include <stdio.h>
#include <string.h>
#include "ia2.h"
#include "iso.h"

int main_data = 0x1111;
int main_bss;
const char main_rodata[] = "compartment 1 rodata";
IA2_SHARED int main_shared = 10;

/* A callback that measures its message with libc's strlen, which the
 * compiler would otherwise inline. */
static void main_heard(void *ctx, const char *msg, enum iso_level level, unsigned code)
{
	size_t (*volatile measure)(const char *) = strlen;

	*(size_t *)ctx = measure(msg) + level + code;
}

static int run(const char *c)
{
	int local = 1;

	if (!strcmp(c, "main-reads-lib-data"))
		return *(volatile int *)&lib_data;
	if (!strcmp(c, "main-writes-lib-data"))
		return *(volatile int *)&lib_data = 1, 0;
	if (!strcmp(c, "main-reads-lib-bss"))
		return *(volatile int *)&lib_bss;
	if (!strcmp(c, "main-writes-lib-bss"))
		return *(volatile int *)&lib_bss = 1, 0;
	if (!strcmp(c, "main-reads-lib-stack"))
		return *(volatile int *)lib_stack_address();
	if (!strcmp(c, "lib-reads-main-data"))
		return lib_read(&main_data);
	if (!strcmp(c, "lib-writes-main-data"))
		return lib_write(&main_data, 1), 0;
	if (!strcmp(c, "lib-reads-main-bss"))
		return lib_read(&main_bss);
	if (!strcmp(c, "lib-writes-main-bss"))
		return lib_write(&main_bss, 1), 0;
	if (!strcmp(c, "lib-reads-main-stack"))
		return lib_read(&local);
	if (!strcmp(c, "lib-copies-main-stack"))
		return lib_copy_in(&local, strlen(c) > 0 ? sizeof local : 0);
	if (!strcmp(c, "main-reads-lib-message")) {
		size_t heard = 0;
		lib_tell(main_heard, &heard);
		return (int)heard;
	}
	if (!strcmp(c, "lib-writes-main-stack")) {
		lib_stash(&local);
		lib_poke_stash(2);
		return local;
	}
	if (!strcmp(c, "ok-rodata"))
		return lib_read_rodata(main_rodata) == 'c' && lib_rodata[0] == 'c' ? 0 : 1;
	if (!strcmp(c, "ok-relro"))
		return lib_relro[0] == lib_rodata && lib_relro[1][0] == 'r' ? 0 : 1;
	if (!strcmp(c, "ok-shared")) {
		lib_write(&main_shared, lib_read(&main_shared) + 1);
		return main_shared == 11 ? 0 : 1;
	}
	if (!strcmp(c, "ok-config-shared")) {
		lib_config_shared++;
		lib_config_shared_bss = 5;
		return lib_read(&lib_config_shared) == 0x3334 && lib_read(&lib_config_shared_bss) == 5 ?
			0 : 1;
	}
	if (!strcmp(c, "ok-own-data")) {
		main_data++;
		main_bss++;
		return lib_read(&lib_data) == 0x2222 && main_data == 0x1112 ? 0 : 1;
	}
	fprintf(stderr, "iso: unknown case %s\n", c);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: iso CASE\n");
		return 2;
	}
	/* Print first, so the log shows the access was reached. */
	printf("iso: %s\n", argv[1]);
	fflush(stdout);
	int r = run(argv[1]);
	printf("iso: %s finished with %d\n", argv[1], r);
	return r;
}
