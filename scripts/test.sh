#!/usr/bin/env bash
# Builds (installing what is missing) and runs every test suite (unit, integration, e2e).
# Ends with the line "N passed, N failed". Extra arguments go to `meson test`
# (e.g. --suite unit). With MIXMEET_SANITIZERS=1 (.ci/run) it then runs scripts/sanitize.sh
# (unit + [hostile],[protocol] integration tests under ASan+UBSan) and counts those too; with
# MIXMEET_FUZZ_SECONDS=S it runs every libFuzzer target S seconds (scripts/fuzz.sh), one test each.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --tests || { echo "0 passed, 1 failed"; exit 1; }
meson test -C build --print-errorlogs --num-processes 1 "$@"
status=$?
logs=(build/meson-logs/testlog.json)
if [[ "${MIXMEET_SANITIZERS:-0}" == 1 ]]; then
  scripts/sanitize.sh || status=1
  shopt -s nullglob
  logs+=(build-asan/meson-logs/sanitize-*.json)
fi
if [[ -n "${MIXMEET_FUZZ_SECONDS:-}" ]]; then
  # Each libFuzzer target for that long (clang build in build-fuzz/); one test per target.
  scripts/fuzz.sh "$MIXMEET_FUZZ_SECONDS" || status=1
  if [[ -f build-fuzz/fuzz.json ]]; then
    logs+=(build-fuzz/fuzz.json)
  else
    echo '{"name": "fuzz-build", "result": "FAIL", "stdout": ""}' >build/fuzz-build.json
    logs+=(build/fuzz-build.json)
  fi
fi
python3 - "${logs[@]}" <<'PY'
# Counts test cases: a Catch2 executable reports its own cases ("All tests passed (A assertions
# in N test cases)" / "test cases: N | P passed | F failed"); any other meson test (e2e scripts)
# counts as one. A crashed executable counts as one failure. Every log given is counted.
import json, re, sys
passed = failed = skipped = 0
failures = []  # "suite test: Catch2 case names", printed before the summary
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            t = json.loads(line)
            result, out = t.get("result"), t.get("stdout") or ""
            if result == "SKIP":
                skipped += 1
                continue
            ok = result in ("OK", "EXPECTEDFAIL")
            m = re.search(r"All tests passed \(\d+ assertions? in (\d+) test cases?\)", out)
            n = re.search(r"test cases:\s+(\d+) \|\s+(\d+) passed \|\s+(\d+) failed", out)
            if ok and m:
                passed += int(m.group(1))
            elif n:
                passed += int(n.group(2))
                failed += max(int(n.group(3)), 0 if ok else 1)
            elif ok:
                passed += 1
            else:
                failed += 1
            if not ok:
                # Catch2 prints the failing case's name under a dashed line, then its file:line.
                cases = re.findall(r"^-{20,}\n(.+)\n(?:.*\n)*?-{20,}\n\S+:\d+", out, re.M)
                failures.append(f"{t.get('name')}: " + ("; ".join(dict.fromkeys(cases)) or result))
for f in failures:
    print("FAILED " + f)
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $status
