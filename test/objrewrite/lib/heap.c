/* Calls to allocation functions: heapcalls binds each, and a tail call
 * too, to libia2's compartment entry point; free stays free. */
#include <stdlib.h>
#include <string.h>

char *copy(const char *s) { return strdup(s); }   /* a tail call at -O2 */

void *(*allocator(void))(size_t) { return malloc; }   /* an address */

int scratch(size_t n)
{
	char *p = malloc(n);
	int ok = p != NULL;

	free(p);
	return ok;
}
