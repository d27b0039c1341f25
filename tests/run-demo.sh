#!/usr/bin/env bash
# Runs the product demo from a fresh Debian machine: installs what it needs, builds, starts a
# private Prosody on 127.0.0.1 and two real libpurple clients (alice and bob) with the plugin,
# which verify each other with a shared password and chat; prints what each user sees and
# what crossed the wire.
#   tests/run-demo.sh              the demo with a real server and real libpurple clients
#   tests/run-demo.sh --loopback   the in-process protocol demo (every stanza, leg by leg)
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/deps.sh
xtls_install_deps "${XTLS_BUILD_DEPS[@]}"
[ -d build ] || meson setup build >/dev/null
if [ "${1:-}" = "--loopback" ]; then
  shift
  ninja -C build tests/xtls-demo >/dev/null
  exec build/tests/xtls-demo "$@"
fi
ninja -C build plugin/purple/pidgin-xtls.so tests/integration/xtls-client >/dev/null
exec tests/isolated.sh python3 tests/integration/demo.py \
  --client build/tests/integration/xtls-client --plugin-dir build/plugin/purple "$@"
