/* References that look like function references and are not. */
#define HIDDEN __attribute__((visibility("hidden")))

/* Dense enough for a jump table: the table's relocations point into this
 * function's code, not at a function entry, and must gate nothing. */
HIDDEN __attribute__((noinline)) int dispatch(int op, int x)
{
	switch (op) {
	case 0: return x + 11;
	case 1: return x * 13;
	case 2: return x - 17;
	case 3: return x ^ 19;
	case 4: return x << 3;
	case 5: return x >> 2;
	case 6: return x | 23;
	case 7: return x & 29;
	case 8: return -x;
	default: return 0;
	}
}

int run(int op, int x) { return dispatch(op, x) + 1; }

/* Called by ld.so and libc through .init_array/.fini_array, before main
 * and after exit: no gate. The call keeps clang from evaluating init at
 * compile time and dropping it. */
int callee(int);
static int state;
__attribute__((constructor)) static void init(void) { state = callee(0); }
__attribute__((destructor)) static void fini(void) { state = 0; }
int get_state(void) { return state; }
