/* Compartment 2 of the ABI test. */
#include <stddef.h>
#include "abi.h"

#define PREFIX lib
#define SALT LIB_SALT
#include "shapes.inc"
#undef PREFIX
#undef SALT

int lib_ping(int depth)
{
	return depth <= 0 ? 0 : 1 + main_pong(depth - 1);
}

int lib_apply(int (*f)(int), int v)
{
	return f(v) + 1;
}

double lib_apply_d(double (*f)(double, double), double a, double b)
{
	return f(a, b) * 2;
}

void *lib_addr_of_lib_args1(void)
{
	return (void *)lib_args1;
}

void *lib_identity(void *p)
{
	return p;
}

#define PREFIX main
#define SALT MAIN_SALT
#include "check_shapes.inc"

int lib_call_main_shapes(void)
{
	return check_shapes();
}
