/* Functions of every ABI shape the gates handle, defined in both
 * compartments: lib.c (compartment 2) defines lib_*, main.c (compartment 1)
 * defines main_*. Each returns a value computed from every argument, so
 * a lost or misplaced argument changes the result. */
#ifndef ABI_H
#define ABI_H

struct two_ints { int a, b; };            /* INTEGER, one register */
struct two_doubles { double x, y; };      /* SSE, SSE */
struct int_double { long i; double d; };  /* INTEGER, SSE */
struct three_floats { float a, b, c; };   /* SSE, SSE */
struct big { long v[5]; };                /* 40 bytes: MEMORY, on the stack */
struct chars { char c[3]; };
struct huge { long v[16]; };              /* 128 bytes: the most a gate carries */

#define LIB_SALT 7
#define MAIN_SALT 3

/* FN(_x) names PREFIX_x; shapes.inc and check_shapes.inc use it. */
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define FN(name) CAT(PREFIX, name)

#define SHAPES(P) \
	int P##_args0(void); \
	int P##_args1(int a); \
	int P##_args6(int a, int b, int c, int d, int e, int f); \
	long P##_args7(long a, long b, long c, long d, long e, long f, long g); \
	long P##_args12(long a, long b, long c, long d, long e, long f, long g, long h, \
			long i, long j, long k, long l); \
	double P##_doubles10(double a, double b, double c, double d, double e, double f, \
			     double g, double h, double i, double j); \
	double P##_mixed(int a, double b, long c, float d, char e, double f); \
	float P##_floats(float a, float b); \
	struct two_ints P##_two_ints(struct two_ints s, int k); \
	struct two_doubles P##_two_doubles(struct two_doubles s, double k); \
	struct int_double P##_int_double(struct int_double s); \
	struct three_floats P##_three_floats(struct three_floats s); \
	long P##_big(struct big b, int k); \
	long P##_big2(int k, struct big a, struct big b); \
	int P##_chars(struct chars c); \
	struct big P##_ret_big(long seed); \
	struct big P##_ret_big_args(long a, long b, long c, long d, long e, long f, long g, \
				    struct big s); \
	struct huge P##_ret_huge(int k); \
	void P##_void(int *unused); \
	unsigned long long P##_u64(unsigned long long a, unsigned char b, _Bool c);

SHAPES(lib)
SHAPES(main)

/* Recursion across the boundary: lib_ping calls main_pong and back. */
int lib_ping(int depth);
int main_pong(int depth);

/* Callbacks: the library calls what it is handed. */
int lib_apply(int (*f)(int), int v);
double lib_apply_d(double (*f)(double, double), double a, double b);

/* Function pointer identity. */
void *lib_addr_of_lib_args1(void);
void *lib_identity(void *p);

/* Run every main_* shape from inside the library; returns failures. */
int lib_call_main_shapes(void);

#endif
