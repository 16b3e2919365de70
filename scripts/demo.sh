#!/bin/sh
# Fresh Debian 12 machine to a running demo: install the dependencies,
# build ia2, and run the two-compartment vault demo (examples/demo).
set -eu
cd "$(dirname "$0")/.."
./scripts/setup-deps.sh
./scripts/build.sh
exec "${IA2_BUILD_DIR:-build}"/examples/demo/run-demo.sh
