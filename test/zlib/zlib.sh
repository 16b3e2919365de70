#!/bin/sh
# usage: zlib.sh BIN WORK build|roundtrip|audit VARIANT
#
# A real project, untouched: Debian's zlib source (apt-get source zlib),
# built by its own configure and Makefile with CC=ia2-cc and a config
# file that puts libz.so in compartment 2 and minigzipsh (minigzip linked
# against libz.so) in compartment 1. minigzip hands zlib buffers and
# names on its stack, which compartment 2 cannot read. The variants:
#   safestack  clang, with the shared stack (SafeStack, docs/runtime.md)
#   copyarg    gcc, with copy-arg rules that name the buffers, their
#              lengths and the strings (docs/usage.md, "Config file")
#   base       gcc, with the two compartment lines alone, for audit mode
#   audited    gcc, with the config that the audit of base wrote
# BIN holds ia2-cc.
#   build      fetch (once), unpack, configure, make; check the
#              compartments in the notes
#   roundtrip  compress and decompress a file through a pipe and by name,
#              and check the result against the input and against gzip
#   audit      the same round trip of a small file with base's
#              minigzipsh under IA2_AUDIT, which writes audit.conf; check
#              its rules
set -u
bin=$1 work=$2 step=$3 variant=$4
. "$(dirname "$0")/../common/debsrc.sh"
tree=$work/$variant
[ "$step" = audit ] && tree=$work/base

# minigzipsh has no run path, so without LD_LIBRARY_PATH it would load
# the system's libz.so.1, outside every compartment (zlib's own `make
# test` sets it too); ld.so's trace proves which one it loads.
use_tree() {
	export LD_LIBRARY_PATH=$tree
	LD_DEBUG=libs "$tree/minigzipsh" </dev/null 2>&1 >/dev/null |
		grep -q "calling init: $tree/libz.so.1$" ||
		fail "minigzipsh does not load the libz.so.1 built here"
}

# round_trip FILE: through a pipe both ways, then by name both ways.
round_trip() {
	z=$tree/minigzipsh
	"$z" <"$1" >"$1.gz" || fail "compressing through a pipe"
	"$z" -d <"$1.gz" >output || fail "decompressing through a pipe"
	cmp -s "$1" output || fail "the pipe round trip changed the data"
	cp "$1" byname && rm -f byname.gz && "$z" byname && [ -f byname.gz ] && [ ! -e byname ] ||
		fail "compressing by name"
	"$z" -d byname.gz && cmp -s byname "$1" || fail "decompressing by name"
}

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
	base)
		export IA2_CC=gcc
		;;
	audited)
		export IA2_CC=gcc
		cp "$work/audit.conf" "$work/$variant.conf" || fail "no audit.conf: run the audit step"
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
	use_tree
	cat "$tree"/*.c "$tree"/*.h >input
	round_trip input
	gzip -dc input.gz | cmp -s - input || fail "gzip does not read minigzip's output"
	echo "zlib ($variant): $(wc -c <input) bytes round-tripped, $(wc -c <input.gz) compressed"
	;;
audit)
	mkdir -p "$work/audit.run" && cd "$work/audit.run" || exit 1
	use_tree
	head -c 3000 "$tree/zlib.h" >input
	cp "$work/base.conf" "$work/audit.conf"
	IA2_AUDIT=$work/audit.conf round_trip input 2>err
	for rule in 'gzread(buf:len)' 'gzwrite(buf:len)' 'gzopen(path:string,mode:string)' \
		    'gzdopen(mode:string)'; do
		grep -qxF "copy-arg libz.so.1.2.13 $rule" "$work/audit.conf" ||
			fail "audit.conf lacks copy-arg libz.so.1.2.13 $rule: $(grep -v '^#' "$work/audit.conf")"
	done
	grep -v '^#' "$work/audit.conf"
	;;
*)
	fail "unknown step $step"
	;;
esac
