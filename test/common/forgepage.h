/* Test helper for attacks on libia2's tables: a page forged the way
 * libia2 replaces its read-only tables (libia2/runtime.c,
 * replace_pages), a changed copy moved over the original. */
#ifndef IA2_TEST_FORGEPAGE_H
#define IA2_TEST_FORGEPAGE_H

#include <stdbool.h>

/* A private, writable copy of the page at `page`; NULL if none could be
 * mapped. */
void *copy_page(const void *page);

/* Moves `copy`, made read-only, over `page`; whether the kernel did. */
bool move_page_over(void *copy, void *page);

#endif
