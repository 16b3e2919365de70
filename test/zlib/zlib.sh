#!/bin/sh
# usage: zlib.sh BIN WORK build | roundtrip
#
# A real project, untouched: Debian's zlib source (apt-get source zlib),
# built by its own configure and Makefile with CC=ia2-cc and a config
# file that puts libz.so in compartment 2 and minigzipsh (minigzip linked
# against libz.so) in compartment 1. minigzip hands zlib buffers and
# names on its stack, so the build uses the shared stack (clang's
# SafeStack, docs/runtime.md). BIN holds ia2-cc.
#   build      fetch (once), unpack, configure, make; check the
#              compartments in the notes
#   roundtrip  compress and decompress a file through a pipe and by name,
#              and check the result against the input and against gzip
set -u
bin=$1 work=$2 step=$3
. "$(dirname "$0")/../common/debsrc.sh"
tree=$work/zlib

case $step in
build)
	unpack_source zlib "$work/cache" "$tree"
	printf 'libz.so*    2\nminigzipsh  1\n' >"$work/ia2.conf"
	cd "$tree" || exit 1
	export CC="$bin/ia2-cc" IA2_CC=clang IA2_SHARED_STACK=1 IA2_CONFIG="$work/ia2.conf"
	./configure >"$work/configure.log" 2>&1 || fail "configure: $(tail -5 "$work/configure.log")"
	make -j2 libz.so.1.2.13 minigzipsh >"$work/make.log" 2>&1 || fail "make: $(tail -5 "$work/make.log")"
	in_compartment minigzipsh 1
	main_gated minigzipsh
	in_compartment libz.so.1.2.13 2
	;;
roundtrip)
	cd "$work" || exit 1
	z=$tree/minigzipsh
	# minigzipsh has no run path, so without this it would load the
	# system's libz.so.1, outside every compartment (zlib's own `make
	# test` sets it too); ld.so's trace proves which one it loads.
	export LD_LIBRARY_PATH=$tree
	LD_DEBUG=libs "$z" </dev/null 2>&1 >/dev/null | grep -q "calling init: $tree/libz.so.1$" ||
		fail "minigzipsh does not load the libz.so.1 built here"
	cat "$tree"/*.c "$tree"/*.h >input
	"$z" <input >input.gz || fail "compressing through a pipe"
	"$z" -d <input.gz >output || fail "decompressing through a pipe"
	cmp -s input output || fail "the pipe round trip changed the data"
	gzip -dc input.gz | cmp -s - input || fail "gzip does not read minigzip's output"
	cp input byname && rm -f byname.gz && "$z" byname && [ -f byname.gz ] && [ ! -e byname ] ||
		fail "compressing by name"
	"$z" -d byname.gz && cmp -s byname input || fail "decompressing by name"
	echo "zlib: $(wc -c <input) bytes round-tripped, $(wc -c <input.gz) compressed"
	;;
*)
	fail "unknown step $step"
	;;
esac
