#!/bin/sh
# `mixmeet check-config FILE` on the real binary: the shipped config is OK (exit 0, "FILE: OK"),
# a file with a bad value and a typo fails (exit 1) with one line per problem naming file,
# group and key. Usage: check-config.sh MIXMEET_BINARY SOURCE_ROOT
set -u
bin=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

out=$("$bin" check-config "$root/config/mixmeet.ini" 2>"$tmp/err") || fail "shipped config refused: $(cat "$tmp/err")"
[ "$out" = "$root/config/mixmeet.ini: OK" ] || fail "unexpected output: $out"

printf '[video]\nframerate=0\n[limits]\nmax_room=3\n' >"$tmp/bad.ini"
status=0
"$bin" check-config "$tmp/bad.ini" >"$tmp/out" 2>"$tmp/err" || status=$?
[ $status -eq 1 ] || fail "bad config: exit status $status, not 1"
grep -qxF "$tmp/bad.ini: [video] framerate: must be 1..60, got 0" "$tmp/err" || fail "no framerate line: $(cat "$tmp/err")"
grep -qxF "$tmp/bad.ini: [limits] max_room: unknown key" "$tmp/err" || fail "no typo line: $(cat "$tmp/err")"
[ ! -s "$tmp/out" ] || fail "OK printed for a bad file"

# The server itself refuses to start on the same file, with the same lines.
if "$bin" serve --config "$tmp/bad.ini" >/dev/null 2>"$tmp/err"; then fail "server started on a bad config"; fi
grep -qxF "$tmp/bad.ini: [limits] max_room: unknown key" "$tmp/err" || fail "serve: no typo line: $(cat "$tmp/err")"

"$bin" check-config "$tmp/missing.ini" 2>/dev/null && fail "missing file accepted"
echo "check-config: OK"
