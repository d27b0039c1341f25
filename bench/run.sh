#!/usr/bin/env bash
# Benchmarks (they print figures; tests assert behaviour, benchmarks measure it).
#   bench/run.sh            IBB window: throughput through a real Prosody per window and delay
# Extra arguments go to bench/ibb_window.py (--size, --windows, --delays, --repeat).
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/deps.sh
xtls_install_deps "${XTLS_BUILD_DEPS[@]}"
[ -d build ] || meson setup build >/dev/null
ninja -C build plugin/purple/pidgin-xtls.so tests/integration/xtls-client >/dev/null
exec tests/isolated.sh python3 bench/ibb_window.py \
  --client build/tests/integration/xtls-client --plugin-dir build/plugin/purple "$@"
