#!/usr/bin/env bash
# Checks that the library's modules import only along the data flow, as
# docs/architecture.md describes:
#   scripts/check-arrows.sh        # silent and exit 0 when every arrow is allowed
#   scripts/check-arrows.sh -v     # also print the module graph found
#
# A module is a top-level file or folder of src/ (src/quarantine/service/
# counts as its own module, `quarantine::service`, above the notices it
# queues). Modules are in layers; a module may use (`crate::NAME`) only
# modules of earlier layers. A new module must be given a layer here and a
# line in docs/architecture.md. Comment lines and a file's trailing
# `#[cfg(test)] mod tests` are not checked: tests may build their inputs
# with any stage. The binary (main.rs, cli.rs) is the edge and may use all.
set -euo pipefail
cd "$(dirname "$0")/.."

# Earliest first. One line per layer.
LAYERS=(
  "vocab bytes dates config datadir"
  "message"
  "extract"
  "detect"
  "policy"
  "scan"
  "report action scan_worker"
  "audit"
  "quarantine"
  "notice"
  "quarantine::service"
  "milter console"
)

# Known arrows against the layers, each with why it is still there. Remove a
# line when its arrow goes; an exception no longer used is reported.
EXCEPTIONS=(
  "quarantine notice QuarantineError wraps NoticeError for the service's notice steps"
)

verbose=${1:-}
declare -A layer
for i in "${!LAYERS[@]}"; do
  for m in ${LAYERS[$i]}; do layer[$m]=$i; done
done
declare -A excused used
for e in "${EXCEPTIONS[@]}"; do
  read -r from to _ <<<"$e"
  excused["$from $to"]=1
done

# Emits "module target file:line" for every crate:: path outside comments and
# the test module.
edges() {
  find src -name '*.rs' ! -path src/main.rs ! -path src/cli.rs | sort | while read -r f; do
    rel=${f#src/}
    case $rel in
      quarantine/service/*) node=quarantine::service ;;
      */*) node=${rel%%/*} ;;
      *) node=${rel%.rs} ;;
    esac
    awk -v node="$node" -v file="$f" '
      /^#\[cfg\(test\)\]/ { pending = 1; next }
      pending && /^mod tests/ { exit }
      { pending = 0 }
      /^[[:space:]]*\/\// { next }
      /crate::\{/ { print node, "{grouped}", file ":" NR; next }
      {
        line = $0
        while (match(line, /crate::[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)?/)) {
          path = substr(line, RSTART + 7, RLENGTH - 7)
          line = substr(line, RSTART + RLENGTH)
          n = split(path, p, "::")
          target = p[1]
          if (target == "quarantine" && n > 1 && p[2] == "service") target = "quarantine::service"
          if (target != node) print node, target, file ":" NR
        }
      }' "$f"
  done
}

status=0
declare -A seen
while read -r node target where; do
  key="$node $target"
  if [ -z "${seen[$key]:-}" ]; then
    seen[$key]=$where
    [ "$verbose" = -v ] && echo "$node -> $target   ($where)"
  fi
  if [ "$target" = "{grouped}" ]; then
    echo "check-arrows: $where: write one \`use crate::MODULE::...\` per module, so this check can see the arrow" >&2
    status=1
    continue
  fi
  for m in "$node" "$target"; do
    if [ -z "${layer[$m]:-}" ]; then
      echo "check-arrows: $where: module '$m' has no layer: add it to LAYERS in $0 and to docs/architecture.md" >&2
      status=1
    fi
  done
  [ -n "${layer[$node]:-}" ] && [ -n "${layer[$target]:-}" ] || continue
  if [ "${layer[$target]}" -ge "${layer[$node]}" ]; then
    if [ -n "${excused[$key]:-}" ]; then
      used[$key]=1
    else
      echo "check-arrows: $where: $node uses $target, which comes later in the flow (docs/architecture.md)" >&2
      status=1
    fi
  fi
done < <(edges)

for key in "${!excused[@]}"; do
  if [ -z "${used[$key]:-}" ]; then
    echo "check-arrows: the exception '$key' is no longer needed: remove it from $0 and docs/architecture.md" >&2
    status=1
  fi
done
exit $status
