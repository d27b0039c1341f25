#!/bin/sh
# Runs a test command inside a network namespace of its own that has only the loopback
# interface, so whatever the programs under test try (libpurple offering SOCKS5 streamhosts on
# every local address, UPnP, DNS), nothing can reach beyond 127.0.0.1. Needs root (CI is root)
# and unshare + ip; without them it runs the command as it is, and says so.
if [ "$(id -u)" -eq 0 ] && [ -z "${XTLS_IN_NETNS:-}" ] && command -v unshare >/dev/null 2>&1 \
   && command -v ip >/dev/null 2>&1; then
  export XTLS_IN_NETNS=1
  exec unshare --net -- sh -c 'ip link set lo up && exec "$@"' sh "$@"
fi
echo "# not isolated in a network namespace (needs root, unshare and ip)"
exec "$@"
