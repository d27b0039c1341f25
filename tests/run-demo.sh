#!/usr/bin/env bash
# Runs the product demo from a fresh Debian machine: installs what it needs, builds, starts a
# private Prosody on 127.0.0.1 and then
#  - with a display ($DISPLAY set): two real Pidgin windows, alice and bob, friends, with the
#    plugins enabled, ready for you to start a private conversation;
#  - without one: two headless libpurple clients that verify each other with a shared password
#    and chat, printing what each user sees and what crossed the wire.
#   tests/run-demo.sh              as above
#   tests/run-demo.sh --headless   the headless demo even with a display
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
ninja -C build >/dev/null
if [ "${1:-}" != "--headless" ] && [ -n "${DISPLAY:-}" ] && command -v pidgin >/dev/null; then
  exec tests/isolated.sh python3 tests/integration/pidgin_demo.py --plugin-dir build/plugin
fi
[ "${1:-}" = "--headless" ] && shift
exec tests/isolated.sh python3 tests/integration/demo.py \
  --client build/tests/integration/xtls-client --plugin-dir build/plugin/purple "$@"
