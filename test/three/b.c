/* Compartment 3. */
#include "three.h"

int b_data = 3;

int b_twice_then(int x, int (*cb)(int)) { return cb(2 * x) + b_data; }

int b_read(const int *p) { return *(const volatile int *)p; }
