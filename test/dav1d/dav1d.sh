#!/bin/sh
# usage: dav1d.sh BIN SRCDIR WORK STEP [ARG]
#
# Debian's dav1d 1.0.0 (apt-get source dav1d), unmodified, in two
# compartments: the CLI in 1, libdav1d in 2, by SRCDIR/ia2.conf alone.
# BIN holds ia2-cc; SRCDIR is this directory.
#   build        fetch (once), unpack, build with meson twice, with
#                CC=ia2-cc and with plain clang, the same options; check
#                the compartments, build the isolation harness, and check
#                that the source tree is byte-identical to a fresh unpack
#   streams Y4MGEN  encode the test streams with aomenc and decode each
#                with the plain build: the reference md5s
#   decode N     decode every stream with the ia2 build, --threads N,
#                with the library's picture allocator and with the CLI's
#                (--negstride); each md5 must equal the plain build's
#   audit-build  the ia2 build again, with the config's two compartment
#                lines alone (no share-heap or copy-arg rule)
#   audit        under IA2_AUDIT=audit.conf, a copy of those two lines,
#                decode the tiny stream (64x64, 2 frames) with each
#                picture allocator, --threads 1 (in audit mode each fault,
#                and each call, stops a thread for the monitor: a
#                --negstride decode of the small stream's 30 frames takes
#                minutes in the VM); each md5 must equal the plain build's
#   audit-rebuild  the ia2 build again, with the audit.conf written
#   audit-decode N  decode every stream with that build, as decode N does
#   sigint       SIGINT in the middle of decoding (--threads 4, paced to
#                5 frames/s by --realtime so that it comes mid-stream) ends
#                the ia2 build as it ends the plain one: dav1d 1.0.0 has
#                no handler, so both are killed by SIGINT
set -u
bin=$1 srcdir=$2 work=$3 step=$4
. "$srcdir/../common/debsrc.sh"
tree=$work/src
# NAME WIDTH HEIGHT FRAMES BITS AOMENC-OPTIONS
streams="tiny 64 64 2 8 --cpu-used=8
small 160 96 30 8 --cpu-used=8
cif10 352 288 30 10 --cpu-used=8
hd 1920 1080 30 8 --cpu-used=9 --rt --tile-columns=2 --tile-rows=1"

# meson's options for both builds: the tests and checkasm are dav1d's own
# and not what is compared here.
configure() {
	meson setup "$1" "$tree" -Denable_tests=false >"$1.log" 2>&1 ||
		fail "meson setup $1: $(tail -5 "$1.log")"
}

# build_ia2 CONFIG DIR: the ia2 build of dav1d with CONFIG into DIR.
build_ia2() {
	rm -rf "$2"
	(export CC="$bin/ia2-cc" IA2_CC=clang IA2_SHARED_STACK=1 IA2_CONFIG="$1"
	 configure "$2"
	 ninja -C "$2" >"$2.ninja.log" 2>&1 || fail "ia2 build with $1: $(tail -5 "$2.ninja.log")") ||
		exit 1
}

# compare_decodes BUILD N NAME...: decode each stream with BUILD's dav1d,
# --threads N, with each picture allocator; each md5 must equal the
# plain build's.
compare_decodes() {
	b=$1 t=$2 status=0
	shift 2
	cd "$work/streams" || exit 1
	for name in "$@"; do
		for alloc in "" --negstride; do
			out=$name.$(basename "$b").t$t$alloc.md5
			rm -f "$out"
			# shellcheck disable=SC2086 # $alloc is no word or one
			"$b/tools/dav1d" -q -i "$name.ivf" --muxer md5 -o "$out" --threads "$t" $alloc ||
				{ echo "FAIL: $b dav1d on $name --threads $t $alloc exited with $?"; status=1; continue; }
			printf '%s --threads %s%s: plain %s ia2 %s\n' "$name" "$t" "${alloc:+ $alloc}" "$(cat "$name.plain.t$t.md5")" "$(cat "$out")"
			cmp -s "$name.plain.t$t.md5" "$out" || { echo "FAIL: md5 differs"; status=1; }
		done
	done
	return $status
}

case $step in
build)
	unpack_source dav1d "$work/cache" "$tree"
	rm -rf "$work/plain" "$work/ia2"
	CC=clang configure "$work/plain"
	t0=$(date +%s.%N)
	ninja -C "$work/plain" >"$work/plain.ninja.log" 2>&1 ||
		fail "plain build: $(tail -5 "$work/plain.ninja.log")"
	t1=$(date +%s.%N)
	export CC="$bin/ia2-cc" IA2_CC=clang IA2_SHARED_STACK=1 IA2_CONFIG="$srcdir/ia2.conf"
	configure "$work/ia2"
	t2=$(date +%s.%N)
	ninja -C "$work/ia2" >"$work/ia2.ninja.log" 2>&1 ||
		fail "ia2 build: $(tail -5 "$work/ia2.ninja.log")"
	t3=$(date +%s.%N)
	# For bench/dav1d.sh: seconds of ninja, plain and ia2.
	echo "$t0 $t1 $t2 $t3" | awk '{ print $2 - $1, $4 - $3 }' >"$work/build-seconds"
	in_compartment "$work/ia2/tools/dav1d" 1
	main_gated "$work/ia2/tools/dav1d"
	in_compartment "$work/ia2/src/libdav1d.so.6" 2
	"$bin/ia2-cc" -O2 -g -I"$tree/include" -I"$work/ia2/include/dav1d" "$srcdir/harness.c" \
		-o "$work/harness" --ia2-compartment=1 -L"$work/ia2/src" -ldav1d \
		-Wl,-rpath,"$work/ia2/src" || fail "building the harness"
	unpack_source dav1d "$work/cache" "$work/pristine"
	diff -r "$tree" "$work/pristine" >"$work/tree.diff" ||
		fail "the dav1d tree differs from Debian's source: $work/tree.diff"
	echo "dav1d: built; tree identical to the Debian source; config: $(grep -cv '^ *\(#\|$\)' "$srcdir/ia2.conf") rules"
	;;
streams)
	y4mgen=$5
	mkdir -p "$work/streams" && cd "$work/streams" || exit 1
	echo "$streams" | while read -r name w h n bits opts; do
		"$y4mgen" "$w" "$h" "$n" "$bits" >"$name.y4m" || fail "y4mgen $name"
		# shellcheck disable=SC2086
		aomenc --limit="$n" --bit-depth="$bits" --input-bit-depth="$bits" $opts -q \
			-o "$name.ivf" "$name.y4m" 2>"$name.aomenc.log" ||
			fail "aomenc $name: $(tail -3 "$name.aomenc.log")"
		rm -f "$name.y4m"
		for t in 1 4; do
			"$work/plain/tools/dav1d" -q -i "$name.ivf" --muxer md5 -o "$name.plain.t$t.md5" \
				--threads "$t" || fail "plain dav1d on $name"
		done
		"$work/plain/tools/dav1d" -q -i "$name.ivf" --muxer md5 -o "$name.plain.negstride.md5" \
			--negstride || fail "plain dav1d --negstride on $name"
		cmp -s "$name.plain.t1.md5" "$name.plain.t4.md5" || fail "plain dav1d's md5s differ by thread count on $name"
		cmp -s "$name.plain.t1.md5" "$name.plain.negstride.md5" || fail "plain dav1d's md5 differs with --negstride on $name"
	done
	;;
decode)
	compare_decodes "$work/ia2" "$5" $(echo "$streams" | cut -d' ' -f1)
	;;
audit-build)
	grep -E '^(dav1d|libdav1d\.so\*) ' "$srcdir/ia2.conf" >"$work/audit-base.conf"
	[ "$(wc -l <"$work/audit-base.conf")" -eq 2 ] || fail "ia2.conf has no two compartment lines"
	build_ia2 "$work/audit-base.conf" "$work/audit-base"
	;;
audit)
	cp "$work/audit-base.conf" "$work/audit.conf"
	rm -f "$work/audit.log"
	cd "$work/streams" || exit 1
	for alloc in "" --negstride; do
		for b in plain audit-base; do
			# shellcheck disable=SC2086 # $alloc is no word or one
			IA2_AUDIT=$work/audit.conf "$work/$b/tools/dav1d" -q -i tiny.ivf --muxer md5 \
				-o "audit.$b$alloc.md5" --threads 1 $alloc 2>>"$work/audit.log" ||
				fail "the $b decode $alloc: $(grep -v 'ia2: audit' "$work/audit.log" | tail -5)"
		done
		cmp -s "audit.plain$alloc.md5" "audit.audit-base$alloc.md5" ||
			fail "the audit decode $alloc: md5 differs from the plain build's"
	done
	echo "dav1d: $(grep -c 'ia2: audit' "$work/audit.log") crossings described; audit.conf:"
	grep -v '^#' "$work/audit.conf"
	;;
audit-rebuild)
	build_ia2 "$work/audit.conf" "$work/audit-after"
	;;
audit-decode)
	compare_decodes "$work/audit-after" "$5" $(echo "$streams" | cut -d' ' -f1)
	;;
sigint)
	cd "$work/streams" || exit 1
	for build in plain ia2; do
		rm -f "sigint.$build.log"
		# A shell without job control starts background commands with
		# SIGINT ignored (POSIX, 2.11); a terminal's dav1d has it default.
		env --default-signal=INT "$work/$build/tools/dav1d" -i hd.ivf --muxer md5 -o /dev/null --threads 4 --realtime=5 2>"sigint.$build.log" &
		pid=$!
		i=0
		until grep -q 'Decoded [1-9]' "sigint.$build.log" 2>/dev/null; do
			i=$((i + 1))
			[ $i -lt 600 ] || fail "$build dav1d decoded no frame in 60 s"
			sleep 0.1
		done
		kill -INT $pid
		wait $pid
		s=$?
		grep -q 'Decoded 30/30' "sigint.$build.log" && fail "$build dav1d finished before SIGINT came"
		[ $s -eq 130 ] || fail "$build dav1d exited with status $s after SIGINT, not 130 (killed by SIGINT)"
		echo "$build: killed by SIGINT after $(tr '\r' '\n' <"sigint.$build.log" | grep -o 'Decoded [0-9]*/30' | tail -1)"
	done
	;;
*)
	fail "unknown step $step"
	;;
esac
