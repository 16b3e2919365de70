/* A DSO outside the compartments, built by the plain compiler. Its
 * constructor runs before libia2's: the program needs it after libia2
 * (CMakeLists.txt). The constructor installs a signal handler, takes a
 * longjmp, and starts a thread that serves requests for the rest of the
 * run. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "early.h"

enum request { CALL, PKRU, READ, PING };

struct message {
	enum request what;
	int (*fn)(int);
	const int *p;
	int arg;
};

static struct early_ctor ctor;
static struct early_signal usr1;
static pthread_t server;
static int requests[2], answers[2];

static int serve_one(const struct message *m)
{
	switch (m->what) {
	case CALL:
		return m->fn(m->arg);
	case PKRU:
		return (int)read_pkru();
	case READ:
		return *(volatile const int *)m->p;
	case PING:
		return 0;
	}
	return -1;
}

static void *serve(void *unused)
{
	struct message m;

	(void)unused;
	for (;;) {
		int r;
		if (read(requests[0], &m, sizeof m) != sizeof m)
			continue;   /* EINTR: a signal without SA_RESTART */
		r = serve_one(&m);
		write(answers[1], &r, sizeof r);
	}
	return NULL;
}

static int ask(struct message m)
{
	int r = -1;

	write(requests[1], &m, sizeof m);
	while (read(answers[0], &r, sizeof r) != sizeof r)
		;
	return r;
}

int early_call(int (*fn)(int), int arg) { return ask((struct message){CALL, fn, NULL, arg}); }
unsigned early_thread_pkru(void) { return (unsigned)ask((struct message){PKRU, NULL, NULL, 0}); }
int early_read(const int *p) { return ask((struct message){READ, NULL, p, 0}); }
int early_is_thread(void) { return pthread_equal(pthread_self(), server); }

/* A signal pending for the server is delivered before its read returns
 * with the request, so the handler has run when the answer comes. */
void early_signal_thread(int sig)
{
	pthread_kill(server, sig);
	ask((struct message){PING, NULL, NULL, 0});
}

void early_usr1(int sig)
{
	(void)sig;
	usr1.count++;
	usr1.pkru = read_pkru();
	usr1.on_thread = early_is_thread();
}

struct early_ctor early_ctor_record(void) { return ctor; }
struct early_signal early_signal_record(void) { return usr1; }

static void start_thread(void)
{
	ctor.created = !pipe(requests) && !pipe(answers) &&
		       !pthread_create(&server, NULL, serve, NULL);
}

static void install_handler(int with_signal)
{
	struct sigaction sa;

	if (with_signal) {
		ctor.handler_set = signal(SIGUSR1, early_usr1) != SIG_ERR;
		return;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = early_usr1;
	sa.sa_flags = SA_RESTART;
	sigemptyset(&sa.sa_mask);
	ctor.handler_set = sigaction(SIGUSR1, &sa, NULL) == 0;
}

static void with_sigaction(void) { install_handler(0); }
static void with_signal(void) { install_handler(1); }

static void jump(void)
{
	jmp_buf env;

	if (setjmp(env))
		ctor.jumped = 1;
	else
		longjmp(env, 1);
}

static void sigjump(void)
{
	sigjmp_buf env;

	if (sigsetjmp(env, 1))
		ctor.jumped = 1;
	else
		siglongjmp(env, 1);
}

/* EARLY_FIRST names the libia2 function the constructor calls first,
 * before libia2 has set itself up; the rest follow. */
__attribute__((constructor)) static void early_init(void)
{
	static const struct {
		const char *name;
		void (*run)(void);
	} first[] = {
		{"pthread_create", start_thread}, {"sigaction", with_sigaction},
		{"signal", with_signal}, {"longjmp", jump}, {"siglongjmp", sigjump},
	};
	const char *name = getenv("EARLY_FIRST");

	if (!name)
		name = "pthread_create";
	ctor.pkru_before = read_pkru();
	for (size_t i = 0; i < sizeof first / sizeof *first; i++)
		if (!strcmp(name, first[i].name))
			first[i].run();
	ctor.pkru_after = read_pkru();
	if (!ctor.created)
		start_thread();
	if (!ctor.handler_set)
		with_sigaction();
	if (!ctor.jumped)
		jump();
}
