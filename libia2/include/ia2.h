/* ia2's public header. Programs need none of it to be compartmentalized;
 * it offers what a program may want to say explicitly. */
#ifndef IA2_H
#define IA2_H

/* Place a global in the DSO's shared section: it keeps pkey 0, so every
 * compartment can read and write it. Each such variable occupies whole
 * pages, so nothing private shares its page. */
#define IA2_SHARED __attribute__((section("ia2_shared"), aligned(4096)))

#endif
