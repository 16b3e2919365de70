/* Compartment 1, the attacker: it looks for code that writes PKRU
 * outside ia2's gates, as a compromised library would, and uses what it
 * finds to read compartment 2's secret (libia2/writers.c).
 *
 *   gadgets          scan every loaded DSO's code for the bytes of wrpkru,
 *                    xrstor and xrstors at every offset, the checked
 *                    gates excepted: exits NOTHING_FOUND if none is left
 *   libc-pkey-set    call glibc's own pkey_set(2, 0), found by version
 *   pkey-set         call pkey_set(2, 0), which libia2's definition refuses
 *   resolver         enter ld.so's lazy-binding resolver at its xrstor with
 *                    a save area whose PKRU is 0
 *   lazy             dlopen a lazily bound DSO and call libm through its PLT:
 *                    the result and the x87 control word come back intact
 *
 * An attack that reads the secret exits ATTACK_WORKED. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "writers.h"

/* Found through a gate before an attack: a gate call after it would set
 * PKRU to compartment 1's again on the way back. */
static const int *secret;

__attribute__((noreturn)) static void stolen(void)
{
	int v = *secret;

	printf("read compartment 2's secret: %#x\n", v);
	fflush(stdout);
	_exit(v == SECRET ? ATTACK_WORKED : 1);
}

/* The checked gate (objrewrite/asm.c): wrpkru; cmp $imm, %eax; jne. */
static int is_checked(const uint8_t *p, const uint8_t *end)
{
	p += 3;
	if (end - p >= 5 && p[0] == 0x3d)
		p += 5;
	else if (end - p >= 3 && p[0] == 0x83 && p[1] == 0xf8)
		p += 3;
	else
		return 0;
	return (end - p >= 2 && p[0] == 0x75) || (end - p >= 2 && p[0] == 0x0f && p[1] == 0x85);
}

static int count_writers(struct dl_phdr_info *info, size_t size, void *arg)
{
	int *n = arg;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const uint8_t *lo = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		const uint8_t *end = lo + ph->p_filesz;
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		for (const uint8_t *p = lo; p + 3 <= end; p++) {
			unsigned reg = (p[2] >> 3) & 7, mod = p[2] >> 6;
			if (p[0] != 0x0f)
				continue;
			if ((p[1] == 0x01 && p[2] == 0xef && !is_checked(p, end)) ||
			    (mod != 3 && ((p[1] == 0xae && reg == 5) || (p[1] == 0xc7 && reg == 3)))) {
				printf("PKRU writer left at %s+%#lx\n", info->dlpi_name,
				       (unsigned long)(p - (const uint8_t *)info->dlpi_addr));
				++*n;
			}
		}
	}
	return 0;
}

static int gadgets(void)
{
	int n = 0;

	dl_iterate_phdr(count_writers, &n);
	if (n)
		return ATTACK_WORKED;
	puts("no PKRU writer left");
	return NOTHING_FOUND;
}

static int libc_pkey_set(void)
{
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	int (*set)(int, unsigned) = libc ? dlvsym(libc, "pkey_set", "GLIBC_2.27") : NULL;

	if (!set) {
		printf("no pkey_set in libc: %s\n", dlerror());
		return 2;
	}
	set(2, 0);
	stolen();
}

/* Unchecked, as the attacker's call would be. */
int pkey_set(int key, unsigned rights);

/* ld.so's resolver: mov $0xee,%eax; xor %edx,%edx; then xrstor (0f ae
 * /5) or, once libia2 has been there, fxrstor (0f ae /1). */
static const uint8_t *find_resolver_restore(void)
{
	static const uint8_t before[] = {0xb8, 0xee, 0x00, 0x00, 0x00, 0x31, 0xd2, 0x0f, 0xae};
	uintptr_t base = getauxval(AT_BASE);
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)base;
	const ElfW(Phdr) *ph = (const ElfW(Phdr) *)(base + eh->e_phoff);

	for (int i = 0; i < eh->e_phnum; i++) {
		const uint8_t *lo = (const uint8_t *)(base + ph[i].p_vaddr);
		const uint8_t *hit;
		if (ph[i].p_type != PT_LOAD || !(ph[i].p_flags & PF_X))
			continue;
		hit = memmem(lo, ph[i].p_filesz, before, sizeof before);
		if (hit)
			return hit + 7;
	}
	return NULL;
}

__attribute__((noreturn)) void jump_to_resolver_gadget(void *area, void *stack, void (*target)(void),
						   const void *gadget);

static int resolver(void)
{
	static uint8_t area[0x40 + 0x3000] __attribute__((aligned(64)));
	static uint64_t stack[8192] __attribute__((aligned(16)));
	uint8_t *xsave = area + 0x40;
	const uint8_t *gadget = find_resolver_restore();
	unsigned a, b, c, d;
	uint64_t pkru_only = 1 << 9;
	uint32_t mxcsr = 0x1f80;
	uint16_t fcw = 0x37f;

	if (!gadget || !__get_cpuid_count(0xd, 9, &a, &b, &c, &d) || b + 8 > sizeof area - 0x40) {
		puts("no resolver restore in ld.so, or no PKRU in XSAVE");
		return 2;
	}
	printf("resolver restore at ld.so+%#lx (%s)\n", (unsigned long)(gadget - (uint8_t *)getauxval(AT_BASE)),
	       ((gadget[2] >> 3) & 7) == 5 ? "xrstor" : "fxrstor");
	fflush(stdout);
	/* The legacy region, should fxrstor read it; the XSAVE header's
	 * XSTATE_BV asks for PKRU, whose value stays 0: every key open. */
	memcpy(xsave, &fcw, 2);
	memcpy(xsave + 24, &mxcsr, 4);
	memcpy(xsave + 512, &pkru_only, 8);
	memset(xsave + b, 0, 4);
	jump_to_resolver_gadget(area, &stack[4096], stolen, gadget);
}

/* The x87 control word is callee-saved (psABI 3.2.1), and the resolver
 * must keep it: 0x27f asks for double precision instead of the default
 * 0x37f's extended. */
static int lazy(void)
{
	void *h = dlopen("./libwriters_lazy.so", RTLD_LAZY);
	double (*f)(double, double) = h ? (double (*)(double, double))dlsym(h, "lazy_pow") : NULL;
	uint16_t fcw = 0x27f, after;
	double r;

	if (!f) {
		printf("cannot load libwriters_lazy.so: %s\n", dlerror());
		return 2;
	}
	__asm__ volatile("fldcw %0" : : "m"(fcw));
	r = f(1.5, 3.0);
	__asm__ volatile("fnstcw %0" : "=m"(after));
	printf("lazy_pow(1.5, 3.0) = %g, x87 control word %#x\n", r, after);
	return r == 3.375 && after == fcw ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	secret = lib_secret_address();
	if (!strcmp(mode, "gadgets"))
		return gadgets();
	if (!strcmp(mode, "libc-pkey-set"))
		return libc_pkey_set();
	if (!strcmp(mode, "pkey-set")) {
		pkey_set(2, 0);
		stolen();
	}
	if (!strcmp(mode, "resolver"))
		return resolver();
	if (!strcmp(mode, "lazy"))
		return lazy();
	fprintf(stderr, "usage: writers gadgets|libc-pkey-set|pkey-set|resolver|lazy\n");
	return 2;
}
