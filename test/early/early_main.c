/* Compartment 1 of the early-constructor test: `early CASE`, with
 * EARLY_FIRST naming the libia2 function early.c's constructor calls
 * first. Each case exits 0 only if every check held (reader: must die
 * with SEGV_PKUERR):
 *  ctor    the constructor ran before libia2 was set up, and its first
 *          call left it with PKRU(0); its pthread_create, sigaction and
 *          longjmp worked
 *  thread  the constructor's thread runs with PKRU(0) and calls into
 *          compartment 1, which runs with PKRU(1) on a stack with pkey 1
 *  signal  on that thread, compartment 1's handler runs with PKRU(1) on a
 *          stack with pkey 1, and the constructor's own handler with
 *          PKRU(0); sigaction reports the latter as installed
 *  reader  that thread reads compartment 1's data */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "../common/pkeyof.h"
#include "early.h"
#include "ia2/pkru.h"

static int failures;
static int secret = 41;

struct seen {
	int count;
	unsigned pkru;
	int stack_pkey;
	int on_thread;
};

static struct seen in_call, in_handler;

static void expect(int ok, const char *what)
{
	if (!ok) {
		printf("FAIL: %s\n", what);
		failures++;
	}
}

static void note(struct seen *s)
{
	int local = 0;

	s->count++;
	s->pkru = read_pkru();
	s->stack_pkey = pkey_of(&local);
	s->on_thread = early_is_thread();
}

static int add_secret(int x)
{
	note(&in_call);
	return x + secret;
}

static void usr2_handler(int sig)
{
	(void)sig;
	note(&in_handler);
}

static void expect_compartment_1(const struct seen *s, const char *who)
{
	char what[128];

	snprintf(what, sizeof what, "%s ran once on the constructor's thread", who);
	expect(s->count == 1 && s->on_thread, what);
	snprintf(what, sizeof what, "%s ran with PKRU(1)", who);
	expect(s->pkru == IA2_PKRU(1), what);
	snprintf(what, sizeof what, "%s ran on a stack with pkey 1", who);
	expect(s->stack_pkey == 1, what);
}

static void run_ctor(void)
{
	struct early_ctor c = early_ctor_record();

	expect(c.pkru_before != IA2_PKRU(0) && c.pkru_before != IA2_PKRU_RUNTIME,
	       "the constructor ran before libia2's setup");
	expect(c.pkru_after == IA2_PKRU(0), "its first call into libia2 left it with PKRU(0)");
	expect(c.created, "its pthread_create worked");
	expect(c.handler_set, "its sigaction worked");
	expect(c.jumped, "its longjmp came back");
}

static void run_thread(void)
{
	expect(early_thread_pkru() == IA2_PKRU(0), "the constructor's thread has PKRU(0)");
	expect(early_call(add_secret, 1) == 42, "it calls into compartment 1");
	expect_compartment_1(&in_call, "the call");
}

static void run_signal(void)
{
	struct early_signal e;
	struct sigaction old;

	expect(signal(SIGUSR2, usr2_handler) != SIG_ERR, "signal(SIGUSR2)");
	early_signal_thread(SIGUSR2);
	expect_compartment_1(&in_handler, "compartment 1's handler");
	early_signal_thread(SIGUSR1);
	e = early_signal_record();
	expect(e.count == 1 && e.on_thread, "the constructor's handler ran on its thread");
	expect(e.pkru == IA2_PKRU(0), "it ran with PKRU(0)");
	expect(sigaction(SIGUSR1, NULL, &old) == 0 && old.sa_handler == early_usr1,
	       "sigaction reports the constructor's handler");
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";

	if (!strcmp(c, "ctor"))
		run_ctor();
	else if (!strcmp(c, "thread"))
		run_thread();
	else if (!strcmp(c, "signal"))
		run_signal();
	else if (!strcmp(c, "reader"))
		printf("read %d: isolation failed\n", early_read(&secret));
	else {
		fprintf(stderr, "usage: early ctor|thread|signal|reader\n");
		return 2;
	}
	if (!strcmp(c, "reader"))
		return 1;
	return failures != 0;
}
