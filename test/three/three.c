/* Compartment 1. `three` runs the call chain 1 -> 2 -> 3 -> 1 and checks
 * the results; `three CASE` performs an access that must fault. */
#include <stdio.h>
#include <string.h>
#include "three.h"

static int main_data = 1;

static int plus_main_data(int x) { return x + main_data; }

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "b-reads-a-data"))
		return a_ask_b_to_read_a_data();
	if (argc == 2 && !strcmp(argv[1], "a-reads-b-data"))
		return a_read(&b_data);
	if (argc == 2 && !strcmp(argv[1], "main-reads-b-data"))
		return *(volatile int *)&b_data;
	/* sum over i<10 of (2i + 1) + 3 = 90 + 10 + 30 */
	int sum = a_sum_via_b(10, plus_main_data);
	int a = a_read(&a_data);
	printf("three: sum %d, a_data %d\n", sum, a);
	return sum == 130 && a == 132 ? 0 : 1;
}
