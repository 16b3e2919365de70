/* The program that audit.sh audits: each call crosses memory that the
 * base config (two compartment lines) keeps apart. */
int lib_sum(const int *v, int n);   /* reads a block of the caller's heap */
void lib_count(int *counter);       /* writes the caller's global */
const int *lib_table(void);         /* the library's static array */
const int *lib_calls(void);         /* a function-local static */
char *lib_buffer(int n);            /* a block of the library's heap */
int lib_is_elf(const char *buf);    /* whether buf starts as an ELF file does */
int lib_open(const char *path);     /* open(2) of the caller's path, O_RDONLY */
struct point {
	int x, y;
};
/* Hands fill a struct on the library's stack. */
int lib_measure(void (*fill)(struct point *));
