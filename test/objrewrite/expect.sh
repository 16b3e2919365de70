#!/bin/sh
# usage: expect.sh RWTEST VARIANT EXPECTED WORKDIR INPUT...
#
# Runs rwtest on the inputs (compartment 2, work files in WORKDIR) and
# checks its output against EXPECTED, whose format that file describes.
# Prints every unmet expectation; exits 1 if there was one.
set -u
rwtest=$1 variant=$2 expected=$3 work=$4
shift 4

rm -rf "$work" && mkdir -p "$work/rw" || exit 1
out=$work/rwtest.out
if ! "$rwtest" --compartment 2 --workdir "$work/rw" "$@" >"$out"; then
	echo "FAIL: rwtest failed on $*"
	exit 1
fi

# Whether variant name $1 matches pattern $2 (a leading ! negates it).
applies() {
	case $2 in
	!*) ! applies "$1" "${2#!}" ;;
	*) case $1 in $2) return 0 ;; esac; return 1 ;;
	esac
}

status=0
while read -r pattern op re; do
	case $pattern in '' | '#'*) continue ;; esac
	applies "$variant" "$pattern" || continue
	n=$(grep -cE -e "$re" "$out")
	case $op in
	+) [ "$n" -gt 0 ] ;;
	-) [ "$n" -eq 0 ] ;;
	*) [ "$n" -eq "$op" ] ;;
	esac || {
		echo "FAIL: $op $re: $n matching lines"
		grep -E -e "$re" "$out" | sed 's/^/    /'
		status=1
	}
done <"$expected"
[ $status -eq 0 ] || { echo "rwtest output ($out):"; sed 's/^/    /' "$out"; }
exit $status
