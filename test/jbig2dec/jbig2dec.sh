#!/bin/sh
# usage: jbig2dec.sh BIN WORK build|report|audit|decode VARIANT
#
# A third real project, untouched: Debian's jbig2dec (apt-get source
# jbig2dec), a CLI and its own library, built by its own autogen.sh,
# configure, libtool and Makefile with CC=ia2-cc: libjbig2dec.so in
# compartment 2 and the jbig2dec CLI in compartment 1. Three things
# cross: the CLI hands the library its input in a stack buffer
# (jbig2_data_in), the library calls the CLI's error callback with a
# message on its own stack, and the CLI reads decoded pages from the
# library's heap (--hash). The variants:
#   reference  plain gcc, no ia2: what the decode must match
#   base       gcc, with the two compartment lines alone, for audit mode
#   audited    gcc, with the config that the audit of base wrote
#   memlimit   clang with the shared stack, and hand-written rules, for
#              the CLI's -M (a memory limit): the CLI then hands the
#              library an allocator struct on its stack, which the
#              library keeps and calls through for every block, and
#              which no copy-arg rule can serve (docs/usage.md, "Porting
#              a program")
# BIN holds ia2-cc.
#   build   fetch (once), unpack, autogen.sh (which runs configure),
#           make the library and the CLI; check the compartments
#   report  base's decode dies of the first crossing, and the report
#           names the rule that would allow it
#   audit   base's decode under IA2_AUDIT, which writes audit.conf;
#           check its rules and that the decode matched the reference
#   decode  audited's decode matches the reference: the page, its hash
#           and every message the callback printed
set -u
bin=$1 work=$2 step=$3 variant=$4
. "$(dirname "$0")/../common/debsrc.sh"
tree=$work/$variant
lib=libjbig2dec.so.0.0.0

# The CLI that libtool links has no run path: without LD_LIBRARY_PATH it
# would load a system libjbig2dec.so.0, outside every compartment, if
# there were one. ld.so's trace proves which one it loads.
use_tree() {
	export LD_LIBRARY_PATH=$tree/.libs
	LD_DEBUG=libs "$tree/.libs/jbig2dec" --version 2>&1 >/dev/null |
		grep -q "calling init: $tree/.libs/libjbig2dec.so.0$" ||
		fail "jbig2dec does not load the libjbig2dec.so.0 built here"
}

# decode [OPTION...]: in the current directory, decode the sample in
# Annex H of the standard (three pages, symbol dictionaries, refinement)
# with every info message and a hash of the document, into page.pbm,
# run.out (stdout) and run.err (stderr). Returns jbig2dec's status.
decode() {
	"$tree/.libs/jbig2dec" -v 2 --hash "$@" -t pbm -o page.pbm "$tree/annex-h.jbig2" \
		>run.out 2>run.err
}

# same_as_reference: this directory's decode has the reference's page,
# hash and messages (less ia2's own lines).
same_as_reference() {
	ref=$work/reference.run
	[ -s "$ref/page.pbm" ] || fail "no reference decode: run the reference build first"
	cmp -s page.pbm "$ref/page.pbm" || fail "the page differs from the reference's"
	cmp -s run.out "$ref/run.out" || fail "the hash differs: $(cat run.out) vs $(cat "$ref/run.out")"
	grep -v '^ia2: ' run.err | cmp -s - "$ref/run.err" ||
		fail "the messages differ from the reference's: $(grep -v '^ia2: ' run.err | diff "$ref/run.err" - | head -5)"
}

case $step in
build)
	unpack_source jbig2dec "$work/cache" "$tree"
	printf 'libjbig2dec.so*  2\njbig2dec  1\n' >"$work/$variant.conf"
	case $variant in
	reference)
		export CC=gcc
		;;
	base)
		export CC="$bin/ia2-cc" IA2_CC=gcc IA2_CONFIG="$work/$variant.conf"
		;;
	audited)
		export CC="$bin/ia2-cc" IA2_CC=gcc IA2_CONFIG="$work/$variant.conf"
		cp "$work/audit.conf" "$work/$variant.conf" || fail "no audit.conf: run the audit step"
		;;
	memlimit)
		export CC="$bin/ia2-cc" IA2_CC=clang IA2_SHARED_STACK=1 IA2_CONFIG="$work/$variant.conf"
		printf '%s\n' "copy-arg libjbig2dec.so* jbig2_data_in(data:size)" \
			"copy-arg jbig2dec error_callback(message:string)" \
			"share-heap libjbig2dec.so* jbig2_image_new" \
			"share-heap jbig2dec jbig2dec_alloc jbig2dec_realloc" >>"$work/$variant.conf"
		;;
	*)
		fail "unknown variant $variant"
		;;
	esac
	cd "$tree" || exit 1
	./autogen.sh --without-libpng >"$work/$variant.configure.log" 2>&1 ||
		fail "autogen.sh and configure: $(tail -5 "$work/$variant.configure.log")"
	make -j2 libjbig2dec.la jbig2dec >"$work/$variant.make.log" 2>&1 ||
		fail "make: $(tail -5 "$work/$variant.make.log")"
	if [ "$variant" = reference ]; then
		mkdir -p "$work/reference.run" && cd "$work/reference.run" || exit 1
		use_tree
		decode || fail "the reference build does not decode: $(tail -3 run.err)"
		grep -q '^Hash of decoded document: [0-9a-f]\{40\}$' run.out ||
			fail "the reference decode printed no hash: $(cat run.out)"
		exit 0
	fi
	in_compartment .libs/jbig2dec 1
	main_gated .libs/jbig2dec
	in_compartment .libs/$lib 2
	;;
report)
	mkdir -p "$work/report.run" && cd "$work/report.run" || exit 1
	use_tree
	decode
	status=$?
	[ $status = 139 ] || fail "base's decode ended with status $status, not SIGSEGV's 139: $(tail -3 run.err)"
	grep -qF "Rule that would allow it: 'copy-arg $lib jbig2_data_in(data:size)'" run.err ||
		fail "the report names no rule for jbig2_data_in's buffer: $(grep '^ia2:' run.err)"
	grep '^ia2:' run.err
	;;
audit)
	mkdir -p "$work/audit.run" && cd "$work/audit.run" || exit 1
	use_tree
	cp "$work/base.conf" "$work/audit.conf"
	IA2_AUDIT=$work/audit.conf decode || fail "the audited decode failed: $(tail -3 run.err)"
	same_as_reference
	for rule in "copy-arg $lib jbig2_data_in(data:size)" \
		    "copy-arg jbig2dec error_callback(message:string)" \
		    "share-heap $lib jbig2_image_new"; do
		grep -qxF "$rule" "$work/audit.conf" ||
			fail "audit.conf lacks $rule: $(grep -v '^#' "$work/audit.conf")"
	done
	# jbig2_image_new allocates an image and its data, at two calls, and
	# the CLI reads blocks of both for each page: one description per
	# call, not per block (libia2/audit.c, same_site).
	n=$(grep -c "Rule that would allow it: 'share-heap $lib jbig2_image_new'" run.err)
	[ "$n" -le 2 ] || fail "jbig2_image_new's blocks were described $n times, not once per call"
	grep -v '^#' "$work/audit.conf"
	;;
decode)
	mkdir -p "$work/$variant.run" && cd "$work/$variant.run" || exit 1
	use_tree
	if [ "$variant" = memlimit ]; then
		decode -M 100000000
	else
		decode
	fi || fail "$variant's decode failed: $(tail -3 run.err)"
	same_as_reference
	echo "jbig2dec ($variant): $(cat run.out), $(grep -c . run.err) messages, as the reference"
	;;
*)
	fail "unknown step $step"
	;;
esac
