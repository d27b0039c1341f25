#!/usr/bin/env bash
# The whole test suite, from a fresh Debian machine: installs what it needs, builds, runs every
# test, then builds again with AddressSanitizer + UndefinedBehaviorSanitizer and runs it all
# again. Ends with one line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
source tests/deps.sh
xtls_install_deps "${XTLS_BUILD_DEPS[@]}" || { echo "0 passed, 1 failed"; exit 1; }

count_tap () {
  # Counts the individual g_test cases (TAP lines) in meson's log; a test program that crashed
  # before printing its plan counts as one failure.
  python3 - "$1" <<'PY'
import json, re, sys
passed = failed = 0
for line in open(sys.argv[1]):
    t = json.loads(line)
    ok = len(re.findall(r'^ok \d+', t.get('stdout', ''), re.M))
    bad = len(re.findall(r'^not ok \d+', t.get('stdout', ''), re.M))
    if t['result'] not in ('OK', 'EXPECTEDFAIL', 'SKIP') and bad == 0:
        bad = 1
    passed += ok
    failed += bad
print(passed, failed)
PY
}

total_passed=0
total_failed=0
run_suite () {
  local dir=$1; shift
  echo "== build $dir $*"
  if [ ! -d "$dir" ]; then
    meson setup "$dir" "$@" >"$dir.setup.log" 2>&1 || { cat "$dir.setup.log"; return 1; }
  fi
  ninja -C "$dir" || return 1
  meson test -C "$dir" --num-processes 2 --print-errorlogs
  read -r p f < <(count_tap "$dir/meson-logs/testlog.json")
  echo "== $dir: $p passed, $f failed"
  total_passed=$((total_passed + p))
  total_failed=$((total_failed + f))
}

run_suite build || total_failed=$((total_failed + 1))
run_suite build-sanitize -Db_sanitize=address,undefined -Db_lundef=false \
  || total_failed=$((total_failed + 1))

echo "$total_passed passed, $total_failed failed"
[ "$total_failed" -eq 0 ]
