/* The fuzzers' random numbers: splitmix64, small, and every iteration
 * gets its own reproducible stream from its seed. */
#ifndef IA2_TEST_RANDOM_H
#define IA2_TEST_RANDOM_H

#include <stddef.h>
#include <stdint.h>

uint64_t next_random(uint64_t *state);
/* A number in [0, n), or 0 if n is 0. */
size_t below(uint64_t *rng, size_t n);

#endif
