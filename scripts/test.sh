#!/bin/sh
# Install the dependencies, build ia2 and run the whole test suite.
# Tests that need PKU run natively on PKU hardware and in a QEMU VM
# elsewhere (test/runner); none of them is ever skipped.
set -eu
cd "$(dirname "$0")/.."
./scripts/setup-deps.sh
./scripts/build.sh
cd "${IA2_BUILD_DIR:-build}"
exec ctest --output-on-failure -j"$(nproc)"
