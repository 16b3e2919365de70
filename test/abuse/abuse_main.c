/* Compartment 1: hands compartment 2 a callback and lets it misuse it.
 * `abuse skip-gate` must die with SEGV_PKUERR, `abuse wrpkru-gadget`
 * with SIGILL from the gate's check, and `abuse ok` shows the callback
 * itself works through its gate. `abuse return-no-call` jumps to
 * compartment 2's return stub while 2 has no call pending, and
 * `abuse return-no-call-thread` to compartment 1's in a thread that
 * started in 1 and made no call: libia2 must stop the program with a
 * message, not return to whatever the stack held. `abuse fake-self`:
 * compartment 2 points the thread's %fs:0 at a fake TCB, and libia2's
 * record of compartment 1's cleanup region must still go to compartment
 * 1's CTB, not over compartment 1's secret. `abuse call-WHAT` calls, as
 * compartment 1, the code pointer compartment 2 offers as its callback:
 * its gate (the callee faults on compartment 1's secret), its body
 * behind the gate (also with ld.so's link map of compartment 2's DSO
 * forged, `call-forged-map`), the middle of a libc function, or
 * setcontext, which libia2 must refuse; `abuse atexit-body` hands the body to atexit, and
 * `abuse qsort-body` to qsort as its comparator. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int abuse_skip_gate(int (*gate)(int));
int abuse_wrpkru_gadget(int (*gate)(int));
int lib_call(int (*f)(int), int v);
void abuse_fake_self(void *target);
void abuse_restore_self(void);
void *abuse_offer(const char *what);

static int secret = 1234;

/* Writes its global, so the compiler cannot fold the access away. */
static int reveal(int x)
{
	return secret++ + x;
}

static void no_cleanup(void *arg)
{
	(void)arg;
}

/* libia2's table of return stubs, one per compartment (gate_abi.h). */
static void *jump_to_return_stub(void *compartment)
{
	void *const *table = dlsym(RTLD_DEFAULT, "__ia2_return_table");
	int c = (int)(long)compartment;

	if (!table) {
		printf("abuse: no __ia2_return_table\n");
		exit(3);
	}
	printf("abuse: jumping to compartment %d's return stub\n", c);
	fflush(stdout);
	__asm__ volatile("jmp *%0" : : "r"(table[c]) : "memory");
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t t;

	if (argc != 2)
		return 2;
	if (!strcmp(argv[1], "skip-gate"))
		return abuse_skip_gate(reveal);
	if (!strcmp(argv[1], "wrpkru-gadget"))
		return abuse_wrpkru_gadget(reveal);
	if (!strcmp(argv[1], "return-no-call"))
		jump_to_return_stub((void *)2L);
	if (!strcmp(argv[1], "return-no-call-thread"))
		return pthread_create(&t, NULL, jump_to_return_stub, (void *)1L) ||
		       pthread_join(t, NULL);
	if (!strncmp(argv[1], "call-", 5)) {
		int (*callback)(const int *) = (int (*)(const int *))abuse_offer(argv[1] + 5);
		printf("abuse: compartment 2's code read compartment 1's secret: %d\n",
		       callback(&secret));
		return 0;
	}
	if (!strcmp(argv[1], "qsort-body")) {
		int v[2] = {2, 1};
		qsort(v, 2, sizeof *v, (int (*)(const void *, const void *))abuse_offer("body"));
		printf("abuse: qsort ran compartment 2's body as compartment 1\n");
		return 0;
	}
	if (!strcmp(argv[1], "atexit-body")) {
		if (atexit((void (*)(void))abuse_offer("body"))) {
			printf("abuse: atexit refused compartment 2's body\n");
			return 7;
		}
		return 0;
	}
	if (!strcmp(argv[1], "ok"))
		return lib_call(reveal, 1) == 1235 ? 0 : 1;
	if (!strcmp(argv[1], "fake-self")) {
		int seen;
		abuse_fake_self(&secret);
		pthread_cleanup_push(no_cleanup, NULL);
		seen = secret;
		pthread_cleanup_pop(0);
		abuse_restore_self();
		printf("abuse: compartment 1's secret reads %#x inside a cleanup region\n", seen);
		return seen != 1234;
	}
	return 2;
}
