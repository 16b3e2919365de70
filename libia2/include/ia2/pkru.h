/* The one definition of the PKRU policy, shared by the gate emitter and the
 * runtime (also usable from assembly).
 *
 * PKRU holds two bits per protection key k: AD (bit 2k, access disable) and
 * WD (bit 2k+1, write disable); Intel SDM vol. 3A, 2.7 "Protection-Key
 * Rights Register". Compartment c runs with pkey 0 (shared) and pkey c
 * open and every other key closed. */
#ifndef IA2_PKRU_H
#define IA2_PKRU_H

/* Compartments 1..14 own pkeys 1..14. Pkey 15 is the runtime's own
 * (libia2/privilege.c): memory that no compartment can read or write,
 * for the state libia2 trusts and the stack of its privileged
 * operations. */
#define IA2_LAST_COMPARTMENT 14
#define IA2_RUNTIME_PKEY 15

#define IA2_PKRU(c) (~((3u << (2 * (c))) | 3u) & 0xffffffffu)

/* IA2_PKRU(0), pkey 0 alone, is compartment 0's: libc, ld.so and every
 * DSO outside the compartments, once libia2's startup is over.
 *
 * The runtime's rights: every key open. libia2's startup holds them,
 * from its key allocation to the end of its constructor, before any
 * compartment code runs (libia2/init.c): the startup state. After that
 * one entry writes them (objrewrite/stubs.c): that of the runtime's
 * privileged operations, which runs nothing but libia2's own code on the
 * runtime's own stack and leaves through a return stub. */
#define IA2_PKRU_RUNTIME 0u

#endif
