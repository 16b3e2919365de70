#!/bin/sh
# usage: backtrace.sh PROGRAM CASE PATTERN...
# PROGRAM CASE must die of SIGSEGV (status 139), and the lines of the
# monitor's backtrace must match the PATTERNs (grep -E), in order, each
# on a line after the one before's.
prog=$1 case=$2
shift 2
out=$("$prog" "$case" 2>&1)
status=$?
printf '%s\n' "$out"
[ $status = 139 ] || { echo "FAIL: exit status $status, expected 139"; exit 1; }
trace=$(printf '%s\n' "$out" | sed -n '/^ia2: backtrace, innermost first, across gates:$/,$p')
[ -n "$trace" ] || { echo "FAIL: no backtrace"; exit 1; }
for pattern; do
	at=$(printf '%s\n' "$trace" | grep -nE -m1 -e "$pattern" | cut -d: -f1)
	[ -n "$at" ] || { echo "FAIL: no backtrace line after the ones before matches: $pattern"; exit 1; }
	trace=$(printf '%s\n' "$trace" | sed "1,${at}d")
done
