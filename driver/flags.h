/* What ia2 adds to compiles and to compartment links, and where its
 * runtime and headers are: one definition for ia2-cc, ia2-objrewrite and
 * ia2-config, and through ia2-config the pkg-config file. */
#ifndef IA2_FLAGS_H
#define IA2_FLAGS_H

#include <stdbool.h>

/* What a compile gets, NULL-terminated: -g (gates need DWARF
 * signatures), -ffunction-sections (every reference to a static function
 * gets a relocation), -fdata-sections (a variable a share rule names can
 * move alone), -fPIC (no copy relocations), the real compiler's flag
 * for external indirect-branch thunks (docs/design.md, "Indirect
 * calls"), and with `shared_stack` IA2_SHARED_STACK_FLAG. */
const char *const *ia2_compile_flags(bool shared_stack);

/* What ia2-cc adds to a compile so that `#include <ia2.h>` needs no -I:
 * -idirafter with ia2_includedir(), searched after every directory the
 * user names, so a header of the program's own wins. */
const char *ia2_include_flag(void);

/* Code models that reach another DSO's variables directly, which the
 * linker satisfies with copy relocations into the executable, its
 * compartment (postlink.c refuses them). -fPIC code reaches them through
 * the GOT and works in every kind of executable, so compiles drop these. */
bool ia2_overrides_pic(const char *flag);

/* clang's SafeStack, for --ia2-shared-stack (docs/runtime.md). */
#define IA2_SHARED_STACK_FLAG "-fsanitize=safe-stack"

/* The directory holding libia2.so, and the one holding ia2.h: next to the
 * running tool when installed (PREFIX/bin -> PREFIX/lib, PREFIX/include),
 * else in the build tree. */
const char *ia2_libdir(void);
const char *ia2_includedir(void);
/* The linker plugin, ia2-plugin.so, found the same way. */
const char *ia2_plugin(void);

/* Where the headers are installed, relative to libia2.so's directory. */
extern const char *const ia2_lib_to_include;

/* The arguments a compartment link needs after its objects and gates.o,
 * NULL-terminated; `emulate` picks libia2-emulated.so. */
const char *const *ia2_link_flags(bool emulate);

#endif
