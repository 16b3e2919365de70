/* ia2-config: the flags a build needs to use ia2 without ia2-cc.
 *
 *   ia2-config --cflags               compile flags, and where ia2.h is
 *   ia2-config --ldflags [--emulate-pkru]
 *                                     what a compartment link needs after
 *                                     its objects and gates.o
 *   ia2-config --libdir | --includedir | --plugin
 *   ia2-config --pkg-config           the ia2.pc file (installed with ia2)
 *
 * The flags are ia2-cc's own (flags.c). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "flags.h"

static void print_cflags(void)
{
	printf("-I%s", ia2_includedir());
	for (const char *const *f = ia2_compile_flags(false); *f; f++)
		printf(" %s", *f);
	printf("\n");
}

static void print_ldflags(bool emulate)
{
	const char *const *f = ia2_link_flags(emulate);

	for (int i = 0; f[i]; i++)
		printf("%s%s", i ? " " : "", f[i]);
	printf("\n");
}

/* Relocatable: pkg-config replaces ${pcfiledir} with the .pc file's
 * directory, LIBDIR/pkgconfig. */
static void print_pc(void)
{
	const char *const *f = ia2_link_flags(false);

	printf("libdir=${pcfiledir}/..\nincludedir=${libdir}/%s\n\n"
	       "Name: ia2\nDescription: in-process compartments with memory protection keys\n"
	       "Version: 0.1\nCflags: -I${includedir}", ia2_lib_to_include);
	for (const char *const *f = ia2_compile_flags(false); *f; f++)
		printf(" %s", *f);
	printf("\nLibs: -L${libdir} -Wl,-rpath,${libdir}");
	for (int i = 2; f[i]; i++)   /* after -L and -rpath */
		printf(" %s", f[i]);
	printf("\n");
}

int main(int argc, char **argv)
{
	bool emulate = argc == 3 && !strcmp(argv[2], "--emulate-pkru");

	if (argc == 2 && !strcmp(argv[1], "--cflags"))
		print_cflags();
	else if ((argc == 2 || emulate) && !strcmp(argv[1], "--ldflags"))
		print_ldflags(emulate);
	else if (argc == 2 && !strcmp(argv[1], "--libdir"))
		printf("%s\n", ia2_libdir());
	else if (argc == 2 && !strcmp(argv[1], "--includedir"))
		printf("%s\n", ia2_includedir());
	else if (argc == 2 && !strcmp(argv[1], "--plugin"))
		printf("%s\n", ia2_plugin());
	else if (argc == 2 && !strcmp(argv[1], "--pkg-config"))
		print_pc();
	else {
		fprintf(stderr, "usage: ia2-config --cflags | --ldflags [--emulate-pkru] | --libdir | "
				"--includedir | --plugin | --pkg-config\n");
		return 2;
	}
	return 0;
}
