#!/bin/sh
# usage: mkbad.sh notelf|truncated|machine GOOD.o OUT
#
# Writes a broken input derived from the object GOOD.o: a text file, its
# first 100 bytes, or a copy whose e_machine (bytes 18-19) says ARM.
set -eu
kind=$1 good=$2 out=$3

case $kind in
notelf) echo "this is not an object file" >"$out" ;;
truncated) head -c 100 "$good" >"$out" ;;
machine)
	cp "$good" "$out"
	printf '\050\000' | dd of="$out" bs=1 seek=18 conv=notrunc 2>/dev/null
	;;
*) echo "mkbad.sh: unknown kind $kind" >&2; exit 2 ;;
esac
