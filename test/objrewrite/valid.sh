#!/bin/sh
# usage: valid.sh RWTEST LIBIA2_DIR WORKDIR shared|exe INPUT...
#
# Checks that what rwtest writes is sound ELF that links:
#  - readelf -a and eu-elflint --gnu-ld --strict find nothing in each
#    rewritten object that they do not find in its input (clang's
#    .llvm_addrsig already upsets elflint);
#  - the rewritten inputs plus the assembled gates link, as a shared
#    library or a non-PIE executable, with ld.bfd, lld and gold;
#  - in each link, an exported gate is the exported symbol and its body is
#    not; hidden and alias gates are not exported; gate and body are
#    distinct; and no direct call or jump goes to a gate.
# Exits 1 if any check failed.
set -u
rwtest=$1 libdir=$2 work=$3 kind=$4
shift 4
cc=${CC:-cc}
status=0

fail() {
	echo "FAIL: $*"
	status=1
}

for tool in readelf eu-elflint nm objdump ar; do
	command -v $tool >/dev/null || { echo "FAIL: $tool not found"; exit 1; }
done
rm -rf "$work" && mkdir -p "$work/rw" || exit 1
if ! "$rwtest" --compartment 2 --workdir "$work/rw" "$@" >"$work/rwtest.out"; then
	echo "FAIL: rwtest failed on $*"
	exit 1
fi

# Complaints tool $1 makes about file $2, without the file's name.
complaints() {
	case $1 in
	readelf) readelf -aW "$2" 2>&1 >/dev/null ;;
	elflint) eu-elflint --gnu-ld --strict "$2" 2>&1 | grep -v '^No errors' ;;
	esac | sed "s|$2||g"
}

# No complaint about the copy $2 that the input $1 did not draw already.
check_object() {
	readelf -aW "$2" >/dev/null 2>&1 || fail "readelf -a fails on $2 (from $1)"
	for tool in readelf elflint; do
		complaints $tool "$1" >"$work/before"
		complaints $tool "$2" >"$work/after"
		if grep -vxFf "$work/before" "$work/after" >"$work/new"; then
			fail "$tool: new complaints about $2 (from $1):"
			sed 's/^/    /' "$work/new"
		fi
	done
}

# Archives are compared member by member, in order.
check_archive() {
	copies=$(ar t "$2")
	mkdir -p "$work/a.in" "$work/a.out"
	(cd "$work/a.in" && ar x "$1") && (cd "$work/a.out" && ar x "$2") || {
		fail "cannot unpack $1 or $2"
		return
	}
	set -- $(ar t "$1")
	for copy in $copies; do
		check_object "$work/a.in/$1" "$work/a.out/$copy"
		shift
	done
}

# Every member of an archive is linked, so that the symbol checks below
# hold for all gates; which members a link pulls is test/archive's matter.
objects=
while read -r tag in out; do
	[ "$tag" = output ] || continue
	case $in in
	*.a)
		check_archive "$(realpath "$in")" "$(realpath "$out")"
		objects="$objects -Wl,--whole-archive $out -Wl,--no-whole-archive"
		;;
	*)
		check_object "$in" "$out"
		objects="$objects $out"
		;;
	esac
done <"$work/rwtest.out"

"$cc" -c "$work/rw/gates.s" -o "$work/gates.o" || exit 1

# Value of symbol $2 in the nm listing $1, empty if undefined.
value() {
	awk -v s="$2" '$NF == s && NF == 3 { print $1; exit }' "$1"
}

check_symbols() {
	nm "$1" >"$work/nm" && nm -D --defined-only "$1" >"$work/dyn" || {
		fail "nm fails on $1"
		return
	}
	while read -r tag gate _ body style; do
		[ "$tag" = gate ] || continue
		g=$(value "$work/nm" "$gate") b=$(value "$work/nm" "$body")
		[ -n "$g" ] && [ -n "$b" ] && [ "$g" != "$b" ] ||
			fail "$1: gate $gate ($g) and body $body ($b) must be distinct definitions"
		[ -z "$(value "$work/dyn" "$body")" ] || fail "$1: body $body is exported"
		exported=$(value "$work/dyn" "$gate")
		case $kind.$style in
		shared.renamed) [ -n "$exported" ] || fail "$1: gate $gate is not exported" ;;
		*.hidden | *.alias) [ -z "$exported" ] || fail "$1: hidden gate $gate is exported" ;;
		esac
	done <"$work/rwtest.out"
}

# objdump names a branch target <sym>, <sym@plt> or <sym+off>; only the
# first two are a branch to a gate (the gates' own branches show offsets).
check_branches() {
	gates=$(sed -n 's/^gate \([^ ]*\) .*/\1/p' "$work/rwtest.out" | sed 's/\./\\./g' | paste -sd'|')
	objdump -d --no-show-raw-insn "$1" |
		grep -E "	(addr32 )?(call|jmp|j[a-z]+) +[0-9a-f]+ <($gates)(@plt)?>$" >"$work/branches"
	if [ -s "$work/branches" ]; then
		fail "$1: direct branches to gates:"
		sed 's/^/    /' "$work/branches"
	fi
}

for ld in bfd lld gold; do
	case $kind in
	shared) out=$work/lib-$ld.so flags="-shared -Wl,-z,defs" ;;
	exe) out=$work/exe-$ld flags=-no-pie ;;
	esac
	if ! "$cc" $flags -fuse-ld=$ld -Wl,-z,now -Wl,-z,relro $objects "$work/gates.o" \
		-L"$libdir" -lia2 -o "$out"; then
		fail "link with $ld"
		continue
	fi
	check_symbols "$out"
	check_branches "$out"
done
exit $status
