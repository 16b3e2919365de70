/* Compartment 1 of the copy-arg test (docs/usage.md, "Config file"):
 *
 *  - ok: the library fills and reads requests in compartment 1's heap
 *    and stack, pkey 1, through copy-arg gates: what it writes comes
 *    back, a const request comes back unchanged whatever it writes, NULL
 *    stays NULL; compartment 1's callbacks describe pictures in the
 *    library's heap, pkey 2, one calling the library in the middle;
 *    a callback that keeps its pointer cannot reach the picture after
 *    it returns; the shared stack pointer is as it was after each call;
 *    buffers, strings and an int on compartment 1's stack reach the
 *    library through rules that name parameters, and no byte past a
 *    buffer's length does;
 *  - uncopied: a callback without the rule reads the library's picture
 *    and must die with SEGV_PKUERR;
 *  - unrule: the library reads a request through a function without
 *    the rule and must die with SEGV_PKUERR;
 *  - too-long: a buffer over IA2_COPY_MAX_BUFFER is passed uncopied, and
 *    the library's write must die with SEGV_PKUERR;
 *  - below: with the shared stack pointer so near the bottom of the
 *    shared stack that the copy would not fit, the gate traps. */
#include "copyarg.h"
#include "../common/pkeyof.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ia2/gate_abi.h"

extern __thread uintptr_t __safestack_unsafe_stack_ptr;

static int failures;
static struct picture *kept;

static void expect(int ok, const char *what)
{
	if (!ok) {
		printf("FAIL: %s\n", what);
		failures++;
	}
}

static int describe(struct picture *p, void *cookie)
{
	if (pkey_of(p) != 0 || p->w != 320 || p->h != 240)
		return -1;
	p->stride = 2 * p->w;
	p->priv = cookie;
	return 7;
}

static int on_picture(struct picture *p, void *cookie)
{
	return describe(p, cookie);
}

/* Its string crosses by copy-arg on_message(msg:string): a copy, on
 * the shared stack. */
static int on_message(const char *msg, int level)
{
	if (pkey_of(msg) != 0 || strcmp(msg, "a message on compartment 2's stack"))
		return -1;
	return (int)strlen(msg) + level;
}

static int on_picture_nested(struct picture *p, void *cookie)
{
	struct request *r = calloc(1, sizeof *r);
	int ok;

	r->in[3] = 5;
	ok = lib_fill(r) == 5 && r->out[3] == 10;
	free(r);
	return ok ? describe(p, cookie) : -1;
}

static int on_picture_uncopied(struct picture *p, void *cookie)
{
	p->stride = 2 * p->w;
	p->priv = cookie;
	return 7;
}

static int keep_picture(struct picture *p, void *cookie)
{
	(void)cookie;
	kept = p;
	p->w = 5;
	return 7;
}

static void poke(void)
{
	kept->w = 666;
}

static void fill_in(struct request *r)
{
	memset(r, 0, sizeof *r);
	for (int i = 0; i < 8; i++)
		r->in[i] = i + 1;
}

static void check_requests(void)
{
	struct request *r = calloc(1, sizeof *r), local;
	uintptr_t shared = __safestack_unsafe_stack_ptr;

	expect(pkey_of(r) == 1, "the request is in compartment 1's heap");
	fill_in(r);
	expect(lib_fill(r) == 36, "lib_fill read the request");
	for (int i = 0; i < 8; i++)
		expect(r->out[i] == 2 * (i + 1), "lib_fill's answers came back");
	expect(r->name[0] == 'L', "lib_fill's name came back");
	expect(__safestack_unsafe_stack_ptr == shared, "shared stack pointer restored");

	expect(lib_describe(r) == 36, "lib_describe read the const request");
	expect(r->out[0] == 2, "a const request is copied in only");
	expect(lib_fill(NULL) == -1, "NULL passes as NULL");

	fill_in(&local);
	expect(pkey_of(&local) == 1, "the local request is on compartment 1's stack");
	expect(lib_fill(&local) == 36 && local.out[7] == 16, "lib_fill filled a local");
	free(r);
}

/* Buffers, strings and an int on compartment 1's stack, pkey 1. */
static void check_named(void)
{
	unsigned char buf[64];
	char name[16] = "input.gz", mode[4] = "rb";
	uintptr_t shared = __safestack_unsafe_stack_ptr;
	int after = -1, err = 0, sum = 0;

	for (int i = 0; i < 64; i++)
		buf[i] = (unsigned char)(i < 32 ? i : 0xee);   /* the tail is private */
	for (int i = 0; i < 32; i++)
		sum += i;
	expect(pkey_of(buf) == 1, "the buffer is on compartment 1's stack");
	expect(lib_sum_bytes(buf, 32, &after) == sum, "lib_sum_bytes read 32 bytes of a local");
	expect(after != 16 * 0xee, "the library saw nothing past the 32 bytes copied");
	expect(lib_fill_bytes(buf, 16) == 0 && buf[15] == 0x5a && buf[16] == 16,
	       "lib_fill_bytes filled 16 bytes, no more");
	expect(lib_names(name, mode, &err) == 0 && err == 802, "strings and an int were copied");
	expect(lib_fill_bytes(NULL, 0) == 0, "NULL and 0 pass as they are");
	expect(__safestack_unsafe_stack_ptr == shared, "shared stack pointer restored");
}

static void check_pictures(void)
{
	uintptr_t shared = __safestack_unsafe_stack_ptr;
	int cookie;

	expect(lib_picture(on_picture, &cookie) == 0, "on_picture described the picture");
	expect(lib_picture(on_picture_nested, &cookie) == 0,
	       "on_picture_nested described the picture, calling lib_fill");
	expect(lib_keep_then_poke(keep_picture, poke) == 0, "a kept pointer is only the copy");
	expect(lib_tell(on_message, 3) == 37, "a callback's string was copied");
	expect(__safestack_unsafe_stack_ptr == shared, "shared stack pointer restored");
}

int main(int argc, char **argv)
{
	const char *c = argc == 2 ? argv[1] : "";
	int cookie;

	if (!strcmp(c, "ok")) {
		check_requests();
		check_named();
		check_pictures();
		printf("copyarg: %s\n", failures ? "FAILED" : "ok");
		return failures != 0;
	}
	if (!strcmp(c, "uncopied"))
		return lib_picture(on_picture_uncopied, &cookie);
	if (!strcmp(c, "unrule")) {
		struct request *r = calloc(1, sizeof *r);
		return lib_sum(r);
	}
	if (!strcmp(c, "too-long")) {   /* passed as it is: the library faults */
		unsigned long n = IA2_COPY_MAX_BUFFER + 1;
		return lib_fill_bytes(malloc(n), n);
	}
	if (!strcmp(c, "below")) {
		/* libia2 starts the pointer at the top of the thread's shared
		 * stack, and nothing here has moved it (runtime.c). */
		struct request *r = calloc(1, sizeof *r);
		__safestack_unsafe_stack_ptr = __safestack_unsafe_stack_ptr - IA2_STACK_SIZE + 64;
		lib_fill(r);
		puts("the copy ran below the shared stack");
		return 0;
	}
	fprintf(stderr, "usage: copyarg ok|uncopied|unrule|too-long|below\n");
	return 2;
}
