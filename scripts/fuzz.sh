#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan in build-fuzz/ and runs
# each for SECONDS (default 60) on a copy of its seed corpus (tests/fuzz/corpus/<name>).
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]   (targets: signaling candidate sdp_answer config
# http rtcp byterange). Prints one line per target: executions, coverage, result; crashing
# inputs are kept in build-fuzz/artifacts/<name>/ (turn each into a unit test, then fix).
# Exit status: 0 when no target found anything. FUZZ_INPUT_TIMEOUT (s, default 10): how long one
# input may take before it counts as a hang (raise it when the machine is shared: a starved
# process "hangs" on inputs that take a millisecond alone).
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(signaling candidate sdp_answer config http rtcp byterange)
build=build-fuzz
rm -f "$build/fuzz.json"
jobs=${FUZZ_BUILD_JOBS:-2}

if [ ! -f "$build/build.ninja" ]; then
    # ccache when there is one (not installed by scripts/setup.sh; it only speeds up rebuilds).
    cc=clang cxx=clang++
    command -v ccache >/dev/null 2>&1 && cc='ccache clang' cxx='ccache clang++'
    CC="$cc" CXX="$cxx" meson setup "$build" --buildtype=debugoptimized -Dfuzzing=true \
        -Dtests=disabled -Db_sanitize=address,undefined -Db_lundef=false >"$build.setup.log" 2>&1 ||
        { cat "$build.setup.log"; exit 1; }
fi
exes=()
for t in "${targets[@]}"; do exes+=("tests/fuzz/fuzz-${t//_/-}"); done
ninja -C "$build" -j"$jobs" "${exes[@]}" || exit 1

export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export GST_REGISTRY_FORK=no
found=0
# One meson-test-style JSON line per target, for scripts/test.sh's count (MIXMEET_FUZZ_SECONDS).
: >"$build/fuzz.json"
printf '%-12s %10s %8s %8s %8s  %s\n' target execs exec/s cov corpus result
for t in "${targets[@]}"; do
    corpus="$build/corpus/$t" artifacts="$build/artifacts/$t" log="$build/fuzz-$t.log"
    mkdir -p "$corpus" "$artifacts"
    cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null
    dict=()
    [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
    # Inputs that once crashed (tests/fuzz/regressions/<name>/) run first, as they are.
    regressions=(tests/fuzz/regressions/"$t"/*)
    if [ -e "${regressions[0]}" ] &&
        ! "$build/tests/fuzz/fuzz-${t//_/-}" "${regressions[@]}" >"$build/regress-$t.log" 2>&1; then
        found=1
        printf '%-12s regression input crashes again: see %s\n' "$t" "$build/regress-$t.log"
    fi
    "$build/tests/fuzz/fuzz-${t//_/-}" "$corpus" "${dict[@]}" -max_total_time="$seconds" \
        -max_len=65536 -timeout="${FUZZ_INPUT_TIMEOUT:-10}" -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$artifacts/" >"$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    corp=$(grep -o 'corp: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
    result=clean
    if [ $rc -ne 0 ]; then
        found=1
        result="FOUND (exit $rc): $(ls "$artifacts" | head -3 | tr '\n' ' ')see $log"
    fi
    printf '%-12s %10s %8s %8s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
        "${corp:-?}" "$result"
    printf '{"name": "fuzz-%s", "result": "%s", "stdout": ""}\n' "$t" \
        "$([ $rc -eq 0 ] && echo OK || echo FAIL)" >>"$build/fuzz.json"
done
exit $found
