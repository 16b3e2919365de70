/* Test helper: this thread's PKRU (rdpkru needs ecx = 0; Intel SDM vol.
 * 2B, RDPKRU). Compartment code may read PKRU; only gates write it. */
#ifndef IA2_TEST_PKRU_H
#define IA2_TEST_PKRU_H

static inline unsigned read_pkru(void)
{
	unsigned eax, edx;

	__asm__ volatile("rdpkru" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

#endif
