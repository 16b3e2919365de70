#include "pkeyof.h"

#include <stdint.h>
#include <stdio.h>

int pkey_of(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	int in = 0, key = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		unsigned long lo, hi;
		int k;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2) {
			if (in)
				break;
			in = a >= lo && a < hi;
			key = in ? -2 : -1;
		} else if (in && sscanf(line, "ProtectionKey: %d", &k) == 1) {
			key = k;
		}
	}
	fclose(f);
	return key;
}

int pkey_untagged(const void *p)
{
	int k = pkey_of(p);

	return k == 0 || k == -2;
}
