#!/usr/bin/env bash
# Runs the product demo from a fresh Debian machine: installs what it needs, builds, and shows
# alice and bob setting up a private conversation step by step. Extra arguments go to the demo
# (--verbose prints the XML of every stanza).
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/deps.sh
xtls_install_deps "${XTLS_BUILD_DEPS[@]}"
[ -d build ] || meson setup build >/dev/null
ninja -C build tests/xtls-demo >/dev/null
exec build/tests/xtls-demo "$@"
