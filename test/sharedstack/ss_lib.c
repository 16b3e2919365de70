#include "ss.h"

#include <string.h>

void lib_fill(char *buf, size_t n, char c) { memset(buf, c, n); }

int lib_sum(const int *v, int n)
{
	int s = 0;

	for (int i = 0; i < n; i++)
		s += v[i];
	return s;
}

void lib_swap(struct pair *p)
{
	int t = p->a;

	p->a = p->b;
	p->b = t;
}

int lib_call_with_local(int (*cb)(int *))
{
	int local = 40;
	int r = cb(&local);

	return r + local;
}

void lib_write(void *p) { *(volatile long *)p = 0; }

void lib_move_shared_stack(intptr_t delta, void (*callback)(void))
{
	__safestack_unsafe_stack_ptr = (char *)__safestack_unsafe_stack_ptr + delta;
	if (callback)
		callback();
}

void lib_redirect_shared_stack(void *p, void (*callback)(void))
{
	__safestack_unsafe_stack_ptr = p;
	callback();
}
