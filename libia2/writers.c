/* PKRU writers outside ia2's gates: found in every loaded DSO's code and
 * made unusable before any compartment code runs.
 *
 * Three instructions write PKRU from user mode: wrpkru, and xrstor (and
 * xrstors, which faults outside ring 0) with bit 9 of edx:eax set (Intel
 * SDM vol. 1, 13.8). A compartment that can jump to one with registers of
 * its choosing gets any rights it likes, and x86 lets it jump into the
 * middle of an instruction, so, as ERIM does, every byte offset of every
 * executable segment counts (ia2/pkru_writers.h has the encodings).
 *
 * What stays:
 * - ia2's own gate instructions: a wrpkru followed at once by a check
 *   that PKRU is the constant the gate meant and a jne to a trap
 *   (objrewrite/asm.c, emit_write_pkru). A jump to such a wrpkru with
 *   another eax traps, whatever bytes precede it, so these are accepted
 *   without decoding, in libia2 (which alone may write the runtime's
 *   PKRU) and in the compartment DSOs of startup and those loads.c
 *   admits later, whose gates write their own compartment's PKRU only.
 *   A DSO that a compartment loads into itself can thus gain nothing.
 * What goes:
 * - every other occurrence that is an instruction: decoded with Capstone
 *   from the start of its function (the .eh_frame_hdr table), it is
 *   rewritten in a private copy of its page. wrpkru and xrstors become
 *   ud2; ld.so's xrstor becomes fxrstor, and the xsave or xsavec that
 *   filled its area fxsave (below); any other xrstor ud2.
 * - an occurrence inside another instruction cannot be rewritten without
 *   changing that instruction: the program stops, naming it.
 *
 * On Debian 12 that is glibc's pkey_set (whose wrpkru libia2's pkey_set
 * refuses to reach, below) and the two xrstor of ld.so's lazy-binding
 * resolvers, _dl_runtime_resolve_xsave and _xsavec (sysdeps/x86_64/
 * dl-trampoline.h). Those save the vector registers with xsave or xsavec
 * around _dl_fixup and restore them with xrstor, whose mask edx:eax a
 * compartment could set. fxsave and fxrstor use the same operand's
 * first 512 bytes (both XSAVE formats begin with the legacy fxsave
 * region, SDM vol. 1, 13.4) for x87, MXCSR and xmm0-15, and never touch
 * PKRU. What they leave
 * alone, the upper halves of ymm and zmm, xmm16-31 and the mask
 * registers, ld.so's own code does not touch: it is built for the
 * x86-64 baseline, whose SSE instructions leave them as they are. So
 * lazy binding goes on working.
 *
 * The scan runs at startup (init.c) over every DSO then loaded, and over
 * each DSO that a dlopen loads later, before its code runs (loads.c),
 * which keeps the gates only of the compartment DSOs it admits.
 * IA2_EXPLAIN=1 in the environment prints each rewrite. */
#include <capstone/capstone.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ia2/pkru.h"
#include "ia2/pkru_writers.h"
#include "runtime.h"

const uint8_t trap_bytes[3] = {0x0f, 0x0b, 0xcc};

struct dso {
	const struct dl_phdr_info *info;
	const char *name;
	int compartment;  /* its gates may write PKRU(compartment); 0: none */
	bool runtime;     /* libia2 itself, whose stubs write every compartment's PKRU and the runtime's */
	bool ld_so;
};

/* A compartment DSO's gates write its own compartment's PKRU, nothing
 * else (objrewrite/emit.c); libia2's return stubs and signal entries
 * write every compartment's, and its privileged entry the runtime's
 * (objrewrite/stubs.c). */
static bool may_write(const struct dso *d, uint32_t v)
{
	if (d->runtime) {
		for (int c = 0; c <= IA2_LAST_COMPARTMENT; c++)
			if (v == IA2_PKRU(c))
				return true;
		return v == IA2_PKRU_RUNTIME;
	}
	return d->compartment && v == IA2_PKRU(d->compartment);
}

bool is_checked_gate(const uint8_t *p, const uint8_t *end, uint32_t *pkru)
{
	uint32_t v;

	p += 3;
	if (end - p >= 5 && p[0] == 0x3d) {
		memcpy(&v, p + 1, 4);
		p += 5;
	} else if (end - p >= 3 && p[0] == 0x83 && p[1] == 0xf8) {
		v = (uint32_t)(int32_t)(int8_t)p[2];
		p += 3;
	} else {
		return false;
	}
	*pkru = v;
	return (end - p >= 2 && p[0] == 0x75) || (end - p >= 6 && p[0] == 0x0f && p[1] == 0x85);
}

static bool is_writer_insn(unsigned id, enum ia2_pkru_writer w)
{
	if (w == IA2_XRSTOR)
		return id == X86_INS_XRSTOR || id == X86_INS_XRSTOR64;
	return id == X86_INS_XRSTORS || id == X86_INS_XRSTORS64;
}

/* Legacy and REX prefixes (SDM vol. 2, 2.1-2.2.1), which may come
 * before an instruction's 0f. */
static bool is_prefix(uint8_t b)
{
	return (b & 0xf0) == 0x40 || b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3 ||
	       b == 0x2e || b == 0x36 || b == 0x3e || b == 0x26 || b == 0x64 || b == 0x65;
}

static bool is_save_insn(unsigned id)
{
	return id == X86_INS_XSAVE || id == X86_INS_XSAVE64 || id == X86_INS_XSAVEC ||
	       id == X86_INS_XSAVEC64;
}

/* An instruction's opcode, past its prefixes. */
static const uint8_t *opcode_of(const cs_insn *insn, const uint8_t *limit)
{
	const uint8_t *q = (const uint8_t *)(uintptr_t)insn->address;

	while (q < limit && is_prefix(*q))
		q++;
	return q;
}

/* What a sweep from the function's start found at the occurrence p: an
 * instruction of its own (len: its length from p), and the last xsave or
 * xsavec before it (save, save_len from its 0f), for ld.so's pair. */
struct sweep {
	bool insn;
	size_t len;
	const uint8_t *save;
	size_t save_len;
};

/* Decodes from p's function's start to p: x86 code has no other way to
 * tell where instructions begin. Capstone 4 knows neither rdpkru nor
 * wrpkru (0f 01 ee, 0f 01 ef) and stops there, so the sweep steps over
 * those itself. */
static struct sweep sweep_to(const struct dso *d, csh cs, const uint8_t *p,
			     const uint8_t *seg_end, enum ia2_pkru_writer w)
{
	uintptr_t start = function_start_in(eh_frame_hdr(d->info), (uintptr_t)p);
	const uint8_t *code = (const uint8_t *)start;
	size_t size = (size_t)(seg_end - code);
	uint64_t addr = start;
	struct sweep r = {0};
	cs_insn *insn;

	if (!start)
		die("%s: the bytes of %s at offset %#lx are in no function that its .eh_frame_hdr "
		    "lists, so ia2 cannot tell whether they are an instruction; the program cannot "
		    "run with that DSO", d->name, ia2_pkru_writer_name(w),
		    (unsigned long)((uintptr_t)p - d->info->dlpi_addr));
	insn = cs_malloc(cs);
	if (!insn)
		die("Capstone: out of memory");
	while (code <= p) {
		if (size >= 3 && code[0] == 0x0f && code[1] == 0x01 && (code[2] & 0xfe) == 0xee) {
			if (code == p) {
				r.insn = w == IA2_WRPKRU;
				r.len = 3;
				break;
			}
			code += 3, size -= 3, addr += 3;
			continue;
		}
		if (!cs_disasm_iter(cs, &code, &size, &addr, insn))
			break;
		if (code > p) {
			r.insn = opcode_of(insn, p) == p && w != IA2_WRPKRU && is_writer_insn(insn->id, w);
			r.len = (size_t)(code - p);
			break;
		}
		if (is_save_insn(insn->id)) {
			r.save = opcode_of(insn, code);
			r.save_len = (size_t)(code - r.save);
		}
	}
	cs_free(insn, 1);
	return r;
}

/* Rewrites n bytes at p in a private copy of its pages (a file-backed
 * text page gets one on the first write). Other threads may be running
 * that code when a dlopen triggers the scan, so the pages stay
 * executable throughout. */
void patch_code(void *p, const void *bytes, size_t n, const char *dso)
{
	uintptr_t lo = (uintptr_t)p & ~(PAGE - 1);
	uintptr_t hi = ((uintptr_t)p + n + PAGE - 1) & ~(PAGE - 1);

	if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE | PROT_EXEC))
		die("%s: cannot make the page at %#lx writable to patch its code: %s", dso,
		    (unsigned long)lo, strerrorname_np(errno));
	memcpy(p, bytes, n);
	if (mprotect((void *)lo, hi - lo, PROT_READ | PROT_EXEC))
		die("%s: cannot make the page at %#lx read-only again: %s", dso, (unsigned long)lo,
		    strerrorname_np(errno));
}

static void explain(const struct dso *d, const uint8_t *p, enum ia2_pkru_writer w, const char *how)
{
	unsigned long off = (unsigned long)((uintptr_t)p - d->info->dlpi_addr);
	Dl_info info;

	if (!explaining())
		return;
	if (dladdr(p, &info) && info.dli_sname)
		say("neutralized %s at %s+%#lx (%s+%#lx): %s", ia2_pkru_writer_name(w), d->name, off,
		    info.dli_sname, (unsigned long)((uintptr_t)p - (uintptr_t)info.dli_saddr), how);
	else
		say("neutralized %s at %s+%#lx: %s", ia2_pkru_writer_name(w), d->name, off, how);
}

/* ld.so's resolver saves with xsave (0f ae /4) or xsavec (0f c7 /4) and
 * restores with xrstor (0f ae /5) from the same operand. fxsave (0f ae
 * /0) and fxrstor (0f ae /1) keep that operand: the pair now saves and
 * restores x87, MXCSR and xmm0-15 in the area's first 512 bytes. Both
 * must change: xsave with the resolver's mask (0xee) skips the x87 state,
 * which fxrstor would then load from whatever the stack held. */
static bool is_same_operand(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (a[2] & ~0x38) == (b[2] & ~0x38) && !memcmp(a + 3, b + 3, alen - 3);
}

static void make_fxsave_pair(const struct dso *d, uint8_t *restore, const struct sweep *s)
{
	uint8_t *save = (uint8_t *)(uintptr_t)s->save;
	uint8_t fxsave[2], fxrstor = (restore[2] & ~0x38) | 0x08;

	if (!save || !is_same_operand(save, s->save_len, restore, s->len))
		die("%s: the xrstor at offset %#lx has no xsave of the same area before it in its "
		    "function, unlike glibc 2.36's lazy-binding resolver: ia2 cannot make it safe; "
		    "the program cannot run with this ld.so", d->name,
		    (unsigned long)((uintptr_t)restore - d->info->dlpi_addr));
	fxsave[0] = 0xae;
	fxsave[1] = save[2] & ~0x38;
	patch_code(save + 1, fxsave, 2, d->name);
	patch_code(restore + 2, &fxrstor, 1, d->name);
}

/* Whether the page at addr is mapped executable, as the kernel says;
 * read a line at a time, on the runtime's small stack. */
static bool executable(uintptr_t addr)
{
	char buf[512];
	size_t n = 0;
	ssize_t got;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	bool found = false, x = false;

	if (fd < 0)
		return false;
	while (!found && (got = read(fd, buf + n, sizeof buf - 1 - n)) > 0) {
		char *line = buf, *nl;
		n += (size_t)got;
		buf[n] = 0;
		while (!found && (nl = strchr(line, '\n'))) {
			char *end;
			uintptr_t lo = strtoul(line, &end, 16), hi = strtoul(end + 1, &end, 16);
			found = lo <= addr && addr < hi;
			x = found && end[1] && end[2] && end[3] == 'x';
			line = nl + 1;
		}
		n -= (size_t)(line - buf);
		memmove(buf, line, n);
		if (n == sizeof buf - 1)
			n = 0;   /* no line is this long */
	}
	close(fd);
	return x;
}

/* The operation checks what the caller says: a writer at `at`, in code.
 * It writes through /proc/PID/mem, which changes a private copy of a
 * read-only page without making any page writable or executable
 * (proc(5)): had another thread mapped data there meanwhile, the trap's
 * bytes land in that data and make nothing executable. The monitor
 * writes it, through a descriptor of its own (supervisor.c): one in this
 * process, for however short a time, would let any thread read and
 * write every compartment's memory through it. Without a monitor
 * (ENOSYS), no rule keeps compartments from opening /proc/self/mem
 * themselves, and libia2 does. */
struct pair op_trap_writer(uintptr_t at, uintptr_t b, int caller)
{
	enum ia2_pkru_writer w;
	size_t n;
	int fd;
	bool done;

	(void)b, (void)caller;
	if (!executable(at) || !executable(at + 2))
		return (struct pair){0, 0};
	w = ia2_pkru_writer_at((const uint8_t *)at, 3);
	if (w == IA2_NOT_A_WRITER)
		return (struct pair){0, 0};
	n = w == IA2_WRPKRU ? 3 : 2;
	if (!syscall(MONITOR_TRAP_WRITER_CALL, at, n))
		return (struct pair){1, 0};
	if (errno != ENOSYS)
		return (struct pair){0, 0};
	fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return (struct pair){0, 0};
	done = pwrite(fd, trap_bytes, n, (off_t)at) == (ssize_t)n;
	close(fd);
	return (struct pair){done, 0};
}

static void neutralize(const struct dso *d, csh cs, uint8_t *p, const uint8_t *seg_end,
		       enum ia2_pkru_writer w)
{
	struct sweep s = sweep_to(d, cs, p, seg_end, w);

	if (!s.insn)
		die("%s: the bytes at offset %#lx encode %s, but decoded from the start of their "
		    "function they are inside another instruction (or past bytes Capstone cannot "
		    "decode), where ia2 cannot neutralize them without changing that code; the "
		    "program cannot run with that DSO", d->name,
		    (unsigned long)((uintptr_t)p - d->info->dlpi_addr), ia2_pkru_writer_name(w));
	if (w == IA2_XRSTOR && d->ld_so) {
		make_fxsave_pair(d, p, &s);
		explain(d, p, w, "now fxrstor, which never restores PKRU, and its xsave fxsave");
	} else {
		if (!run_privileged(IA2_OP_TRAP_WRITER, (uintptr_t)p, 0).a)
			die("%s: cannot neutralize %s at offset %#lx", d->name, ia2_pkru_writer_name(w),
			    (unsigned long)((uintptr_t)p - d->info->dlpi_addr));
		explain(d, p, w, "now ud2");
	}
}

static void scan_segment(const struct dso *d, csh cs, uint8_t *p, uint8_t *end)
{
	for (; (p = memchr(p, 0x0f, (size_t)(end - p))); p++) {
		enum ia2_pkru_writer w = ia2_pkru_writer_at(p, (size_t)(end - p));
		uint32_t v;
		if (w == IA2_WRPKRU && is_checked_gate(p, end, &v) && may_write(d, v))
			p += 2;
		else if (w != IA2_NOT_A_WRITER)
			neutralize(d, cs, p, end, w);
	}
}

static void scan_dso(const struct dl_phdr_info *info, int compartment, bool runtime, bool ld_so)
{
	struct dso d = {
		.info = info,
		.name = dso_name(info),
		.compartment = compartment,
		.runtime = runtime,
		.ld_so = ld_so,
	};
	csh cs;

	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		die("Capstone cannot decode x86-64");
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uint8_t *lo = (uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X))
			scan_segment(&d, cs, lo, lo + ph->p_filesz);
	}
	cs_close(&cs);
}

struct startup_scan {
	uintptr_t libia2, ld_so;
};

static int scan_startup_dso(struct dl_phdr_info *info, size_t size, void *arg)
{
	const struct startup_scan *s = arg;
	bool runtime = info->dlpi_addr == s->libia2;

	(void)size;
	scan_dso(info, dso_compartment(info), runtime, info->dlpi_addr == s->ld_so);
	return 0;
}

void neutralize_pkru_writers(void)
{
	struct startup_scan s = {.ld_so = getauxval(AT_BASE)};
	Dl_info self;

	if (pkru_emulated)
		return;
	if (!dladdr((void *)neutralize_pkru_writers, &self))
		die("dladdr cannot find libia2 itself");
	s.libia2 = (uintptr_t)self.dli_fbase;
	iterate_dsos(scan_startup_dso, &s);
}

void neutralize_dso_writers(const struct dl_phdr_info *info, int compartment)
{
	if (!pkru_emulated)
		scan_dso(info, compartment, false, false);
}

/* glibc's pkey_set writes PKRU (its wrpkru is gone, above): a program
 * that calls it gets this refusal instead of a SIGILL. */
API int pkey_set(int key, unsigned int rights)
{
	die("compartment %d called pkey_set(%d, %#x): protection keys belong to ia2, which "
	    "changes rights only through its call gates; share data with a share rule instead "
	    "(docs/usage.md)", current_compartment(), key, rights);
}
