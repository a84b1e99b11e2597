#!/usr/bin/env bash
# Same-run comparison of a bench between an older revision and this tree, for
# a shared machine whose speed swings by up to 2x within an hour: the two
# bench binaries run alternately, and what is reported is each case's median
# over the rounds and the per-round ratios (after / before), which the swings
# affect far less than the absolute figures.
#
#   scripts/bench-ab.sh BASE_REV [ROUNDS] [BENCH] [FILTER]
#   scripts/bench-ab.sh bc8f8cf 3 attachments attachments/zip-plain
#
# BASE_REV is built in a temporary git worktree (its own target directory,
# kept in $BENCH_AB_TARGET, default /tmp/dlp-bench-ab-target, so a second run
# against the same revision builds nothing). ROUNDS defaults to 3, BENCH to
# "attachments"; FILTER is a criterion filter (all cases when omitted).
# Figures are criterion's median throughput per case, in MB/s (cases that
# declare a throughput; the attachments bench's all do), or in elements/s for
# cases that count elements (the scan bench's typical mix: messages/s).
set -euo pipefail
cd "$(dirname "$0")/.."

base_rev=${1:?usage: scripts/bench-ab.sh BASE_REV [ROUNDS] [BENCH] [FILTER]}
rounds=${2:-3}
bench=${3:-attachments}
filter=${4:-}
target=${BENCH_AB_TARGET:-/tmp/dlp-bench-ab-target}
work=$(mktemp -d)
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

bench_binary() { # DIR TARGET_DIR -> path of the built bench executable
  (cd "$1" && CARGO_TARGET_DIR=$2 cargo bench --locked --bench "$bench" --no-run --message-format=json 2>/dev/null) |
    python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m.get("executable") and "bench" in m["target"]["kind"]:
        print(m["executable"])' | tail -1
}

git worktree add --detach "$work/base" "$base_rev" >/dev/null
echo "building $bench at $base_rev and at this tree..." >&2
cp "$(bench_binary "$work/base" "$target")" "$work/before"
cp "$(bench_binary . "${CARGO_TARGET_DIR:-target}")" "$work/after"

for r in $(seq 1 "$rounds"); do
  for which in before after; do
    "$work/$which" --bench --warm-up-time 1 --measurement-time 3 --noplot ${filter:+"$filter"} 2>/dev/null |
      awk -v r="$r" -v w="$which" '
        /^[a-z_-]+\/[^ ]+/ { c = $1 }
        /thrpt:/ && ($5 ~ /B\/s$/ || $5 ~ /elem\/s$/) && c != "" {
          v = $4; u = $5
          if (u == "GB/s") v *= 1000; if (u == "KB/s") v /= 1000; if (u == "B/s") v /= 1e6
          if (u == "Kelem/s") v *= 1000; if (u == "Melem/s") v *= 1e6
          printf "%s %s %s %.2f\n", r, w, c, v; c = ""
        }'
  done
done | python3 -c '
import collections, statistics, sys
d = collections.defaultdict(lambda: collections.defaultdict(dict))
for line in sys.stdin:
    r, w, case, v = line.split()
    d[case][w][int(r)] = float(v)
print("%-40s %9s %9s  per-round after/before" % ("case", "before", "after"))
for case, v in d.items():
    rounds = sorted(set(v["before"]) & set(v["after"]))
    if not rounds:
        continue
    b = statistics.median(v["before"][r] for r in rounds)
    a = statistics.median(v["after"][r] for r in rounds)
    ratios = ", ".join("%.2f" % (v["after"][r] / v["before"][r]) for r in rounds)
    print("%-40s %9.1f %9.1f  %s" % (case, b, a, ratios))
'
