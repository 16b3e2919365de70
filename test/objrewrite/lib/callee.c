/* Definitions that the other objects of the fixture DSO call or take the
 * address of. Nothing here refers to a function. */
#define HIDDEN __attribute__((visibility("hidden")))

/* Exported and only called: gated because exported, yet every call in
 * the DSO goes straight to the body. */
int callee(int x) { return x + 1; }

/* Exported and only tail-called (jmp): likewise. */
int tail_target(int x) { return x * 2; }

/* Weak and exported: the gate is weak too. */
__attribute__((weak)) int weak_fn(int x) { return x - 1; }

/* Hidden and only called: nothing outside the DSO can reach it, no gate. */
HIDDEN int hidden_called(int x) { return x ^ 5; }

/* Hidden, address taken in addr.c: gated under a new hidden name. */
HIDDEN int hidden_taken(int x) { return x ^ 7; }

/* Exported, address taken in code (addr.c). */
int exported_taken(int x) { return x + 3; }

/* Exported, address stored in a data initializer (addr.c). */
int in_table(int x) { return x + 4; }
