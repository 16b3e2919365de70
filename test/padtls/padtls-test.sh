#!/bin/sh
# padtls-test.sh PADTLS IA2CC TLSCHECK SRCDIR WORKDIR CASE [LINKER]
#
#   linker LD    fix.c linked by plain cc with -fuse-ld=LD: with a TLS
#                image that is not page-aligned, padtls refuses it, saying
#                why; with pad.s linked last, or with a variable aligned to
#                8192, it pads copies that --check accepts (and ld.bfd's
#                unpadded original it rejects), whose TLS fills whole pages
#                in two threads, placed at startup and by dlopen (tlscheck)
#   libstdcxx    the same for a copy of libstdc++.so.6 (TLS image empty)
#   libc         libc.so.6's TLS image is not page-aligned: refused, saying so
#   exe          an executable whose TLS alignment is below a page: refused
#   ia2cc LD     ia2-cc's output with -fuse-ld=LD is already padded
set -u
padtls=$1 ia2cc=$2 tlscheck=$3 src=$4 work=$5 case=$6 ld=${7-}
fail() { echo "FAIL: $*"; exit 1; }

rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

# Pads a copy of $1 as padded/$2 and checks it with --check.
pad_copy() {
	mkdir -p padded && cp "$1" "padded/$2" || exit 1
	"$padtls" "padded/$2" || fail "padtls failed on a copy of $1"
	"$padtls" --check "padded/$2" || fail "--check rejected the padded $2"
	readelf -lW "padded/$2" | grep TLS
}

# The TLS of padded/$1 fills whole pages, placed at startup and by dlopen.
check_blocks() {
	LD_PRELOAD=$PWD/padded/$1 "$tlscheck" static "$PWD/padded/$1" ||
		fail "padded $1: TLS placed at startup"
	"$tlscheck" dynamic "$PWD/padded/$1" || fail "padded $1: TLS placed by dlopen"
}

case $case in
linker)
	cc -O2 -fPIC -shared -fuse-ld="$ld" "$src/fix.c" -o libplain.so || fail "link with $ld"
	cc -O2 -fPIC -shared -fuse-ld="$ld" "$src/fix.c" "$src/pad.s" -o libfix.so ||
		fail "link with $ld"
	cc -O2 -fPIC -shared -fuse-ld="$ld" -DALIGNED "$src/fix.c" -o libaligned.so ||
		fail "link with $ld"
	out=$("$padtls" libplain.so 2>&1) && fail "padtls accepted a TLS image off a page"
	echo "$out" | grep -q "libplain.so: its TLS initialization image at .* is not page-aligned" ||
		fail "unclear message: $out"
	if [ "$ld" = bfd ]; then   # the others fill the last page themselves
		"$padtls" --check libaligned.so >/dev/null && fail "--check accepted an unpadded file"
	fi
	pad_copy libfix.so libfix.so
	pad_copy libaligned.so libaligned.so
	check_blocks libfix.so
	check_blocks libaligned.so
	;;
libstdcxx)
	cc -O2 -fPIC -shared "$src/fix.c" "$src/pad.s" -o libfix.so || fail "link"
	pad_copy libfix.so libfix.so
	pad_copy "$(readlink -f "$(cc -print-file-name=libstdc++.so.6)")" libstdc++.so.6
	LD_PRELOAD="$PWD/padded/libstdc++.so.6 $PWD/padded/libfix.so" \
		"$tlscheck" static "$PWD/padded/libfix.so" libstdc++.so.6 ||
		fail "padded libstdc++: TLS placed at startup"
	;;
libc)
	cp "$(readlink -f "$(cc -print-file-name=libc.so.6)")" libc.so.6 || exit 1
	out=$("$padtls" libc.so.6 2>&1) && fail "padtls accepted libc.so.6"
	echo "$out" | grep -q "libc.so.6: its TLS initialization image at .* is not page-aligned" ||
		fail "unclear message: $out"
	;;
exe)
	printf '__thread int x = 1;\nint main(void) { return x - 1; }\n' >exe.c
	cc -O2 exe.c -o exe || exit 1
	out=$("$padtls" exe 2>&1) && fail "padtls accepted an executable with small TLS alignment"
	echo "$out" | grep -q "exe: its TLS is aligned to 4 bytes" || fail "unclear message: $out"
	./exe || fail "the refused executable was changed"
	;;
ia2cc)
	printf '__thread int x = 1;\nint get(void) { return x; }\n' >t.c
	"$ia2cc" -O2 -shared -fuse-ld="$ld" t.c -o libt.so --ia2-compartment=2 || fail "ia2-cc"
	printf '__thread int y = 1;\nint get(void);\nint main(void) { return y + get() - 2; }\n' >m.c
	"$ia2cc" -O2 -fuse-ld="$ld" m.c -o m -L. -lt --ia2-compartment=1 || fail "ia2-cc exe"
	"$padtls" --check libt.so m || fail "ia2-cc with $ld left TLS unpadded"
	;;
*)
	fail "unknown case $case"
	;;
esac
