/* Outside every compartment, linked for lazy binding and dlopened with
 * RTLD_LAZY: its first call to pow goes through ld.so's resolver, whose
 * xrstor libia2 turned into fxrstor. */
#include <math.h>

double lazy_pow(double x, double y)
{
	return pow(x, y);
}
