#!/usr/bin/env bash
# The test command (npm test): builds libumf.so.1, runs the C tests and the tap tests, and ends
# with "N passed, N failed" over both. With --sanitizers the C tests run once more under
# AddressSanitizer and UndefinedBehaviorSanitizer (CI does this).
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
add_counts() { # reads "... N passed, M failed" from the last line of $1
    local line
    line=$(echo "$1" | grep -E '[0-9]+ passed, [0-9]+ failed' | tail -1)
    if [ -z "$line" ]; then failed=$((failed + 1)); return; fi
    passed=$((passed + $(echo "$line" | sed -E 's/(^|.*[^0-9])([0-9]+) passed.*/\2/')))
    failed=$((failed + $(echo "$line" | sed -E 's/.*[^0-9]([0-9]+) failed.*/\1/')))
}

if ! npm run --silent build:native >/tmp/umf-build.log 2>&1; then
    tail -40 /tmp/umf-build.log
    echo "0 passed, 1 failed"
    exit 1
fi

c_out=$(bash scripts/test-c.sh 2>&1); echo "$c_out"; add_counts "$c_out"

if [ "${1:-}" = "--sanitizers" ]; then
    s_out=$(bash scripts/test-c.sh --sanitize address,undefined 2>&1); echo "$s_out"; add_counts "$s_out"
fi

# tap: one line per test file at the top level of its TAP output ("ok N - file" / "not ok N - file").
tap_out=$(npx tap -R tap 2>&1)
tap_rc=$?
echo "$tap_out" | grep -E '^(not )?ok [0-9]+|^# |^\s+not ok' | tail -n 300
tap_pass=$(echo "$tap_out" | grep -cE '^ok [0-9]+' || true)
tap_fail=$(echo "$tap_out" | grep -cE '^not ok [0-9]+' || true)
if [ "$tap_rc" -ne 0 ] && [ "$tap_fail" -eq 0 ]; then tap_fail=1; fi
echo "tap tests: $tap_pass passed, $tap_fail failed"
passed=$((passed + tap_pass))
failed=$((failed + tap_fail))

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
