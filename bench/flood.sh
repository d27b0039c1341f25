#!/usr/bin/env bash
# Flood benchmark: one XTLS hub fed hostile outer IQs (issue 7, item 3); prints heap and time
# per item and a verdict per flood. Exits 0 whatever it measures (a benchmark, not a test).
#   bench/flood.sh                 builds build-bench if needed, then runs every flood
#   bench/flood.sh --floods a --sizes 1000,10000 --budget 30 --attr-bytes 20480
# Extra arguments go to build-bench/bench/xtls-bench-flood (--help lists them).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d build-bench ] || meson setup build-bench >/dev/null
ninja -C build-bench bench/xtls-bench-flood >/dev/null
G_SLICE=always-malloc exec env -u G_MESSAGES_DEBUG build-bench/bench/xtls-bench-flood "$@"
