/* The objrewrite engine: the objects of one DSO go through
 *
 *   scan -> declared -> classify -> heapshare -> plan -> emit (gates.s) + rewrite (objects)
 *
 * Each pass is one file; this header is the data that flows between them. */
#ifndef IA2_REWRITE_H
#define IA2_REWRITE_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "signature.h"

enum ref_kind {
	REF_NONE,      /* not a reference to a function's entry (data, jump table, debug) */
	REF_CALL,      /* call, tail jump or conditional tail jump to the function */
	REF_CALL_PTR,  /* call or jump *through* memory the relocation names */
	REF_ADDR_CODE, /* the function's address is materialized by code */
	REF_ADDR_DATA, /* the function's address is stored in data */
};

struct reloc {
	size_t relsec;     /* index of the SHT_RELA section */
	size_t ndx;        /* entry within it */
	size_t target_sec; /* the section the relocation patches */
	GElf_Rela rela;
	enum ref_kind kind;
	int func;          /* index into dso.funcs, or -1 */
	long long func_off;/* section-symbol references: offset of the function in its section */
	bool synthetic;    /* added by classify for a reference the assembler left unrelocated */
};

struct sym_rename {
	size_t sym;
	char *to;
};

struct object {
	char *path;        /* file we read */
	char *name;        /* for messages: path, or archive(member) */
	int fd;
	Elf *elf;
	size_t shnum;
	size_t symtab;     /* section index of .symtab */
	size_t nsyms;
	struct reloc *relocs;
	size_t nrelocs;
	int *sym_func;     /* symbol index -> index into dso.funcs, or -1 */
	int archive;       /* index into dso.archives, or -1 for a plain object */
	char *member;      /* member name inside the archive */
	char *archive_copy;/* archive members: the file ar(1) packs into the new archive */
	struct sym_rename *heap_renames; /* undefined allocation functions (heapcalls.c) */
	size_t nheap_renames;
	size_t *shared_sections;  /* sections that become ia2_shared (share.c) */
	size_t nshared_sections;
};

/* What a copy-arg gate copies of one pointer argument (copyarg.c). */
enum copy_kind {
	COPY_OBJECT,   /* the pointee: `size` bytes */
	COPY_LENGTH,   /* as many bytes as the integer argument in len_reg says */
	COPY_STRING,   /* a NUL-terminated string, NUL included */
};

struct arg_copy {
	int reg;             /* the pointer's register, 0..5 (signature.h, gpr_arg) */
	enum copy_kind kind;
	int size;            /* COPY_OBJECT */
	int len_reg;         /* COPY_LENGTH: the count's register and its width in bytes */
	int len_size;
	bool back;           /* copied back after the call: the pointee is not const */
};

struct func {
	int obj;           /* defining object */
	size_t sym;        /* its symbol index there */
	char *name;
	size_t shndx;
	GElf_Addr value;
	unsigned char bind, vis;
	bool address_taken;
	bool gated;
	char *gate;        /* the symbol callers in other compartments use */
	char *gate_local;  /* a hidden symbol at the gate, for references that bound locally */
	char *body;        /* the definition's symbol */
	char *symver;      /* NAME@VERSION or NAME@@VERSION, which the gate exports (plan.c) */
	bool renamed;      /* the definition is renamed to `body` */
	bool heap_shared;  /* a share-heap rule names it (heapshare.c) */
	char *wrapper;     /* heap_shared: its wrapper, which calls the body in shared-heap mode */
	struct arg_copy *copies;  /* the arguments its gate copies (copyarg.c), the copied-back one first */
	int ncopies;
	struct signature sig;
	bool has_sig;
};

/* How rewrite.c binds one reference to a gated function, kept when
 * dso.explain is set (explain.c prints them). */
struct decision {
	int obj;
	const struct reloc *r;
	const char *target;   /* the symbol the reference binds to once rewritten */
	const char *reason;
};

struct archive_in {
	char *path;
	char *out_path;
};

struct dso {
	int compartment;
	struct object *objs;
	size_t nobjs;
	struct func *funcs;
	size_t nfuncs;
	struct archive_in *archives;
	size_t narchives;
	const char *workdir; /* where extracted and rewritten files go */
	const char *cc;      /* the compiler driver that assembles gates */
	bool emulate_pkru;   /* gates keep PKRU in a variable: no isolation (docs/runtime.md) */
	bool has_tls;        /* some object has a TLS section (scan.c) */
	unsigned loadable;   /* bit c: the program may load a DSO of compartment c (gate_abi.h) */
	const struct load_rule *loads;      /* the config's path rules (config.h) */
	size_t nloads;
	const struct named_symbol *shared;  /* the config's share rules (config.h) */
	size_t nshared;
	const struct named_symbol *heap_shared;  /* and its share-heap rules */
	size_t nheap_shared;
	const struct named_symbol *copied;  /* and its copy-arg rules */
	size_t ncopied;
	const struct denied_call *denied_calls;  /* and its syscalls rules */
	size_t ndenied_calls;
	bool explain;        /* keep the decisions below */
	struct decision *decisions;
	size_t ndecisions;
};

/* scan.c */
int scan_inputs(struct dso *d, char **paths, size_t npaths);
void dso_free(struct dso *d);
const char *sym_name(struct object *o, const GElf_Sym *s);
int read_sym(struct object *o, size_t i, GElf_Sym *s);
Elf_Scn *section(struct object *o, size_t i);
const char *section_name(struct object *o, size_t i);

/* declared.c: the compartment the inputs' sources declare
 * (ia2_compartment_init.inc) must be d's; declared_compartment reads it
 * from objects and archives before a link: 0 if none, -1 after a message
 * if it is bad or they disagree. */
int check_declarations(struct dso *d);
/* The compartment the object e, called `name` in messages, declares: 0
 * if it declares none, -1 (after a message) if its declaration is
 * malformed or names two. */
int read_declaration(Elf *e, const char *name);
int declared_compartment(char **paths, size_t npaths);

/* check.c: the headers, tables and links every later pass relies on. */
int check_structure(struct object *o);

/* classify.c */
int classify_relocs(struct dso *d);

/* heapshare.c */
int plan_heap_sharing(struct dso *d);

/* plan.c */
int plan_gates(struct dso *d);
/* Whether f is the program's main, which crt1's _start calls. */
bool is_program_entry(const struct func *f);
/* Whether plan_gates named f: it has a gate, a share-heap wrapper or both. */
bool is_planned(const struct func *f);
/* Where f's gate and the DSO's direct calls go: its wrapper, or its body. */
const char *entry_of(const struct func *f);
/* The widest register signature, for a function without DWARF. */
void conservative_signature(struct signature *s);

/* signatures for gated functions, from DWARF (plan.c) */
int read_signatures(struct dso *d);

/* copyarg.c */
int plan_arg_copies(struct dso *d);

/* share.c */
int plan_shared_data(struct dso *d);

/* heapcalls.c */
extern const char *const heap_functions[];
int plan_heap_calls(struct dso *d);

/* emit.c */
int emit_gates(struct dso *d, const char *asm_path);
/* The gate of f into compartment k (asm.h's out). */
struct out;
void emit_gate(struct out *out, const struct func *f, int k);
/* Gates for the functions of archive member `obj`, which carries them. */
bool member_has_gates(const struct dso *d, int obj);
int emit_member_gates(struct dso *d, int obj, const char *asm_path);
/* branches.c: __x86_indirect_thunk_REG for each register, which check
 * a branch that leaves the DSO's image (into gates.s). */
void emit_branch_thunks(struct out *out);
/* libia2's exported ones, which check every branch. */
void emit_runtime_branch_thunks(struct out *out);
/* The plain thunks that a link without a compartment gets. */
int write_plain_branch_thunks(const char *asm_path);
/* Assemble a gates file with the DSO's compiler (dso.cc). */
int assemble_gates(const struct dso *d, const char *asm_path, const char *obj_path);
/* libia2's return stubs, table and exit(); run at ia2's build time. */
int emit_runtime(const char *asm_path, bool emulate_pkru);

/* rewrite.c */
int rewrite_objects(struct dso *d);

/* postlink.c: run on the linked DSO: refuses copy relocations, makes
 * ld.so and libc run its init and fini arrays through its gates and
 * marks it finished (IA2_NOTE_FINISHED), binds its __tls_get_addr calls
 * to libia2's, and pads its TLS. */
int finish_dso(const char *path);
/* tlsbind.c: binds the linked DSO's __tls_get_addr calls to libia2's. */
int bind_tls_get_addr(const char *path);

/* explain.c: every gated function with its signature and every reference
 * to one with its binding and reason, as text or JSON. */
void explain_text(FILE *out, const struct dso *d);
void explain_json(FILE *out, const struct dso *d);

/* passes.c: the DSO that policy p (config.h) describes, its work files in
 * workdir, with emulated-PKRU gates if `emulate`, as every entry point
 * sets it up. */
void dso_for_policy(struct dso *d, const struct policy *p, const char *workdir, bool emulate);
/* Every pass above, in order, on the inputs of one DSO; the gates go to
 * gates_s. */
int run_passes(struct dso *d, char **paths, size_t npaths, const char *gates_s);
/* The path the linker should read in place of input `path`. */
const char *rewritten_path(struct dso *d, const char *path);

#endif
