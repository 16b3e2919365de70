#!/bin/sh
# usage: bench/dav1d.sh [BUILD]    (BUILD defaults to ./build)
#
# Not a test: figures for the compartmentalized dav1d (test/dav1d). It
# builds dav1d both ways and encodes the test streams with test/dav1d's
# own steps, in BUILD/bench-dav1d, then reports
#  - crossings per frame: the CLI's calls into libdav1d, counted by gdb
#    breakpoints that never stop on the gates of the functions libdav1d
#    exports, for the 1080p stream with --threads 1 and 4, divided by its
#    30 frames (the library calls no function of the CLI's: the default
#    picture allocator and logger are its own);
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
# name in DWARF, so gdb would resolve it to the body), set once main
# runs, so that the library is loaded; none ever stops.
nm -D --defined-only "$work/ia2/src/libdav1d.so.6" | awk '$2 == "T" { print $3 }' >api.txt
for t in 1 4; do
	{
		echo "break main"
		echo "run"
		awk '{ print "break *__ia2_gate_" $1; print "ignore " NR + 1 " 100000000" }' api.txt
		echo "continue"
		echo "info breakpoints"
	} >count.gdb
	"$pkurun" gdb -batch -x count.gdb --args "$work/ia2/tools/dav1d" -q -i hd.ivf --muxer md5 \
		-o /dev/null --threads "$t" >"gdb.t$t.log" 2>&1 </dev/null
	# Breakpoint 1, main, was hit once.
	calls=$(grep -o 'already hit [0-9]*' "gdb.t$t.log" | awk '{ n += $3 } END { print n - 1 }')
	echo "crossings, 1080p --threads $t: $calls calls into libdav1d in 30 frames, $(echo "$calls" | awk '{ printf "%.1f", $1 / 30 }') per frame (each a round trip: 2 wrpkru)"
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
