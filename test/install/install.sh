#!/bin/sh
# usage: install.sh BUILD SRC WORK
#
# Installs ia2 from BUILD into WORK/prefix with `cmake --install` and
# builds test/abi's two-compartment program with the installed copy only,
# three ways: the installed ia2-cc; a CMake project with find_package(IA2)
# and ia2_compartment (proj/); and plain cc with the pkg-config file and
# the installed ia2-objrewrite. Each program must find libia2 in the
# prefix, not in BUILD; install.* tests run them under PKU.
set -u
build=$1 src=$2 work=$3
prefix=$work/prefix
fail() { echo "FAIL: $*" >&2; exit 1; }

rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1
cmake --install "$build" --prefix "$prefix" >/dev/null || fail "cmake --install"
for f in bin/ia2-cc bin/ia2-objrewrite bin/ia2-config bin/padtls lib/libia2.so lib/ia2-plugin.so \
	 lib/libia2-emulated.so include/ia2.h lib/pkgconfig/ia2.pc lib/cmake/IA2/IA2Config.cmake; do
	[ -e "$prefix/$f" ] || fail "the prefix lacks $f"
done
uses_prefix() {   # $1: a linked file; libia2 must come from the prefix
	runpath=$(readelf -d "$1" | sed -n 's/.*Library runpath: \[\(.*\)\]/\1/p')
	case ":$runpath:" in
	*":$prefix/lib:"*) ;;
	*) fail "$1 does not look for libia2 in $prefix/lib (RUNPATH $runpath)" ;;
	esac
	case ":$runpath:" in
	*":$build/libia2:"*) fail "$1 looks for libia2 in the build tree (RUNPATH $runpath)" ;;
	esac
}

# 1. The installed ia2-cc.
mkdir cc && cd cc || exit 1
"$prefix/bin/ia2-cc" -O2 -c "$src/abi/lib.c" -o lib.o &&
"$prefix/bin/ia2-cc" -shared lib.o -o libabi.so --ia2-compartment=2 &&
"$prefix/bin/ia2-cc" -O2 -c "$src/abi/main.c" -o main.o &&
"$prefix/bin/ia2-cc" main.o -o abi -L. -labi -Wl,-rpath,"$PWD" --ia2-compartment=1 ||
	fail "building with the installed ia2-cc"
uses_prefix abi
uses_prefix libabi.so
cd ..

# 2. find_package(IA2).
cmake -S "$src/install/proj" -B proj -DCMAKE_PREFIX_PATH="$prefix" -DABI_SRC="$src/abi" \
	>proj.log 2>&1 || fail "configuring proj: $(cat proj.log)"
cmake --build proj >>proj.log 2>&1 || fail "building proj: $(cat proj.log)"
readelf -n proj/abi_main | grep -A1 IA2 | grep -q 'description data: 01 00 00 00' ||
	fail "proj/abi_main is not in compartment 1"
readelf -n proj/libabi.so | grep -A1 IA2 | grep -q 'description data: 02 00 00 00' ||
	fail "proj/libabi.so is not in compartment 2"
uses_prefix proj/abi_main
[ "$("$prefix/bin/ia2-config" --plugin)" = "$prefix/lib/ia2-plugin.so" ] ||
	fail "ia2-config --plugin does not name the installed plugin"

# 3. pkg-config and the installed ia2-objrewrite.
mkdir pc && cd pc || exit 1
export PKG_CONFIG_PATH="$prefix/lib/pkgconfig"
cflags=$(pkg-config --cflags ia2) && libs=$(pkg-config --libs ia2) || fail "pkg-config ia2"
cc -O2 $cflags -c "$src/abi/lib.c" -o lib.o && cc -O2 $cflags -c "$src/abi/main.c" -o main.o &&
"$prefix/bin/ia2-objrewrite" --compartment=2 -o rw2 lib.o &&
"$prefix/bin/ia2-objrewrite" --compartment=1 -o rw1 main.o &&
cc -shared rw2/lib.o rw2/gates.o -o libabi.so $libs &&
cc rw1/main.o rw1/gates.o -o abi -L. -labi -Wl,-rpath,"$PWD" $libs &&
"$prefix/bin/ia2-objrewrite" --finish libabi.so abi || fail "building with pkg-config"
