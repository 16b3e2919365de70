/* The one definition of the PKRU policy, shared by the gate emitter and the
 * runtime (also usable from assembly).
 *
 * PKRU holds two bits per protection key k: AD (bit 2k, access disable) and
 * WD (bit 2k+1, write disable); Intel SDM vol. 3A, 2.7 "Protection-Key
 * Rights Register". Compartment c runs with pkey 0 (shared) and pkey c
 * open and every other key closed. */
#ifndef IA2_PKRU_H
#define IA2_PKRU_H

#define IA2_MAX_COMPARTMENTS 15

#define IA2_PKRU(c) (~((3u << (2 * (c))) | 3u) & 0xffffffffu)

/* The startup state: every key open. It exists only before main, while ld.so
 * runs constructors, and after main, while exit() runs destructors. */
#define IA2_PKRU_STARTUP 0u

#endif
