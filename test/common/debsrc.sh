# Helpers for the tests that build a Debian source package unmodified
# with ia2 (test/zlib, test/dav1d); sourced by their scripts.

fail() { echo "FAIL: $*" >&2; exit 1; }

# unpack_source PACKAGE CACHE DEST: fetch PACKAGE's source into CACHE
# once (apt-get source; a deb-src entry is needed), then unpack it, with
# Debian's patches, into a fresh DEST.
unpack_source() {
	mkdir -p "$2" || exit 1
	if ! ls "$2/$1"_*.dsc >/dev/null 2>&1; then
		(cd "$2" && apt-get source --download-only "$1") >"$2/fetch.log" 2>&1 ||
			fail "apt-get source $1 (a deb-src entry is needed; scripts/setup-deps.sh adds one): $(tail -3 "$2/fetch.log")"
	fi
	rm -rf "$3" && dpkg-source -x "$2/$1"_*.dsc "$3" >/dev/null 2>&1 ||
		fail "dpkg-source -x $1 into $3"
}

# main_gated PROGRAM: PROGRAM's main is a gate (objrewrite/plan.c,
# is_program_entry), so that it runs in the program's compartment.
main_gated() {
	nm "$1" | grep -q ' __ia2_body_main$' ||
		fail "$1: main has no gate, so it would run with libc's rights"
}

# in_compartment FILE N: FILE's ia2 note puts it in compartment N (1..9).
in_compartment() {
	readelf -n "$1" | grep -A1 'IA2' | grep -q "description data: 0$2 00 00 00" ||
		fail "$1 is not in compartment $2"
}
