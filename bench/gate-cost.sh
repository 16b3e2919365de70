#!/bin/sh
# gate-cost.sh [--check] [BUILD]
#
# What one call costs through an ia2 gate, in instructions: runs
# bench/roundtrip's ia2 build (caller in compartment 1, callee library in
# compartment 2) and its plain build under gdb, with protection keys
# enforced (test/runner/ia2-pkurun), single-steps each call (count.py) and
# prints a table. BUILD is the build directory (default ./build).
#
# --check: also fail unless each cross-compartment round trip executes
# exactly two wrpkru, a direct call within the compartment costs nothing
# over the plain build, and a call through a pointer within the
# compartment executes one rdpkru and no wrpkru (docs/design.md, "Gate ABI").
set -eu

check=0
if [ "${1-}" = --check ]; then
	check=1
	shift
fi
build=$(cd "${1:-build}" && pwd -P)
here=$(cd "$(dirname "$0")" && pwd -P)
prog=$build/bench/roundtrip

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gate-cost.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# One VM and one gdb for both builds: booting costs more than counting.
# gdb's stdout is only its running commentary; errors go to stderr.
# gdb traces the program, which the syscall monitor would do (docs/usage.md).
"$build/test/runner/ia2-pkurun" env IA2_MONITOR=off sh -c 'exec gdb "$@" >/dev/null' gdb -batch -nx \
	-x "$here/count.py" \
	-ex "file $prog/roundtrip-base" -ex "count-calls $tmp/plain" \
	-ex "file $prog/roundtrip" -ex "count-calls $tmp/ia2"

# Lines of both files: NAME INSTRUCTIONS WRPKRU RDPKRU.
awk -v check=$check '
function expect(what, got, want) {
	if (got != want) {
		printf "gate-cost: %s: %s is %d, expected %d\n", $1, what, got, want > "/dev/stderr"
		failed = 1
	}
}
BEGIN {
	printf "%-9s %11s %13s %11s %7s %7s\n", "call", "insns(ia2)", "insns(plain)", "difference",
	       "wrpkru", "rdpkru"
}
NR == FNR { plain[$1] = $2; next }
{
	printf "%-9s %11d %13d %11d %7d %7d\n", $1, $2, plain[$1], $2 - plain[$1], $3, $4
	if (!check)
		next
	if ($1 == "same") {
		expect("difference", $2 - plain[$1], 0)
		expect("wrpkru", $3, 0)
		expect("rdpkru", $4, 0)
	} else if ($1 == "same_ptr") {
		expect("wrpkru", $3, 0)
		expect("rdpkru", $4, 1)
	} else {
		expect("wrpkru", $3, 2)
	}
}
END { exit failed }
' "$tmp/plain" "$tmp/ia2"
