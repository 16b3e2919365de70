/* postlink: what every route (ia2-cc, ia2-objrewrite --finish) does to
 * the linked DSO: refuse copy relocations, redirect its init and fini
 * arrays, bind its __tls_get_addr calls to libia2's (tlsbind.c), pad its
 * TLS.
 *
 * After the link, point the DSO's DT_INIT_ARRAY and
 * DT_FINI_ARRAY at the one-entry arrays of its gates (emit.c,
 * emit_init_fini), and record the linker's arrays in its .note.ia2 for
 * those gates to run inside the DSO's compartment. ld.so runs a DSO's
 * arrays from its dynamic section, and libc those of the executable
 * (glibc 2.34 and later: csu/libc-start.c, call_init), so these four
 * entries are all that decide what they call. The linker's own bounds
 * symbols will not do: ld.bfd defines __init_array_start in executables
 * only.
 *
 * The note is found through the program headers, which stripping keeps;
 * note and dynamic entries are patched in place, at the file offsets the
 * program headers give, so nothing else moves. */
#include "rewrite.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "ia2/gate_abi.h"
#include "padtls.h"

/* Where the note's descriptor is, in the file and in memory. */
struct note_place {
	GElf_Off offset;
	GElf_Addr vaddr;
};

static bool find_note(Elf *e, const GElf_Phdr *ph, struct note_place *at)
{
	Elf_Data *d = elf_getdata_rawchunk(e, ph->p_offset, ph->p_filesz, ELF_T_NHDR);
	size_t off = 0, name, desc;
	GElf_Nhdr n;

	while (d && (off = gelf_getnote(d, off, &n, &name, &desc)) > 0) {
		if (n.n_type != IA2_NOTE_TYPE || n.n_namesz != 4 ||
		    memcmp((char *)d->d_buf + name, "IA2", 4) || n.n_descsz != IA2_NOTE_DESCSZ)
			continue;
		at->offset = ph->p_offset + desc;
		at->vaddr = ph->p_vaddr + desc;
		return true;
	}
	return false;
}

static int find_segments(const char *path, Elf *e, struct note_place *note, GElf_Phdr *dyn)
{
	bool found = false;
	size_t nph;

	if (elf_getphdrnum(e, &nph))
		return error("%s: cannot read program headers: %s", path, elf_errmsg(-1));
	for (size_t i = 0; i < nph; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph))
			return error("%s: bad program header %zu: %s", path, i, elf_errmsg(-1));
		if (ph.p_type == PT_NOTE && !found)
			found = find_note(e, &ph, note);
		else if (ph.p_type == PT_DYNAMIC)
			*dyn = ph;
	}
	if (!found)
		return error("%s: no .note.ia2 of this version of ia2; was gates.o linked in?", path);
	if (dyn->p_type != PT_DYNAMIC)
		return error("%s: no dynamic section; ia2 needs dynamically linked programs", path);
	return 0;
}

static int read_at(const char *path, int fd, void *buf, size_t n, GElf_Off off)
{
	if (pread(fd, buf, n, (off_t)off) != (ssize_t)n)
		return error("%s: cannot read at %#llx: %s", path, (unsigned long long)off,
			     strerror(errno));
	return 0;
}

static int write_at(const char *path, int fd, const void *buf, size_t n, GElf_Off off)
{
	if (pwrite(fd, buf, n, (off_t)off) != (ssize_t)n)
		return error("%s: cannot write at %#llx: %s", path, (unsigned long long)off,
			     strerror(errno));
	return 0;
}

/* The dynamic section's array entries, the four we change. */
struct arrays {
	GElf_Off at[4];     /* file offsets of DT_INIT_ARRAY, ..SZ, DT_FINI_ARRAY, ..SZ */
	GElf_Xword val[4];  /* 0 if absent */
};

static int slot_of(GElf_Sxword tag)
{
	switch (tag) {
	case DT_INIT_ARRAY: return 0;
	case DT_INIT_ARRAYSZ: return 1;
	case DT_FINI_ARRAY: return 2;
	case DT_FINI_ARRAYSZ: return 3;
	default: return -1;
	}
}

static int read_arrays(const char *path, int fd, const GElf_Phdr *ph, struct arrays *a)
{
	memset(a, 0, sizeof *a);
	for (GElf_Off off = 0; off + sizeof(GElf_Dyn) <= ph->p_filesz; off += sizeof(GElf_Dyn)) {
		GElf_Dyn dyn;   /* Elf64_Dyn, as in the file */
		int slot;
		if (read_at(path, fd, &dyn, sizeof dyn, ph->p_offset + off))
			return -1;
		if (dyn.d_tag == DT_NULL)
			break;
		if ((slot = slot_of(dyn.d_tag)) >= 0) {
			a->at[slot] = ph->p_offset + off;
			a->val[slot] = dyn.d_un.d_val;
		}
	}
	return 0;
}

/* The note's word for an array: its offset from the word, then its size. */
static int record_array(const char *path, int fd, const struct note_place *note, int field,
			GElf_Addr start, GElf_Xword size)
{
	int32_t words[2] = {(int32_t)(start - (note->vaddr + field)), (int32_t)size};

	if (!start)
		words[0] = words[1] = 0;
	return write_at(path, fd, words, sizeof words, note->offset + field);
}

static int set_entry(const char *path, int fd, const struct arrays *a, int slot, GElf_Sxword tag,
		     GElf_Xword v)
{
	GElf_Dyn dyn = {.d_tag = tag, .d_un.d_val = v};

	return a->at[slot] ? write_at(path, fd, &dyn, sizeof dyn, a->at[slot]) : 0;
}

static int redirect(const char *path, int fd, const struct note_place *note, const GElf_Phdr *dyn)
{
	int32_t rel;
	uint32_t flags;
	GElf_Addr pair;
	struct arrays a;

	if (read_at(path, fd, &rel, sizeof rel, note->offset + IA2_NOTE_INITFINI) ||
	    read_arrays(path, fd, dyn, &a))
		return -1;
	pair = note->vaddr + IA2_NOTE_INITFINI + (GElf_Sxword)rel;
	if (a.val[0] == pair || a.val[2] == pair + 8)
		return 0;   /* done already */
	if (read_at(path, fd, &flags, sizeof flags, note->offset + IA2_NOTE_FLAGS))
		return -1;
	flags |= IA2_NOTE_FINISHED;
	if (write_at(path, fd, &flags, sizeof flags, note->offset + IA2_NOTE_FLAGS) ||
	    record_array(path, fd, note, IA2_NOTE_INIT_ARRAY, a.val[0], a.val[1]) ||
	    record_array(path, fd, note, IA2_NOTE_FINI_ARRAY, a.val[2], a.val[3]) ||
	    set_entry(path, fd, &a, 0, DT_INIT_ARRAY, pair) ||
	    set_entry(path, fd, &a, 1, DT_INIT_ARRAYSZ, 8) ||
	    set_entry(path, fd, &a, 2, DT_FINI_ARRAY, pair + 8) ||
	    set_entry(path, fd, &a, 3, DT_FINI_ARRAYSZ, 8))
		return -1;
	return 0;
}

static int redirect_init_fini(const char *path)
{
	int fd = open(path, O_RDWR);
	struct note_place note = {0};
	GElf_Phdr dyn = {0};
	Elf *e;
	int rc;

	if (fd < 0)
		return error("%s: %s", path, strerror(errno));
	elf_version(EV_CURRENT);
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e) {
		close(fd);
		return error("%s: %s", path, elf_errmsg(-1));
	}
	rc = find_segments(path, e, &note, &dyn);
	elf_end(e);
	if (!rc)
		rc = redirect(path, fd, &note, &dyn);
	if (close(fd) && !rc)
		rc = error("%s: %s", path, strerror(errno));
	return rc;
}

/* A copy relocation moves a library's variable into the executable's
 * .bss, the executable's compartment, where the library would fault on
 * its own data (shared/DESIGN.md section 3). */
static int check_copy_relocs(const char *path)
{
	int fd, rc = 0;
	Elf *e = open_elf(path, ELF_C_READ, &fd);
	Elf_Scn *scn = NULL;

	if (!e)
		return -1;
	while (e && (scn = elf_nextscn(e, scn)) && !rc) {
		GElf_Shdr sh;
		Elf_Data *data;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_RELA || !(data = elf_getdata(scn, NULL)))
			continue;
		for (size_t i = 0; sh.sh_entsize && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Rela r;
			GElf_Sym s;
			Elf_Data *syms = elf_getdata(elf_getscn(e, sh.sh_link), NULL);
			GElf_Shdr symsh;
			if (!gelf_getrela(data, (int)i, &r) || GELF_R_TYPE(r.r_info) != R_X86_64_COPY)
				continue;
			gelf_getshdr(elf_getscn(e, sh.sh_link), &symsh);
			gelf_getsym(syms, (int)GELF_R_SYM(r.r_info), &s);
			rc = error("%s: copy relocation for %s would place another DSO's variable in "
				   "this compartment; compile with -fPIC (ia2-cc does) and do not link "
				   "with -no-pie objects", path, elf_strptr(e, symsh.sh_link, s.st_name));
			break;
		}
	}
	elf_end(e);
	close(fd);
	return rc;
}

int finish_dso(const char *path)
{
	elf_version(EV_CURRENT);
	/* gates.s aligned the TLS; pad_tls fills its last page (padtls.c). */
	if (check_copy_relocs(path) || redirect_init_fini(path) || bind_tls_get_addr(path) ||
	    pad_tls(path, false) < 0)
		return -1;
	return 0;
}
