#!/bin/sh
# usage: audit.sh BIN SRC WORK build | audit | rebuild | after
#
# Audit mode's round trip (docs/usage.md, "Porting a program"): a
# program whose compartments cross a global, a heap block, a static
# array, a function-local static, a struct on the stack that a callback
# fills, and a heap block that read(2) fills, built by ia2-cc (in BIN) from SRC
# with a config of two compartment lines, into WORK.
#   build    the program with the base config
#   audit    (under PKU) it dies of a pkey fault without IA2_AUDIT; with
#            IA2_AUDIT=written.conf, a copy of the base config, it runs
#            to the end, and written.conf gets one rule per crossing
#   rebuild  the program again, with written.conf
#   after    (under PKU) the rebuilt program runs to the end, no audit
set -u
bin=$1 src=$2 work=$3 step=$4
fail() { echo "FAIL: $*" >&2; exit 1; }

build() {   # $1: config, $2: directory
	mkdir -p "$2" && cd "$2" || exit 1
	"$bin/ia2-cc" --ia2-config="$1" -O2 -g -fPIC -shared "$src/audit_lib.c" -o libaudit.so ||
		fail "building libaudit.so with $1"
	"$bin/ia2-cc" --ia2-config="$1" -O2 -g "$src/audit_main.c" -L. -laudit \
		-Wl,-rpath,"$2" -o audit || fail "building audit with $1"
}

has_rule() {
	grep -qx -e "$1" "$work/written.conf" ||
		fail "written.conf lacks a line '$1': $(cat "$work/written.conf")"
}

case $step in
build)
	rm -rf "$work" && mkdir -p "$work" || exit 1
	printf 'audit          1\nlibaudit.so    2\n' >"$work/base.conf"
	build "$work/base.conf" "$work/base"
	;;
audit)
	cd "$work" || exit 1
	./base/audit >/dev/null 2>&1
	s=$?
	[ $s -eq 139 ] || fail "without IA2_AUDIT the program should die of SIGSEGV (139), not $s"
	cp base.conf written.conf
	IA2_AUDIT=written.conf ./base/audit >out 2>err || fail "under IA2_AUDIT: $(cat err)"
	grep -q 'ia2: audit: compartment 2 touched' err || fail "no audit line: $(cat err)"
	grep -q 'never for production' written.conf || fail "written.conf lacks its warning"
	head -2 written.conf | cmp -s - base.conf || fail "written.conf lost the base config"
	has_rule 'share audit counter'
	has_rule 'share-heap audit make_numbers'
	has_rule 'share libaudit.so table'
	has_rule 'share libaudit.so calls\.[0-9]*'
	has_rule 'copy-arg audit fill'
	has_rule 'share-heap libaudit.so lib_buffer'
	has_rule 'share audit self_path'
	[ "$(grep -c '^share-heap audit' written.conf)" -eq 1 ] ||
		fail "lib_sum's loop should give one rule: $(cat written.conf)"
	cat err written.conf
	;;
rebuild)
	build "$work/written.conf" "$work/after"
	;;
after)
	cd "$work" || exit 1
	./after/audit >out 2>err || fail "with the written config: $(cat err)"
	! grep -q 'ia2: ' err || fail "ia2 said something: $(cat err)"
	cat out
	;;
*)
	fail "unknown step $step"
	;;
esac
