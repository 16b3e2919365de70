#!/bin/sh
# driver-test.sh IA2_CC_PATH WORKDIR CASE: checks of ia2-cc's behaviour that
# need no PKU (the programs are run by separate PKU tests). Each case exits
# non-zero with a message when what it checks does not hold.
set -u
ia2cc=$1 work=$2 case=$3
src=$(cd "$(dirname "$0")" && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }

mkdir -p "$work" && cd "$work" || exit 1
printf 'int f(int x) { return x + 1; }\nstatic int s(int x) { return x; }\nint (*g(void))(int) { return s; }\n' >t.c
printf 'int main(void) { return 0; }\n' >m.c
# Calls through a pointer: with ia2's compile flags, through a thunk.
printf 'static int twice(int x) { return 2 * x; }\nint call(int (*p)(int), int v) { return p(v) + 1; }\nint main(void) { int (*volatile q)(int) = twice; return call(q, 3) != 7; }\n' >p.c

case $case in
compile-flags)
	# Gates need DWARF, every static reference needs a relocation, and
	# copy relocations must not happen: -g -ffunction-sections -fPIC.
	"$ia2cc" -O2 -c t.c -o t.o || fail "compile"
	readelf -S t.o | grep -q '\.debug_info' || fail "no .debug_info: -g missing"
	readelf -S t.o | grep -q '\.text\.f' || fail "no .text.f: -ffunction-sections missing"
	"$ia2cc" -O2 -c p.c -o p.o || fail "compile p.c"
	readelf -rW p.o | grep -q '__x86_indirect_thunk_' ||
		fail "a call through a pointer is not a thunk's: -mindirect-branch=thunk-extern missing"
	;;
passthrough)
	# No compartment: the link must be exactly cc's (configure probes).
	"$ia2cc" -O2 m.c -o plain || fail "link"
	readelf -n plain | grep -q IA2 && fail "a link without compartment got an ia2 note"
	readelf -d plain | grep -q libia2 && fail "a link without compartment got libia2"
	./plain || fail "plain program"
	# Code that calls through a pointer links with plain thunks, and runs.
	"$ia2cc" -O2 p.c -o probe || fail "link of code that calls through a pointer"
	readelf -d probe | grep -q libia2 && fail "probe got libia2"
	./probe || fail "probe: the call through a pointer went wrong"
	;;
compartment-note)
	"$ia2cc" -shared t.c -o libt.so --ia2-compartment=7 || fail "link"
	readelf -n libt.so | grep -A1 IA2 | grep -q 'description data: 07 00 00 00' ||
		fail "libt.so: .note.ia2 does not say compartment 7"
	# Path rules travel in ia2_loads, for libia2's dlopen (loads.c).
	printf 'libt.so 7\n/opt/app/plugins/*.so 3\n' >paths.conf
	IA2_CONFIG=$PWD/paths.conf "$ia2cc" -shared t.c -o libt.so --ia2-loadable=4:/srv/x.so ||
		fail "link with path rules"
	readelf -x ia2_loads libt.so | grep -q ' 032f6f70 ' ||
		fail "ia2_loads lacks the config's path rule for compartment 3: $(readelf -x ia2_loads libt.so)"
	readelf -p ia2_loads libt.so | grep -qF '/opt/app/plugins/*.so' ||
		fail "ia2_loads lacks /opt/app/plugins/*.so"
	readelf -p ia2_loads libt.so | grep -qF '/srv/x.so' || fail "ia2_loads lacks /srv/x.so"
	readelf -d libt.so | grep -q 'NEEDED.*libia2' || fail "libt.so does not need libia2"
	readelf -d libt.so | grep -q 'BIND_NOW\|FLAGS.*NOW' || fail "libt.so not linked -z now"
	nm -D libt.so | grep -q ' T f$' || fail "f is not exported (as its gate)"
	;;
tls-binding)
	# A compartment DSO's __tls_get_addr calls go to libia2's
	# (objrewrite/tlsbind.c); TLS descriptors bypass it, with a warning.
	printf '__thread int v = 3;\nint get(void) { return v; }\n' >tls.c
	"$ia2cc" -shared tls.c -o libtls.so --ia2-compartment=2 || fail "link"
	relocs=$(readelf -rW libtls.so)
	echo "$relocs" | grep -q 'JUMP_SLOT.* __ia2_tls_get_addr' ||
		fail "libtls.so: no PLT relocation against __ia2_tls_get_addr: $relocs"
	echo "$relocs" | grep -q ' __tls_get_addr' && fail "libtls.so still calls __tls_get_addr"
	out=$("$ia2cc" -shared -mtls-dialect=gnu2 tls.c -o libdesc.so --ia2-compartment=2 2>&1) ||
		fail "link with TLS descriptors: $out"
	echo "$out" | grep -q 'libdesc.so: 1 TLS descriptor relocations (-mtls-dialect=gnu2)' ||
		fail "no warning for TLS descriptors: $out"
	;;
bad-compartment)
	# Pkey 15 is the runtime's: 15 is no compartment.
	out=$("$ia2cc" -shared t.c -o libt.so --ia2-compartment=15 2>&1) && fail "compartment 15 accepted"
	echo "$out" | grep -q -- '--ia2-compartment=15: expected a compartment number 1\.\.14' ||
		fail "unclear message: $out"
	out=$("$ia2cc" -shared t.c -o libt.so --ia2-compartment=2 --ia2-loadable=3,x 2>&1) &&
		fail "--ia2-loadable=3,x accepted"
	echo "$out" | grep -q -- "--ia2-loadable: 'x': expected N or N:/PATH-GLOB with N in 1..14" ||
		fail "unclear message: $out"
	out=$("$ia2cc" -shared t.c -o libt.so --ia2-compartment=2 --ia2-loadable=3:plug.so 2>&1) &&
		fail "--ia2-loadable=3:plug.so accepted"
	echo "$out" | grep -q -- "--ia2-loadable: '3:plug.so': expected N or N:/PATH-GLOB" ||
		fail "unclear message: $out"
	;;
unknown-option)
	out=$("$ia2cc" -shared t.c -o libt.so --ia2-compartmnet=2 2>&1) && fail "typo accepted"
	echo "$out" | grep -q 'unknown option --ia2-compartmnet' || fail "unclear message: $out"
	;;
config-error)
	# config_rejected NAME CONTENT PHRASE: linking with config NAME,
	# holding CONTENT, fails with a message that contains PHRASE.
	config_rejected() {
		printf "$2" >"$1"
		out=$(IA2_CONFIG=$1 "$ia2cc" -shared t.c -o libt.so 2>&1) && fail "$1 accepted"
		echo "$out" | grep -qF -e "$3" || fail "the message for $1 lacks '$3': $out"
	}
	config_rejected bad.conf '# comment\nlibt.so 2\nlibx.so two\n' 'bad.conf:3:'
	config_rejected badshare.conf 'libt.so 2\n\nshare libt.so\n' \
		"badshare.conf:3: expected 'share GLOB VARIABLE"
	config_rejected nosym.conf 'libt.so 2\nshare libt.* no_such_variable\n' \
		'nosym.conf:2: no object of this link defines a variable no_such_variable'
	config_rejected badheap.conf 'libt.so 2\nshare-heap libt.so\n' \
		"badheap.conf:2: expected 'share-heap GLOB FUNCTION"
	config_rejected nofunc.conf 'libt.so 2\nshare-heap libt.* no_such_function\n' \
		'nofunc.conf:2: no object of this link defines a function no_such_function'
	config_rejected relpath.conf 'libt.so 2\nplugins/*.so 2\n' \
		"relpath.conf:2: a path rule's GLOB must be an absolute path"
	config_rejected badcalls.conf 'libt.so 2\nsyscalls 2 allow socket\n' \
		"badcalls.conf:2: expected 'syscalls COMPARTMENT deny SYSCALL...'"
	config_rejected nocall.conf 'libt.so 2\nsyscalls 2 deny sokcet\n' \
		"nocall.conf:2: 'sokcet' is no x86-64 syscall"
	config_rejected needed.conf 'libt.so 2\nsyscalls 2 deny exit_group\n' \
		"needed.conf:2: every compartment needs exit_group"
	out=$(IA2_CONFIG=missing.conf "$ia2cc" -shared t.c -o libt.so 2>&1) && fail "missing config accepted"
	echo "$out" | grep -q 'missing.conf' || fail "message does not name missing.conf: $out"
	;;
config-make)
	# A make project built with CC=ia2-cc and a config file, untouched.
	rm -rf proj && cp -r "$src/proj" proj && cd proj || exit 1
	make -s CC="$ia2cc" IA2_CONFIG="$PWD/ia2.conf" || fail "make"
	readelf -n counter | grep -A1 IA2 | grep -q 'description data: 01 00 00 00' ||
		fail "counter is not in compartment 1"
	readelf -n libcount.so | grep -A1 IA2 | grep -q 'description data: 02 00 00 00' ||
		fail "libcount.so is not in compartment 2"
	;;
declared)
	# A source may declare its DSO's compartment as upstream IA2's do
	# (ia2_compartment_init.inc); ia2-cc finds ia2.h by itself.
	note() { readelf -n "$1" | grep -A1 IA2 | grep -q "description data: $2 00 00 00"; }
	printf '#include <ia2.h>\n#define IA2_COMPARTMENT 5\n#include <ia2_compartment_init.inc>\nint v IA2_SHARED_DATA = 1;\nint f(void) { return v; }\n' >d5.c
	printf '#define IA2_COMPARTMENT 6\n#include <ia2_compartment_init.inc>\nint g(void) { return 6; }\n' >d6.c
	"$ia2cc" -c d5.c -o d5.o || fail "compile d5.c"
	"$ia2cc" -shared d5.o -o libd5.so || fail "link d5.o"
	note libd5.so 05 || fail "libd5.so: .note.ia2 does not say compartment 5: $(readelf -n libd5.so)"
	readelf -S libd5.so | grep -q ' ia2_shared ' || fail "IA2_SHARED_DATA did not become ia2_shared"
	readelf -S libd5.so | grep -q 'ia2_shared_data' && fail "ia2_shared_data is still there"
	"$ia2cc" -shared d5.c -o libd5src.so || fail "link d5.c in one step"
	note libd5src.so 05 || fail "a source on the link line: no compartment 5"
	printf 'int e(void) { return 0; }\n' >e.c
	ar rcs libd5.a d5.o && "$ia2cc" -shared e.c -Wl,--whole-archive libd5.a -Wl,--no-whole-archive -o libd5ar.so ||
		fail "link with an archive"
	note libd5ar.so 05 || fail "an archive member's declaration was not seen"
	out=$("$ia2cc" -shared d5.o -o libx.so --ia2-compartment=3 2>&1) && fail "3 against a declared 5 linked"
	echo "$out" | grep -q 'd5.o: declares compartment 5 (IA2_COMPARTMENT, ia2_compartment_init.inc), but this link puts the DSO in compartment 3' ||
		fail "unclear message: $out"
	out=$("$ia2cc" -shared d5.o d6.c -o libx.so 2>&1) && fail "5 and 6 linked into one DSO"
	echo "$out" | grep -q 'd5.o declares compartment 5 and .* compartment 6' || fail "unclear message: $out"
	[ -e libx.so ] && fail "a refused link left libx.so"
	printf '#define IA2_COMPARTMENT 15\n#include <ia2_compartment_init.inc>\n' >d15.c
	out=$("$ia2cc" -c d15.c -o d15.o 2>&1) && fail "IA2_COMPARTMENT 15 compiled"
	echo "$out" | grep -q 'IA2_COMPARTMENT must be 1..14' || fail "unclear message: $out"
	printf '#include <ia2.h>\nINIT_RUNTIME(15);\nvoid ia2_main(void) {}\n' >r15.c
	out=$("$ia2cc" -c r15.c -o r15.o 2>&1) && fail "INIT_RUNTIME(15) compiled"
	echo "$out" | grep -q 'INIT_RUNTIME(15): ia2 has compartments 1..14' || fail "unclear message: $out"
	;;
cxx-refused)
	# C++ objects are refused with the reason, not rewritten half-way.
	printf 'struct S { virtual int f(int x) { if (x < 0) throw x; return x; } };\nint g(S *s) { return s->f(1); }\nint main() { S s; return g(&s) - 1; }\n' >x.cc
	g++ -O2 -g -fPIC -c x.cc -o x.o || fail "g++"
	out=$("$ia2cc" x.o -o x -lstdc++ --ia2-compartment=1 2>&1) && fail "a C++ object was linked"
	echo "$out" | grep -q 'x.o: a C++ object (it names .*); ia2 gates C code only' ||
		fail "the message does not say why: $out"
	;;
ccache)
	# CC="ccache ia2-cc": ccache caches the compiles (ia2-cc adds its flags
	# to the preprocessing run too), the links run every time.
	rm -rf proj && cp -r "$src/proj" proj && cd proj || exit 1
	export CCACHE_DIR="$work/ccache-dir"
	rm -rf "$CCACHE_DIR"
	make -s CC="ccache $ia2cc" IA2_CONFIG="$PWD/ia2.conf" || fail "make with ccache"
	make -s clean && make -s CC="ccache $ia2cc" IA2_CONFIG="$PWD/ia2.conf" || fail "make again"
	hits=$(ccache --print-stats | awk -F'\t' '$1 == "direct_cache_hit" || $1 == "preprocessed_cache_hit" {n += $2} END {print n + 0}')
	[ "$hits" -ge 2 ] || fail "the second build hit ccache $hits times, expected 2: $(ccache -s)"
	readelf -n counter | grep -A1 IA2 | grep -q 'description data: 01 00 00 00' ||
		fail "counter is not in compartment 1"
	;;
plain-main)
	# An executable built without ia2 that uses a compartment library;
	# driver.plain-main.run checks that libia2 refuses to start it.
	lib=$4
	cc -O2 "$src/proj/main.c" -o plain-main -L"$(dirname "$lib")" -lcount \
		-Wl,-rpath,"$(dirname "$lib")" || fail "link"
	;;
startup-without-pku)
	# Run natively: where the CPU or kernel lacks PKU, libia2 must stop
	# the program at startup and say what is missing; where both are
	# present, the same program must simply work.
	prog=$4
	out=$("$prog" 2>&1); status=$?
	if grep -qw pku /proc/cpuinfo && grep -qw ospke /proc/cpuinfo; then
		[ $status -eq 0 ] || fail "with PKU, $prog failed ($status): $out"
	else
		[ $status -eq 1 ] || fail "without PKU, $prog exited $status, expected 1: $out"
		echo "$out" | grep -q 'cannot enforce compartments.*PKU' ||
			fail "without PKU, the message does not say what is missing: $out"
	fi
	;;
*)
	fail "unknown case $case"
	;;
esac
