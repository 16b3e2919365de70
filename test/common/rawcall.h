/* Test helper for attacks: fn(a, b, c) by a jump of the attacker's own.
 * Code that ia2-cc compiles calls through a pointer only by way of its
 * DSO's checking thunks (objrewrite/branches.c), but the code of a
 * hostile compartment branches however it likes. */
#ifndef IA2_TEST_RAWCALL_H
#define IA2_TEST_RAWCALL_H

long raw_call(const void *fn, long a, long b, long c);

#endif
