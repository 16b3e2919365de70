#!/bin/sh
# usage: bench/dav1d.sh [BUILD]    (BUILD defaults to ./build)
#
# Not a test: figures for the compartmentalized dav1d (test/dav1d). It
# builds dav1d both ways and encodes the test streams with test/dav1d's
# own steps, in BUILD/bench-dav1d, then reports
#  - crossings per frame: the CLI's calls into libdav1d and the
#    library's calls back into the CLI's picture callbacks (which only
#    --negstride installs), counted by gdb breakpoints that never stop on
#    the gates of the functions libdav1d exports and of the two
#    callbacks, for the 1080p stream with --threads 1 and 4, with and
#    without --negstride, divided by its 30 frames. Gate entries, not
#    libia2's return stubs: under gdb PKRU is not what it is in a normal
#    run (gdb 13 shows it as 0, and gates then see the startup state or
#    PKRU(0)), so which gates cross says nothing there; which gates run
#    does not depend on it;
#  - the decode time ratio, ia2 build over plain build, both under
#    test/runner/ia2-pkurun (natively on PKU hardware; in a TCG VM,
#    where times say little, otherwise), best of 3, 1080p, --threads 4;
#  - the build time ratio: ninja's seconds with CC=ia2-cc over plain
#    clang, same options, from the build step.
set -eu
build=$(cd "${1:-build}" && pwd)
src=$(cd "$(dirname "$0")/.." && pwd)
work=$build/bench-dav1d
pkurun=$build/test/runner/ia2-pkurun
step() { sh "$src/test/dav1d/dav1d.sh" "$build/driver" "$src/test/dav1d" "$work" "$@" >/dev/null; }

step build
step streams "$build/test/dav1d/y4mgen"
cd "$work/streams"

# One breakpoint on the gate of each function libdav1d exports (its
# hidden twin __ia2_gate_NAME: the gate's own name is also the body's
# name in DWARF, so gdb would resolve it to the body), then on the gates
# of the CLI's static picture callbacks (__ia2_gate_OBJ_NAME), set once
# main runs, so that the library is loaded; none ever stops.
nm -D --defined-only "$work/ia2/src/libdav1d.so.6" | awk '$2 == "T" { print "__ia2_gate_" $3 }' >gates.txt
api=$(wc -l <gates.txt)
nm "$work/ia2/tools/dav1d" | awk '$3 ~ /^__ia2_gate_[0-9]+_picture_(alloc|release)$/ { print $3 }' >>gates.txt
{
	echo "break main"
	echo "run"
	awk '{ print "break *" $1; print "ignore " NR + 1 " 100000000" }' gates.txt
	echo "continue"
	echo "info breakpoints"
} >count.gdb
for alloc in "" --negstride; do
	for t in 1 4; do
		log=gdb.t$t$alloc.log
		# shellcheck disable=SC2086 # $alloc is no word or one
		"$pkurun" gdb -batch -x count.gdb --args "$work/ia2/tools/dav1d" -q -i hd.ivf --muxer md5 \
			-o /dev/null --threads "$t" $alloc >"$log" 2>&1 </dev/null
		# Breakpoint 1 is main's; 2 .. api + 1 the library's gates.
		awk -v api="$api" -v what="1080p --threads $t${alloc:+ $alloc}" '
			/^[0-9]+ +breakpoint/ { n = $1 }
			/already hit/ { if (n > api + 1) back += $4; else if (n > 1) into += $4 }
			END { printf "crossings, %s: %d into libdav1d and %d into the CLI in 30 frames, %.1f per frame (each a round trip: 2 wrpkru)\n",
				what, into, back, (into + back) / 30 }' "$log"
	done
done

best() {
	for i in 1 2 3; do
		s=$(date +%s.%N)
		"$pkurun" "$1" -q -i hd.ivf --muxer md5 -o /dev/null --threads 4 >/dev/null
		e=$(date +%s.%N)
		echo "$s $e"
	done | awk '{ d = $2 - $1; if (NR == 1 || d < m) m = d } END { print m }'
}
plain=$(best "$work/plain/tools/dav1d")
ia2=$(best "$work/ia2/tools/dav1d")
where=VM
grep -q ' pku' /proc/cpuinfo && grep -q ' ospke' /proc/cpuinfo && where=native
echo "decode, 1080p --threads 4, $where: plain ${plain}s ia2 ${ia2}s, ratio $(echo "$ia2 $plain" | awk '{ printf "%.2f", $1 / $2 }')"
read -r bp bi <"$work/build-seconds"
echo "build (ninja): clang ${bp}s ia2-cc ${bi}s, ratio $(echo "$bi $bp" | awk '{ printf "%.2f", $1 / $2 }')"
