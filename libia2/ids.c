/* set*id and setgroups: POSIX has them change the IDs of every thread, so
 * glibc's version builds a command on the caller's stack, points
 * __xidcmd at it and sends every other thread SIGSETXID, whose handler
 * makes the call the command names (nptl/nptl_setxid.c; the command
 * struct is INLINE_SETXID_SYSCALL's local, sysdeps/unix/sysv/linux/
 * setxid.h). That handler runs on every thread, in whatever compartment
 * the thread is, through the setxid entry, which gives it compartment
 * 0's rights (stubs.c): pkey 0 alone, since code that jumps to the entry
 * with a frame of its own and a command of its own makes the handler call
 * what it likes, and must gain nothing a compartment lacks.
 *
 * So the command, and setgroups' list, must be in pkey-0 memory: each
 * function here runs glibc's on a stack of its own, mapped for the call
 * with the kernel's pkey 0, and copies setgroups' list there. initgroups
 * calls glibc's setgroups internally, with a list on its heap, so it
 * becomes getgrouplist and the setgroups here. */
#include <errno.h>
#include <grp.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "runtime.h"

/* Room for glibc's __nptl_setxid, which waits for the other threads. */
#define ID_STACK_SIZE (64 * 1024)

enum id_function { SETUID, SETGID, SETEUID, SETEGID, SETREUID, SETREGID, SETRESUID, SETRESGID, SETGROUPS };

struct id_call {
	enum id_function f;
	unsigned a, b, c;
	size_t n;
	const gid_t *list;
	int rc;
};

void find_id_functions(struct libc_ids *ids)
{
	ids->setuid = find_in_libc("setuid");
	ids->setgid = find_in_libc("setgid");
	ids->seteuid = find_in_libc("seteuid");
	ids->setegid = find_in_libc("setegid");
	ids->setreuid = find_in_libc("setreuid");
	ids->setregid = find_in_libc("setregid");
	ids->setresuid = find_in_libc("setresuid");
	ids->setresgid = find_in_libc("setresgid");
	ids->setgroups = find_in_libc("setgroups");
}

static void *call_glibc(void *arg)
{
	const struct libc_ids *g = &__ia2_ro.s.libc_ids;
	struct id_call *k = arg;

	switch (k->f) {
	case SETUID: k->rc = g->setuid(k->a); break;
	case SETGID: k->rc = g->setgid(k->a); break;
	case SETEUID: k->rc = g->seteuid(k->a); break;
	case SETEGID: k->rc = g->setegid(k->a); break;
	case SETREUID: k->rc = g->setreuid(k->a, k->b); break;
	case SETREGID: k->rc = g->setregid(k->a, k->b); break;
	case SETRESUID: k->rc = g->setresuid(k->a, k->b, k->c); break;
	case SETRESGID: k->rc = g->setresgid(k->a, k->b, k->c); break;
	case SETGROUPS: k->rc = g->setgroups(k->n, k->list); break;
	}
	return NULL;
}

/* Runs k on a fresh pkey-0 stack, above a copy of setgroups' list. */
static int on_shared_stack(struct id_call *k)
{
	size_t list_size = (k->n * sizeof(gid_t) + 15) & ~(size_t)15;
	size_t size = list_size + ID_STACK_SIZE;
	char *m;
	int err;

	/* The kernel's limit, and its answer (kernel/groups.c). */
	if (k->n > NGROUPS_MAX) {
		errno = EINVAL;
		return -1;
	}
	set_up_libia2();
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED)
		return -1;
	if (k->n) {
		memcpy(m, k->list, k->n * sizeof(gid_t));
		k->list = (const gid_t *)m;
	}
	__ia2_run_on_stack(call_glibc, k, (uintptr_t)(m + size));
	err = errno;
	munmap(m, size);
	errno = err;
	return k->rc;
}

static int id_call(enum id_function f, unsigned a, unsigned b, unsigned c)
{
	return on_shared_stack(&(struct id_call){.f = f, .a = a, .b = b, .c = c});
}

API int setuid(uid_t uid) { return id_call(SETUID, uid, 0, 0); }
API int setgid(gid_t gid) { return id_call(SETGID, gid, 0, 0); }
API int seteuid(uid_t uid) { return id_call(SETEUID, uid, 0, 0); }
API int setegid(gid_t gid) { return id_call(SETEGID, gid, 0, 0); }
API int setreuid(uid_t r, uid_t e) { return id_call(SETREUID, r, e, 0); }
API int setregid(gid_t r, gid_t e) { return id_call(SETREGID, r, e, 0); }
API int setresuid(uid_t r, uid_t e, uid_t s) { return id_call(SETRESUID, r, e, s); }
API int setresgid(gid_t r, gid_t e, gid_t s) { return id_call(SETRESGID, r, e, s); }

API int setgroups(size_t n, const gid_t *list)
{
	return on_shared_stack(&(struct id_call){.f = SETGROUPS, .n = n, .list = list});
}

/* glibc's initgroups (grp/initgroups.c): the groups getgrouplist finds,
 * at most NGROUPS_MAX of them. */
API int initgroups(const char *user, gid_t group)
{
	long max = sysconf(_SC_NGROUPS_MAX);
	int n = 64, rc;
	gid_t *list = NULL;

	for (;;) {
		gid_t *bigger = realloc(list, (size_t)n * sizeof *list);
		int got = n;
		if (!bigger) {
			free(list);
			errno = ENOMEM;
			return -1;
		}
		list = bigger;
		if (getgrouplist(user, group, list, &got) >= 0) {
			n = got;
			break;
		}
		n = got > n ? got : 2 * n;
	}
	if (max > 0 && n > max)
		n = (int)max;
	rc = setgroups((size_t)n, list);
	free(list);
	return rc;
}
