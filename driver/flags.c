#include "flags.h"

#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

#if !defined(IA2_BUILD_LIBDIR) || !defined(IA2_BUILD_PLUGIN) || !defined(IA2_BUILD_INCLUDEDIR) || !defined(IA2_BIN_TO_LIB) || \
	!defined(IA2_BIN_TO_INCLUDE) || !defined(IA2_LIB_TO_INCLUDE)
#error "CMake defines where libia2 and its headers are (driver/CMakeLists.txt)"
#endif

const char *const ia2_lib_to_include = IA2_LIB_TO_INCLUDE;

/* Whether the real compiler is clang, by the name of the file that
 * runs: clang spells the indirect-branch thunk flag its own way. */
static bool compiler_is_clang(void)
{
	const char *cc = real_compiler(), *path = getenv("PATH");
	char *real = NULL;

	if (strchr(cc, '/'))
		real = realpath(cc, NULL);
	while (!real && path && *path) {
		size_t n = strcspn(path, ":");
		char *try = format("%.*s/%s", (int)n, path, cc);
		real = realpath(try, NULL);
		free(try);
		path += n + (path[n] == ':');
	}
	bool clang = strstr(real ? real : cc, "clang") != NULL;
	free(real);
	return clang;
}

const char *const *ia2_compile_flags(bool shared_stack)
{
	static const char *flags[8];
	int n = 0;

	flags[n++] = "-g";
	flags[n++] = "-ffunction-sections";
	flags[n++] = "-fdata-sections";
	flags[n++] = "-fPIC";
	/* Both compilers call __x86_indirect_thunk_REG for each indirect
	 * branch, which the link defines (objrewrite/branches.c). */
	flags[n++] = shared_stack || compiler_is_clang() ? "-mretpoline-external-thunk"
							 : "-mindirect-branch=thunk-extern";
	if (shared_stack)
		flags[n++] = IA2_SHARED_STACK_FLAG;
	flags[n] = NULL;
	return flags;
}

bool ia2_overrides_pic(const char *a)
{
	static const char *const flags[] = {"-fPIE", "-fpie", "-fno-pic", "-fno-PIC", "-fno-pie",
					    "-fno-PIE", NULL};

	for (int i = 0; flags[i]; i++)
		if (!strcmp(a, flags[i]))
			return true;
	return false;
}

/* DIR/rel, where DIR holds the running executable, if DIR/rel/probe
 * exists: the installed layout. */
static char *installed_dir(const char *rel, const char *probe)
{
	char exe[PATH_MAX], *dir, *path, *real;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

	if (n <= 0)
		return NULL;
	exe[n] = '\0';
	dir = dirname(exe);
	path = format("%s/%s/%s", dir, rel, probe);
	if (access(path, F_OK)) {
		free(path);
		return NULL;
	}
	free(path);
	path = format("%s/%s", dir, rel);
	real = realpath(path, NULL);
	free(path);
	return real;
}

const char *ia2_libdir(void)
{
	static const char *dir;

	if (!dir)
		dir = installed_dir(IA2_BIN_TO_LIB, "libia2.so");
	if (!dir)
		dir = IA2_BUILD_LIBDIR;
	return dir;
}

const char *ia2_plugin(void)
{
	static const char *path;
	char *dir;

	if (!path && (dir = installed_dir(IA2_BIN_TO_LIB, "ia2-plugin.so")))
		path = format("%s/ia2-plugin.so", dir);
	if (!path)
		path = IA2_BUILD_PLUGIN;
	return path;
}

const char *ia2_includedir(void)
{
	static const char *dir;

	if (!dir)
		dir = installed_dir(IA2_BIN_TO_INCLUDE, "ia2.h");
	if (!dir)
		dir = IA2_BUILD_INCLUDEDIR;
	return dir;
}

const char *ia2_include_flag(void)
{
	static const char *flag;

	if (!flag)
		flag = format("-idirafter%s", ia2_includedir());
	return flag;
}

/* libia2 comes before libc in the lookup scope, so that its malloc,
 * pthread_create and sigaction are the ones programs call; -z now: no
 * lazy binding, so ld.so's resolver never runs inside a compartment;
 * -z relro: the GOT the gates read is read-only before main
 * (shared/DESIGN.md section 3). */
const char *const *ia2_link_flags(bool emulate)
{
	static const char *flags[2][6];
	const char **f = flags[emulate];

	if (!f[0]) {
		f[0] = format("-L%s", ia2_libdir());
		f[1] = format("-Wl,-rpath,%s", ia2_libdir());
		f[2] = emulate ? "-Wl,--push-state,--no-as-needed,-lia2-emulated,--pop-state"
			       : "-Wl,--push-state,--no-as-needed,-lia2,--pop-state";
		f[3] = "-Wl,-z,now";
		f[4] = "-Wl,-z,relro";
	}
	return f;
}
