/* Test helper: the protection key of the mapping that holds an address,
 * as /proc/self/smaps reports it (ProtectionKey, Linux 4.9 and later on
 * CPUs with PKU). */
#ifndef IA2_TEST_PKEYOF_H
#define IA2_TEST_PKEYOF_H

/* The pkey of the mapping holding p; -1 if p is in no mapping, -2 if the
 * kernel reports no pkeys. Reads nothing at p itself. */
int pkey_of(const void *p);
/* Whether p is in untagged memory: pkey 0, or no pkey at all where the
 * kernel reports none (the emulated runtime, natively without PKU). */
int pkey_untagged(const void *p);

#endif
