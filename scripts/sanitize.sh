#!/usr/bin/env bash
# Builds the server and the test suites with AddressSanitizer + UndefinedBehaviorSanitizer
# (meson's built-in -Db_sanitize=address,undefined) in build-asan/, then runs the unit suite and
# the [hostile],[protocol] integration tests (MIXMEET_SANITIZE_TAGS) under them. .ci/run runs this through
# scripts/test.sh (MIXMEET_SANITIZERS=1), which counts the results into its last line; the meson
# test logs are build-asan/meson-logs/sanitize-{unit,integration}.json.
# Exit status: 0 when everything built and passed.
set -uo pipefail
cd "$(dirname "$0")/.."
build=build-asan
logs=$build/meson-logs
mkdir -p "$logs"
rm -f "$logs"/sanitize-*.json
start=$(date +%s)

fail() {  # One failed "test" in the count, with the reason.
    echo "sanitize: $1" >&2
    printf '{"name": "sanitize-%s", "result": "FAIL", "stdout": ""}\n' "$2" >"$logs/sanitize-$2.json"
    exit 1
}

if [[ ! -f $build/build.ninja ]]; then
    # -O1 with line tables only (-g1): less than half the compile time of -O2 -g (Messages.cpp:
    # 15 s instead of 34 s CPU; 10 s unsanitized), and ASan's reports still name file and line.
    # -Wno-maybe-uninitialized: GCC 12 with ASan at -O1 warns falsely inside libstdc++'s
    # <regex> (std::function in _State, pulled in by Catch2); warnings stay errors otherwise.
    meson setup "$build" -Doptimization=1 -Ddebug=false "-Dcpp_args=-g1 -Wno-maybe-uninitialized" \
        -Db_sanitize=address,undefined -Db_lundef=false >/dev/null || fail "meson setup failed" setup
fi
# Which integration tests run sanitized: MIXMEET_SANITIZE_TAGS (Catch2 tags, default
# "[hostile]~[no-asan],[protocol]"); empty skips the integration tests and their build.
# [no-asan]: checks that assume an unsanitized binary: RLIMIT_AS (ASan cannot map its shadow
# memory under it) and RSS growth (ASan's quarantine holds freed memory).
tags=${MIXMEET_SANITIZE_TAGS-[hostile]~[no-asan],[protocol]}
targets=(tests/unit-tests tests/support/goertzel_test src/mixmeet)
[[ -n $tags ]] && targets+=(tests/integration-tests)
# Only what the runs below need (not bench/ nor the e2e-only tools).
ninja -C "$build" "${targets[@]}" || fail "build failed" build
built=$(date +%s)

# LeakSanitizer is off: GLib, GStreamer and their plugins keep global caches for the process
# lifetime (the integration suite's GST_TRACERS=leaks checks our elements and pads instead).
export ASAN_OPTIONS=detect_leaks=0:halt_on_error=1:abort_on_error=1:print_summary=1
export UBSAN_OPTIONS=halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1
status=0
meson test -C "$build" --no-rebuild --print-errorlogs --num-processes 1 --suite unit \
    --logbase sanitize-unit || status=1
if [[ -n $tags ]]; then
    meson test -C "$build" --no-rebuild --print-errorlogs --num-processes 1 integration \
        --test-args "$tags" --logbase sanitize-integration || status=1
fi
echo "sanitize: ASan+UBSan build $((built - start)) s, tests $(($(date +%s) - built)) s"
exit $status
