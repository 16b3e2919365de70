#!/bin/sh
# Configure and build ia2 in ./build (or $IA2_BUILD_DIR).
set -eu
cd "$(dirname "$0")/.."
build=${IA2_BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
