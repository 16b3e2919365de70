/* usage: callbacks CASE
 *
 * Compartment 1 hands libc code pointers to call later, and compartment
 * 2 (cb_lib.c) triggers them. libia2 makes each run in compartment 1,
 * whoever triggers it (libia2/callbacks.c).
 *
 *   ok              compartment 1's own functions, handed to libc as
 *                   their bodies and as gates, run in compartment 1
 *                   when compartment 2 triggers them (a key destructor,
 *                   a fork handler, a cookie stream's write) or 1 itself
 *                   does (a printf handler, which libc passes pointers
 *                   to its caller's stack), a timer's and a queue's
 *                   SIGEV_THREAD functions, which glibc runs on threads
 *                   it starts itself with compartment 2's PKRU, an
 *                   aio_read's and a getaddrinfo_a's (lio_listio's is
 *                   refused), and
 *                   error_print_progname when compartment 2 calls
 *                   error: each writes compartment 1's data
 *   steal-printf    a printf handler, atexit handler, fork handler,
 *   steal-atexit    key destructor, cookie stream function, or timer's
 *   steal-atfork    or queue's SIGEV_THREAD function that is the body
 *   steal-key       behind one of compartment 1's gates reads
 *   steal-cookie    compartment 2's secret when compartment 2's PKRU
 *   steal-timer     would run it: it must run in compartment 1 and
 *   steal-queue     fault (SEGV_PKUERR); steal-aio likewise, after
 *   steal-aio       compartment 2's own aio_read, whose worker thread
 *                   glibc may reuse for compartment 1's request
 *   steal-error     error_print_progname pointed at that body is ignored
 *                   when compartment 2 calls error: the trigger returns
 *                   (status 1), with libia2's line saying why
 *   steal-obstack   obstack_alloc_failed_handler pointed at that body is
 *                   ignored when compartment 2's obstack cannot grow:
 *                   "memory exhausted", status 1, and libia2's line
 *   steal-version   argp_program_version_hook pointed at that body is
 *                   cleared when compartment 2 parses --version: argp
 *                   knows no such option (status 64), and libia2's line
 *   forge-table     a copy of libia2's callback table with that body as
 *                   the target of compartment 2's first slot, moved over
 *                   the table, then the slot called: the syscall monitor
 *                   denies the move (status 112)
 *   forge-notification
 *                   a copy of libia2's notification table, moved over it,
 *                   with that body as the function of compartment 1's
 *                   timer, which glibc's thread, with compartment 2's
 *                   PKRU, would run: libia2 refuses the entry (status 1)
 *   forge-signal    that body installed by compartment 1 as its SIGUSR1
 *                   handler, with a copy of libia2's signal handler
 *                   table that says compartment 2 owns it moved over the
 *                   table, and the kernel's action pointed at compartment
 *                   2's signal entry, which would run it with 2's
 *                   rights: the syscall monitor denies the move (status
 *                   112)
 *   forge-cancel    that body made the kernel's handler of glibc's
 *                   SIGCANCEL, which every compartment's entry runs in
 *                   the interrupted compartment, before libia2 wraps
 *                   glibc's handlers: libia2 refuses it (status 1) */
#define _GNU_SOURCE
#include "cb.h"
#include "../common/forgepage.h"
#include "../common/gatebody.h"
#include "../common/hidden.h"
#include "../common/rawcall.h"
#include "../common/pkru.h"
#include "ia2.h"
#include "ia2/gate_abi.h"
#include "ia2/pkru.h"

#include <aio.h>
#include <argp.h>
#include <errno.h>
#include <error.h>
#include <fcntl.h>
#include <netdb.h>
#include <obstack.h>
#include <mqueue.h>
#include <printf.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Where the secret is, in shared memory: what steal reads in whichever
 * compartment runs it. */
IA2_SHARED static volatile int *target;
static int ran;
static unsigned ran_pkru;

/* Compartment 1's code; compartment 2's secret is out of its reach. */
static long steal(void *a, void *b, void *c)
{
	(void)a, (void)b, (void)c;
	printf("stole compartment 2's secret: %#x\n", *target);
	fflush(stdout);
	_exit(0);   /* not exit: it would flush the cookie stream again */
}

/* Writes compartment 1's data: faults unless it runs in compartment 1. */
static long note_ran(void *a, void *b, void *c)
{
	(void)a, (void)b, (void)c;
	ran++;
	ran_pkru = read_pkru();
	return 0;
}

static int render(FILE *f, const struct printf_info *info, const void *const *args)
{
	note_ran(NULL, NULL, NULL);
	(void)info, (void)args;
	return fprintf(f, "<%d>", ran);
}

static int arginfo(const struct printf_info *info, size_t n, int *types, int *size)
{
	(void)info;
	if (n > 0) {
		types[0] = PA_INT;
		size[0] = sizeof(int);
	}
	return 1;
}

static void *body_of(const void *gate)
{
	void *body = gate_body(gate, 1);

	if (!body) {
		puts("no body behind the gate");
		exit(3);
	}
	return body;
}

static ssize_t cookie_write(void *cookie, const char *buf, size_t n)
{
	(void)cookie, (void)buf;
	note_ran(NULL, NULL, NULL);
	return (ssize_t)n;
}

/* A SIGEV_THREAD notification: it must run in compartment 1, on a
 * thread that glibc started with compartment 2's PKRU, and call into
 * compartment 2 through a gate from there. */
static sem_t notified;
static int notified_value;

static void on_notify(union sigval v)
{
	note_ran(NULL, NULL, NULL);
	notified_value = v.sival_int + cb_lib_value();
	sem_post(&notified);
}

static void wait_notified(void)
{
	while (sem_wait(&notified))
		;
}

/* Compartment 1's timer, after compartment 2's started glibc's helper. */
static void start_timer(void (*fn)(union sigval), int value)
{
	struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = fn,
			      .sigev_value.sival_int = value};
	struct itimerspec once = {.it_value = {0, 1}};
	timer_t t;

	cb_lib_timer();
	if (timer_create(CLOCK_MONOTONIC, &ev, &t) || timer_settime(t, 0, &once, NULL)) {
		perror("compartment 1's timer");
		exit(4);
	}
}

/* Compartment 1's queue notification, after compartment 2's. */
static mqd_t start_queue(void (*fn)(union sigval), int value)
{
	struct mq_attr attr = {.mq_maxmsg = 1, .mq_msgsize = 8};
	struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = fn,
			      .sigev_value.sival_int = value};
	/* Shared: compartment 2 opens the queue by this name. */
	IA2_SHARED static char name[64];
	mqd_t q;

	snprintf(name, sizeof name, "/ia2-callbacks-%d", (int)getpid());
	cb_lib_queue(name);
	q = mq_open(name, O_CREAT | O_RDWR, 0600, &attr);
	mq_unlink(name);
	if (q == (mqd_t)-1 || mq_notify(q, &ev) || mq_send(q, "1", 1, 0)) {
		perror("compartment 1's queue");
		exit(4);
	}
	return q;
}

/* Compartment 1's aio_read with a SIGEV_THREAD notification, after
 * compartment 2's aio_read: shared, as glibc's worker may have
 * compartment 2's PKRU. */
IA2_SHARED static struct aiocb request;
IA2_SHARED static char request_buf[8];

static void start_aio(void (*fn)(union sigval), int value)
{
	cb_lib_aio();
	request = (struct aiocb){.aio_fildes = open("/proc/self/stat", O_RDONLY),
				 .aio_buf = request_buf, .aio_nbytes = sizeof request_buf,
				 .aio_sigevent = {.sigev_notify = SIGEV_THREAD,
						  .sigev_notify_function = fn,
						  .sigev_value.sival_int = value}};
	if (request.aio_fildes < 0 || aio_read(&request)) {
		perror("compartment 1's aio_read");
		exit(4);
	}
}

/* error_print_progname's hook: must run in compartment 1. */
static void progname_hook(void)
{
	note_ran(NULL, NULL, NULL);
	fputs("hooked:", stderr);
}

/* What compartment 2's error and error_at_line print, with the hook. */
static void check_error_hook(void);

static int failures;

static void check(int ok, const char *what)
{
	if (!ok) {
		printf("FAIL: %s\n", what);
		failures++;
	}
}

/* getaddrinfo_a's batch notification, and lio_listio's, which is
 * refused. */
static void check_lookup_and_batch(void)
{
	static struct gaicb lookup = {.ar_name = "127.0.0.1"};
	static struct addrinfo hints = {.ai_flags = AI_NUMERICHOST};
	struct gaicb *lookups[] = {&lookup};
	struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = on_notify,
			      .sigev_value.sival_int = 70};
	struct aiocb *batch[] = {&request};

	lookup.ar_request = &hints;
	check(getaddrinfo_a(GAI_NOWAIT, lookups, 1, &ev) == 0, "getaddrinfo_a");
	wait_notified();
	check(ran == 9 && ran_pkru == IA2_PKRU(1) && notified_value == 72 &&
	      gai_error(&lookup) == 0, "getaddrinfo_a's SIGEV_THREAD function ran in compartment 1");
	request.aio_lio_opcode = LIO_READ;
	check(lio_listio(LIO_NOWAIT, batch, 1, &ev) == -1 && errno == EINVAL,
	      "lio_listio with a SIGEV_THREAD notification is refused");
}

/* %Y is registered below, which gcc's format check does not know. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
static void run_ok(void)
{
	pthread_key_t key;
	cookie_io_functions_t io = {.write = body_of((const void *)cookie_write)};
	FILE *f;

	/* libc hands a printf handler its caller's printf_info and argument
	 * array, on the caller's stack: compartment 1 prints itself. */
	register_printf_specifier('Y', body_of((const void *)render),
				  body_of((const void *)arginfo));
	printf("compartment 1 prints %Y\n", 7);
	check(ran == 1 && ran_pkru == IA2_PKRU(1), "a printf handler ran in compartment 1");
	check(pthread_key_create(&key, body_of((const void *)note_ran)) == 0, "pthread_key_create");
	cb_lib_thread(key);
	check(ran == 2 && ran_pkru == IA2_PKRU(1), "a key destructor ran in compartment 1");
	pthread_atfork(body_of((const void *)note_ran), NULL, NULL);
	cb_lib_fork();
	check(ran == 3 && ran_pkru == IA2_PKRU(1), "a fork handler ran in compartment 1");
	f = fopencookie(NULL, "w", io);
	cb_lib_write(f);
	check(ran == 4 && ran_pkru == IA2_PKRU(1), "a cookie stream's write ran in compartment 1");
	register_printf_specifier('Y', (printf_function *)render, arginfo);
	printf("compartment 1 prints %Y\n", 7);
	check(ran == 5 && ran_pkru == IA2_PKRU(1), "a printf handler given as a gate ran in 1");
	sem_init(&notified, 0, 0);
	start_timer(body_of((const void *)on_notify), 40);
	wait_notified();
	check(ran == 6 && ran_pkru == IA2_PKRU(1) && notified_value == 42,
	      "a timer's SIGEV_THREAD function ran in compartment 1 and called into 2");
	mq_close(start_queue(on_notify, 50));
	wait_notified();
	check(ran == 7 && ran_pkru == IA2_PKRU(1) && notified_value == 52,
	      "a queue's SIGEV_THREAD function ran in compartment 1 and called into 2");
	start_aio(on_notify, 60);
	wait_notified();
	check(ran == 8 && ran_pkru == IA2_PKRU(1) && notified_value == 62 &&
	      aio_return(&request) == sizeof request_buf,
	      "an aio_read's SIGEV_THREAD function ran in compartment 1 and called into 2");
	check_lookup_and_batch();
	check_error_hook();
}

static void check_error_hook(void)
{
	const char *want = "hooked:compartment 2's message 2: Permission denied\n"
			   "hooked:file.c:7: at a line\n";
	FILE *out = tmpfile();
	int saved = dup(2);
	char got[256] = "";

	error_print_progname = progname_hook;
	fflush(stderr);
	dup2(fileno(out), 2);
	cb_lib_error();
	dup2(saved, 2);
	error_print_progname = NULL;
	rewind(out);
	got[fread(got, 1, sizeof got - 1, out)] = 0;
	check(!strcmp(got, want), "error and error_at_line printed as glibc's do");
	check(ran == 11 && ran_pkru == IA2_PKRU(1), "error_print_progname ran in compartment 1");
}

/* A slot of compartment 2 is a gate into 2 that jumps to the slot's
 * target in libia2's table (libia2/callbacks.c): with a forged table,
 * body would run with compartment 2's rights. */
static void forge_slot(void *body)
{
	uintptr_t(*table)[IA2_CALLBACK_SLOTS] = hidden_symbol("libia2", "__ia2_callback_targets");
	void *const(*slots)[IA2_CALLBACK_SLOTS] = hidden_symbol("libia2", "__ia2_callback_slots");
	uintptr_t(*copy)[IA2_CALLBACK_SLOTS] = table ? copy_page(table) : NULL;

	if (!copy || !slots) {
		puts("cannot find libia2's callback table");
		exit(1);
	}
	copy[2][0] = (uintptr_t)body;
	if (!move_page_over(copy, table)) {
		puts("the callback table stays libia2's");
		exit(1);
	}
	raw_call(slots[2][0], 0, 0, 0);
}

/* The kernel's struct sigaction (arch/x86/include/uapi/asm/signal.h). */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	unsigned long mask;
};

/* Sets the kernel's handler for sig without libia2's sigaction, with the
 * flags and the return stub (SA_RESTORER: the kernel refuses to deliver
 * without one) of its current action, if any. */
static void raw_sigaction(int sig, void *handler)
{
	struct kernel_sigaction k;

	if (syscall(SYS_rt_sigaction, sig, NULL, &k, sizeof k.mask)) {
		perror("rt_sigaction");
		exit(4);
	}
	k.handler = handler;
	k.flags |= SA_SIGINFO | SA_ONSTACK;
	k.mask = ~0ul;
	if (syscall(SYS_rt_sigaction, sig, &k, NULL, sizeof k.mask)) {
		perror("rt_sigaction");
		exit(4);
	}
}

/* libia2/signals.c: the handlers, then the masks, then the owners, each
 * IA2_NSIG words; entry k runs only a handler that k owns. */
static void forge_signal_owner(void *body)
{
	uint64_t *table = hidden_symbol("libia2", "__ia2_signal_handlers"), *copy;
	void *const *entries = hidden_symbol("libia2", "__ia2_signal_entries");
	struct sigaction sa = {.sa_sigaction = (void (*)(int, siginfo_t *, void *))body,
			       .sa_flags = SA_SIGINFO};

	if (!table || !entries || sigaction(SIGUSR1, &sa, NULL) || !(copy = copy_page(table))) {
		puts("cannot find libia2's signal handler table or install the handler");
		exit(4);
	}
	copy[2 * IA2_NSIG + SIGUSR1] = 2;
	if (!move_page_over(copy, table)) {
		puts("the signal handler table stays libia2's");
		exit(4);
	}
	raw_sigaction(SIGUSR1, entries[2]);
	raise(SIGUSR1);
}

static void *nothing(void *arg)
{
	return arg;
}

/* glibc installs its SIGCANCEL handler (signal 32) in its first
 * pthread_cancel; libia2 wraps what the kernel has after a
 * pthread_create. */
static void forge_cancel_handler(void *body)
{
	pthread_t t;

	raw_sigaction(32, body);
	if (!pthread_create(&t, NULL, nothing, NULL))
		pthread_join(t, NULL);
	puts("libia2 took compartment 1's body for glibc's SIGCANCEL handler");
	exit(0);
}

/* The table holds each entry's function just before its value
 * (libia2/sigev.c), and the timer's value is one no other word has. */
#define FORGED_VALUE 0x1a2b3c4d5e6f7788u

static void forge_notification(void *body)
{
	struct sigevent ev = {.sigev_notify = SIGEV_THREAD, .sigev_notify_function = on_notify,
			      .sigev_value.sival_ptr = (void *)FORGED_VALUE};
	struct itimerspec once = {.it_value = {0, 1}};
	uintptr_t *table = hidden_symbol("libia2", "notifications"), *copy;
	size_t k = 1;
	timer_t t;

	cb_lib_timer();
	if (!table || timer_create(CLOCK_MONOTONIC, &ev, &t) || !(copy = copy_page(table))) {
		puts("cannot find libia2's notification table or make a timer");
		exit(4);
	}
	while (k < 4096 / sizeof *copy && copy[k] != FORGED_VALUE)
		k++;
	if (k == 4096 / sizeof *copy) {
		puts("no entry of the notification table holds the timer's value");
		exit(4);
	}
	copy[k - 1] = (uintptr_t)body;
	if (!move_page_over(copy, table) || timer_settime(t, 0, &once, NULL)) {
		puts("the notification table stays libia2's");
		exit(4);
	}
	pause();
}

int main(int argc, char **argv)
{
	const char *c = argc == 2 ? argv[1] : "";
	void *body = body_of((const void *)steal);
	pthread_key_t key;

	target = cb_secret_address();
	if (!strcmp(c, "ok")) {
		run_ok();
		if (!failures)
			puts("callbacks: ok");
		return failures != 0;
	}
	if (!strcmp(c, "steal-printf")) {
		register_printf_specifier('Y', body, body_of((const void *)arginfo));
		cb_lib_printf();
	} else if (!strcmp(c, "steal-atexit")) {
		atexit(body);
		cb_lib_exit();
	} else if (!strcmp(c, "steal-atfork")) {
		pthread_atfork(body, NULL, NULL);
		cb_lib_fork();
	} else if (!strcmp(c, "steal-key")) {
		pthread_key_create(&key, body);
		cb_lib_thread(key);
	} else if (!strcmp(c, "steal-cookie")) {
		cookie_io_functions_t io = {.write = body};
		cb_lib_write(fopencookie(NULL, "w", io));
	} else if (!strcmp(c, "steal-aio")) {
		start_aio((void (*)(union sigval))body, 0);
		pause();
	} else if (!strcmp(c, "steal-error")) {
		error_print_progname = (void (*)(void))body;
		cb_lib_error();
	} else if (!strcmp(c, "steal-obstack")) {
		obstack_alloc_failed_handler = (void (*)(void))body;
		cb_lib_obstack();
	} else if (!strcmp(c, "steal-version")) {
		argp_program_version_hook = (void (*)(FILE *, struct argp_state *))body;
		cb_lib_version();
	} else if (!strcmp(c, "steal-timer")) {
		start_timer((void (*)(union sigval))body, 0);
		pause();
	} else if (!strcmp(c, "steal-queue")) {
		start_queue((void (*)(union sigval))body, 0);
		pause();
	} else if (!strcmp(c, "forge-table")) {
		forge_slot(body);
	} else if (!strcmp(c, "forge-notification")) {
		forge_notification(body);
	} else if (!strcmp(c, "forge-signal")) {
		forge_signal_owner(body);
	} else if (!strcmp(c, "forge-cancel")) {
		forge_cancel_handler(body);
	} else {
		puts("usage: callbacks ok|steal-printf|steal-atexit|steal-atfork|steal-key|"
		     "steal-cookie|steal-timer|steal-queue|steal-aio|steal-error|steal-obstack|"
		     "steal-version|forge-table|forge-notification|forge-signal|forge-cancel");
		return 2;
	}
	puts("the trigger returned without running the stolen pointer");
	return 1;
}
