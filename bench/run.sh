#!/usr/bin/env bash
# Benchmarks (they print figures; tests assert behaviour, benchmarks measure it).
#   bench/run.sh                 the whole table (bench/bench.py): time to private, message
#                                round trip, throughput, window, raw IBB baseline, memory,
#                                at 0 and 20 ms added delay; median of 5 interleaved runs
#   bench/run.sh --ibb-window    IBB window sweep (bench/ibb_window.py)
#   bench/run.sh --filexfer      50 MiB file: XTLS vs libpurple's own transfer (bench/filexfer.py)
# Extra arguments go to the Python script (see its --help). BUILD=dir picks the meson build
# directory (default: build).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
source tests/deps.sh
xtls_install_deps "${XTLS_BUILD_DEPS[@]}"
[ -d "$BUILD" ] || meson setup "$BUILD" >/dev/null
ninja -C "$BUILD" plugin/purple/pidgin-xtls.so tests/integration/xtls-client \
  plugin/core/libxtls-core.a tests/support/libxtls-test-support.a >/dev/null
if [ "${1:-}" = "--ibb-window" ]; then
  shift
  exec tests/isolated.sh python3 bench/ibb_window.py \
    --client "$BUILD/tests/integration/xtls-client" --plugin-dir "$BUILD/plugin/purple" "$@"
fi
if [ "${1:-}" = "--filexfer" ]; then
  shift
  exec tests/isolated.sh python3 bench/filexfer.py --variant "$BUILD=$BUILD" "$@"
fi
exec tests/isolated.sh python3 bench/bench.py --variant "$BUILD=$BUILD" --memory-build "$BUILD" "$@"
