#!/bin/sh
# Runs the [.netns] integration tests in a private network namespace (root only): loopback
# is brought up and nftables rules stay inside the namespace; nothing reaches the host network.
set -e
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null 2>&1 || ! command -v unshare >/dev/null; then
  echo "needs root, nft and unshare: skipping"
  exit 77
fi
exec unshare --net -- sh -c 'ip link set lo up && exec "$0" "[.netns]"' "$1"
