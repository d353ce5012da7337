#!/usr/bin/env bash
# Installs what mixmeet needs from Debian (only what is missing), then configures and builds.
#   scripts/setup.sh          server build dependencies
#   scripts/setup.sh --tests  also what the test suites need (Chromium, Node.js, playwright-core,
#                             nginx and openssl for the TLS reverse-proxy test)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_PACKAGES=(
  meson ninja-build pkg-config g++ python3
  libglib2.0-dev libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev
  libgstreamer-plugins-bad1.0-dev libsoup-3.0-dev libjson-glib-dev catch2 libcurl4-openssl-dev
  libsqlite3-dev libsodium-dev libssl-dev
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-bad
  gstreamer1.0-plugins-ugly gstreamer1.0-nice gstreamer1.0-libav gstreamer1.0-x
  gstreamer1.0-tools glib-networking fonts-dejavu-core fonts-noto-color-emoji
)
# nginx: the integration test runs it as a TLS reverse proxy on 127.0.0.1 (its own config in a
# temporary directory); openssl makes the test's self-signed certificate.
# coturn: the TURN test runs turnserver on 127.0.0.1 (a temporary config, a static user).
# libnginx-mod-rtmp: the streaming test's RTMP server (nginx's rtmp module, started by the test).
TEST_PACKAGES=(chromium iproute2 nginx libnginx-mod-rtmp openssl coturn)

# clang and its libFuzzer/sanitizer runtimes: the fuzz targets (scripts/fuzz.sh), installed when
# a fuzz run is asked for (MIXMEET_FUZZ_SECONDS, as .ci/run sets it).
FUZZ_PACKAGES=(clang libclang-rt-14-dev)

packages=("${BUILD_PACKAGES[@]}")
[[ -n "${MIXMEET_FUZZ_SECONDS:-}" ]] && packages+=("${FUZZ_PACKAGES[@]}")
# Node.js (npm): the web pages' vendored libraries (hls.js for web/watch.html) and the e2e
# tests. Debian's, unless a node is already installed (it may come from elsewhere and conflict
# with Debian's npm package).
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
with_tests=0
if [[ "${1:-}" == "--tests" ]]; then
  with_tests=1
  packages+=("${TEST_PACKAGES[@]}")
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian starts the nginx service on port 80 when it installs it; the tests start their own.
  if [[ " ${missing[*]} " == *" nginx "* ]] && command -v systemctl >/dev/null 2>&1 &&
    systemctl is-active --quiet nginx 2>/dev/null; then
    echo "setup: stopping and disabling the nginx service Debian started (the tests run their own)"
    $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true
  fi
fi

# Browser libraries from npm (vendor/package.json), copied into web/vendor (not committed).
vlock=vendor/package-lock.json
vstamp=vendor/node_modules/.mixmeet-lock
if [[ ! -f "$vstamp" ]] || ! cmp -s "$vlock" "$vstamp"; then
  echo "setup: npm ci (vendor)"
  (cd vendor && npm ci --no-audit --no-fund --loglevel=error)
  cp "$vlock" "$vstamp"
fi
mkdir -p web/vendor
cp vendor/node_modules/hls.js/dist/hls.min.js web/vendor/hls.min.js

if ((with_tests)); then
  lock=tests/e2e/package-lock.json
  stamp=tests/e2e/node_modules/.mixmeet-lock
  if [[ ! -f "$stamp" ]] || ! cmp -s "$lock" "$stamp"; then
    echo "setup: npm ci (tests/e2e)"
    (cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
    cp "$lock" "$stamp"
  fi
fi

if [[ ! -f build/build.ninja ]]; then
  meson setup build --buildtype=debugoptimized >/dev/null
fi
ninja -C build
