#!/usr/bin/env bash
# Snapshot `dlp-milter scan --format json` for every .eml in a folder, one
# output file per message, so a refactor can be checked for identical
# behaviour:
#   scripts/scan-snapshot.sh fixtures/messages /tmp/before
#   ... change the code, rebuild ...
#   scripts/scan-snapshot.sh fixtures/messages /tmp/after
#   diff -r /tmp/before /tmp/after
# BIN overrides the binary (default target/debug/dlp-milter, built if missing).
# Each output also records the exit status, which carries the verdict.
# The one field that changes from run to run, "elapsed_us", is zeroed.
set -euo pipefail
if [ $# -ne 2 ]; then
  echo "usage: $0 DIR OUT" >&2
  exit 2
fi
dir=$1
out=$2
root="$(cd "$(dirname "$0")/.." && pwd)"
bin=${BIN:-$root/target/debug/dlp-milter}
if [ ! -x "$bin" ]; then
  (cd "$root" && cargo build --locked --quiet)
fi
mkdir -p "$out"
shopt -s nullglob
n=0
for eml in "$dir"/*.eml; do
  name=$(basename "$eml" .eml)
  status=0
  "$bin" scan --format json "$eml" >"$out/$name.raw" 2>"$out/$name.stderr" || status=$?
  sed -E 's/"elapsed_us":[0-9]+/"elapsed_us":0/g' "$out/$name.raw" >"$out/$name.json"
  rm -f "$out/$name.raw"
  echo "$status" >"$out/$name.status"
  n=$((n + 1))
done
echo "$n messages from $dir snapshotted into $out" >&2
