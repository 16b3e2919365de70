#!/bin/sh
# usage: gdb-bt.sh GDB PROGRAM
#
# Runs an emulated-PKRU program under gdb, stops in compartment 2's
# lib_apply (lib.c) and checks that the backtrace crosses the gate into
# compartment 1's main, and that the program then finishes normally.
gdb=$1 prog=$2
out=$("$gdb" -q -batch -nx -ex "set breakpoint pending on" -ex "break lib.c:18" -ex run \
	-ex bt -ex delete -ex continue --args "$prog" 2>&1)
fail() { echo "FAIL: $1" >&2; echo "$out" >&2; exit 1; }
echo "$out" | grep -q '^#0 .*lib_apply .* at .*lib\.c:18' || fail "no stop in lib_apply"
echo "$out" | grep -q '^#[0-9]* .* in main () at .*main\.c:' ||
	fail "the backtrace does not reach main through the gate"
echo "$out" | grep -q 'exited normally' || fail "the program did not finish normally"
