#!/bin/sh
# usage: share.sh RWTEST CC SRC WORKDIR CASE
#
# Share rules (share.c) on share/data.c:
#   ok         initialized, zeroed and static variables move, each its section
#              renamed ia2_shared; the rewritten object is sound, links, and
#              the variables end up in the linked ia2_shared section
#   missing    a name no object defines: refused, naming the rule
#   together   without -fdata-sections the variable shares .data: refused
#   readonly   a const variable: refused
#   tls        a thread-local variable: refused
#   local      a function-local static by its source name (seed, which gcc
#              calls seed.N) moves
#   ambiguous  a source name that two functions' statics have: refused,
#              with both symbols listed
set -u
rwtest=$1 cc=$2 src=$3 work=$4 case=$5
fail() { echo "FAIL: $*"; exit 1; }

rm -rf "$work" && mkdir -p "$work/rw" && cd "$work" || exit 1
flags="-O2 -g -fPIC -ffunction-sections -fdata-sections"
[ "$case" = together ] && flags="-O2 -g -fPIC -ffunction-sections"
"$cc" $flags -c "$src/share/data.c" -o data.o || exit 1

# Runs rwtest sharing the names given; stdout to out, stderr to err.
run() {
	args=
	for v in "$@"; do args="$args --share $v"; done
	"$rwtest" --compartment 2 $args --workdir rw data.o >out 2>err
}

# rwtest must refuse, with every phrase in its message.
refused() {
	run "$1" && fail "sharing $1 was accepted"
	shift
	for phrase in rwtest "$@"; do
		grep -qF -e "$phrase" err || { cat err; fail "message lacks: $phrase"; }
	done
}

case $case in
ok)
	run shared_counter shared_zero static_shared || { cat err; fail "rwtest"; }
	for s in .data.shared_counter .bss.shared_zero .data.static_shared; do
		grep -qx "shared data.o $s" out || { cat out; fail "$s did not move"; }
	done
	grep -q private_value out && fail "private_value moved"
	copy=$(awk '$1 == "output" { print $3 }' out)
	eu-elflint --gnu-ld --strict "$copy" >/dev/null 2>&1 ||
		{ eu-elflint --gnu-ld --strict "$copy"; fail "rewritten object unsound"; }
	"$cc" -shared "$copy" -o libdata.so || fail "link"
	shndx=$(readelf -SW libdata.so | sed -n 's/^ *\[ *\([0-9]*\)\] ia2_shared .*/\1/p')
	[ "$(echo "$shndx" | wc -w)" -eq 1 ] || fail "not one ia2_shared section in the link: $shndx"
	for v in shared_counter shared_zero static_shared; do
		readelf -sW libdata.so | awk -v v=$v -v n=$shndx '$8 == v && $7 == n' | grep -q . ||
			fail "$v is not in ia2_shared"
	done
	readelf -sW libdata.so | awk -v n=$shndx '$8 == "private_value" && $7 == n' | grep -q . &&
		fail "private_value is in ia2_shared"
	;;
missing) refused no_such_var "no object of this link defines a variable no_such_var" ;;
together) refused shared_counter "shares section" "-fdata-sections" ;;
readonly) refused read_only "read_only" "read-only" ;;
tls) refused tls_var "tls_var" "thread-local" ;;
local)
	run seed || { cat err; fail "rwtest"; }
	grep -q '^shared data.o \.data\.seed\.[0-9]*$' out || { cat out; fail "seed did not move"; }
	grep -q 'hits' out && fail "a hits moved"
	;;
ambiguous) refused hits "hits names 2 function-local statics" "hits." "by its symbol" ;;
*) fail "unknown case $case" ;;
esac
exit 0
