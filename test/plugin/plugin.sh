#!/bin/sh
# usage: plugin.sh BIN PLUGIN SRC ABI_BUILD WORK CASE
#
# The linker-plugin route: objects compiled by plain cc with
# `ia2-config --cflags`, linked by plain cc with -Wl,-plugin,PLUGIN and
# `ia2-config --ldflags`. BIN holds ia2-config, SRC is test/, ABI_BUILD
# test/abi's build directory (the ia2-cc builds to compare with).
#   abi-bfd, abi-gold  test/abi's program, the library from an archive;
#                      its gates must be those of the ia2-cc build
#   isolation          test/isolation's program with its share config
#   upstream           test/upstream's two-compartment program, whose
#                      sources declare their compartments: no option
#                      names one; an undeclared object linked before the
#                      declaring one is refused
#   lld                lld rejects the plugin's options: the link fails
#   mold               mold never loads the plugin: the link succeeds and
#                      plugin.mold.run expects libia2 to refuse the program
set -u
bin=$1 plugin=$2 src=$3 abi_build=$4 work=$5 case=$6
cflags=$("$bin/ia2-config" --cflags)
ldflags=$("$bin/ia2-config" --ldflags)
fail() { echo "FAIL: $*" >&2; exit 1; }
plug() { echo "-Wl,-plugin,$plugin -Wl,-plugin-opt=$1"; }

rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

build_abi() {   # $1: linker
	cc -O2 $cflags -c "$src/abi/lib.c" -o lib.o && cc -O2 $cflags -c "$src/abi/main.c" -o main.o &&
	ar rcs libabi.a lib.o || fail "compiling"
	cc -fuse-ld="$1" -shared -Wl,--whole-archive libabi.a -Wl,--no-whole-archive -o libabi.so \
		$(plug ia2-compartment=2) $ldflags || fail "linking libabi.so with $1 and the plugin"
	cc -fuse-ld="$1" main.o -o abi -L. -labi -Wl,-rpath,"$work" $(plug ia2-compartment=1) $ldflags ||
		fail "linking abi with $1 and the plugin"
}

# The gates and bodies a DSO defines, by name.
ia2_symbols() { nm --defined-only "$1" | awk '$3 ~ /^__ia2_(gate|body)_/ {print $3}' | sort; }

same_gates() {   # $1: plugin build, $2: ia2-cc build
	ia2_symbols "$1" >plugin.syms && ia2_symbols "$2" >ia2cc.syms || fail "nm"
	[ -s plugin.syms ] || fail "$1 has no gates"
	cmp -s plugin.syms ia2cc.syms || fail "$1 and $2 have different gates: $(diff plugin.syms ia2cc.syms)"
}

case $case in
abi-bfd | abi-gold)
	linker=${case#abi-}
	build_abi "$linker"
	same_gates libabi.so "$abi_build/libabi_gcc_$linker.so"
	same_gates abi "$abi_build/abi_gcc_$linker"
	;;
isolation)
	cc -O2 $cflags -c "$src/isolation/iso_lib.c" -o iso_lib.o &&
	cc -O2 $cflags -c "$src/isolation/iso_main.c" -o iso_main.o || fail "compiling"
	cc -shared iso_lib.o -o libiso.so $(plug ia2-compartment=2) \
		-Wl,-plugin-opt=ia2-config="$src/isolation/ia2.conf" $ldflags || fail "linking libiso.so"
	cc iso_main.o -o iso -L. -liso -Wl,-rpath,"$work" $(plug ia2-compartment=1) $ldflags ||
		fail "linking iso"
	;;
upstream)
	cc -O2 $cflags -c "$src/upstream/two_lib.c" -o two_lib.o &&
	cc -O2 $cflags -c "$src/upstream/two_main.c" -o two_main.o &&
	echo 'int undeclared(void) { return 1; }' >undeclared.c &&
	cc -O2 -fPIC -c undeclared.c -o undeclared.o || fail "compiling"
	cc -shared two_lib.o -o libupstream_two.so -Wl,-plugin,"$plugin" $ldflags ||
		fail "linking libupstream_two.so"
	cc two_main.o -o two -L. -lupstream_two -lpthread -Wl,-rpath,"$work" -Wl,-plugin,"$plugin" \
		$ldflags || fail "linking two"
	readelf -n libupstream_two.so | grep -A1 IA2 | grep -q 'description data: 02 00 00 00' ||
		fail "libupstream_two.so is not in compartment 2, which two_lib.c declares"
	readelf -n two | grep -A1 IA2 | grep -q 'description data: 01 00 00 00' ||
		fail "two is not in compartment 1, which two_main.c declares"
	out=$(cc -shared undeclared.o two_lib.o -o late.so -Wl,-plugin,"$plugin" $ldflags 2>&1) &&
		fail "an undeclared object before the declaring one linked"
	echo "$out" | grep -qF "two_lib.o declares compartment 2 (IA2_COMPARTMENT), but undeclared.o came before it" ||
		fail "the refusal said: $out"
	[ ! -e late.so ] || fail "the refused link left late.so"
	;;
lld)
	cc -O2 $cflags -c "$src/abi/main.c" -o main.o || fail "compiling"
	out=$(cc -fuse-ld=lld main.o -o abi $(plug ia2-compartment=1) $ldflags 2>&1) &&
		fail "lld linked with the plugin's options"
	echo "$out" | grep -q "unknown plugin option 'ia2-compartment=1'" || fail "lld said: $out"
	;;
mold)
	cc -O2 $cflags -c "$src/abi/lib.c" -o lib.o && cc -O2 $cflags -c "$src/abi/main.c" -o main.o ||
		fail "compiling"
	cc -fuse-ld=mold -shared lib.o -o libabi.so $(plug ia2-compartment=2) $ldflags &&
	cc -fuse-ld=mold main.o -o abi -L. -labi -Wl,-rpath,"$work" $(plug ia2-compartment=1) $ldflags ||
		fail "mold failed to link"
	;;
*)
	fail "unknown case $case"
	;;
esac
