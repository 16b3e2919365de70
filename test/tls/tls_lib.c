/* Compartment 2 of the TLS test. */
#include "tls.h"

__thread int lib_tdata_var = 22;
__thread int lib_tbss_var;
_Alignas(8192) __thread char lib_aligned_var[100];

int *lib_tdata(void) { return &lib_tdata_var; }
int *lib_tbss(void) { return &lib_tbss_var; }
char *lib_aligned(void) { return lib_aligned_var; }

int lib_own_tls(int v)
{
	int ok = lib_tdata_var == 22 && lib_tbss_var == 0 && lib_aligned_var[5] == 0;

	lib_tbss_var = v;
	lib_aligned_var[5] = (char)v;
	return ok && lib_tbss_var == v && ((unsigned long)lib_aligned_var & 8191) == 0;
}

int lib_read(const int *p) { return *(const volatile int *)p; }
