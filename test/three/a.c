/* Compartment 2. */
#include "three.h"

int a_data = 2;

int a_sum_via_b(int n, int (*cb)(int))
{
	int sum = 0;
	for (int i = 0; i < n; i++)
		sum += b_twice_then(i, cb);
	a_data += sum;   /* still writable after calls into 3 */
	return sum;
}

int a_read(const int *p) { return *(const volatile int *)p; }

int a_ask_b_to_read_a_data(void) { return b_read(&a_data); }
