#!/bin/sh
# syscall-cost.sh [BUILD]
#
# What the syscall filter and monitor add to a call: runs bench/syscalls
# built with plain cc, built with ia2-cc under IA2_MONITOR=off (the filter
# alone) and with the monitor, each alone and with a second thread
# spinning, with protection keys enforced (test/runner/ia2-pkurun), and
# prints nanoseconds per call. In the QEMU TCG VM that ia2-pkurun boots on
# a machine without PKU these are emulated nanoseconds: compare the rows
# with each other, never with another machine. BUILD defaults to ./build.
set -eu
build=$(cd "${1:-build}" && pwd -P)
prog=$build/bench/syscalls

# One VM for every run: booting costs more than the runs.
"$build/test/runner/ia2-pkurun" sh -c '
for threads in "" 2; do
	echo "plain $threads"; "$1/syscalls-base" $threads
	echo "filter $threads"; IA2_MONITOR=off "$1/syscalls" $threads 2>/dev/null
	echo "monitor $threads"; "$1/syscalls" $threads
done' sh "$prog" | awk '
/^(plain|filter|monitor)/ { run = $1 ($2 == "" ? "" : "+thread"); if (!(run in seen)) { seen[run] = 1; runs[++nruns] = run } next }
{ ns[run, $1] = $2; if (!($1 in isname)) { isname[$1] = 1; names[++nnames] = $1 } }
END {
	printf "%-12s", "ns/call"
	for (r = 1; r <= nruns; r++) printf " %15s", runs[r]
	printf "\n"
	for (n = 1; n <= nnames; n++) {
		printf "%-12s", names[n]
		for (r = 1; r <= nruns; r++) printf " %15s", ns[runs[r], names[n]]
		printf "\n"
	}
}'
