#!/usr/bin/env bash
# Run every test: set-up and build, the Catch2 unit tests (meson test), the style checks (clang-format, sizes,
# clang-tidy), the pipeline, overlay, observability and lab tests (pytest). The last line printed is exactly
# "N passed, N failed" over all of them; the exit status is non-zero when anything failed (a broken build or a
# crashed test binary counts as a failure).
# Usage: sudo ./scripts/test.sh      Env: BUILD_DIR (default build), SKIP_SETUP=1, SKIP_ROBUSTNESS=1 (no sanitizer
#        tree, no fuzz runs), FUZZ_SECONDS (each target's smoke run, default 10), BUSY_LOOPS=N (run N busy-loop
#        processes beside the suite, e.g. one per core: BUSY_LOOPS=$(nproc); the verdict must not change on a
#        loaded machine)
set -uo pipefail
. "$(dirname "$0")/lib/common.sh"
ws_require_root "$@"
cd "$WS_ROOT"
mkdir -p "$WS_STATE"

passed=0
failed=0
add() { passed=$((passed + $1)); failed=$((failed + $2)); }
summary() { echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ] && exit 0; exit 1; }

# A crashed earlier run may have left the lab behind; and leave none behind us (also on Ctrl-C). Only a lab that
# nobody holds: a bench or demo running beside us keeps its lab (our lab tests wait for its lock).
lab_down_if_free() { flock -n /run/lock/wansteer-lab.lock "$WS_ROOT/scripts/lab.sh" down >/dev/null 2>&1 || true; }
mkdir -p /run/lock
lab_down_if_free
busy_pids=()
cleanup() {
    [ "${#busy_pids[@]}" -gt 0 ] && kill "${busy_pids[@]}" 2>/dev/null
    lab_down_if_free
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Load beside the suite (checking that tests keep their verdict on a busy machine): plain shell busy loops at
# normal priority, competing with the data plane's pollers and the test hosts for every core.
for _ in $(seq 1 "${BUSY_LOOPS:-0}"); do
    bash -c 'while :; do :; done' &
    busy_pids+=("$!")
done
[ "${#busy_pids[@]}" -gt 0 ] && ws_log "load: ${#busy_pids[@]} busy loop(s) running beside the suite"

if [ "${SKIP_SETUP:-0}" != 1 ]; then
    ws_log "setup and build"
    if ! "$WS_ROOT/scripts/setup.sh"; then
        # counted as one failure; go on, so whatever did build still gets tested
        ws_warn "setup or build failed (counted as 1 failed)"
        add 0 1
    fi
fi

# --- unit tests: meson test runs the Catch2 binaries; count Catch2's test cases per binary
ws_log "unit tests: meson test -C $WS_BUILD"
testlog="$WS_BUILD/meson-logs/testlog.json"
rm -f "$testlog"
meson test -C "$WS_BUILD" --print-errorlogs
meson_rc=$?
read -r up uf < <("$WS_PY" - "$testlog" "$meson_rc" <<'PY'
import json, re, sys
path, rc = sys.argv[1], int(sys.argv[2])
p = f = 0
try:
    lines = [json.loads(l) for l in open(path) if l.strip()]
except OSError:
    lines = []
for t in lines:
    out = (t.get("stdout") or "") + (t.get("stderr") or "")
    ok = t.get("result") in ("OK", "EXPECTEDFAIL")
    skip = t.get("result") == "SKIP"
    m_all = re.search(r"All tests passed \(\d+ assertions? in (\d+) test cases?\)", out)
    m_sum = re.search(r"test cases:\s*(\d+)\s*\|\s*(?:(\d+) passed)?\s*\|?\s*(?:(\d+) failed)?", out)
    if m_all and ok:
        p += int(m_all.group(1))
    elif m_sum:
        total, tp, tf = (int(x) if x else 0 for x in m_sum.groups())
        tf = tf if (tp or tf) else total
        p += tp; f += tf
        if not ok and tf == 0:   # summary says fine but the binary failed (e.g. crashed at exit)
            f += 1
    elif skip:
        pass
    else:                        # not a Catch2 binary, or it died before its summary
        p, f = (p + 1, f) if ok else (p, f + 1)
if not lines and rc != 0:        # meson test itself failed (no build, no tests)
    f += 1
print(p, f)
PY
)
ws_log "unit tests: $up passed, $uf failed"
add "$up" "$uf"

# --- style: clang-format, function and file sizes, clang-tidy; each one test (a difference fails it)
for check in format size tidy; do
    ws_log "style: $check"
    if BUILD_DIR="$WS_BUILD" "$WS_PY" "$WS_ROOT/scripts/lib/check_style.py" "$check"; then add 1 0; else add 0 1; fi
done

# --- pytest: pipeline (pcap in, pcap out), overlay (interop with wireguard-go), observability (Prometheus) and lab (namespaces) tests, where present
dirs=()
for d in tests/pipeline tests/overlay tests/observability tests/lab; do
    compgen -G "$d/test_*.py" >/dev/null && dirs+=("$d")
done
if [ "${#dirs[@]}" -gt 0 ]; then
    ws_log "pytest ${dirs[*]}"
    junit="$WS_STATE/pytest-junit.xml"
    rm -f "$junit"
    BUILD_DIR="$WS_BUILD" PYTHONDONTWRITEBYTECODE=1 \
        "$WS_PY" -m pytest -v -p no:cacheprovider --junitxml="$junit" "${dirs[@]}" </dev/null
    py_rc=$?
    read -r pp pf ps < <("$WS_PY" - "$junit" "$py_rc" <<'PY'
import sys, xml.etree.ElementTree as ET
path, rc = sys.argv[1], int(sys.argv[2])
try:
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    tests = sum(int(s.get("tests", 0)) for s in suites)
    bad = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
    skipped = sum(int(s.get("skipped", 0)) for s in suites)
    # errors in set-up/teardown of a passed test are counted by pytest as extra "tests"
    print(max(tests - bad - skipped, 0), bad + (1 if rc not in (0, 5) and bad == 0 else 0), skipped)
except (OSError, ET.ParseError):
    print(0, 0 if rc == 5 else 1, 0)   # 5: nothing collected
PY
)
    ws_log "pytest: $pp passed, $pf failed, $ps skipped"
    add "$pp" "$pf"
else
    ws_log "pytest: no tests in tests/pipeline, tests/overlay, tests/observability or tests/lab yet"
fi

# --- robustness: one sanitizer tree (scripts/lib/sanitizer_tree.sh: clang-14, ASan+UBSan, libFuzzer's coverage
# hooks, -O1): the unit and pipeline tests again there (any report fails them), then a short run of every libFuzzer
# target from the same tree (bench/fuzz runs them for longer). SKIP_ROBUSTNESS=1 leaves these out (a quick local run).
if [ "${SKIP_ROBUSTNESS:-0}" != 1 ]; then
    san="$WS_ROOT/build-san"
    ws_log "sanitizers: build $san (clang-14; address,undefined; fuzzer hooks)"
    if "$WS_ROOT/scripts/lib/sanitizer_tree.sh" "$san" >"$WS_STATE/san-build.log" 2>&1; then
        export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
        ws_log "sanitizers: unit tests"
        if "$san/tests/unit/unit_tests" >"$WS_STATE/san-unit.log" 2>&1; then add 1 0; else
            tail -40 "$WS_STATE/san-unit.log"; add 0 1; fi
        ws_log "sanitizers: pipeline tests"
        if BUILD_DIR="$san" PYTHONDONTWRITEBYTECODE=1 "$WS_PY" -m pytest -q -p no:cacheprovider tests/pipeline \
                </dev/null; then add 1 0; else add 0 1; fi
        unset ASAN_OPTIONS UBSAN_OPTIONS
        ws_log "fuzz: every target for ${FUZZ_SECONDS:-10} s"
        fuzz_out="$(FUZZ_BUILD="$san" "$WS_PY" "$WS_ROOT/bench/fuzz" --seconds "${FUZZ_SECONDS:-10}" \
            2>"$WS_STATE/fuzz.log")"
        fuzz_rc=$?
        echo "$fuzz_out"
        n_ok=$(grep -c " crashes=0 " <<<"$fuzz_out"); n_bad=$(grep -cE " crashes=[1-9]" <<<"$fuzz_out")
        [ "$fuzz_rc" -ne 0 ] && [ "$n_bad" -eq 0 ] && { tail -30 "$WS_STATE/fuzz.log"; n_bad=1; }
        add "$n_ok" "$n_bad"
    else
        tail -30 "$WS_STATE/san-build.log"; ws_warn "sanitizer build failed (counted as 1 failed)"; add 0 1
    fi
fi

summary
