#!/bin/sh
# usage: bench/dav1d.sh [BUILD]    (BUILD defaults to ./build)
#
# Not a test: figures for the compartmentalized dav1d (test/dav1d). It
# builds dav1d both ways and encodes the test streams with test/dav1d's
# own steps, in BUILD/bench-dav1d, then reports
#  - crossings per frame: round trips from the CLI into libdav1d and
#    from the library back into the CLI (its picture callbacks, which
#    only --negstride installs), counted by gdb breakpoints that never
#    stop on libia2's return stubs for compartments 1 and 2, which every
#    crossing from that compartment, and nothing else, returns through;
#    for the 1080p stream with --threads 1 and 4, with and without
#    --negstride, divided by its 30 frames;
#  - the decode time ratio, ia2 build over plain build, both under
#    test/runner/ia2-pkurun (natively on PKU hardware; in a TCG VM,
#    where times say little, otherwise), best of 3, 1080p, --threads 4,
#    with the syscall monitor (the default) and without it
#    (IA2_MONITOR=off);
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

# Breakpoints 1 and 2, pending until ld.so loads libia2.
cat >count.gdb <<'EOF'
set breakpoint pending on
break __ia2_return_to_1
ignore 1 100000000
break __ia2_return_to_2
ignore 2 100000000
run
info breakpoints
EOF
for alloc in "" --negstride; do
	for t in 1 4; do
		log=gdb.t$t$alloc.log
		# shellcheck disable=SC2086 # $alloc is no word or one
		# gdb traces dav1d, which the syscall monitor would do (docs/usage.md).
		"$pkurun" env IA2_MONITOR=off gdb -batch -x count.gdb --args "$work/ia2/tools/dav1d" -q -i hd.ivf --muxer md5 \
			-o /dev/null --threads "$t" $alloc >"$log" 2>&1 </dev/null
		awk -v what="1080p --threads $t${alloc:+ $alloc}" '
			/^[0-9]+ +breakpoint/ { n = $1 }
			/already hit/ { hit[n] = $4 }
			END { printf "crossings, %s: %d into libdav1d and %d into the CLI in 30 frames, %.1f per frame (each a round trip: 2 wrpkru)\n",
				what, hit[1], hit[2], (hit[1] + hit[2]) / 30 }' "$log"
	done
done

best() {
	for i in 1 2 3; do
		s=$(date +%s.%N)
		"$pkurun" env IA2_MONITOR="$2" "$1" -q -i hd.ivf --muxer md5 -o /dev/null --threads 4 \
			>/dev/null 2>&1
		e=$(date +%s.%N)
		echo "$s $e"
	done | awk '{ d = $2 - $1; if (NR == 1 || d < m) m = d } END { print m }'
}
plain=$(best "$work/plain/tools/dav1d" on)
ia2=$(best "$work/ia2/tools/dav1d" on)
off=$(best "$work/ia2/tools/dav1d" off)
where=VM
grep -q ' pku' /proc/cpuinfo && grep -q ' ospke' /proc/cpuinfo && where=native
ratio() { echo "$1 $2" | awk '{ printf "%.2f", $1 / $2 }'; }
echo "decode, 1080p --threads 4, $where: plain ${plain}s ia2 ${ia2}s, ratio $(ratio "$ia2" "$plain")"
echo "decode without the monitor: ia2 ${off}s, ratio $(ratio "$off" "$plain"); the monitor's share $(ratio "$ia2" "$off")"
read -r bp bi <"$work/build-seconds"
echo "build (ninja): clang ${bp}s ia2-cc ${bi}s, ratio $(echo "$bi $bp" | awk '{ printf "%.2f", $1 / $2 }')"
