/* Compartment 1: hands compartment 2 a callback and lets it misuse it.
 * `abuse skip-gate` must die with SEGV_PKUERR, `abuse wrpkru-gadget`
 * with SIGILL from the gate's check, and `abuse ok` shows the callback
 * itself works through its gate. */
#include <stdio.h>
#include <string.h>

int abuse_skip_gate(int (*gate)(int));
int abuse_wrpkru_gadget(int (*gate)(int));
int lib_call(int (*f)(int), int v);

static int secret = 1234;

/* Writes its global, so the compiler cannot fold the access away. */
static int reveal(int x)
{
	return secret++ + x;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	if (!strcmp(argv[1], "skip-gate"))
		return abuse_skip_gate(reveal);
	if (!strcmp(argv[1], "wrpkru-gadget"))
		return abuse_wrpkru_gadget(reveal);
	if (!strcmp(argv[1], "ok"))
		return lib_call(reveal, 1) == 1235 ? 0 : 1;
	return 2;
}
