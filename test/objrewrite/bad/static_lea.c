/* Built without -ffunction-sections: the assembler resolves `lea h(%rip)`
 * inside .text, and .text has no other relocation, so there is no
 * relocation section for classify's synthetic relocation. */
static int h(int x) { return x; }

void *get(void) { return (void *)h; }
