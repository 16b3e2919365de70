/* Calls across objects of the same DSO: none of them may pay for a gate. */
#define HIDDEN __attribute__((visibility("hidden")))

int callee(int);
int tail_target(int);
int weak_fn(int);
HIDDEN int hidden_called(int);

/* Data: calls through it name fp, not a function. */
static int (*fp)(int);

int caller(int x) { return callee(x) * 2; }
int tailer(int x) { return tail_target(x + 1); }
int call_weak(int x) { return weak_fn(x) * 3; }
int call_hidden(int x) { return hidden_called(x) * 5; }
int via_ptr(int x) { return fp(x) * 7; }
int tail_via_ptr(int x) { return fp(x + 1); }
void set_fp(int (*f)(int)) { fp = f; }
