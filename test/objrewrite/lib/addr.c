/* Function addresses taken in code and stored in data: each such function
 * gets a gate, and the reference is moved to the gate. */
#define HIDDEN __attribute__((visibility("hidden")))

int exported_taken(int);
int in_table(int);
HIDDEN int hidden_taken(int);

/* Static, stored in a static table (.data): gated under an alias. */
static int s_data(int x) { return x * 5 + 2; }
static int s_data2(int x) { return x * 6 + 3; }
static int (*s_table[2])(int) = { s_data, s_data2 };

/* Exported, stored in an exported table (.data.rel.ro). */
int (*const table[])(int) = { in_table };

/* Exported and defined here, address taken here in code and in data: the
 * references must reach the gate although the definition in this object
 * is renamed. */
int local_exp(int x) { return x - 9; }
int (*const own_table[])(int) = { local_exp };

void *get_exported(void) { return (void *)exported_taken; }
void *get_hidden(void) { return (void *)hidden_taken; }
void *get_local_exp(void) { return (void *)local_exp; }
int call_s_table(int i, int x) { return s_table[i & 1](x); }
void set_s_table(int i, int (*f)(int)) { s_table[i & 1] = f; }
