#!/bin/sh
# usage: route.sh BIN SRC WORK CASE
#
# The ia2-objrewrite route: objects compiled by plain cc with
# `ia2-config --cflags`, rewritten by ia2-objrewrite, linked by plain cc
# with `ia2-config --ldflags` and finished with `ia2-objrewrite --finish`.
# BIN holds ia2-objrewrite and ia2-config, SRC is test/, WORK a scratch
# directory. Cases:
#   abi         build test/abi's program, the library from an archive
#   isolation   build test/isolation's program (its config shares two
#               variables), for isolation.* cases to run
#   unfinished  build test/abi's program without --finish
#   explain     --explain and --explain=json describe gates and references
#   errors      malformed inputs get a message naming them
set -u
bin=$1 src=$2 work=$3 case=$4
rw=$bin/ia2-objrewrite
cflags=$("$bin/ia2-config" --cflags)
ldflags=$("$bin/ia2-config" --ldflags)
fail() { echo "FAIL: $*" >&2; exit 1; }

rm -rf "$work" && mkdir -p "$work" && cd "$work" || exit 1

build_abi() {   # $1: finish or not
	cc -O2 $cflags -c "$src/abi/lib.c" -o lib.o &&
	cc -O2 $cflags -c "$src/abi/main.c" -o main.o &&
	ar rcs libabi.a lib.o || fail "compiling"
	"$rw" --compartment=2 -o rw2 libabi.a || fail "ia2-objrewrite on libabi.a"
	[ -f rw2/libabi.a ] && [ -f rw2/gates.o ] || fail "no rw2/libabi.a or rw2/gates.o"
	cc -shared -Wl,--whole-archive rw2/libabi.a -Wl,--no-whole-archive rw2/gates.o \
		-o libabi.so $ldflags || fail "linking libabi.so"
	"$rw" --compartment=1 -o rw1 main.o || fail "ia2-objrewrite on main.o"
	cc rw1/main.o rw1/gates.o -o abi -L. -labi -Wl,-rpath,"$work" $ldflags ||
		fail "linking abi"
	if [ "$1" = finish ]; then
		"$rw" --finish libabi.so abi || fail "ia2-objrewrite --finish"
	fi
}

case $case in
abi)
	build_abi finish
	;;
unfinished)
	build_abi no
	;;
isolation)
	conf=$src/isolation/ia2.conf
	cc -O2 $cflags -c "$src/isolation/iso_lib.c" -o iso_lib.o &&
	cc -O2 $cflags -c "$src/isolation/iso_main.c" -o iso_main.o || fail "compiling"
	"$rw" --compartment=2 --config="$conf" --output=libiso.so -o rw2 iso_lib.o || fail "rewriting iso_lib.o"
	cc -shared rw2/iso_lib.o rw2/gates.o -o libiso.so $ldflags || fail "linking libiso.so"
	"$rw" --compartment=1 -o rw1 iso_main.o || fail "rewriting iso_main.o"
	cc rw1/iso_main.o rw1/gates.o -o iso -L. -liso -Wl,-rpath,"$work" $ldflags ||
		fail "linking iso"
	"$rw" --finish libiso.so iso || fail "ia2-objrewrite --finish"
	;;
explain)
	cc -O2 $cflags -c "$src/abi/lib.c" -o lib.o || fail "compiling"
	"$rw" --compartment=2 -o rw --explain lib.o >text || fail "--explain"
	grep -q '^gate lib_args1 for lib_args1 (__ia2_body_lib_args1) in lib.o: exported, address taken$' text ||
		fail "--explain does not list lib_args1's gate and why: $(cat text)"
	grep -q '^    signature: 6 integer and 0 vector argument registers, 48 bytes on the stack; returns in registers (1 integer, 0 vector)$' text ||
		fail "--explain does not give lib_args12's signature"
	grep -q '^reference lib.o .* lib_args1 (address in code) -> lib_args1: address taken in code: the gate$' text ||
		fail "--explain does not give the reference to lib_args1"
	"$rw" --compartment=2 -o rw --explain=json lib.o >json || fail "--explain=json"
	python3 - json <<'PY' || fail "--explain=json"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["compartment"] == 2, d["compartment"]
f = {x["name"]: x for x in d["functions"]}
assert f["lib_args1"]["exported"] and f["lib_args1"]["address_taken"], f["lib_args1"]
assert f["lib_args12"]["signature"]["stack_bytes"] == 48, f["lib_args12"]
refs = [r for r in d["references"] if r["symbol"] == "lib_args1"]
assert refs and refs[0]["target"] == "lib_args1" and refs[0]["kind"] == "address in code", refs
PY
	;;
errors)
	printf 'not an object\n' >junk.o
	out=$("$rw" --compartment=2 -o rw junk.o 2>&1) && fail "junk.o accepted"
	echo "$out" | grep -q 'junk.o: not an ELF' || fail "junk.o: $out"
	cc -O2 -g -fPIC -flto -c "$src/abi/lib.c" -o lto.o || fail "compiling with -flto"
	out=$("$rw" --compartment=2 -o rw lto.o 2>&1) && fail "LTO object accepted"
	echo "$out" | grep -q 'lto.o: contains LTO bitcode.*without -flto' || fail "lto.o: $out"
	cc -O2 $cflags -c "$src/abi/lib.c" -o lib.o && head -c 3000 lib.o >cut.o || fail "compiling"
	out=$("$rw" --compartment=2 -o rw cut.o 2>&1) && fail "truncated object accepted"
	echo "$out" | grep -q 'cut.o: ' || fail "cut.o: $out"
	out=$("$rw" --compartment=15 -o rw lib.o 2>&1) && fail "compartment 15 accepted"
	echo "$out" | grep -q 'expected a compartment number 1..14' || fail "compartment 15: $out"
	out=$("$rw" -o rw lib.o 2>&1) && fail "no compartment accepted"
	echo "$out" | grep -q 'give the objects a compartment' || fail "no compartment: $out"
	;;
*)
	fail "unknown case $case"
	;;
esac
