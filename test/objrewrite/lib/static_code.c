/* The address of a static function taken in code. With
 * -ffunction-sections the lea carries a relocation against the function's
 * section or its local symbol. Without it the assembler resolves the lea
 * inside .text and classify adds a synthetic relocation to the gate, which
 * needs .text to have a relocation section to add it to: the call below
 * gives it one (../bad/static_lea.c has none). */
int callee(int);

static int s_code(int x) { return x * 3 + 1; }

void *get_static(void) { return (void *)s_code; }

int call_callee(int x) { return callee(x) + 2; }
