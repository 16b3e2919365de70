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
 *   MODULE  SYMBOL  OFFSET  SIZE  FILE:LINE  COPIES
 * MODULE is the mapped file, SYMBOL the symbol that holds or precedes
 * the address ("" if none; for a gated function's code, the body's
 * name, __ia2_body_...), OFFSET the address's distance from it (from
 * the module's start if there is no symbol), SIZE the symbol's size,
 * and FILE:LINE "" without DWARF. COPIES is what a copy-arg rule could
 * name of the function's parameters (objrewrite/copyarg.c), guessed from
 * their types: for the function at a gate, its body's. A line "?" for an
 * address in no module. Exits 1 if the process cannot be read.
 *
 * ia2-symbolize PID --unwind: the backtrace of the stack segments on its
 * standard input (unwind.h), one line per frame: the segment's number,
 * a tab, then the frame's address as above, a return address named by
 * the call before it. */
#include <dwarf.h>
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

#include "ia2/gate_abi.h"
#include "unwind.h"

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
		    ia2_is_body_symbol(name))
			return name;
	}
	return symbol;
}

/* The function symbol named `name`'s value, or 0. */
static GElf_Addr function_at(Dwfl_Module *mod, const char *name)
{
	int n = dwfl_module_getsymtab(mod);

	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		GElf_Addr at;
		const char *s = dwfl_module_getsym_info(mod, i, &sym, &at, NULL, NULL, NULL);
		if (s && GELF_ST_TYPE(sym.st_info) == STT_FUNC && !strcmp(s, name))
			return at;
	}
	return 0;
}

/* The body of the gated function whose gate is `symbol` (plan.c,
 * name_gate): an exported function's gate has its name, and its body is
 * __ia2_body_[N_]NAME; a static function's gate is __ia2_gate_N_NAME,
 * its body __ia2_body_N_NAME; a hidden function's gate is
 * __ia2_gate_NAME, its body NAME itself. */
static GElf_Addr body_of(Dwfl_Module *mod, const char *symbol)
{
	int n = dwfl_module_getsymtab(mod);
	const char *rest = symbol + sizeof IA2_GATE_PREFIX - 1;
	char body[512];
	GElf_Addr at;

	if (ia2_is_gate_symbol(symbol)) {
		snprintf(body, sizeof body, IA2_BODY_PREFIX "%s", rest);
		return (at = function_at(mod, body)) ? at : function_at(mod, rest);
	}
	for (int i = 1; i < n; i++) {
		GElf_Sym sym;
		const char *name = dwfl_module_getsym_info(mod, i, &sym, &at, NULL, NULL, NULL);
		if (name && ia2_is_body_symbol(name) && GELF_ST_TYPE(sym.st_info) == STT_FUNC &&
		    !strcmp(ia2_source_name(name), symbol))
			return at;
	}
	return 0;
}

enum param_kind { OTHER, INTEGER, BYTES, CHARS, OBJECT };

/* What a parameter of this type could be to a copy-arg rule: an integer
 * (a count; not an enum, a bool or a character), a pointer to bytes
 * (void or char) or to one scalar object; pointers to structs are a
 * library's handles as often as not, and the rule's bare form covers the
 * struct case. *is_const: the pointee is. */
static enum param_kind kind_of(Dwarf_Die *param, bool *is_const)
{
	Dwarf_Attribute attr;
	Dwarf_Die t, pt;
	Dwarf_Word enc = 0;
	int tag;

	*is_const = false;
	if (!dwarf_attr_integrate(param, DW_AT_type, &attr) || !dwarf_formref_die(&attr, &t) ||
	    dwarf_peel_type(&t, &t))
		return OTHER;
	if (dwarf_tag(&t) == DW_TAG_base_type) {
		if (dwarf_attr(&t, DW_AT_encoding, &attr))
			dwarf_formudata(&attr, &enc);
		return enc == DW_ATE_signed || enc == DW_ATE_unsigned ? INTEGER : OTHER;
	}
	if (dwarf_tag(&t) != DW_TAG_pointer_type)
		return OTHER;
	if (!dwarf_attr(&t, DW_AT_type, &attr))
		return BYTES;   /* void * */
	for (dwarf_formref_die(&attr, &pt); ; ) {
		tag = dwarf_tag(&pt);
		if (tag == DW_TAG_const_type)
			*is_const = true;
		else if (tag != DW_TAG_typedef && tag != DW_TAG_volatile_type &&
			 tag != DW_TAG_restrict_type)
			break;
		if (!dwarf_attr(&pt, DW_AT_type, &attr))
			return BYTES;   /* const void * */
		dwarf_formref_die(&attr, &pt);
	}
	if (tag == DW_TAG_enumeration_type)
		return OBJECT;
	if (tag != DW_TAG_base_type)
		return OTHER;
	if (dwarf_attr(&pt, DW_AT_encoding, &attr))
		dwarf_formudata(&attr, &enc);
	return enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char ? CHARS : OBJECT;
}

/* The function's DIE: the subprogram that holds addr or, where the
 * compiler described the code under no subprogram (gcc's identical code
 * folding leaves one function's DIE without an address), the
 * subprogram named `name` that has parameters. */
static bool find_function(Dwfl_Module *mod, Dwarf_Addr addr, const char *name, Dwarf_Die *fn)
{
	Dwarf_Addr bias;
	Dwarf_Die *cu = dwfl_module_addrdie(mod, addr, &bias), *scopes = NULL, cudie, child;
	int nscopes = cu ? dwarf_getscopes(cu, addr - bias, &scopes) : 0;
	Dwarf *dw = dwfl_module_getdwarf(mod, &bias);
	Dwarf_Off off = 0, next;
	size_t hsize;

	for (int i = 0; i < nscopes; i++)
		if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram) {
			*fn = scopes[i];
			free(scopes);
			return true;
		}
	free(scopes);
	for (; dw && name && dwarf_nextcu(dw, off, &next, &hsize, NULL, NULL, NULL) == 0; off = next) {
		if (!dwarf_offdie(dw, off + hsize, &cudie) || dwarf_child(&cudie, &child))
			continue;
		do {
			const char *n = dwarf_diename(&child);
			Dwarf_Die param;
			if (dwarf_tag(&child) == DW_TAG_subprogram && n && !strcmp(n, name) &&
			    dwarf_child(&child, &param) == 0) {
				*fn = child;
				return true;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	return false;
}

/* COPIES for the function `name` whose code is at addr (module-relative
 * to libdw): each pointer to bytes followed by an integer parameter, its
 * count (NAME:COUNT, the usual order: read(2), memcpy, gzread), a const
 * char * not followed by one (NAME:string), each pointer to one scalar
 * (NAME); at most one of them not const, as a gate copies one back. A
 * void * with no count after it (a callback's context, say) is left out:
 * nothing says how big it is. */
static void print_copies(Dwfl_Module *mod, Dwarf_Addr addr, const char *name)
{
	Dwarf_Die params[16], fn, child;
	bool is_const[16], back = false, first = true;
	enum param_kind kind[16];
	int n = 0;

	if (find_function(mod, addr, name, &fn) && dwarf_child(&fn, &child) == 0) {
		do {
			if (dwarf_tag(&child) == DW_TAG_formal_parameter && n < 16) {
				params[n] = child;
				kind[n] = kind_of(&child, &is_const[n]);
				n++;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	for (int i = 0; i < n; i++) {
		const char *name = dwarf_diename(&params[i]), *count = NULL;
		if (!name || kind[i] < BYTES || (!is_const[i] && back))
			continue;
		if (kind[i] != OBJECT && i + 1 < n && kind[i + 1] == INTEGER)
			count = dwarf_diename(&params[i + 1]);
		if (kind[i] != OBJECT && !count && !(kind[i] == CHARS && is_const[i]))
			continue;
		printf("%s%s%s%s", first ? "" : ",", name, count ? ":" : kind[i] == OBJECT ? "" : ":string",
		       count ? count : "");
		back |= !is_const[i];
		first = false;
	}
}

/* One line for addr. A return address (back 1) is looked up one byte
 * back, in the call it returns from, and printed as it is. */
static void name_address(Dwfl *dwfl, Dwarf_Addr addr, int back)
{
	Dwfl_Module *mod = module_at(dwfl, addr - back);
	const char *module, *symbol, *file = NULL;
	Dwarf_Addr start = 0;
	GElf_Off offset = 0;
	GElf_Sym sym = {0};
	Dwfl_Line *line;
	int lineno = 0;

	addr -= back;
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
	       (uint64_t)offset + back, (uint64_t)sym.st_size);
	if (file)
		printf("%s:%d", file, lineno);
	putchar('\t');
	if (symbol && GELF_ST_TYPE(sym.st_info) == STT_FUNC) {
		/* A gate's entry: its body's parameters, found by the gate's name. */
		GElf_Addr body = offset == 0 && !ia2_is_body_symbol(symbol) ? body_of(mod, symbol) : 0;
		if (body)
			print_copies(mod, body, ia2_source_name(symbol));
		else
			print_copies(mod, addr, NULL);
	}
	putchar('\n');
}

/* --unwind (unwind.h): the segment being unwound, as the memory of the
 * process's one thread, whose registers it holds. */
static struct unwind_segment segment;
static unsigned char *stack;
static int segment_index, frames;

static pid_t one_thread(Dwfl *dwfl, void *arg, void **thread_arg)
{
	(void)arg;
	if (*thread_arg)
		return 0;
	*thread_arg = dwfl;
	return dwfl_pid(dwfl);
}

static bool read_stack(Dwfl *dwfl, Dwarf_Addr addr, Dwarf_Word *word, void *arg)
{
	(void)dwfl, (void)arg;
	if (addr < segment.base || segment.len < sizeof *word ||
	    addr - segment.base > segment.len - sizeof *word)
		return false;
	memcpy(word, stack + (addr - segment.base), sizeof *word);
	return true;
}

static bool initial_registers(Dwfl_Thread *thread, void *arg)
{
	(void)arg;
	dwfl_thread_state_register_pc(thread, segment.regs[DWARF_RIP]);
	return dwfl_thread_state_registers(thread, 0, UNWIND_NREGS, segment.regs);
}

static const Dwfl_Thread_Callbacks thread_callbacks = {
	.next_thread = one_thread,
	.memory_read = read_stack,
	.set_initial_registers = initial_registers,
};

/* At most this many frames of a segment: the backtrace is short. */
#define MAX_FRAMES 16

static int print_frame(Dwfl_Frame *state, void *arg)
{
	Dwarf_Addr pc;
	bool activation;

	(void)arg;
	if (!dwfl_frame_pc(state, &pc, &activation) || !pc)
		return DWARF_CB_ABORT;
	printf("%d\t", segment_index);
	name_address(dwfl_thread_dwfl(dwfl_frame_thread(state)), pc, !activation);
	return ++frames < MAX_FRAMES ? DWARF_CB_OK : DWARF_CB_ABORT;
}

static bool read_input(void *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n && ((r = read(0, (char *)buf + got, n - got)) > 0 || (r < 0 && errno == EINTR)))
		got += r > 0 ? (size_t)r : 0;
	return got == n;
}

/* Each segment on standard input, unwound from its registers as far as
 * call frame information goes: one line per frame, SEGMENT then the
 * fields of an address's line. */
static void unwind_segments(Dwfl *dwfl, pid_t pid)
{
	if (!dwfl_attach_state(dwfl, NULL, pid, &thread_callbacks, NULL))
		return;
	for (segment_index = 0; read_input(&segment, sizeof segment); segment_index++) {
		if (segment.len > UNWIND_MAX_STACK || !(stack = realloc(stack, segment.len + 1)) ||
		    !read_input(stack, segment.len))
			return;
		frames = 0;
		dwfl_getthread_frames(dwfl, pid, print_frame, NULL);
	}
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
		fputs("usage: ia2-symbolize PID ADDRESS... | ia2-symbolize PID --unwind\n", stderr);
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
	if (argc == 3 && !strcmp(argv[2], "--unwind"))
		unwind_segments(dwfl, pid);
	else
		for (int i = 2; i < argc; i++)
			name_address(dwfl, (Dwarf_Addr)strtoull(argv[i], NULL, 0), 0);
	dwfl_end(dwfl);
	return 0;
}
