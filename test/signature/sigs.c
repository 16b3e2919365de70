/* Fixture for sigtest: functions whose signatures cover the argument and
 * return classes of the System V AMD64 psABI, section 3.2.3. The bodies
 * do not matter, only the DWARF the compiler writes for the definitions.
 * Each function's expected signature is in sigtest.c. */
#include <stdbool.h>

enum color { RED, GREEN, BLUE };
typedef const volatile long myint;
typedef float v4f __attribute__((vector_size(16)));
typedef float v8f __attribute__((vector_size(32)));

struct ii { int a, b; };
struct ll { long a, b; };
struct dd { double a, b; };
struct id { int a; double b; };
struct di { double a; int b; };
struct ccc { char a, b, c; };
struct ff { float a, b; };
struct fff { float a, b, c; };
struct fi { float a; int b; };
struct big { long a, b, c; };
struct hasld { long double x; int y; };
struct ld1 { long double x; };
struct __attribute__((aligned(16))) a16 { long a; };
struct __attribute__((aligned(32))) a32 { long a; };
struct i128s { __int128 v; };
struct farr { float v[4]; };
struct iarr { int v[3]; };
struct carr { char v[20]; };
struct ffarr { struct ff v[2]; };
struct bits { unsigned a : 3, b : 29; float f; };
struct bitd { int x : 4; double d; };
struct flex { int n; int d[]; };
struct zero { int n; int d[0]; };
struct empty {};
struct __attribute__((packed)) packed { char c; int i; };
struct nested { struct ff a; struct ii b; };
union uif { int i; float f; };
union ufd { float f; double d; };
union ubig { double d[3]; long l; };
union uvl { v4f v; long l; };
union uldl { long double ld; long l[2]; };
struct inu { union uif u; float f; };

/* Integer class: rdi rsi rdx rcx r8 r9, then the stack. */
int i0(void) { return 0; }
void i1(int a) { (void)a; }
void i6(int a, int b, int c, int d, int e, int f) { (void)a, (void)b, (void)c, (void)d, (void)e, (void)f; }
void i7(int a, int b, int c, int d, int e, int f, int g) { (void)a, (void)b, (void)c, (void)d, (void)e, (void)f, (void)g; }
long i12(int a, int b, int c, int d, int e, int f, int g, int h, int i, int j, int k, int l) { return a + l; }
void scalars(char a, short b, long c, unsigned long long d, bool e, enum color f) { (void)a, (void)b, (void)c, (void)d, (void)e, (void)f; }
char *ptrs(void *a, const char *b, int (*c)(int)) { (void)a, (void)c; return (char *)b; }
bool b1(bool a) { return !a; }
enum color e1(enum color c) { return c; }
__int128 i128(__int128 a, unsigned __int128 b) { return a + b; }
/* All of an __int128 goes on the stack when only r9 is left. */
void i128_stack(int a, int b, int c, int d, int e, __int128 f, int g) { (void)a, (void)b, (void)c, (void)d, (void)e, (void)f, (void)g; }
void quals(myint a, const struct dd *p, const struct dd s) { (void)a, (void)p, (void)s; }

/* SSE class: xmm0..xmm7, then the stack. */
double d8(double a, double b, double c, double d, double e, double f, double g, double h) { return a + h; }
void d10(double a, double b, double c, double d, double e, double f, double g, double h, double i, double j) { (void)a, (void)j; }
float f1(float a) { return a; }
void mix_id(int a, double b, int c, double d) { (void)a, (void)b, (void)c, (void)d; }
void mix_many(int a, int b, int c, int d, int e, int f, int g, double h, double i, double j, double k, double l, double m, double n, double o, double p) { (void)a, (void)g, (void)h, (void)p; }
__float128 q1(__float128 a) { return a; }
v4f vec4(v4f a) { return a; }
/* Wider vectors are MEMORY without AVX. */
void vec8(v8f a, int b) { (void)a, (void)b; }

/* Small aggregates are classified eightbyte by eightbyte. */
void s_ii(struct ii a) { (void)a; }
void s_dd(struct dd a) { (void)a; }
void s_id(struct id a) { (void)a; }
void s_di(struct di a) { (void)a; }
void s_ccc(struct ccc a) { (void)a; }
void s_fff(struct fff a) { (void)a; }
void s_fi(struct fi a) { (void)a; }
void s_big(struct big a) { (void)a; }
void s_hasld(struct hasld a) { (void)a; }
void s_ld1(struct ld1 a) { (void)a; }
void s_a16(int a, int b, int c, int d, int e, int f, int g, struct a16 h, int i) { (void)a, (void)g, (void)h, (void)i; }
void s_a16_reg(struct a16 a, int b) { (void)a, (void)b; }
void s_a32(int a, int b, int c, int d, int e, int f, int g, struct a32 h, int i) { (void)a, (void)g, (void)h, (void)i; }
void s_i128s(struct i128s a) { (void)a; }
void s_farr(struct farr a) { (void)a; }
void s_iarr(struct iarr a) { (void)a; }
void s_carr(struct carr a) { (void)a; }
void s_ffarr(struct ffarr a) { (void)a; }
void s_bits(struct bits a) { (void)a; }
void s_bitd(struct bitd a) { (void)a; }
void s_flex(struct flex a, int b) { (void)a, (void)b; }
void s_zero(struct zero a, int b) { (void)a, (void)b; }
void s_empty(struct empty a, int b, struct empty c) { (void)a, (void)b, (void)c; }
void s_packed(struct packed a, int b) { (void)a, (void)b; }
void s_nested(struct nested a) { (void)a; }
void s_inu(struct inu a) { (void)a; }
void u_if(union uif a) { (void)a; }
void u_fd(union ufd a) { (void)a; }
void u_big(union ubig a) { (void)a; }
void u_vl(union uvl a, int b) { (void)a, (void)b; }
void u_ldl(union uldl a) { (void)a; }
void c_f(_Complex float a) { (void)a; }
void c_d(_Complex double a) { (void)a; }
void c_ld(_Complex long double a) { (void)a; }

/* An aggregate that does not fit in the registers left goes on the stack
 * whole, and the registers stay free for later arguments. */
void s_ll5(int a, int b, int c, int d, int e, struct ll f, int g) { (void)a, (void)f, (void)g; }
void s_dd7(double a, double b, double c, double d, double e, double f, double g, struct dd h, double i) { (void)a, (void)h, (void)i; }
void s_id6(int a, int b, int c, int d, int e, int f, struct id g) { (void)a, (void)g; }

/* long double is passed in memory, aligned to 16. */
void ld1(long double a) { (void)a; }
void ld_pad(int a, int b, int c, int d, int e, int f, int g, long double h) { (void)a, (void)g, (void)h; }
void ld_mid(int a, long double b, double c) { (void)a, (void)b, (void)c; }

/* Return values. */
struct ii r_ii(void) { return (struct ii){ 1, 2 }; }
struct ll r_ll(void) { return (struct ll){ 1, 2 }; }
struct dd r_dd(void) { return (struct dd){ 1, 2 }; }
struct id r_id(void) { return (struct id){ 1, 2 }; }
struct di r_di(void) { return (struct di){ 1, 2 }; }
struct fff r_fff(void) { return (struct fff){ 1, 2, 3 }; }
struct big r_big(void) { return (struct big){ 1, 2, 3 }; }
struct big r_big6(int a, int b, int c, int d, int e, int f) { return (struct big){ a, b, f }; }
struct hasld r_hasld(void) { return (struct hasld){ 1, 2 }; }
struct flex r_flex(void) { return (struct flex){ 1 }; }
struct empty r_empty(void) { return (struct empty){}; }
long double r_ld(void) { return 1; }
struct ld1 r_ld1(void) { return (struct ld1){ 1 }; }
_Complex long double r_cld(void) { return 1; }
_Complex float r_cf(void) { return 1; }
_Complex double r_cd(void) { return 1; }
double r_d(void) { return 1; }
unsigned __int128 r_u128(void) { return 1; }

/* Variadic functions, and one without a prototype: DWARF gives knr's
 * parameters their declared types, float and char, while callers pass
 * the promoted double and int, in the same registers. */
int v_printf(const char *fmt, ...) { (void)fmt; return 0; }
void v_mixed(int a, double b, ...) { (void)a, (void)b; }
int knr(a, b) float a; char b; { return a + b; }

/* Static functions; cp is called with a constant, which invites gcc -O2
 * to clone it, and st is also inlined into its caller. */
static __attribute__((used)) int st(int a, double b) { return a + b; }
static __attribute__((noinline)) int cp(int a, int b) { return a * b; }
int use_statics(int x) { return st(x, 2.0) + cp(x, 5) + cp(x + 1, 5); }

/* Declared, not defined: there is no signature for it. */
extern int declared_only(int);
int calls_declared(int x) { return declared_only(x); }

/* Pointers to structs and unions, which copy-arg rules copy: counted
 * only if complete and passed in a register; the first is described. */
struct opaque;
typedef struct a32 a32_t;
void rp_one(int x, struct big *p) { (void)x, (void)p; }
void rp_typedef(long x, volatile a32_t *p) { (void)x, (void)p; }
void rp_union(union uif *u) { (void)u; }
void rp_two(struct ii *a, int b, struct dd *c) { (void)a, (void)b, (void)c; }
void rp_none(struct opaque *o, void *v, int *i) { (void)o, (void)v, (void)i; }
void rp_stack(long a, long b, long c, long d, long e, long f, struct ii *p) { (void)a, (void)f, (void)p; }
struct big rp_sret(struct ii *p) { struct big b = {p->a, 0, 0}; return b; }
