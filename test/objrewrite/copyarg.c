/* Functions for copy-arg rules: the gates rwtest must plan
 * (objrewrite.copyarg) and the rules it must refuse
 * (objrewrite.error.copy-*). Those after `calls_internal` take rules
 * that name their parameters. */
struct req { int in[4]; int out[4]; };
struct other { long a; };
struct huge { char b[5000]; };
struct __attribute__((aligned(128))) wide { long a; };

int fill(long id, struct req *r) { r->out[0] = r->in[0] + (int)id; return 0; }
int peek(const struct req *r) { return r->in[0]; }
int no_record(int *p) { return *p; }
int two_records(struct req *r, struct other *o) { return r->in[0] + (int)o->a; }
int too_big(struct huge *h) { return h->b[0]; }
int too_aligned(struct wide *w) { return (int)w->a; }
int variadic(struct req *r, ...) { return r->in[0]; }
static __attribute__((noipa)) int internal(struct req *r) { return r->in[1]; }
int calls_internal(struct req *r) { return internal(r); }

int put(long f, const char *buf, unsigned len) { return buf[len - 1] + (int)f; }
int get(char *buf, unsigned short n, const char *mode) { buf[n - 1] = mode[0]; return 0; }
int open_by(const char *path, const char *mode, int *err) { *err = path[0] + mode[0]; return 0; }
int two_out(int *a, int *b) { *a = *b = 0; return 0; }
int by_void(void *p, long n) { return ((char *)p)[n]; }
int by_struct(struct req *r, char *s) { return r->in[0] + s[0]; }
