#!/bin/sh
# usage: zlib.sh BIN WORK build|roundtrip safestack|copyarg
#
# A real project, untouched: Debian's zlib source (apt-get source zlib),
# built by its own configure and Makefile with CC=ia2-cc and a config
# file that puts libz.so in compartment 2 and minigzipsh (minigzip linked
# against libz.so) in compartment 1. minigzip hands zlib buffers and
# names on its stack, which compartment 2 cannot read, in two ways:
#   safestack  clang, with the shared stack (SafeStack, docs/runtime.md)
#   copyarg    gcc, with copy-arg rules that name the buffers, their
#              lengths and the strings (docs/usage.md, "Config file")
# BIN holds ia2-cc.
#   build      fetch (once), unpack, configure, make; check the
#              compartments in the notes
#   roundtrip  compress and decompress a file through a pipe and by name,
#              and check the result against the input and against gzip
set -u
bin=$1 work=$2 step=$3 variant=$4
. "$(dirname "$0")/../common/debsrc.sh"
tree=$work/$variant

case $step in
build)
	unpack_source zlib "$work/cache" "$tree"
	printf 'libz.so*    2\nminigzipsh  1\n' >"$work/$variant.conf"
	export CC="$bin/ia2-cc" IA2_CONFIG="$work/$variant.conf"
	case $variant in
	safestack)
		export IA2_CC=clang IA2_SHARED_STACK=1
		;;
	copyarg)
		export IA2_CC=gcc
		printf 'copy-arg libz.so* gzread(buf:len) gzwrite(buf:len) gzerror(errnum)\n' \
			>>"$work/$variant.conf"
		printf 'copy-arg libz.so* gzopen(path:string,mode:string) gzdopen(mode:string)\n' \
			>>"$work/$variant.conf"
		;;
	*)
		fail "unknown variant $variant"
		;;
	esac
	cd "$tree" || exit 1
	./configure >"$work/$variant.configure.log" 2>&1 ||
		fail "configure: $(tail -5 "$work/$variant.configure.log")"
	make -j2 libz.so.1.2.13 minigzipsh >"$work/$variant.make.log" 2>&1 ||
		fail "make: $(tail -5 "$work/$variant.make.log")"
	in_compartment minigzipsh 1
	main_gated minigzipsh
	in_compartment libz.so.1.2.13 2
	;;
roundtrip)
	mkdir -p "$work/$variant.run" && cd "$work/$variant.run" || exit 1
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
	echo "zlib ($variant): $(wc -c <input) bytes round-tripped, $(wc -c <input.gz) compressed"
	;;
*)
	fail "unknown step $step"
	;;
esac
