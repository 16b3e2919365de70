/* Compartment 2 of the copy-arg test: its pictures live in its own heap,
 * pkey 2, where compartment 1 cannot read them; the config's copy-arg
 * rules make the gates of compartment 1's callbacks pass copies. */
#include "copyarg.h"
#include "../common/pkeyof.h"

#include <stdlib.h>
#include <string.h>

int lib_fill(struct request *r)
{
	int sum = 0;

	if (!r)
		return -1;
	for (int i = 0; i < 8; i++) {
		r->out[i] = 2 * r->in[i];
		sum += r->in[i];
	}
	r->name[0] = 'L';
	return sum;
}

int lib_describe(const struct request *r)
{
	((struct request *)r)->out[0] = 99;   /* only the copy */
	return lib_sum(r);
}

int lib_sum(const struct request *r)
{
	int sum = 0;

	for (int i = 0; i < 8; i++)
		sum += r->in[i];
	return sum;
}

static struct picture *new_picture(int w, int h)
{
	struct picture *p = calloc(1, sizeof *p);

	p->w = w;
	p->h = h;
	return p;
}

int lib_picture(picture_cb cb, void *cookie)
{
	struct picture *p = new_picture(320, 240);
	int rc = 0;

	if (pkey_of(p) != 2)
		rc = 1;
	else if (cb(p, cookie) != 7)
		rc = 2;
	else if (p->stride != 640 || p->priv != cookie || p->w != 320 || p->h != 240)
		rc = 3;
	free(p);
	return rc;
}

int lib_tell(int (*heard)(const char *msg, int level), int level)
{
	char msg[40] = "a message on compartment 2's stack";

	return heard(msg, level);
}

int lib_keep_then_poke(picture_cb keep, void (*poke)(void))
{
	struct picture *p = new_picture(16, 16);
	int rc;

	keep(p, NULL);
	poke();
	rc = p->w == 5 ? 0 : 1;
	free(p);
	return rc;
}

int lib_sum_bytes(const unsigned char *buf, unsigned len, int *after)
{
	int sum = 0, past = 0;

	for (unsigned i = 0; i < len; i++)
		sum += buf[i];
	for (unsigned i = len; i < len + 16; i++)   /* past the copy: not the caller's */
		past += buf[i];
	*after = past;
	return sum;
}

int lib_fill_bytes(unsigned char *buf, unsigned long n)
{
	for (unsigned long i = 0; i < n; i++)
		buf[i] = 0x5a;
	return 0;
}

int lib_names(const char *name, const char *mode, int *err)
{
	*err = 100 * (int)strlen(name) + (int)strlen(mode);
	return 0;
}
