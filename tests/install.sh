#!/bin/sh
# `meson install --destdir` into a temporary directory, then the installed binary on its own:
# the installed config passes check-config, and `mixmeet serve` without --config finds the
# installed config (its port is set to 0 here, the source tree's is 8080) and serves pages from
# the installed web directory (a marker file only the installed copy has). The systemd unit
# passes `systemd-analyze verify` when that tool is there (docs/deployment.md).
# Usage: install.sh BUILD_DIR
set -u
build=$1
tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ -f "$tmp/serve.err" ] && tail -20 "$tmp/serve.err"; exit 1; }

dest=$tmp/dest
meson install -C "$build" --destdir "$dest" --no-rebuild --quiet >"$tmp/install.log" 2>&1 ||
  fail "meson install: $(tail -5 "$tmp/install.log")"
bin=$(find "$dest" -path '*/bin/mixmeet' -type f | head -1)
ini=$(find "$dest" -path '*/mixmeet/mixmeet.ini' -type f | head -1)
web=$(find "$dest" -path '*/share/mixmeet/web' -type d | head -1)
pipelines=$(find "$dest" -path '*/share/mixmeet/pipelines' -type d | head -1)
unit=$(find "$dest" -name mixmeet.service -type f | head -1)
[ -x "$bin" ] || fail "no installed binary under $dest"
[ -f "$ini" ] || fail "no installed mixmeet.ini"
[ -f "$web/room.html" ] || fail "no installed web/room.html"
[ -f "$pipelines/video-encode-vp8.pipeline" ] || fail "no installed pipelines"
[ -f "$unit" ] || fail "no installed mixmeet.service"
echo "installed: $bin $ini $web $unit"

out=$("$bin" check-config "$ini" 2>"$tmp/err") || fail "installed config refused: $(cat "$tmp/err")"
[ "$out" = "$ini: OK" ] || fail "check-config said: $out"

# The installed binary on its installed config: no --config, port 0, data in the temp dir.
sed -i "s|^port=.*|port=0|; s|^data_dir=.*|data_dir=$tmp/data|" "$ini"
echo "installed copy" >"$web/install-marker.txt"
(cd "$tmp" && exec "$bin" serve) >"$tmp/serve.out" 2>"$tmp/serve.err" &
pid=$!
url=
for _ in $(seq 1 100); do
  url=$(sed -n 's/^mixmeet: listening on //p' "$tmp/serve.out")
  [ -n "$url" ] && break
  kill -0 "$pid" 2>/dev/null || fail "installed server exited"
  sleep 0.1
done
[ -n "$url" ] || fail "installed server did not start"
case "$url" in *:8080/) fail "the installed server used the source tree's config ($url)" ;; esac
fetch() { python3 -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=10).read().decode())' "$1"; }
[ "$(fetch "${url}install-marker.txt")" = "installed copy" ] || fail "not serving the installed web directory"
fetch "${url}room.html" | grep -q '<html' || fail "no room.html page"
# An account for set-role below.
python3 -c 'import sys, urllib.request; urllib.request.urlopen(urllib.request.Request(sys.argv[1], data=sys.argv[2].encode(), headers={"Content-Type": "application/json"}), timeout=10)' \
  "${url}api/register" '{"email":"root@example.org","username":"root","displayName":"Root","password":"correct horse battery"}' ||
  fail "cannot register an account on the installed server"
kill "$pid"
wait "$pid" || fail "installed server exited with status $?"
pid=

# mixmeet set-role on the installed config's database (docs/deployment.md, "Admins").
out=$(cd "$tmp" && "$bin" set-role root admin 2>&1) || fail "set-role: $out"
[ "$out" = "root is now an admin" ] || fail "set-role said: $out"
if (cd "$tmp" && "$bin" set-role nobody admin >/dev/null 2>&1); then fail "set-role of a missing account succeeded"; fi
echo "set-role: OK"

if command -v systemd-analyze >/dev/null 2>&1; then
  # verify checks that ExecStart's binary exists: point it at the staged one.
  mkdir -p "$tmp/unit"
  sed "s|^ExecStart=[^ ]*|ExecStart=$bin|" "$unit" >"$tmp/unit/mixmeet.service"
  systemd-analyze verify "$tmp/unit/mixmeet.service" >"$tmp/verify" 2>&1 ||
    fail "systemd-analyze verify: $(cat "$tmp/verify")"
  echo "systemd-analyze verify: OK"
else
  echo "systemd-analyze not installed: unit not verified"
fi
echo "install: OK"
