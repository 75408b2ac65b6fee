#!/usr/bin/env bash
# Runs the C tests (ctest) and prints "C tests (<label>): N passed, N failed".
#   scripts/test-c.sh                         the tests of build/Release (built by npm run build:native)
#   scripts/test-c.sh --sanitize address,undefined   builds build/Sanitize with those sanitizers first
set -uo pipefail
cd "$(dirname "$0")/.."

build=build/Release
label=plain
if [ "${1:-}" = "--sanitize" ]; then
    sanitizers=${2:?which sanitizers, e.g. address,undefined}
    build=build/Sanitize
    label="sanitizers: $sanitizers"
    cmake -S vendor/umf -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DUMF_SANITIZE="$sanitizers" \
        -DUMF_BUILD_BENCHMARKS=OFF >/dev/null || { echo "C tests ($label): 0 passed, 1 failed"; exit 1; }
    cmake --build "$build" -j"$(nproc)" || { echo "C tests ($label): 0 passed, 1 failed"; exit 1; }
    export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
    export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
fi

out=$(ctest --test-dir "$build" --output-on-failure -j2 2>&1)
echo "$out" | sed -n '/tests passed/,$!p' | grep -vE '^\s*$' | tail -n 200
summary=$(echo "$out" | grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' | tail -1)
if [ -z "$summary" ]; then
    echo "$out" | tail -20
    echo "C tests ($label): 0 passed, 1 failed"
    exit 1
fi
failed=$(echo "$summary" | sed -E 's/.* ([0-9]+) tests? failed out of ([0-9]+).*/\1/')
total=$(echo "$summary" | sed -E 's/.* failed out of ([0-9]+).*/\1/')
echo "C tests ($label): $((total - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
