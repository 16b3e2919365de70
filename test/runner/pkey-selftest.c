/* pkey-selftest: proof that protection keys are enforced where tests run.
 *
 *   pkey-selftest [--addr-file=PATH]
 *       Tag a page with a fresh pkey, write to it, close the key in PKRU and
 *       write again. The second write must die with SEGV_PKUERR (run it under
 *       ia2-expect-pkuerr); PATH receives the page's address first.
 *   pkey-selftest --pkru
 *       Check that pkey_alloc works and that PKRU follows it: the new key
 *       starts with the rights asked for, and WRPKRU changes them.
 *
 * PKRU has two bits per key k: AD (bit 2k, access disable) and WD (bit
 * 2k+1, write disable); Intel SDM vol. 3A, 2.7. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define AD(k) (1u << (2 * (k)))
#define WD(k) (1u << (2 * (k) + 1))

/* RDPKRU and WRPKRU by opcode, for assemblers that lack the mnemonics. */
static uint32_t rdpkru(void)
{
	uint32_t eax, edx;
	__asm__ volatile(".byte 0x0f, 0x01, 0xee" : "=a"(eax), "=d"(edx) : "c"(0));
	return eax;
}

/* "memory": no access may move across a change of rights. */
static void wrpkru(uint32_t pkru)
{
	__asm__ volatile(".byte 0x0f, 0x01, 0xef" : : "a"(pkru), "c"(0), "d"(0) : "memory");
}

static void die(const char *what)
{
	fprintf(stderr, "pkey-selftest: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void check(int ok, const char *what, uint32_t pkru)
{
	printf("pkey-selftest: PKRU %#010x %s: %s\n", pkru, what, ok ? "ok" : "WRONG");
	if (!ok)
		exit(1);
}

static int check_pkru(void)
{
	int key;
	uint32_t pkru;

	printf("pkey-selftest: PKRU %#010x at start\n", rdpkru());
	/* pkey_alloc(2) sets the new key's rights in the caller's PKRU. Linux
	 * starts threads with every key but 0 access-disabled, so write-disable
	 * is the right to ask for: only pkey_alloc can have set it. */
	key = pkey_alloc(0, PKEY_DISABLE_WRITE);
	if (key < 0)
		die("pkey_alloc");
	printf("pkey-selftest: pkey_alloc gave key %d\n", key);
	pkru = rdpkru();
	check((pkru & (AD(key) | WD(key))) == WD(key), "after pkey_alloc(PKEY_DISABLE_WRITE): WD set, AD clear", pkru);
	wrpkru(pkru & ~WD(key));
	pkru = rdpkru();
	check(!(pkru & (AD(key) | WD(key))), "after WRPKRU opened the key", pkru);
	if (pkey_free(key))
		die("pkey_free");
	return 0;
}

static void write_addr(const char *path, void *addr)
{
	FILE *f = fopen(path, "w");
	if (!f || fprintf(f, "%p\n", addr) < 0 || fclose(f))
		die(path);
}

/* Without ia2's monitor, the line ia2-expect-pkuerr reads comes from
 * here: the kernel's siginfo, then death by the same signal. */
static void log_fault(int sig, siginfo_t *si, void *uc)
{
	const char *path = getenv("IA2_FAULT_LOG");
	char line[96];
	int fd, n;

	(void)uc;
	if (path && si->si_code == SEGV_PKUERR && (fd = open(path, O_WRONLY | O_APPEND)) >= 0) {
		n = snprintf(line, sizeof line, "pkuerr %d %p %u\n", (int)getpid(), si->si_addr,
			     si->si_pkey);
		if (write(fd, line, (size_t)n) < 0)
			_exit(1);
		close(fd);
	}
	signal(sig, SIG_DFL);
}

static int fault(const char *addr_file)
{
	volatile char *page;
	int key = pkey_alloc(0, 0);
	struct sigaction sa = {.sa_sigaction = log_fault, .sa_flags = SA_SIGINFO};

	sigaction(SIGSEGV, &sa, NULL);

	if (key < 0)
		die("pkey_alloc");
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		die("mmap");
	if (pkey_mprotect((void *)page, 4096, PROT_READ | PROT_WRITE, key))
		die("pkey_mprotect");
	page[0] = 1;
	printf("pkey-selftest: wrote to %p with pkey %d open; closing it\n", (void *)page, key);
	fflush(stdout);
	if (addr_file)
		write_addr(addr_file, (void *)page);

	wrpkru(rdpkru() | AD(key));
	page[0] = 2;

	wrpkru(rdpkru() & ~AD(key));
	fprintf(stderr, "pkey-selftest: wrote to %p with pkey %d closed: protection keys are not enforced\n",
		(void *)page, key);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--pkru") == 0)
		return check_pkru();
	if (argc == 2 && strncmp(argv[1], "--addr-file=", 12) == 0)
		return fault(argv[1] + 12);
	if (argc == 1)
		return fault(NULL);
	fputs("usage: pkey-selftest [--pkru | --addr-file=PATH]\n", stderr);
	return 2;
}
