/* Compartment 1: calls the default version of foo by name, the old one
 * through dlvsym, and checks each ran in compartment 2 (sv_lib.c). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>

int foo(int x);
int sv_calls(void);

int main(void)
{
	int (*foo_v1)(int) = (int (*)(int))dlvsym(RTLD_DEFAULT, "foo", "V1");
	int (*foo_v2)(int) = (int (*)(int))dlvsym(RTLD_DEFAULT, "foo", "V2");
	int failures = 0;

	if (foo(1) != 3) {
		puts("FAIL: foo is not foo@@V2");
		failures++;
	}
	if (!foo_v1 || foo_v1(1) != 2) {
		puts("FAIL: no foo@V1");
		failures++;
	}
	if (!foo_v2 || foo_v2 != foo) {
		puts("FAIL: foo@@V2 is not the foo this program links to");
		failures++;
	}
	if (sv_calls() != 2) {
		puts("FAIL: the calls did not reach compartment 2's data");
		failures++;
	}
	if (!failures)
		puts("symver: ok");
	return failures != 0;
}
