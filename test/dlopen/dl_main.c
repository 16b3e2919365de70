/* usage: dl_main CASE
 *
 *   ok               dlopen a compartment-2 plugin: constructor, calls,
 *                    callbacks, TLS (pkey 2, in each thread its own), a
 *                    signal handler, a thread that existed before the
 *                    dlopen, dlclose and dlopen again (TLS starts afresh);
 *                    and a compartment-1 plugin (TLS with pkey 1)
 *   tls-threads      300 threads in turn use the plugin's TLS, each from
 *                    its initial value with pkey 2: no mapping is left
 *   reload           300 times dlopen, use the TLS, dlclose, in one thread:
 *                    more blocks than the thread's TLS area holds at once
 *   main-reads-plug  compartment 1 reads the plugin's global: SEGV_PKUERR
 *   main-reads-plug-tls
 *                    compartment 1 reads the plugin's TLS: SEGV_PKUERR
 *   plug-writes-main the plugin writes compartment 1's global: SEGV_PKUERR
 *   three            dlopen a compartment-3 plugin the config does not
 *                    name: dlopen fails, and this prints why
 *   claim            compartment 1 loads compartment-2 DSOs that no path
 *                    rule names (another file, a copy of the plugin under
 *                    its own name): dlopen refuses them; a symbolic link
 *                    to the plugin is the plugin; compartment 2 itself
 *                    loads one of them
 *   gadget           dlopen a DSO outside the compartments whose
 *                    constructor writes PKRU 0 and reads the plugin's
 *                    secret: the monitor refuses to map its code (status
 *                    112); without the monitor, its wrpkru is gone before
 *                    it runs (SIGILL)
 *   own-gadget       the same from a DSO that claims compartment 1, which
 *                    compartment 1 may load, with a checked gate to 2's PKRU
 *   slot-plain       compartment 1 writes the path of a DSO outside the
 *                    compartments, whose constructor reads the plugin's
 *                    secret, where compartment 2's loader slot reads it,
 *                    and calls the slot, as hostile code can: the load
 *                    runs with compartment 2's rights, so a DSO that no
 *                    path rule names for 2 is refused (status 1)
 *   forge-gate       compartment 1 forges ld.so's link map of its own
 *                    plugin, libplug_one.so, so that a function body of it
 *                    reads as a gate of compartment 2 (a .note.ia2 of its
 *                    making), installs that body as a signal handler and
 *                    raises the signal: the monitor says compartment 1
 *                    mapped that code, so the handler runs with 1's
 *                    rights and faults on the plugin's secret
 *                    (SEGV_PKUERR); taken for 2's gate, it would read it
 *   forge-loaded     compartment 1 loads the plugin, moves a copy of
 *   forge-modules    libia2's table of loaded DSOs, or of dynamic TLS
 *                    modules, over it whose count is past the table's
 *                    room, then loads another plugin, or reaches the
 *                    plugin's TLS: libia2 stops the program rather than
 *                    index past its arrays (status 1)
 *   patch-got        compartment 1 loads the plugin, then makes the
 *                    plugin's GOT writable and points its raise slot at
 *                    compartment 1's code, which the plugin then runs with
 *                    compartment 2's rights: the monitor refuses the
 *                    mprotect, since the plugin was loaded in compartment
 *                    2's name and its pages sealed (status 112); without
 *                    the monitor, the secret is stolen
 *   map-code         compartment 1 maps the plugin's file with its code:
 *                    the copy of compartment 2's gate holds a trap
 *   plug-maps-gate   the plugin maps code over its own gate, which
 *                    compartment 1 then calls: the monitor refuses the
 *                    mmap, since ld.so's mappings of a loaded DSO stay as
 *                    they are (status 112) */
#define _GNU_SOURCE
#include "plug.h"
#include <ia2.h>
#include "../common/mappings.h"
#include "../common/pkeyof.h"
#include "../common/gatebody.h"
#include "../common/forgepage.h"
#include "../common/hidden.h"
#include "../common/rawcall.h"
#include "ia2/gate_abi.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct plug {
	void *handle;
	void *(*load)(const char *);
	int *secret;
	int (*initialized)(void);
	int (*add)(int, int);
	int (*call)(int (*)(int), int);
	void (*write)(int *);
	int (*tls_swap)(int);
	int *(*tls_addr)(void);
	void (*install_handler)(int);
	void (*on_signal)(int);
	int (*raise_deep)(int);
	int (*handled)(void);
	int (*map_over)(void *);
};

static int failures;
int main_global = 5;

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "FAIL: %s\n", what);
		failures++;
	}
}

static void *must_sym(void *h, const char *name)
{
	void *p = dlsym(h, name);

	if (!p) {
		fprintf(stderr, "dlsym %s: %s\n", name, dlerror());
		exit(2);
	}
	return p;
}

static struct plug load(const char *file)
{
	struct plug p;

	p.handle = dlopen(file, RTLD_NOW);
	if (!p.handle) {
		fprintf(stderr, "dlopen %s: %s\n", file, dlerror());
		exit(2);
	}
	p.secret = must_sym(p.handle, "plug_secret");
	p.initialized = must_sym(p.handle, "plug_initialized");
	p.add = must_sym(p.handle, "plug_add");
	p.call = must_sym(p.handle, "plug_call");
	p.write = must_sym(p.handle, "plug_write");
	p.tls_swap = must_sym(p.handle, "plug_tls_swap");
	p.tls_addr = must_sym(p.handle, "plug_tls_addr");
	p.install_handler = must_sym(p.handle, "plug_install_handler");
	p.on_signal = must_sym(p.handle, "plug_on_signal");
	p.raise_deep = must_sym(p.handle, "plug_raise_deep");
	p.handled = must_sym(p.handle, "plug_handled");
	p.load = must_sym(p.handle, "plug_load");
	p.map_over = must_sym(p.handle, "plug_map_over");
	return p;
}

static int twice(int x) { return main_global * 0 + 2 * x; }

/* A thread that exists before the dlopen calls into the plugin after it. */
static sem_t loaded;
static struct plug shared_plug;

static void *early_thread(void *main_tls)
{
	int *tls;

	sem_wait(&loaded);
	tls = shared_plug.tls_addr();
	return (void *)(long)(shared_plug.add(40, 2) == 42 && shared_plug.tls_swap(9) == 7 &&
			      shared_plug.tls_swap(0) == 9 && tls != *(int **)main_tls &&
			      pkey_of(tls) == 2);
}

static void run_ok(void)
{
	pthread_t t;
	void *r;
	struct plug p;
	int *main_tls = NULL;

	sem_init(&loaded, 0, 0);
	check(pthread_create(&t, NULL, early_thread, &main_tls) == 0, "pthread_create");
	p = shared_plug = load("libplug.so");
	main_tls = p.tls_addr();
	check(p.initialized() == 42, "the constructor ran in compartment 2");
	check(pkey_of(p.secret) == 2, "the plugin's .data has pkey 2");
	check(p.add(1, 2) == 3, "call into the plugin");
	check(p.call(twice, 5) == 11, "callback from the plugin into compartment 1");
	check(p.tls_swap(3) == 7 && p.tls_swap(4) == 3, "the plugin's TLS in the main thread");
	check(pkey_of(main_tls) == 2, "the plugin's TLS has pkey 2");
	sem_post(&loaded);
	check(pthread_join(t, &r) == 0 && r == (void *)1,
	      "a thread started before the dlopen calls the plugin, with its own TLS");
	p.install_handler(SIGUSR1);
	raise(SIGUSR1);
	check(p.handled() == 1, "the plugin's signal handler ran in compartment 2");
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, p.on_signal);
	check(p.raise_deep(SIGUSR2) == 1 && p.handled() == 2,
	      "the plugin's handler, installed by compartment 1, ran on 2's signal stack");
	signal(SIGUSR2, SIG_DFL);
	check(dlclose(p.handle) == 0, "dlclose");

	p = load("libplug.so");
	check(p.initialized() == 42 && p.add(2, 2) == 4 && pkey_of(p.secret) == 2,
	      "the plugin loaded again after dlclose");
	check(p.tls_swap(5) == 7 && pkey_of(p.tls_addr()) == 2,
	      "the plugin loaded again starts its TLS afresh");
	check(dlclose(p.handle) == 0, "dlclose again");

	p = load("libplug_one.so");
	check(pkey_of(p.secret) == 1 && *p.secret == 0x5ec && p.initialized() == 42,
	      "a compartment-1 plugin shares compartment 1's memory");
	check(p.tls_swap(1) == 7 && pkey_of(p.tls_addr()) == 1 && *p.tls_addr() == 1,
	      "a compartment-1 plugin's TLS has pkey 1");
	p.write(&main_global);
	check(main_global == 1, "the compartment-1 plugin writes compartment 1's data");
	check(dlclose(p.handle) == 0, "dlclose of the compartment-1 plugin");
}

static void *tls_user(void *unused)
{
	int *tls = shared_plug.tls_addr();

	(void)unused;
	return (void *)(long)(pkey_of(tls) == 2 && shared_plug.tls_swap(1) == 7 &&
			      shared_plug.tls_swap(2) == 1);
}

static void run_tls_threads(int n)
{
	int before = 0, bad = 0;

	shared_plug = load("libplug.so");
	for (int i = 0; i < n; i++) {
		pthread_t t;
		void *r = NULL;
		if (pthread_create(&t, NULL, tls_user, NULL) || pthread_join(t, &r))
			bad++;
		bad += r != (void *)1;
		if (i == 0)   /* glibc's stack cache and arenas settle in the first */
			before = count_mappings();
	}
	check(!bad, "every thread found the plugin's TLS initialized, with pkey 2");
	check(count_mappings() == before, "the threads left no mapping behind");
}

static void run_reload(int n)
{
	int bad = 0;

	for (int i = 0; i < n; i++) {
		struct plug p = load("libplug.so");
		bad += p.tls_swap(i) != 7 || pkey_of(p.tls_addr()) != 2;
		bad += dlclose(p.handle) != 0;
	}
	check(!bad, "each load's TLS started from its initial value, with pkey 2");
}

/* The directory of this program, where the test's DSOs are. */
static char *here(const char *file)
{
	static char path[4096];
	ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
	char *slash;

	if (n < 0)
		exit(2);
	path[n] = '\0';
	slash = strrchr(path, '/');
	snprintf(slash + 1, sizeof path - (size_t)(slash + 1 - path), "%s", file);
	return path;
}

static void check_refused(const char *file, const char *reason)
{
	void *h = dlopen(file, RTLD_NOW);
	const char *e = h ? NULL : dlerror();

	if (h || !e || !strstr(e, reason)) {
		fprintf(stderr, "FAIL: dlopen %s: %s, not refused with '%s'\n", file,
			h ? "loaded" : e ? e : "no dlerror", reason);
		failures++;
	} else {
		printf("refused %s: %s\n", file, e);
	}
	check(!dlopen(file, RTLD_NOW | RTLD_NOLOAD), "a refused DSO is not left loaded");
}

static void run_claim(void)
{
	static const char why[] = "may not load a DSO into compartment 2 unless a path rule";
	struct plug p, link, own;
	void *h;
	int *secret;

	check_refused("libclaim.so", why);
	check_refused(here("claim/libplug.so"), why);
	link = load(here("claim/link.so"));
	check(link.add(2, 3) == 5 && pkey_of(link.secret) == 2,
	      "a symbolic link to the plugin loads the plugin");
	check(dlclose(link.handle) == 0, "dlclose of the link");
	p = load("libplug.so");
	/* The path goes to compartment 2 in shared memory. */
	h = p.load(ia2_shared_strdup(here("libclaim.so")));
	if (!h)
		fprintf(stderr, "compartment 2's dlopen of libclaim.so: %s\n", dlerror());
	secret = h ? dlsym(h, "plug_secret") : NULL;
	check(secret && pkey_of(secret) == 2,
	      "compartment 2 loads a compartment-2 DSO that no path rule names");
	own = load("libplug_one.so");
	check(own.add(1, 1) == 2, "compartment 1 loads a compartment-1 DSO");
}

/* Where compartment 1, the attacker, leaves what it took: pkey-0 memory
 * at an address its code names as a constant, so that code runs under
 * any compartment's PKRU without touching compartment 1's memory. */
struct loot {
	int *secret;
	int value;
};
#define LOOT ((struct loot *)0x7e0000000000)

static void steal(int sig)
{
	(void)sig;
	LOOT->value = *LOOT->secret;
}

/* The plugin's GOT slot for name: its DT_JMPREL relocation. */
static void **jump_slot(void *handle, const char *name)
{
	struct link_map *l;
	const ElfW(Rela) *rel = NULL;
	const ElfW(Sym) *sym = NULL;
	const char *str = NULL;
	size_t size = 0;

	if (dlinfo(handle, RTLD_DI_LINKMAP, &l))
		return NULL;
	for (const ElfW(Dyn) *d = l->l_ld; d->d_tag != DT_NULL; d++) {
		uintptr_t v = d->d_un.d_ptr < l->l_addr ? l->l_addr + d->d_un.d_ptr : d->d_un.d_ptr;
		if (d->d_tag == DT_JMPREL)
			rel = (const void *)v;
		else if (d->d_tag == DT_PLTRELSZ)
			size = d->d_un.d_val;
		else if (d->d_tag == DT_SYMTAB)
			sym = (const void *)v;
		else if (d->d_tag == DT_STRTAB)
			str = (const void *)v;
	}
	for (size_t i = 0; rel && sym && str && i < size / sizeof *rel; i++)
		if (!strcmp(str + sym[ELF64_R_SYM(rel[i].r_info)].st_name, name))
			return (void **)(l->l_addr + rel[i].r_offset);
	return NULL;
}

/* Compartment 1 loads the plugin, which the config puts in compartment
 * 2, so ld.so maps it in compartment 1's name; then it points the
 * plugin's GOT slot for raise at compartment 1's code, and calls the
 * plugin, which raises a signal. */
static void run_patch_got(void)
{
	struct plug p = load("libplug.so");
	void **slot = jump_slot(p.handle, "raise");
	uintptr_t page;

	if (mmap(LOOT, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		 -1, 0) != LOOT || !slot) {
		fprintf(stderr, "cannot set the attack up\n");
		exit(2);
	}
	LOOT->secret = p.secret;
	page = (uintptr_t)slot & ~(uintptr_t)4095;
	if (mprotect((void *)page, 4096, PROT_READ | PROT_WRITE))
		perror("mprotect of the plugin's GOT");
	*slot = gate_body((void *)steal, 1);
	signal(SIGUSR1, SIG_IGN);
	p.raise_deep(SIGUSR1);
	printf("compartment 1 stole compartment 2's secret: %#x\n", LOOT->value);
}

/* Compartment 1 maps the plugin's file itself, code included: the
 * wrpkru of plug_add's gate, to compartment 2's PKRU, is a trap in that
 * copy, while the plugin that libia2 loaded in compartment 2's name keeps
 * it. Were it kept, compartment 1 could put code of its own where the
 * gate calls the body and relocate the copy's GOT to its liking. */
static int run_map_code(void)
{
	static const unsigned char wrpkru[] = {0x0f, 0x01, 0xef}, ud2[] = {0x0f, 0x0b};
	struct plug p = load("libplug.so");
	const unsigned char *gate = (const void *)p.add, *copy;
	const ElfW(Ehdr) *eh;
	const ElfW(Phdr) *ph = NULL;
	Dl_info info;
	size_t at = 0;
	int fd;

	if (!dladdr((void *)p.add, &info) || (fd = open(info.dli_fname, O_RDONLY)) < 0) {
		fprintf(stderr, "cannot find the plugin's file\n");
		return 2;
	}
	eh = info.dli_fbase;
	for (int i = 0; i < eh->e_phnum; i++) {
		const ElfW(Phdr) *h = (const ElfW(Phdr) *)((const char *)eh + eh->e_phoff) + i;
		if (h->p_type == PT_LOAD && (h->p_flags & PF_X))
			ph = h;
	}
	while (at < 256 && memcmp(gate + at, wrpkru, sizeof wrpkru))
		at++;
	if (!ph || at == 256) {
		fprintf(stderr, "no code segment, or no wrpkru in plug_add's gate\n");
		return 2;
	}
	copy = mmap(NULL, ph->p_memsz + (ph->p_vaddr & 4095), PROT_READ | PROT_EXEC, MAP_PRIVATE, fd,
		    (off_t)(ph->p_offset & ~(ElfW(Off))4095));
	if (copy == MAP_FAILED) {
		perror("mmap of the plugin's code");
		return 2;
	}
	copy += (uintptr_t)gate - ((uintptr_t)info.dli_fbase + (ph->p_vaddr & ~(ElfW(Addr))4095));
	if (!memcmp(copy + at, wrpkru, sizeof wrpkru)) {
		printf("compartment 1's copy of the plugin's code holds compartment 2's gate\n");
		return 1;
	}
	if (memcmp(copy + at, ud2, sizeof ud2)) {
		fprintf(stderr, "the copy holds neither the gate's wrpkru nor a trap\n");
		return 2;
	}
	printf("compartment 1's copy of the plugin's code holds a trap for compartment 2's gate\n");
	return 0;
}

/* Before the dlopen's DSOs run, libia2 has scanned them. */
static void run_gadget(const char *file)
{
	struct plug p = load("libplug.so");
	char target[32];

	snprintf(target, sizeof target, "%p", (void *)p.secret);
	setenv("DL_GADGET_TARGET", target, 1);
	if (!dlopen(file, RTLD_NOW))
		printf("dlopen %s: %s\n", file, dlerror());
	printf("the gadget DSO did not run\n");
}

/* libia2/loads.c: each compartment's loader slot is a callback slot
 * (libia2/callbacks.c) whose target is load_for_other, which loads the
 * file named at slot_path in that compartment's name. */
static void run_slot_plain(void)
{
	struct plug p = load("libplug.so");
	char target[32], *path = hidden_symbol("libia2", "slot_path");
	void *load_for_other = hidden_symbol("libia2", "load_for_other");
	uintptr_t(*targets)[IA2_CALLBACK_SLOTS] = hidden_symbol("libia2", "__ia2_callback_targets");
	void *const(*slots)[IA2_CALLBACK_SLOTS] = hidden_symbol("libia2", "__ia2_callback_slots");
	void *slot = NULL;
	char *slash;

	for (int i = 0; targets && slots && i < IA2_CALLBACK_SLOTS; i++)
		if (targets[2][i] == (uintptr_t)load_for_other)
			slot = slots[2][i];
	if (!path || !slot) {
		printf("cannot find compartment 2's loader slot\n");
		exit(4);
	}
	snprintf(target, sizeof target, "%p", (void *)p.secret);
	setenv("DL_GADGET_TARGET", target, 1);
	/* Next to this program; slot_path holds 4096 bytes. */
	if (readlink("/proc/self/exe", path, 4000) < 0 || !(slash = strrchr(path, '/'))) {
		printf("cannot find this program's directory\n");
		exit(4);
	}
	strcpy(slash + 1, "libdl_steal.so");
	if (!raw_call(slot, RTLD_NOW, 0, 0))
		printf("compartment 2's loader refused %s: %s\n", path, dlerror());
	exit(1);
}

/* A .note.ia2 (gate_abi.h) of compartment 2 whose one gate is at `entry`:
 * its offsets are 32-bit and relative to the field's own address. */
struct fake_note {
	ElfW(Nhdr) nh;
	char name[4];
	int32_t desc[IA2_NOTE_DESCSZ / 4];
	int32_t gate;
};

static int find_phdr(struct dl_phdr_info *info, size_t size, void *arg)
{
	const void **phdr = arg;

	(void)size;
	if (info->dlpi_name && strstr(info->dlpi_name, "libplug_one.so"))
		*phdr = info->dlpi_phdr;
	return 0;
}

/* ld.so keeps a DSO's program headers in its link map (l_phdr, then
 * l_phnum), at an offset glibc does not publish: found by value. */
static void forge_program_headers(struct link_map *map, const void *real, const ElfW(Phdr) *fake,
				  ElfW(Half) n)
{
	char *m = (char *)map;

	for (size_t at = 0; at < 2048; at += 8) {
		const void *p;
		memcpy(&p, m + at, sizeof p);
		if (p != real)
			continue;
		memcpy(m + at, &fake, sizeof fake);
		memcpy(m + at + 8, &n, sizeof n);
		return;
	}
	printf("no l_phdr in the link map\n");
	exit(4);
}

static void run_forge_gate(void)
{
	struct plug two = load("libplug.so"), one = load("libplug_one.so");
	char *scratch = must_sym(one.handle, "plug_scratch");
	void *body = gate_body(must_sym(one.handle, "plug_read_target"), 1);
	struct fake_note *f = (struct fake_note *)(((uintptr_t)scratch + 7) & ~(uintptr_t)7);
	ElfW(Phdr) *ph = (ElfW(Phdr) *)(f + 1);
	const int g = IA2_NOTE_GATES / 4;
	struct link_map *map;
	const void *real = NULL;
	char target[32];

	if (!body || dlinfo(one.handle, RTLD_DI_LINKMAP, &map)) {
		printf("cannot find the plugin's body or link map\n");
		exit(4);
	}
	dl_iterate_phdr(find_phdr, &real);
	*f = (struct fake_note){{4, IA2_NOTE_DESCSZ, IA2_NOTE_TYPE}, "IA2", {2}, 0};
	f->desc[g] = (int32_t)((char *)&f->gate - (char *)&f->desc[g]);
	f->desc[g + 1] = (int32_t)((char *)(&f->gate + 1) - (char *)&f->desc[g + 1]);
	f->gate = (int32_t)((uintptr_t)body - (uintptr_t)&f->gate);
	ph[0] = (ElfW(Phdr)){.p_type = PT_LOAD, .p_flags = PF_R | PF_X,
			     .p_vaddr = (uintptr_t)body - map->l_addr, .p_memsz = 16};
	ph[1] = (ElfW(Phdr)){.p_type = PT_NOTE, .p_flags = PF_R,
			     .p_vaddr = (uintptr_t)f - map->l_addr, .p_memsz = sizeof *f};
	forge_program_headers(map, real, ph, 2);
	snprintf(target, sizeof target, "%p", (void *)two.secret);
	setenv("DL_GADGET_TARGET", target, 1);
	if (signal(SIGUSR1, (void (*)(int))body) == SIG_ERR) {
		printf("sigaction refused the forged gate\n");
		exit(5);
	}
	raise(SIGUSR1);
	printf("the handler did not run\n");
	exit(6);
}

/* libia2/loads.c, dyntls.c: each table's first word is its count. */
static void run_forge_count(const char *name)
{
	struct plug p = load("libplug.so");
	int *table = hidden_symbol("libia2", name), *copy;

	if (!table || !(copy = copy_page(table))) {
		printf("cannot find libia2's table %s\n", name);
		exit(4);
	}
	copy[0] = 100000;
	if (!move_page_over(copy, table)) {
		printf("the table %s stays libia2's\n", name);
		exit(4);
	}
	if (!strcmp(name, "loaded"))
		load("libplug_one.so");
	else
		p.tls_swap(1);
	printf("libia2 went on with the forged table %s\n", name);
	exit(0);
}

int main(int argc, char **argv)
{
	const char *c = argc == 2 ? argv[1] : "";

	if (!strcmp(c, "ok")) {
		run_ok();
		if (!failures)
			puts("dlopen: ok");
		return failures != 0;
	}
	if (!strcmp(c, "tls-threads")) {
		run_tls_threads(300);
		return failures != 0;
	}
	if (!strcmp(c, "reload")) {
		run_reload(300);
		return failures != 0;
	}
	if (!strcmp(c, "main-reads-plug-tls")) {
		struct plug p = load("libplug.so");
		printf("compartment 1 read the plugin's TLS: %d\n", *p.tls_addr());
		return 0;
	}
	if (!strcmp(c, "main-reads-plug")) {
		struct plug p = load("libplug.so");
		printf("compartment 1 read the plugin's secret: %#x\n", *p.secret);
		return 0;
	}
	if (!strcmp(c, "plug-writes-main")) {
		struct plug p = load("libplug.so");
		p.write(&main_global);
		printf("the plugin wrote compartment 1's global: %d\n", main_global);
		return 0;
	}
	if (!strcmp(c, "three")) {
		load("libplug_three.so");
		puts("a compartment-3 plugin loaded although nothing set compartment 3 up");
		return 0;
	}
	if (!strcmp(c, "claim")) {
		run_claim();
		if (!failures)
			puts("dlopen claim: ok");
		return failures != 0;
	}
	if (!strcmp(c, "patch-got")) {
		run_patch_got();
		return 0;
	}
	if (!strcmp(c, "plug-maps-gate")) {
		struct plug p = load("libplug.so");
		printf("the plugin's mapping over its gate: %d\n", p.map_over((void *)p.add));
		printf("plug_add(1, 2), through what the page holds now: %d\n", p.add(1, 2));
		return 0;
	}
	if (!strcmp(c, "map-code"))
		return run_map_code();
	if (!strcmp(c, "gadget")) {
		run_gadget("libdl_gadget.so");
		return 1;
	}
	if (!strcmp(c, "own-gadget")) {
		run_gadget("libdl_own_gadget.so");
		return 1;
	}
	if (!strcmp(c, "slot-plain"))
		run_slot_plain();
	if (!strcmp(c, "forge-gate"))
		run_forge_gate();
	if (!strcmp(c, "forge-loaded"))
		run_forge_count("loaded");
	if (!strcmp(c, "forge-modules"))
		run_forge_count("modules");
	fprintf(stderr, "usage: dl_main ok|tls-threads|reload|main-reads-plug|main-reads-plug-tls|"
			"plug-writes-main|three|claim|patch-got|map-code|plug-maps-gate|gadget|own-gadget|slot-plain|forge-gate|forge-loaded|forge-modules\n");
	return 2;
}
