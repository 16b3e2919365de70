#!/bin/sh
# usage: diag.sh RWTEST WORKDIR STATUS [--OPTION VALUE]... INPUT PHRASE...
#
# Runs rwtest on INPUT alone, with the options given, and requires exit
# status STATUS and a message on stderr that names INPUT and contains
# every PHRASE (fixed strings).
set -u
rwtest=$1 work=$2 want=$3
shift 3
opts=
while [ "${1#--}" != "$1" ]; do
	opts="$opts $1 $2"
	shift 2
done
input=$1
shift

rm -rf "$work" && mkdir -p "$work" || exit 1
# shellcheck disable=SC2086 # $opts is a list of words
"$rwtest" --compartment 2 $opts --workdir "$work" "$input" >"$work/stdout" 2>"$work/stderr"
got=$?
status=0
if [ $got -ne "$want" ]; then
	echo "FAIL: exit status $got, expected $want"
	status=1
fi
for phrase in "$input" "$@"; do
	if ! grep -qF -e "$phrase" "$work/stderr"; then
		echo "FAIL: stderr does not contain: $phrase"
		status=1
	fi
done
[ $status -eq 0 ] || { echo "stderr:"; sed 's/^/    /' "$work/stderr"; }
exit $status
