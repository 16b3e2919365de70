/* The assembly writer shared by the gates (emit.c) and libia2's half of
 * the gate ABI (stubs.c): the one place that spells rdpkru and wrpkru. */
#ifndef IA2_ASM_H
#define IA2_ASM_H

#include <stdbool.h>
#include <stdio.h>

/* Where gates are written, and how: with real rdpkru/wrpkru, or with
 * PKRU emulated in a thread-local variable (docs/runtime.md, "Emulated
 * PKRU"). */
struct out {
	FILE *f;
	bool emulate;
};

int open_out(struct out *out, const char *path, bool emulate);
int close_out(struct out *out, const char *path);

/* eax = the caller's PKRU; rcx and rdx are kept. */
void emit_read_pkru(struct out *out);
/* PKRU = the constant pkru, checked; clobbers eax, ecx, edx. Jumps to
 * .Ltrap, which every file defines, on a mismatch. */
void emit_write_pkru(struct out *out, unsigned pkru);
/* Trap unless the shared stack pointer is within this thread's shared
 * stack, as CTB(k) records it (emit.c). */
void emit_check_shared_stack(struct out *out, int k, const char *ctb);
/* The caller's half of a gate frame (gate_abi.h), linked into CTB(c):
 * c in r11, then in r14; sret_size 0 for a call without sret. */
void emit_save_caller(struct out *out, const char *gate, int sret_size);
/* Zero xmm keep_args..7 and xmm(8 + keep_carried)..15, and the upper
 * vector state the CPU has; clobbers r10. */
void emit_scrub_vectors(struct out *out, int keep_args, int keep_carried);

#endif
