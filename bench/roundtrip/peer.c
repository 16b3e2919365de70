/* A function of the executable itself: calling it never leaves the
 * caller's compartment. It is in its own file so that the compiler cannot
 * inline it into the wrappers in main.c. */
#include "roundtrip.h"

int same(int x)
{
	return x + 1;
}
