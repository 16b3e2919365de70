#!/bin/sh
# usage: diag.sh RWTEST WORKDIR STATUS INPUT PHRASE...
#
# Runs rwtest on INPUT alone and requires exit status STATUS and a message
# on stderr that names INPUT and contains every PHRASE (fixed strings).
set -u
rwtest=$1 work=$2 want=$3 input=$4
shift 4

rm -rf "$work" && mkdir -p "$work" || exit 1
"$rwtest" --compartment 2 --workdir "$work" "$input" >"$work/stdout" 2>"$work/stderr"
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
