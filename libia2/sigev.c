/* SIGEV_THREAD notifications: a function that glibc calls on a thread it
 * starts itself, when a timer expires (timer_create), a message arrives
 * in an empty queue (mq_notify), an asynchronous I/O request ends
 * (aio_read, aio_write, aio_fsync) or a batch of name lookups does
 * (getaddrinfo_a).
 *
 * glibc creates those threads with its internal pthread_create, not
 * libia2's (threads.c): they inherit the PKRU of the thread that made
 * glibc's helper thread, which is whichever compartment first asked for
 * such a notification, and they get no compartment stacks. So the
 * function would run with that compartment's rights, whoever registered
 * it, and a gate on that thread would find no stack to switch to.
 *
 * libia2 defines those functions, and timer_delete, and hands
 * glibc its own function, run_notification, with the index of an entry
 * in a read-only table (replaced as a whole, runtime.c: replace_pages)
 * as the value. The entry holds a callback slot of the registrant that
 * calls the registrant's function (callbacks.c; a slot even for a
 * gate), and its value. run_notification gives the thread what
 * libia2's own threads get at their start (adopt_thread) and calls the
 * slot on the thread's compartment stack, so the function runs in the
 * registrant's compartment, through a gate. The table is a replaceable
 * one, which a compartment can forge (docs/runtime.md, "The runtime's
 * own memory"), so run_notification calls nothing but a slot: a forged
 * entry, like a call of run_notification itself, runs a slot with a
 * value, which any compartment can do by calling the slot. A
 * registration from compartment 0, which has no slots, goes to glibc
 * as it is.
 *
 * glibc reads an I/O request's sigevent from the caller's aiocb when the
 * request ends (rt/aio_misc.c, __aio_notify), so that entry goes into
 * the aiocb itself, as glibc's own lio_listio does for its old version.
 * lio_listio's notifications, for the batch and for each request, are
 * refused from compartments (EINVAL, with a line): a failed batch may
 * have started some of its requests, and which ones would notify is not
 * known. */
#include <aio.h>
#include <errno.h>
#include <mqueue.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "runtime.h"

/* A timer's entry lasts until timer_delete; the others' until their one
 * notification. */
enum notification_kind { FREE, TIMER, QUEUE, ONCE };

struct notification {
	void (*fn)(union sigval);
	union sigval value;
	enum notification_kind kind;
	mqd_t queue;      /* QUEUE: the queue */
	timer_t timer;    /* TIMER: the timer, once made */
};

#define NOTIFICATIONS (PAGE / sizeof(struct notification))

union notifications {
	struct notification n[NOTIFICATIONS];
	char page[PAGE];
};
_Static_assert(sizeof(union notifications) == PAGE, "one page");
static union notifications notifications REPLACEABLE_TABLE;
static pthread_mutex_t notifications_lock = PTHREAD_MUTEX_INITIALIZER;

void set_up_notifications(void)
{
	if (mprotect(&notifications, PAGE, PROT_READ))
		die("cannot make the notification table read-only: %s", strerrorname_np(errno));
}

struct entry_change {
	size_t i;
	struct notification n;
};

static void set_entry(void *copy, const void *arg)
{
	const struct entry_change *ch = arg;

	((union notifications *)copy)->n[ch->i] = ch->n;
}

static void change_entry(size_t i, struct notification n)
{
	struct entry_change ch = {i, n};

	replace_pages(&notifications, PAGE, set_entry, &ch, "the notification table");
}

static void free_entry(size_t i)
{
	change_entry(i, (struct notification){.kind = FREE});
}

static void run_notification(union sigval v);

/* Takes an entry for sevp's function and value, and points ev, a copy
 * of sevp, at run_notification with the entry; the entry's index, or -1
 * (errno EAGAIN, after a message) if the table is full. */
static long claim_entry(const struct sigevent *sevp, struct sigevent *ev,
			enum notification_kind kind, mqd_t queue, const char *api)
{
	void (*fn)(union sigval) = NULL;
	size_t i;

	if (sevp->sigev_notify_function &&
	    !(fn = callback_slot(current_compartment(), (void *)sevp->sigev_notify_function, api))) {
		errno = EAGAIN;
		return -1;
	}
	for (i = 0; i < NOTIFICATIONS && notifications.n[i].kind != FREE; i++)
		;
	if (i == NOTIFICATIONS) {
		say("%s: %zu SIGEV_THREAD notifications are registered already; %s fails with "
		    "EAGAIN", api, NOTIFICATIONS, api);
		errno = EAGAIN;
		return -1;
	}
	change_entry(i, (struct notification){fn, sevp->sigev_value, kind, queue, 0});
	*ev = *sevp;
	ev->sigev_notify_function = run_notification;
	ev->sigev_value.sival_ptr = NULL;
	ev->sigev_value.sival_int = (int)i;
	return (long)i;
}

static bool is_thread_notification(const struct sigevent *sevp)
{
	return sevp && sevp->sigev_notify == SIGEV_THREAD && __ia2_ro.s.set_up_begun &&
	       current_compartment() > 0;
}

static void *call_notification(void *p)
{
	const struct notification *n = p;

	n->fn(n->value);
	return NULL;
}

static void run_notification(union sigval v)
{
	unsigned i = (unsigned)v.sival_int;
	struct notification n;
	uintptr_t stack;

	/* A timer's notification that glibc had started as timer_delete
	 * freed its entry has nothing left to run. */
	if (i >= NOTIFICATIONS || notifications.n[i].kind == FREE)
		return;
	n = notifications.n[i];
	if (n.fn && !is_callback_slot((const void *)n.fn))
		die("SIGEV_THREAD notification %u names %p, which is no callback slot: a compartment "
		    "forged libia2's notification table", i, (void *)n.fn);
	/* Every registration but a timer's ends with its one notification
	 * (mq_notify(3), aio(7), getaddrinfo_a(3)). */
	if (n.kind != TIMER) {
		pthread_mutex_lock(&notifications_lock);
		free_entry(i);
		pthread_mutex_unlock(&notifications_lock);
	}
	stack = adopt_thread();
	if (stack)
		__ia2_run_on_stack(call_notification, &n, stack);
	else
		call_notification(&n);
}

#define LIBC(field) (__ia2_ro.s.libc_notifications.field)

API int timer_create(clockid_t clock, struct sigevent *sevp, timer_t *timer)
{
	struct sigevent ev;
	long i;
	int rc;

	if (!is_thread_notification(sevp))
		return LIBC(timer_create)(clock, sevp, timer);
	pthread_mutex_lock(&notifications_lock);
	i = claim_entry(sevp, &ev, TIMER, 0, "timer_create");
	rc = i < 0 ? -1 : LIBC(timer_create)(clock, &ev, timer);
	if (i >= 0 && rc)
		free_entry(i);
	else if (i >= 0)
		change_entry(i, (struct notification){notifications.n[i].fn,
						       notifications.n[i].value, TIMER, 0, *timer});
	pthread_mutex_unlock(&notifications_lock);
	return rc;
}

API int timer_delete(timer_t timer)
{
	int rc = LIBC(timer_delete)(timer);

	if (rc)
		return rc;
	pthread_mutex_lock(&notifications_lock);
	for (size_t i = 0; i < NOTIFICATIONS; i++)
		if (notifications.n[i].kind == TIMER && notifications.n[i].timer == timer)
			free_entry(i);
	pthread_mutex_unlock(&notifications_lock);
	return 0;
}

/* A queue has one registration at most: a new one, or sevp NULL, ends
 * the one before (mq_notify(3)). */
API int mq_notify(mqd_t queue, const struct sigevent *sevp)
{
	struct sigevent ev;
	long i = -1;
	int rc;

	pthread_mutex_lock(&notifications_lock);
	if (is_thread_notification(sevp) && (i = claim_entry(sevp, &ev, QUEUE, queue, "mq_notify")) < 0) {
		pthread_mutex_unlock(&notifications_lock);
		return -1;
	}
	rc = LIBC(mq_notify)(queue, i >= 0 ? &ev : sevp);
	if (rc && i >= 0)
		free_entry(i);
	for (size_t j = 0; j < NOTIFICATIONS && !rc; j++)
		if (notifications.n[j].kind == QUEUE && notifications.n[j].queue == queue && (long)j != i)
			free_entry(j);
	pthread_mutex_unlock(&notifications_lock);
	return rc;
}

/* Submits a request whose notification, *sev, is read when the request
 * ends: an entry for it if it is SIGEV_THREAD, freed again if the
 * request is refused. submit's status, or -1 (errno EAGAIN) without an
 * entry. */
static int submit_once(struct sigevent *sev, int (*submit)(void *), void *request,
		       const char *api)
{
	long i = -1;
	int rc;

	pthread_mutex_lock(&notifications_lock);
	if (is_thread_notification(sev) && (i = claim_entry(sev, sev, ONCE, 0, api)) < 0) {
		pthread_mutex_unlock(&notifications_lock);
		return -1;
	}
	rc = submit(request);
	if (rc && i >= 0)
		free_entry(i);
	pthread_mutex_unlock(&notifications_lock);
	return rc;
}

static int read_request(void *cb)
{
	return LIBC(aio_read)(cb);
}

static int write_request(void *cb)
{
	return LIBC(aio_write)(cb);
}

API int aio_read(struct aiocb *cb)
{
	return submit_once(&cb->aio_sigevent, read_request, cb, "aio_read");
}

API int aio_write(struct aiocb *cb)
{
	return submit_once(&cb->aio_sigevent, write_request, cb, "aio_write");
}

struct sync_request {
	int op;
	struct aiocb *cb;
};

static int sync_request(void *p)
{
	struct sync_request *r = p;

	return LIBC(aio_fsync)(r->op, r->cb);
}

API int aio_fsync(int op, struct aiocb *cb)
{
	struct sync_request r = {op, cb};

	return submit_once(&cb->aio_sigevent, sync_request, &r, "aio_fsync");
}

/* On x86-64 an aiocb64 is an aiocb, and glibc's *64 functions are the
 * same code (nm -D libc.so.6). */
API int aio_read64(struct aiocb64 *cb)
{
	return aio_read((struct aiocb *)cb);
}

API int aio_write64(struct aiocb64 *cb)
{
	return aio_write((struct aiocb *)cb);
}

API int aio_fsync64(int op, struct aiocb64 *cb)
{
	return aio_fsync(op, (struct aiocb *)cb);
}

struct lookups {
	int mode;
	struct gaicb **list;
	int n;
	struct sigevent *sev;
};

/* getaddrinfo_a copies the batch's sigevent (resolv/getaddrinfo_a.c). */
static int lookup_request(void *p)
{
	struct lookups *l = p;

	return LIBC(getaddrinfo_a)(l->mode, l->list, l->n, l->sev);
}

API int getaddrinfo_a(int mode, struct gaicb *list[], int n, struct sigevent *sev)
{
	struct sigevent copy;
	struct lookups l = {mode, list, n, sev};

	if (mode != GAI_NOWAIT || !is_thread_notification(sev))
		return lookup_request(&l);
	copy = *sev;
	l.sev = &copy;
	return submit_once(&copy, lookup_request, &l, "getaddrinfo_a");
}

static bool batch_notifies_thread(struct aiocb *const list[], int n, const struct sigevent *sev)
{
	if (is_thread_notification(sev))
		return true;
	for (int i = 0; i < n; i++)
		if (list[i] && list[i]->aio_lio_opcode != LIO_NOP &&
		    is_thread_notification(&list[i]->aio_sigevent))
			return true;
	return false;
}

API int lio_listio(int mode, struct aiocb *const list[], int n, struct sigevent *sev)
{
	if (current_compartment() && batch_notifies_thread(list, n, sev)) {
		say("compartment %d called lio_listio with a SIGEV_THREAD notification, which ia2 "
		    "cannot run in its compartment: refused (EINVAL); submit the requests with "
		    "aio_read and aio_write instead", current_compartment());
		errno = EINVAL;
		return -1;
	}
	return LIBC(lio_listio)(mode, list, n, sev);
}

API int lio_listio64(int mode, struct aiocb64 *const list[], int n, struct sigevent *sev)
{
	return lio_listio(mode, (struct aiocb *const *)list, n, sev);
}

void find_notifications(struct libc_notifications *n)
{
	n->timer_create = find_in_libc("timer_create");
	n->timer_delete = find_in_libc("timer_delete");
	n->mq_notify = find_in_libc("mq_notify");
	n->aio_read = find_in_libc("aio_read");
	n->aio_write = find_in_libc("aio_write");
	n->aio_fsync = find_in_libc("aio_fsync");
	n->lio_listio = find_in_libc("lio_listio");
	n->getaddrinfo_a = find_in_libc("getaddrinfo_a");
}
