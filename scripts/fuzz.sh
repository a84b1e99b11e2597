#!/usr/bin/env bash
# Runs every fuzz target (fuzz/fuzz_targets/) for SECONDS each, from the
# checked-in seeds (fuzz/seeds/<target>/) with its dictionary (fuzz/dict/),
# under libFuzzer's memory and per-input time limits, so a crash, a hang
# (one input over FUZZ_TIMEOUT s) or a blow-up (over FUZZ_RSS_MB of RSS)
# fails the script. Prints each target's executions and duration.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]      default 20 s, every target
#   scripts/fuzz.sh --build                    build the targets only
#   scripts/fuzz.sh --seeds [TARGET...]        regenerate and minimise fuzz/seeds
#
# Environment: FUZZ_JOBS (targets run at once, default 1), FUZZ_RSS_MB
# (default 2048), FUZZ_TIMEOUT (seconds per input, default 10), FUZZ_NICE
# (niceness, default 0), FUZZ_LOG_DIR (keep the libFuzzer logs there), FUZZ_KEEP_GOING=1 (long runs: libFuzzer's fork
# mode, which records every crash, hang and out-of-memory input and goes on
# fuzzing for the whole time instead of stopping at the first; the script
# still fails when any was found).
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). The targets are built with
# the sanitizer-coverage instrumentation, which needs -Z flags: on the
# stable toolchain RUSTC_BOOTSTRAP=1 lets rustc accept them (see
# docs/development.md, "Fuzzing"). New inputs go to fuzz/corpus/<target>/,
# crashes to fuzz/artifacts/<target>/ (both ignored by git).
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_EACH=20
MODE=run
case "${1:-}" in
  --build) MODE=build; shift ;;
  --seeds) MODE=seeds; shift ;;
  '' | *[!0-9]*) ;;
  *) SECONDS_EACH=$1; shift ;;
esac
JOBS=${FUZZ_JOBS:-1}
RSS_MB=${FUZZ_RSS_MB:-2048}
TIMEOUT=${FUZZ_TIMEOUT:-10}
NICE=${FUZZ_NICE:-0}

if ! command -v cargo-fuzz >/dev/null 2>&1; then
  echo "fuzz.sh: cargo-fuzz is not installed (cargo install cargo-fuzz)" >&2
  exit 2
fi

ALL=$(cd fuzz/fuzz_targets && ls -- *.rs | sed 's/\.rs$//')
TARGETS=${*:-$ALL}

# The dictionary each target mutates with.
dict_for() {
  case "$1" in
    extract_pdf) echo fuzz/dict/pdf.dict ;;
    extract_ooxml | extract_odf | extract_html) echo fuzz/dict/xml.dict ;;
    extract_zip | extract_gzip | extract_sevenz | extract_rar) echo fuzz/dict/zip.dict ;;
    extract_ole) echo fuzz/dict/ole.dict ;;
    extract_rtf) echo fuzz/dict/rtf.dict ;;
    scan_message | extract_eml | extract_text | marker) echo fuzz/dict/mime.dict ;;
    milter) echo fuzz/dict/milter.dict ;;
    config) echo fuzz/dict/toml.dict ;;
  esac
}

# The fuzz crate is outside the workspace; it starts from the main lock
# file so it builds the same dependency versions as the milter.
cp Cargo.lock fuzz/Cargo.lock
# A clean checkout has no fuzz/target yet; the build log goes there.
mkdir -p fuzz/target
build_start=$(date +%s)
if ! (cd fuzz && RUSTC_BOOTSTRAP=1 nice -n "$NICE" cargo fuzz build >../fuzz/target/build.log 2>&1); then
  grep -v '^ *Compiling' fuzz/target/build.log >&2
  echo "fuzz.sh: the fuzz targets do not build" >&2
  exit 1
fi
echo "fuzz.sh: targets built in $(($(date +%s) - build_start)) s"
[ "$MODE" = build ] && exit 0

BIN_DIR=fuzz/target/x86_64-unknown-linux-gnu/release

if [ "$MODE" = seeds ]; then
  # Raw seeds (fixtures + generated structured files), then each target's
  # corpus minimised to the inputs that add coverage.
  raw=$(mktemp -d)
  trap 'rm -rf "$raw"' EXIT
  python3 fuzz/gen_seeds.py "$raw"
  for t in $TARGETS; do
    [ -d "$raw/$t" ] || continue
    mkdir -p "fuzz/seeds/$t"
    out=$(mktemp -d)
    nice -n "$NICE" "$BIN_DIR/$t" -merge=1 -rss_limit_mb="$RSS_MB" -timeout="$TIMEOUT" \
      "$out" "fuzz/seeds/$t" "$raw/$t" >/dev/null 2>&1
    rm -rf "fuzz/seeds/$t"
    mv "$out" "fuzz/seeds/$t"
    echo "seeds: $t $(ls "fuzz/seeds/$t" | wc -l) files, $(du -sk "fuzz/seeds/$t" | cut -f1) KiB"
  done
  exit 0
fi

# FUZZ_LOG_DIR keeps each target's libFuzzer log; otherwise they are dropped.
if [ -n "${FUZZ_LOG_DIR:-}" ]; then
  logs=$FUZZ_LOG_DIR
  mkdir -p "$logs"
else
  logs=$(mktemp -d)
  trap 'rm -rf "$logs"' EXIT
fi

run_one() {
  local t=$1 log="$logs/$1.log" dict
  mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t" "fuzz/seeds/$t"
  local args=(-max_total_time="$SECONDS_EACH" -rss_limit_mb="$RSS_MB" -timeout="$TIMEOUT"
    -print_final_stats=1 -artifact_prefix="fuzz/artifacts/$t/")
  dict=$(dict_for "$t")
  [ -n "$dict" ] && args+=(-dict="$dict")
  [ "${FUZZ_KEEP_GOING:-0}" = 1 ] && args+=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
  local start rc=0 before after
  before=$(find "fuzz/artifacts/$t" -type f -name '*-*' ! -name 'last-run.log' | wc -l)
  start=$(date +%s)
  nice -n "$NICE" "$BIN_DIR/$t" "${args[@]}" "fuzz/corpus/$t" "fuzz/seeds/$t" >"$log" 2>&1 || rc=$?
  after=$(find "fuzz/artifacts/$t" -type f -name '*-*' ! -name 'last-run.log' | wc -l)
  # A crash, hang or out-of-memory input left behind fails the run, also
  # when fork mode carried on past it.
  [ "$after" -gt "$before" ] && [ $rc = 0 ] && rc=1
  local execs
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  # Fork mode reports progress lines "#N: cov: ..." instead of final stats
  # (none at all when the target failed to start).
  if [ -z "$execs" ]; then
    execs=$(sed -n 's/^#\([0-9]*\).*/\1/p' "$log" | tail -1)
  fi
  printf '%-20s %6s s %12s execs  %s\n' "$t" "$(($(date +%s) - start))" "${execs:-?}" \
    "$([ $rc = 0 ] && echo ok || echo "FAILED (exit $rc, see fuzz/artifacts/$t/)")"
  if [ $rc != 0 ]; then
    grep -E '^(==[0-9]+==|SUMMARY|thread .* panicked|ERROR: libFuzzer|artifact_prefix|Test unit written)' "$log" | head -20 >&2 || true
    cp "$log" "fuzz/artifacts/$t/last-run.log"
    echo "$t: $((after - before)) new crash/timeout/oom inputs in fuzz/artifacts/$t/" >&2
  fi
  return $rc
}

printf '%-20s %8s %18s  %s\n' target duration executions result
failed=0
pids=()
for t in $TARGETS; do
  if [ ! -x "$BIN_DIR/$t" ]; then
    echo "fuzz.sh: no target $t" >&2
    failed=1
    continue
  fi
  run_one "$t" &
  pids+=($!)
  if [ ${#pids[@]} -ge "$JOBS" ]; then
    wait "${pids[0]}" || failed=1
    pids=("${pids[@]:1}")
  fi
done
for p in "${pids[@]}"; do
  wait "$p" || failed=1
done
if [ $failed != 0 ]; then
  echo "fuzz.sh: a target crashed, hung or ran out of memory" >&2
  exit 1
fi
