#!/bin/sh
# exit-test.sh PROG CASE: runs PROG CASE (in the PKU VM, under
# ia2-pkurun) and checks its exit status and that exactly the expected
# constructors, destructors and handlers ran, each with its own
# compartment's PKRU: 0xfffffff0 for compartment 1, 0xffffffcc for 2.
set -u
prog=$1 case=$2
c1=0xfffffff0 c2=0xffffffcc
ctors="lib-constructor pkru=$c2
main-constructor pkru=$c1
main pkru=$c1"
atexit="lib-atexit pkru=$c2
main-atexit pkru=$c1"
dtors="main-destructor pkru=$c1
lib-destructor pkru=$c2"
quick="lib-at-quick-exit pkru=$c2
main-at-quick-exit pkru=$c1"

case $case in
return) status=3 want="$ctors
$atexit
$dtors" ;;
exit) status=4 want="$ctors
$atexit
$dtors" ;;
lib-exit) status=5 want="$ctors
$atexit
$dtors" ;;
lib-quick-exit) status=6 want="$ctors
$quick" ;;
lib-_exit) status=7 want="$ctors" ;;
lib-abort) status=134 want="$ctors" ;;
*) echo "exit-test.sh: unknown case $case" >&2; exit 2 ;;
esac

got=$("$prog" "$case")
rc=$?
fail=0
[ $rc -eq $status ] || { echo "FAIL: exit status $rc, expected $status"; fail=1; }
if [ "$got" != "$want" ]; then
	echo "FAIL: output differs from what was expected"
	fail=1
fi
printf 'output:\n%s\n' "$got"
[ $fail -eq 0 ] || printf 'expected:\n%s\n' "$want"
exit $fail
