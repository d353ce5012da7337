#!/bin/sh
# Runs the [.netns] integration tests in a private network namespace (root only): loopback is
# brought up, and the veth pair, second namespace and tc queue the test makes stay inside it;
# nothing reaches the host network.
set -e
for tool in ip tc unshare; do
  if [ "$(id -u)" -ne 0 ] || ! command -v "$tool" >/dev/null 2>&1; then
    echo "needs root, ip, tc and unshare: skipping"
    exit 77
  fi
done
exec unshare --net -- sh -c 'ip link set lo up && exec "$0" "[.netns]"' "$1"
