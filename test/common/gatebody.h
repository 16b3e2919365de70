/* Test helper for attacks: the body behind a gate of compartment c, as an
 * attacker reads it from the gate's bytes (code is readable): a gate's
 * path for callers already in c is cmp $PKRU(c), %eax, then je to the
 * body (objrewrite/emit.c, emit_gate). */
#ifndef IA2_TEST_GATEBODY_H
#define IA2_TEST_GATEBODY_H

/* NULL if the first 64 bytes of the gate hold no such jump. */
void *gate_body(const void *gate, int c);

#endif
