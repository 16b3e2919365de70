#define _GNU_SOURCE
#include "forgepage.h"

#include <string.h>
#include <sys/mman.h>

#define PAGE 4096

void *copy_page(const void *page)
{
	void *copy = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (copy == MAP_FAILED)
		return NULL;
	return memcpy(copy, page, PAGE);
}

bool move_page_over(void *copy, void *page)
{
	return !mprotect(copy, PAGE, PROT_READ) &&
	       mremap(copy, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, page) != MAP_FAILED;
}
