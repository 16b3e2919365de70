/* Build-time tool: writes libia2's return stubs (see emit_runtime), with
 * --emulate-pkru for the emulated-PKRU runtime. */
#include "rewrite.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	bool emulate = argc == 3 && !strcmp(argv[1], "--emulate-pkru");

	if (argc != 2 && !emulate) {
		fprintf(stderr, "usage: %s [--emulate-pkru] OUTPUT.s\n", argv[0]);
		return 2;
	}
	return emit_runtime(argv[argc - 1], emulate) ? 1 : 0;
}
