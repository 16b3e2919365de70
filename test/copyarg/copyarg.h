/* The copy-arg test's library, compartment 2 (copyarg_lib.c). */
#ifndef COPYARG_H
#define COPYARG_H

/* What compartment 1 asks the library to fill in. */
struct request {
	int in[8];
	int out[8];
	char name[40];
};

/* What the library asks compartment 1's callbacks to describe, as
 * dav1d's picture allocator callback is asked. */
struct picture {
	int w, h;
	int stride;
	void *priv;
};

typedef int (*picture_cb)(struct picture *p, void *cookie);

/* Copy-arg functions: fills r->out from r->in and returns the sum, or
 * -1 for NULL; sums r->in and writes r->out[0] through a cast. */
int lib_fill(struct request *r);
int lib_describe(const struct request *r);
/* The same sum, without a copy-arg rule. */
int lib_sum(const struct request *r);

/* Calls cb with a picture in compartment 2's heap; returns 0 if cb's
 * answers came back, or a number saying which check failed. */
int lib_picture(picture_cb cb, void *cookie);
/* Calls keep with a picture, then poke, which writes through the
 * pointer keep saved; returns 0 if the picture has what keep wrote. */
int lib_keep_then_poke(picture_cb keep, void (*poke)(void));

/* Rules that name parameters: sums len bytes of buf, and returns the
 * sum of the 16 bytes after them (which must not be the caller's);
 * fills n bytes of buf with 0x5a; writes the lengths of name and mode to
 * *err and returns 0. */
int lib_sum_bytes(const unsigned char *buf, unsigned len, int *after);
int lib_fill_bytes(unsigned char *buf, unsigned long n);
int lib_names(const char *name, const char *mode, int *err);
/* Calls heard, through the pointer, with a string on compartment 2's
 * stack, as a library calls its error callback; returns its answer. */
int lib_tell(int (*heard)(const char *msg, int level), int level);

#endif
