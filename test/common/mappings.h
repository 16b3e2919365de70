/* Test helper: how many mappings the process has (/proc/self/maps), for
 * tests that check that something leaves none behind. */
#ifndef IA2_TEST_MAPPINGS_H
#define IA2_TEST_MAPPINGS_H

int count_mappings(void);

#endif
