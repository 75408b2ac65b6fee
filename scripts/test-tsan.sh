#!/usr/bin/env bash
# Runs the tests of the allocation tracker under ThreadSanitizer: internal_tracker (4 writers and
# 2 readers racing on one tracker) and core_pool (allocating threads while others call umfPoolByPtr).
#   scripts/test-tsan.sh            builds build/Tsan (Debug, -DUMF_SANITIZE=thread) first
set -uo pipefail
cd "$(dirname "$0")/.."
build=build/Tsan
cmake -S vendor/umf -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DUMF_SANITIZE=thread \
    -DUMF_BUILD_BENCHMARKS=OFF >/dev/null || exit 1
cmake --build "$build" -j2 --target internal_tracker core_pool >/dev/null || exit 1
ctest --test-dir "$build" -R '^(internal_tracker|core_pool)$' --output-on-failure
