/* Everything that touches protection keys themselves, so that the
 * emulated-PKRU runtime (libia2-emulated.so, IA2_EMULATE_PKRU) differs
 * from the real one in this file alone. Emulated, PKRU is a thread-local
 * variable the gates read and write instead of the register, memory is
 * never tagged, and nothing is isolated: that runtime exists to run
 * programs under gdb, valgrind or ASan on machines without PKU. */
#include <cpuid.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

#ifdef IA2_EMULATE_PKRU

const _Bool pkru_emulated = 1;

/* The gates' PKRU (emit.c, emulated mode). 0, the startup state, in every
 * new thread; pthread_create sets it to the creator's. */
__attribute__((visibility("default"))) __thread unsigned __ia2_pkru
	__attribute__((tls_model("initial-exec")));

void set_up_pkeys(void)
{
	fputs("ia2: WARNING: emulated PKRU (libia2-emulated.so): compartments are NOT isolated; "
	      "use this build for debugging only\n", stderr);
}

static int protect(uintptr_t lo, uintptr_t len, int prot, int pkey)
{
	(void)pkey;
	return mprotect((void *)lo, len, prot);
}

unsigned current_pkru(void)
{
	return __ia2_pkru;
}

void inherit_pkru(unsigned pkru)
{
	__ia2_pkru = pkru;
}

#else

const _Bool pkru_emulated = 0;

/* CPUID.(EAX=7,ECX=0):ECX bit 3 is PKU (the CPU has it), bit 4 OSPKE (the
 * kernel enabled CR4.PKE). Both are needed for rdpkru/wrpkru. */
static void check_pku(void)
{
	unsigned a, b, c = 0, d;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		c = 0;
	if (!(c & (1u << 3)) || !(c & (1u << 4)))
		die("this machine cannot enforce compartments: the CPU %s protection keys (PKU) "
		    "and the kernel %s them (OSPKE). Run on a CPU with PKU (Intel Skylake-SP or "
		    "later, AMD Zen 3 or later) and a kernel with "
		    "CONFIG_X86_INTEL_MEMORY_PROTECTION_KEYS, or under test/runner/ia2-pkurun; "
		    "for debugging without isolation, link with --ia2-emulate-pkru.",
		    c & (1u << 3) ? "has" : "lacks", c & (1u << 4) ? "enabled" : "did not enable");
}

/* pkey_alloc hands out the lowest free key and opens it in PKRU for the
 * calling thread (pkeys(7)); after all fifteen, the compartments' and the
 * runtime's, PKRU is 0, the startup state. Another user of pkeys breaks
 * the compartment = pkey rule. */
void set_up_pkeys(void)
{
	check_pku();
	for (long want = 1; want <= IA2_RUNTIME_PKEY; want++) {
		long got = syscall(SYS_pkey_alloc, 0, 0);
		if (got < 0)
			die("pkey_alloc failed for pkey %ld: %s", want, strerrorname_np(errno));
		if (got != want)
			die("pkey_alloc returned pkey %ld, expected %ld: something else in this "
			    "process allocated protection keys before ia2", got, want);
	}
}

static int protect(uintptr_t lo, uintptr_t len, int prot, int pkey)
{
	return syscall(SYS_pkey_mprotect, lo, len, prot, pkey);
}

unsigned current_pkru(void)
{
	unsigned pkru, edx;

	__asm__ volatile("rdpkru" : "=a"(pkru), "=d"(edx) : "c"(0));
	return pkru;
}

/* clone gives the new thread its creator's PKRU (pkeys(7)). */
void inherit_pkru(unsigned pkru)
{
	(void)pkru;
}

#endif

int try_tag(uintptr_t lo, uintptr_t hi, int pkey)
{
	return lo < hi ? protect(lo, hi - lo, PROT_READ | PROT_WRITE, pkey) : 0;
}

void tag_read_only(uintptr_t lo, uintptr_t hi, const char *what)
{
	if (protect(lo, hi - lo, PROT_READ, 0))
		die("pkey_mprotect(%#lx, %#lx, read-only, pkey 0) for %s failed: %s",
		    (unsigned long)lo, (unsigned long)(hi - lo), what, strerrorname_np(errno));
}

void tag(uintptr_t lo, uintptr_t hi, int pkey, const char *what)
{
	if (try_tag(lo, hi, pkey))
		die("pkey_mprotect(%#lx, %#lx, pkey %d) for %s failed: %s", (unsigned long)lo,
		    (unsigned long)(hi - lo), pkey, what, strerrorname_np(errno));
}

/* PKRU(c) opens exactly pkeys 0 and c (pkru.h): the lowest cleared bit
 * above pkey 0's pair is c's AD bit; PKRU(0) clears none. */
int compartment_of_pkru(unsigned pkru)
{
	unsigned open = ~pkru & ~3u;
	int c = open ? __builtin_ctz(open) / 2 : 0;

	if (pkru == IA2_PKRU_RUNTIME)
		return 0;
	if (c > IA2_LAST_COMPARTMENT || pkru != IA2_PKRU(c))
		die("PKRU is %#x, which is no compartment's", pkru);
	return c;
}

int compartment_of_any_pkru(unsigned pkru)
{
	if (pkru == IA2_PKRU_KERNEL_DEFAULT)
		return 0;
	for (int c = 0; c <= IA2_LAST_COMPARTMENT; c++)
		if (pkru == IA2_PKRU(c))
			return c;
	return -1;
}

void name_pkru(unsigned pkru, char *buf, size_t size)
{
	int c = compartment_of_any_pkru(pkru);

	if (c >= 0)
		format_to(buf, size, "compartment %d", c);
	else
		format_to(buf, size, "code with PKRU %#x", pkru);
}

int current_compartment(void)
{
	return compartment_of_pkru(current_pkru());
}

bool has_runtime_rights(void)
{
	return current_pkru() == IA2_PKRU_RUNTIME;
}
