/* ia2-symbolize PID ADDRESS...: names addresses of a running process for
 * the syscall monitor's fault reports (fault_report.c).
 *
 * A program of its own, so that libdw (and the compression libraries it
 * needs) stays out of every compartmentalized program: the monitor runs
 * it only when a protection-key fault is about to kill the program.
 * libdwfl reads the process's map (/proc/PID/maps) and each DSO's file,
 * so it names static symbols (.symtab) and, with DWARF, the source line,
 * for DSOs loaded at any time.
 *
 * One line per address, fields separated by tabs:
 *   MODULE  SYMBOL  OFFSET  SIZE  FILE:LINE
 * MODULE is the mapped file, SYMBOL the symbol that holds or precedes
 * the address ("" if none; for a gated function's code, the body's
 * name, __ia2_body_...), OFFSET the address's distance from it (from
 * the module's start if there is no symbol), SIZE the symbol's size,
 * and FILE:LINE "" without DWARF. A line "?" for an address in no
 * module. Exits 1 if the process cannot be read. */
#include <elfutils/libdwfl.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const Dwfl_Callbacks callbacks = {
	.find_elf = dwfl_linux_proc_find_elf,
	.find_debuginfo = dwfl_standard_find_debuginfo,
};

struct search {
	Dwarf_Addr addr;
	Dwfl_Module *found;
};

/* Whether a PT_LOAD segment of the module's file, where the module is
 * loaded, holds the address. */
static int holds(Dwfl_Module *mod, void **userdata, const char *name, Dwarf_Addr start, void *arg)
{
	struct search *s = arg;
	GElf_Addr bias;
	Elf *elf = dwfl_module_getelf(mod, &bias);
	size_t n;

	(void)userdata, (void)name, (void)start;
	if (!elf || elf_getphdrnum(elf, &n))
		return DWARF_CB_OK;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (gelf_getphdr(elf, (int)i, &ph) && ph.p_type == PT_LOAD &&
		    s->addr - bias >= ph.p_vaddr && s->addr - bias - ph.p_vaddr < ph.p_memsz) {
			s->found = mod;
			return DWARF_CB_ABORT;
		}
	}
	return DWARF_CB_OK;
}

/* The module that holds addr. A DSO's bss past the end of its file is
 * an anonymous mapping, which the process's map gives no module: the
 * DSO's program headers say whose it is. */
static Dwfl_Module *module_at(Dwfl *dwfl, Dwarf_Addr addr)
{
	struct search s = {addr, dwfl_addrmodule(dwfl, addr)};

	if (!s.found)
		dwfl_getmodules(dwfl, holds, &s, 0);
	return s.found;
}

/* A gated function that keeps its own name (a static or hidden one) has
 * its body under a second name too, __ia2_body_[N_]NAME (objrewrite's
 * plan.c), which tells the monitor that the code is a gate's target:
 * that name, for a symbol at value, where there is one. */
static const char *body_alias(Dwfl_Module *mod, GElf_Addr value, const char *symbol)
{
	int n = dwfl_module_getsymtab(mod);

	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr at;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &at, NULL, NULL, NULL);
		if (name && at == value && GELF_ST_TYPE(sym.st_info) == STT_FUNC &&
		    !strncmp(name, "__ia2_body_", 11))
			return name;
	}
	return symbol;
}

static void name_address(Dwfl *dwfl, Dwarf_Addr addr)
{
	Dwfl_Module *mod = module_at(dwfl, addr);
	const char *module, *symbol, *file = NULL;
	Dwarf_Addr start = 0;
	GElf_Off offset = 0;
	GElf_Sym sym = {0};
	Dwfl_Line *line;
	int lineno = 0;

	if (!mod) {
		puts("?");
		return;
	}
	module = dwfl_module_info(mod, NULL, &start, NULL, NULL, NULL, NULL, NULL);
	symbol = dwfl_module_addrinfo(mod, addr, &offset, &sym, NULL, NULL, NULL);
	if (!symbol)
		offset = addr - start;
	else if (GELF_ST_TYPE(sym.st_info) == STT_FUNC)
		symbol = body_alias(mod, addr - offset, symbol);
	line = dwfl_module_getsrc(mod, addr);
	if (line)
		file = dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL);
	printf("%s\t%s\t%#" PRIx64 "\t%" PRIu64 "\t", module ? module : "?", symbol ? symbol : "",
	       (uint64_t)offset, (uint64_t)sym.st_size);
	if (file)
		printf("%s:%d", file, lineno);
	putchar('\n');
}

#define ALLOW(nr) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1), BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)

/* The files it parses are the program's, which a compartment may have
 * written to attack libdw's parser, and this process runs outside the
 * monitor: it may read files and write its output, and nothing else
 * (no file opened for writing, no executable memory, no socket, no
 * process). Other calls fail with EPERM. */
static void confine(void)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		/* openat(dirfd, path, flags): read-only opens only. */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, O_ACCMODE | O_CREAT | O_TRUNC, 10, 9),
		/* mmap(addr, len, prot, ...): never executable. */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 2),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[2])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 7, 6),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 6, 0),   /* x32 */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_read, 4, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pread64, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_write, 2, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_exit_group, 1, 0),
		BPF_STMT(BPF_JMP | BPF_JA, 2),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		ALLOW(SYS_close),
		ALLOW(SYS_fstat),
		ALLOW(SYS_newfstatat),
		ALLOW(SYS_statx),
		ALLOW(SYS_lseek),
		ALLOW(SYS_munmap),
		ALLOW(SYS_mremap),
		ALLOW(SYS_brk),
		ALLOW(SYS_madvise),
		ALLOW(SYS_futex),
		ALLOW(SYS_getdents64),
		ALLOW(SYS_readlink),
		ALLOW(SYS_readlinkat),
		ALLOW(SYS_fcntl),
		ALLOW(SYS_rt_sigprocmask),
		ALLOW(SYS_exit),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
	};
	struct sock_fprog prog = {sizeof filter / sizeof *filter, filter};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog)) {
		perror("ia2-symbolize: seccomp");
		exit(1);
	}
}

int main(int argc, char **argv)
{
	Dwfl *dwfl = dwfl_begin(&callbacks);
	pid_t pid = argc > 1 ? (pid_t)strtol(argv[1], NULL, 10) : 0;

	if (argc < 2) {
		fputs("usage: ia2-symbolize PID ADDRESS...\n", stderr);
		return 2;
	}
	/* A FIFO put among the program's files would block a read: the
	 * monitor then reports without names. */
	alarm(60);
	confine();
	if (!dwfl || dwfl_linux_proc_report(dwfl, pid) || dwfl_report_end(dwfl, NULL, NULL)) {
		fprintf(stderr, "ia2-symbolize: cannot read process %d: %s\n", (int)pid,
			dwfl_errmsg(-1));
		return 1;
	}
	for (int i = 2; i < argc; i++)
		name_address(dwfl, (Dwarf_Addr)strtoull(argv[i], NULL, 0));
	dwfl_end(dwfl);
	return 0;
}
