/* Build-time tool: writes libia2's return stubs (see emit_runtime). */
#include "rewrite.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s OUTPUT.s\n", argv[0]);
		return 2;
	}
	return emit_runtime(argv[1]) ? 1 : 0;
}
