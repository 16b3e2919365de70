/* padtls [--check] FILE...
 *
 * Pads the TLS of each linked executable or shared object in place, so
 * that every thread's TLS block of it fills whole pages (padtls.c says
 * what can and cannot be padded after linking). With --check, changes
 * nothing and exits 1 if some file is not padded. Exits 2 if a file
 * cannot be padded or read. */
#include <stdio.h>
#include <string.h>

#include "padtls.h"

int main(int argc, char **argv)
{
	bool check = argc > 1 && !strcmp(argv[1], "--check");
	int status = 0;

	if (argc < 2 + check) {
		fprintf(stderr, "usage: padtls [--check] FILE...\n");
		return 2;
	}
	for (int i = 1 + check; i < argc; i++) {
		int rc = pad_tls(argv[i], check);
		if (rc < 0)
			status = 2;
		else if (rc > 0) {
			printf("%s: TLS not padded\n", argv[i]);
			if (!status)
				status = 1;
		}
	}
	return status;
}
