/* Compartment 2, hostile: given a pointer to a gate of compartment 1, it
 * reads the gate's code (code is readable: pkey 0) and tries to use its
 * pieces without going through its entry. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ia2/gate_abi.h"
#include "../common/gatebody.h"
#include "../common/rawcall.h"

/* Offset of the first `bytes` sequence in the n bytes at p, or -1. */
static long find(const unsigned char *p, long n, const unsigned char *bytes, long len)
{
	for (long i = 0; i + len <= n; i++)
		if (!memcmp(p + i, bytes, len))
			return i;
	return -1;
}

/* The gate jumps to the body with `je rel32` (0f 84) right after its
 * PKRU compare; calling the body directly skips the switch to
 * compartment 1's rights, so the body's access to its own globals faults. */
int abuse_skip_gate(int (*gate)(int))
{
	const unsigned char *p = (const unsigned char *)gate;
	const unsigned char je[] = {0x0f, 0x84};
	long at = find(p, 128, je, 2);
	int32_t rel;

	if (at < 0) {
		printf("abuse: no je rel32 in the gate\n");
		return -1;
	}
	memcpy(&rel, p + at + 2, 4);
	const void *body = p + at + 6 + rel;
	printf("abuse: calling the body at %p directly\n", (void *)body);
	fflush(stdout);
	return (int)raw_call(body, 1, 0, 0);
}

/* Jump straight to the gate's wrpkru with eax = 0 (every key open): the
 * check after it must trap before anything else runs. */
int abuse_wrpkru_gadget(int (*gate)(int))
{
	const unsigned char *p = (const unsigned char *)gate;
	const unsigned char wrpkru[] = {0x0f, 0x01, 0xef};
	long at = find(p, 512, wrpkru, 3);

	if (at < 0) {
		printf("abuse: no wrpkru in the gate\n");
		return -1;
	}
	printf("abuse: jumping to wrpkru at %p with eax = 0\n", (void *)(p + at));
	fflush(stdout);
	__asm__ volatile("xor %%ecx, %%ecx\n\txor %%edx, %%edx\n\txor %%eax, %%eax\n\tjmp *%0"
			 : : "r"(p + at) : "rax", "rcx", "rdx", "memory");
	return -1;
}

int lib_call(int (*f)(int), int v)
{
	return f(v);
}

/* The thread control block's self pointer at %fs:0 is pkey-0 memory,
 * which compartment 2 can write for any thread. Code that takes a TLS
 * variable's address from it would find __ia2_ctb at the fake + its
 * offset: this puts compartment 1's CTB where its innermost cancellation
 * region's word (gate_abi.h, IA2_CTB_CANCEL_TOP) is `target`, a word of
 * compartment 1's, which libia2 would then write as compartment 1. */
static uintptr_t real_self;

void abuse_fake_self(void *target)
{
	uintptr_t off;

	__asm__("mov %%fs:0, %0" : "=r"(real_self));
	__asm__("mov __ia2_ctb@gottpoff(%%rip), %0" : "=r"(off));
	__asm__ volatile("mov %0, %%fs:0"
			 :
			 : "r"((uintptr_t)target - off - IA2_CTB_SIZE - IA2_CTB_CANCEL_TOP)
			 : "memory");
}

void abuse_restore_self(void)
{
	__asm__ volatile("mov %0, %%fs:0" : : "r"(real_self) : "memory");
}

/* Code pointers that compartment 2 hands compartment 1 as "its
 * callback": compartment 1 calls them with its own rights, unless its
 * indirect-branch thunks stop the call (libia2/indirect.c). */
int lib_peek(const int *p)
{
	return *p;
}

/* ld.so's link map of this DSO is pkey-0 memory. Moved by the distance
 * from lib_peek's gate to its body, it shows the body where the gate's
 * dynamic symbol was, and no IA2 note where there was one: read through
 * the link maps, the body is a function of a DSO outside every
 * compartment, which any compartment may call. */
static void *forge_link_map(void)
{
	void *body = gate_body((void *)lib_peek, 2);
	struct link_map *map;
	Dl_info info;

	if (!body || !dladdr1((void *)lib_peek, &info, (void **)&map, RTLD_DL_LINKMAP))
		return NULL;
	map->l_addr += (uintptr_t)body - (uintptr_t)(void *)lib_peek;
	return body;
}

void *abuse_offer(const char *what)
{
	if (!strcmp(what, "gate"))
		return (void *)lib_peek;
	if (!strcmp(what, "body"))
		return gate_body((void *)lib_peek, 2);
	if (!strcmp(what, "mid-libc"))
		return (char *)dlsym(RTLD_DEFAULT, "getpid") + 1;
	if (!strcmp(what, "setcontext"))
		return dlsym(RTLD_DEFAULT, "setcontext");
	if (!strcmp(what, "forged-map"))
		return forge_link_map();
	return NULL;
}
