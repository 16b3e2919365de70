/* DSOs that dlopen loads: seen, admitted or refused, and scanned before
 * any of their code runs.
 *
 * ld.so calls _dl_debug_state, an empty function that exists for
 * debuggers to break on (the r_brk of struct r_debug, <link.h>), each
 * time its lists of loaded objects change. dlopen calls it with the
 * state RT_CONSISTENT once every object it loads is mapped and on the
 * list, and before any of them is relocated or initialized, so before
 * their IFUNC resolvers or constructors run (glibc 2.36,
 * elf/dl-open.c: dl_open_worker_begin). At startup, libia2 makes that
 * function jump to on_link_map_change below. There, for each DSO loaded
 * since the last time:
 *
 *  - a compartment DSO must be admitted (below). If it is not, the error
 *    raised with ld.so's _dl_signal_error is caught by the same
 *    dl_open_worker_begin's caller; _dl_open then unmaps what this
 *    dlopen mapped, and dlopen returns NULL with the message for
 *    dlerror (elf/dl-open.c: _dl_open);
 *  - its code is scanned for PKRU writers (writers.c). ia2's checked
 *    gates are kept only in an admitted compartment DSO, and only those
 *    that write its own compartment's PKRU. A DSO outside the
 *    compartments, or one that skips its init entry, so never calls
 *    __ia2_dso_loaded, is scanned all the same.
 *
 * A DSO of compartment N is admitted at run time if
 *
 *  - the compartment that calls dlopen is N, as its PKRU says (only
 *    gates write PKRU): it gains nothing it did not have; or
 *  - a path rule of the config that the startup DSOs were linked with
 *    (objrewrite/config.h: a compartment rule whose GLOB is an absolute
 *    path, or --ia2-loadable=N:GLOB) names N and matches the path of the
 *    DSO's file as the kernel gives it (/proc/self/maps: absolute, with
 *    every symbolic link resolved). A compartment can give a file of its
 *    own any name and link to it from anywhere, but to be admitted it
 *    must write it at that path. Such a DSO is loaded in N's name: when
 *    another compartment's dlopen maps it, that load fails, and libia2's
 *    dlopen loads it again through N's loader slot (below).
 *
 * A name (DT_SONAME, the basename that the config's other compartment
 * rules match) proves nothing, nor does a build ID, which is a note the
 * file carries: a compartment that writes a DSO can copy either.
 *
 * The table of DSOs loaded after startup lives on a page of its own that
 * is never writable, replaced as a whole (runtime.c, replace_pages);
 * ld.so holds its load lock across each call of _dl_debug_state, which
 * orders the changes. */
#include <dlfcn.h>
#include <pthread.h>
#include <errno.h>
#include <link.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "runtime.h"

/* The DSOs loaded after startup: dl_iterate_phdr lists the startup ones
 * first, the base namespace's list only grows at its end, and ld.so
 * never unloads them. A DSO is told apart by its address and program
 * headers; every unload calls _dl_debug_state, which drops it, before
 * another DSO can take its place. */
#define MAX_LOADED 160
struct loaded_dso {
	uintptr_t addr;
	const void *phdr;
	bool admitted;   /* a compartment DSO, admitted */
};
union loaded_table {
	struct {
		int n;
		struct loaded_dso d[MAX_LOADED];
	};
	char page[PAGE];
};
static union loaded_table loaded REPLACEABLE_TABLE;

/* The number of DSOs in table t. Any compartment can move a forged
 * copy over it (runtime.h): a count past its room would have the loops
 * below write past their arrays, on the stack of whichever compartment
 * loads next. */
static int loaded_count(const union loaded_table *t)
{
	if (t->n < 0 || t->n > MAX_LOADED)
		die("the table of loaded DSOs says it holds %d: a compartment forged it", t->n);
	return t->n;
}

/* What changed since the last call: the DSOs of the table still loaded,
 * and those that are new, up to MAX_LOADED of each. */
struct change {
	int index;
	bool kept[MAX_LOADED];
	int nnew;
	struct dl_phdr_info added[MAX_LOADED];
};

static bool link_maps_consistent(void)
{
	/* From glibc 2.35, _r_debug is the first of a list, one per
	 * namespace (r_version 2, <link.h>). */
	for (struct r_debug_extended *r = (struct r_debug_extended *)&_r_debug; r;
	     r = r->base.r_version >= 2 ? r->r_next : NULL)
		if (r->base.r_state != RT_CONSISTENT)
			return false;
	return true;
}

static int find_in_table(const struct dl_phdr_info *info)
{
	for (int i = 0, n = loaded_count(&loaded); i < n; i++)
		if (loaded.d[i].addr == info->dlpi_addr && loaded.d[i].phdr == info->dlpi_phdr)
			return i;
	return -1;
}

static int note_change(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct change *ch = arg;
	int i;

	(void)size;
	if (ch->index++ < __ia2_ro.s.startup_objects)
		return 0;
	if ((i = find_in_table(info)) >= 0)
		ch->kept[i] = true;
	else if (ch->nnew < MAX_LOADED)
		ch->added[ch->nnew++] = *info;
	else
		die("more than %d DSOs loaded at once", MAX_LOADED);
	return 0;
}

/* The kernel's path of the file mapped at addr (fs/proc/task_mmu.c,
 * show_map_vma: the last field, d_path of the file). */
static bool mapped_path(uintptr_t addr, char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char *line = NULL;
	size_t cap = 0;
	bool found = false;

	if (!f)
		die("cannot read /proc/self/maps: %s", strerrorname_np(errno));
	while (!found && getline(&line, &cap, f) > 0) {
		unsigned long lo, hi;
		int at = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &at) < 2 || !at ||
		    addr < lo || addr >= hi)
			continue;
		line[strcspn(line, "\n")] = '\0';
		found = line[at] == '/' && (size_t)snprintf(buf, size, "%s", line + at) < size;
	}
	free(line);
	fclose(f);
	return found;
}

static uintptr_t first_segment(const struct dl_phdr_info *info)
{
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_LOAD)
			return info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
	return info->dlpi_addr;
}

/* Refuses the DSO: dlopen fails with `why` for dlerror. Nothing has
 * changed yet for this call. */
__attribute__((noreturn)) static void refuse(const struct dl_phdr_info *info, const char *why)
{
	__ia2_ro.s.dl_signal_error(0, info->dlpi_name, NULL, why);
}

/* A DSO of compartment n that another compartment's dlopen maps is
 * mapped in that compartment's name, so the syscall monitor would let it
 * protect, map over and remap the DSO's code, RELRO and GOT as pages of
 * its own (memory_policy.c), and the code would run with n's rights. So
 * such a load fails, and libia2's dlopen loads the file again in n's
 * name, through n's loader slot (load_for_other), by the kernel's path
 * for it that admit leaves here. */
static __thread struct {
	int compartment;
	char path[4096];
} reload;

/* Why the DSO may not go into compartment c, for dlerror: `who` says
 * what asked, `or` what else the program can do; NULL if a path rule
 * names its file for c. path gets the kernel's path for the file. */
static const char *path_verdict(const struct dl_phdr_info *info, int c, const char *who,
				const char *or, char *path, size_t size, char *why, size_t why_size)
{
	const char *glob;

	if (!mapped_path(first_segment(info), path, size)) {
		format_to(why, why_size, "ia2 refused it: %s, and the kernel gives no path for its "
			  "file", who);
		return why;
	}
	if (path_rule_admits(path, c, &glob)) {
		if (explaining())
			say("admitted %s into compartment %d: the path rule '%s %d'", path, c, glob, c);
		return NULL;
	}
	format_to(why, why_size, "ia2 refused it: %s unless a path rule of the program's config "
		  "names its file, %s, for compartment %d; add the line '%s %d' to the config the "
		  "program is linked with%s (docs/runtime.md, \"dlopen\")", who, path, c, path, c, or);
	return why;
}

static void admit(const struct dl_phdr_info *info)
{
	int c = checked_compartment(info), caller = current_compartment();
	char path[sizeof reload.path], why[8192], who[256], or[64];
	const char *v;

	/* A DSO outside every compartment runs its IFUNC resolvers and
	 * constructors with its loader's rights. n's loader slot, which any
	 * compartment may call with a path of its own (load_for_other), loads
	 * with n's: there such a DSO too needs a path rule for n. */
	if (!c) {
		if (caller && ctb_get(caller, IA2_CTB_LOADING_FOR_OTHER)) {
			format_to(who, sizeof who, "a DSO outside the compartments may not join a "
				  "load in compartment %d's name for another compartment", caller);
			if ((v = path_verdict(info, caller, who, "", path, sizeof path, why,
					      sizeof why)))
				refuse(info, v);
		}
		return;
	}
	if (!__ia2_ro.s.present[c]) {
		format_to(why, sizeof why, "ia2 refused it: it is in compartment %d, which this "
			  "program has no stacks or heap for: libia2 sets them up at startup for the "
			  "compartments of the DSOs loaded then and for every compartment named in the "
			  "config file they were linked with; add a rule for it to that config", c);
		refuse(info, why);
	}
	/* Only c's own code writes CTB(c): the flag says that c loads for
	 * another compartment, whose request a path rule must name. */
	if (caller == c && !ctb_get(c, IA2_CTB_LOADING_FOR_OTHER))
		return;
	format_to(who, sizeof who, "compartment %d may not load a DSO into compartment %d", caller, c);
	format_to(or, sizeof or, ", or load it from compartment %d", c);
	if ((v = path_verdict(info, c, who, or, path, sizeof path, why, sizeof why)))
		refuse(info, v);
	if (caller == c)
		return;
	reload.compartment = c;
	memcpy(reload.path, path, sizeof path);
	format_to(why, sizeof why, "ia2 loads it in compartment %d's name, which libia2's dlopen "
		  "does: this dlopen bypassed it", c);
	refuse(info, why);
}

static void keep_table(void *copy, const void *arg)
{
	union loaded_table *t = copy;
	const struct change *ch = arg;
	int n = 0;

	for (int i = 0, old = loaded_count(t); i < old; i++)
		if (ch->kept[i])
			t->d[n++] = t->d[i];
	for (int i = 0; i < ch->nnew; i++) {
		if (n == MAX_LOADED)
			die("%s: more than %d DSOs loaded after startup", dso_name(&ch->added[i]),
			    MAX_LOADED);
		t->d[n++] = (struct loaded_dso){ch->added[i].dlpi_addr, ch->added[i].dlpi_phdr,
						dso_compartment(&ch->added[i]) != 0};
	}
	t->n = n;
}

/* ld.so has mapped the DSO: the monitor keeps every compartment, the
 * one that mapped it included, from changing its pages but to take rights
 * away, and lets only the whole of it go, as dlclose unmaps it
 * (memory_policy.c). Whoever mapped them could otherwise map code of its
 * own over the gates whose addresses other compartments take from dlsym,
 * or write the GOT, once writable again, and the DSO's code would run
 * it. Without a monitor the call fails with ENOSYS: nothing to seal. */
static void seal(const struct dl_phdr_info *info)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0;

	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t a = info->dlpi_addr + ph->p_vaddr;
		if (ph->p_type != PT_LOAD)
			continue;
		if (a < lo)
			lo = a;
		if (a + ph->p_memsz > hi)
			hi = a + ph->p_memsz;
	}
	/* The monitor rounds the extent out to whole pages. */
	if (lo < hi)
		syscall(MONITOR_SEAL_CALL, lo, hi - lo);
}

/* Runs in place of _dl_debug_state, in whatever compartment called
 * dlopen or dlclose, with ld.so's load lock held. */
static void on_link_map_change(void)
{
	struct change ch = {0};

	if (!link_maps_consistent())
		return;
	iterate_dsos(note_change, &ch);
	for (int i = 0; i < ch.nnew; i++)
		admit(&ch.added[i]);
	for (int i = 0; i < ch.nnew; i++) {
		neutralize_dso_writers(&ch.added[i], dso_compartment(&ch.added[i]));
		seal(&ch.added[i]);
	}
	if (ch.nnew || ch.index - __ia2_ro.s.startup_objects != loaded_count(&loaded))
		replace_pages(&loaded, sizeof loaded, keep_table, &ch, "the table of loaded DSOs");
}

bool admitted_at_run_time(const struct dl_phdr_info *info)
{
	int i = find_in_table(info);

	return i >= 0 && loaded.d[i].admitted;
}

/* The length of a ModRM byte with its SIB byte and displacement (Intel
 * SDM vol. 2, 2.1.5), for a memory operand; 0 for a register one or if
 * it runs past `left`. */
static size_t modrm_length(const uint8_t *m, size_t left)
{
	unsigned mod = m[0] >> 6, rm = m[0] & 7;
	size_t n = 1;

	if (mod == 3)
		return 0;
	if (rm == 4) {
		if (left < 2)
			return 0;
		if (mod == 0 && (m[1] & 7) == 5)
			n += 4;
		n++;
	}
	if (mod == 0 && rm == 5)
		n += 4;
	n += mod == 1 ? 1 : mod == 2 ? 4 : 0;
	return n <= left ? n : 0;
}

/* The length of the nop at p (0x90, or 0f 1f /0 with any 66 and 2e
 * prefixes, the forms assemblers pad with), or 0 if there is none. No
 * Capstone here: this runs in libia2's setup, which a sanitizer's own
 * startup may reach before its allocator is ready. */
static size_t nop_length(const uint8_t *p, size_t left)
{
	size_t n = 0;

	while (n < left && (p[n] == 0x66 || p[n] == 0x2e))
		n++;
	if (n < left && p[n] == 0x90)
		return n + 1;
	if (left - n < 3 || p[n] != 0x0f || p[n + 1] != 0x1f || (p[n + 2] & 0x38) ||
	    !modrm_length(p + n + 2, left - n - 2))
		return 0;
	return n + 2 + modrm_length(p + n + 2, left - n - 2);
}

/* How many bytes from f on are a ret and then nops only, up to end; 0 if
 * f is no ret, 1 if other code follows. */
static size_t ret_and_padding(const uint8_t *f, const uint8_t *end)
{
	const uint8_t *p = f + 1;
	size_t n;

	if (f[0] != 0xc3)
		return 0;
	while (p < end && (n = nop_length(p, (size_t)(end - p))))
		p += n;
	return p == end ? (size_t)(end - f) : 1;
}

/* _dl_debug_state is a ret (after an endbr64 in a CET build), which the
 * assembler pads with nops to the next 16 bytes (glibc 2.36 on Debian 12:
 * c3 66 66 2e 0f 1f 84 00 00 00 00 00 0f 1f 40 00). A jmp to
 * on_link_map_change replaces them: e9 rel32 where that reaches, else
 * jmp *0(%rip) and the address, 14 bytes. */
static void point_debug_state_here(void)
{
	static const uint8_t endbr64[] = {0xf3, 0x0f, 0x1e, 0xfa};
	uint8_t *f = dlvsym(RTLD_DEFAULT, "_dl_debug_state", "GLIBC_PRIVATE");
	uint8_t *end = (uint8_t *)(((uintptr_t)f + 16) & ~(uintptr_t)15);
	uintptr_t to = (uintptr_t)on_link_map_change;
	uint8_t jmp[14] = {0xff, 0x25, 0, 0, 0, 0};
	size_t room, n = sizeof jmp;
	intptr_t rel;

	if (!f || !__ia2_ro.s.dl_signal_error)
		die("ld.so exports no _dl_debug_state or _dl_signal_error (GLIBC_PRIVATE), which "
		    "ia2 needs to see the DSOs that dlopen loads before their code runs; ia2 "
		    "supports glibc 2.36 (Debian 12)");
	if (!memcmp(f, endbr64, sizeof endbr64))
		f += sizeof endbr64;
	if (f[0] == 0xcc) {
		/* int3: gdb breaks there to see loads (it has no SystemTap
		 * probes in Debian's ld.so), and writes the ret back over
		 * anything written there each time it steps past. */
		__ia2_ro.s.loads_late = 1;
		say("a debugger has a breakpoint on ld.so's _dl_debug_state, so libia2 judges and "
		    "scans the DSOs that dlopen loads only as a compartment DSO among them starts");
		return;
	}
	room = ret_and_padding(f, end);
	rel = (intptr_t)to - (intptr_t)(f + 5);
	if (room >= 5 && rel == (int32_t)rel) {
		int32_t r = (int32_t)rel;
		jmp[0] = 0xe9;
		memcpy(jmp + 1, &r, 4);
		n = 5;
	} else if (room >= sizeof jmp) {
		memcpy(jmp + 6, &to, 8);
	} else {
		die("ld.so's _dl_debug_state is not a ret padded to 16 bytes, so ia2 cannot see "
		    "the DSOs that dlopen loads before their code runs; ia2 supports glibc 2.36 "
		    "(Debian 12)");
	}
	patch_code(f, jmp, n, "ld.so");
}

static int count_dso(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)info, (void)size;
	++*(int *)arg;
	return 0;
}

void watch_dso_loads(void)
{
	iterate_dsos(count_dso, &__ia2_ro.s.startup_objects);
	__ia2_ro.s.dl_signal_error = dlvsym(RTLD_DEFAULT, "_dl_signal_error", "GLIBC_PRIVATE");
	point_debug_state_here();
	if (mprotect(&loaded, sizeof loaded, PROT_READ))
		die("cannot make the table of loaded DSOs read-only: %s", strerrorname_np(errno));
}

void see_loads_late(void)
{
	if (__ia2_ro.s.loads_late)
		on_link_map_change();
}

/* The path that a loader slot reads: at an address fixed at link time,
 * never through a pointer of its caller's choosing, which could have
 * compartment n read its own memory as a path and show it in dlerror.
 * Any compartment can write it meanwhile, which gets it only the load of
 * another file that a path rule names for n: as calling the slot. The
 * lock orders the wrappers' uses; recursive, for a constructor's dlopen. */
static char slot_path[sizeof reload.path];
pthread_mutex_t reload_lock = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;

/* Runs in compartment n, through n's loader slot, which any compartment
 * may call: dlopen of the file at slot_path with flags, admitted only if
 * a path rule names it for n (admit); or, with `close`, dlclose of the
 * DSO loaded from it, found by ld.so as a dlopen would, not by a handle a
 * caller could point at n's memory, where ld.so would count it down. */
static void *load_for_other(int flags, int close)
{
	int c = current_compartment();
	char path[sizeof slot_path];
	void *h;

	memcpy(path, slot_path, sizeof path);
	path[sizeof path - 1] = '\0';
	if (close) {
		h = __ia2_ro.s.libc_dlopen(path, RTLD_LAZY | RTLD_NOLOAD);
		if (!h || __ia2_ro.s.libc_dlclose(h))
			return (void *)-1;
		return (void *)(intptr_t)__ia2_ro.s.libc_dlclose(h);
	}
	ctb_set(c, IA2_CTB_LOADING_FOR_OTHER, 1);
	h = __ia2_ro.s.libc_dlopen(path, flags);
	ctb_set(c, IA2_CTB_LOADING_FOR_OTHER, 0);
	return h;
}

/* At startup, for each compartment set up then, which are those a path
 * rule may load DSOs into and more: the slot stays taken. */
void take_loader_slots(void)
{
	for (int n = 1; n <= IA2_LAST_COMPARTMENT; n++)
		if (__ia2_ro.s.present[n] &&
		    op_take_callback_slot((uintptr_t)load_for_other, 0, n).a == (uintptr_t)-1)
			die("no callback slot left for compartment %d's loads", n);
}

static void *call_loader_slot(int n, const char *path, int flags, int close)
{
	void *(*slot)(int, int) = taken_callback_slot(n, (uintptr_t)load_for_other);
	void *r;

	if (!slot)
		die("compartment %d has no loader slot: it was not set up at startup", n);
	pthread_mutex_lock(&reload_lock);
	snprintf(slot_path, sizeof slot_path, "%s", path);
	r = slot(flags, close);
	pthread_mutex_unlock(&reload_lock);
	return r;
}

/* glibc's dlopen looks a name without a slash up along the search path
 * of the object that calls it, which it finds by its return address
 * (glibc 2.36, dlfcn/dlopen.c, elf/dl-open.c): here, libia2. So the
 * wrapper looks the name up along its own caller's path (dlinfo(3),
 * RTLD_DI_SERINFO: LD_LIBRARY_PATH, the caller's RPATH or RUNPATH, the
 * default directories), and passes the file it finds; a name it does
 * not find goes to glibc as it is, for ld.so.cache, which is the same
 * for every caller. */
static bool find_like(const void *caller, const char *name, char *out, size_t size)
{
	struct link_map *map = NULL;
	Dl_serinfo sizes, *si;
	Dl_info info;
	bool found = false;

	if (!dladdr1(caller, &info, (void **)&map, RTLD_DL_LINKMAP) || !map ||
	    dlinfo(map, RTLD_DI_SERINFOSIZE, &sizes) || !(si = malloc(sizes.dls_size)))
		return false;
	*si = sizes;
	if (!dlinfo(map, RTLD_DI_SERINFO, si))
		for (unsigned i = 0; !found && i < si->dls_cnt; i++)
			found = (size_t)snprintf(out, size, "%s/%s", si->dls_serpath[i].dls_name,
						 name) < size && !access(out, R_OK);
	free(si);
	return found;
}

API void *dlopen(const char *file, int flags)
{
	char found[sizeof reload.path];
	void *h;

	set_up_libia2();
	if (file && !strchr(file, '/') &&
	    find_like(__builtin_return_address(0), file, found, sizeof found))
		file = found;
	reload.compartment = 0;
	h = __ia2_ro.s.libc_dlopen(file, flags);
	if (h || !reload.compartment)
		return h;
	return call_loader_slot(reload.compartment, reload.path, flags, 0);
}

/* dlclose of a DSO that its own compartment n loaded for another: ld.so
 * unmaps it in the name of the compartment that calls dlclose, and only
 * n may (memory_policy.c). */
int close_for_other(int n, const char *path)
{
	return (int)(intptr_t)call_loader_slot(n, path, 0, 1);
}
