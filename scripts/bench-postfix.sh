#!/usr/bin/env bash
# Throughput of a real Postfix on loopback with and without dlp-milter,
# measured in the same run (same Postfix, same sink, same message):
#
#   scripts/bench-postfix.sh [path/to/dlp-milter]     (as root; build --release first)
#
# Beside dlp-milter it runs the null milter (examples/null_milter.rs, built
# here) three times: negotiating exactly dlp-milter's stages and accepting
# every message unscanned ("null, same stages": the cost of the milter
# protocol itself, on Postfix's side and ours), asking only for headers
# ("null, headers only", the trivial milter of shared/ECOSYSTEM.md), and
# asking for nothing but end of message ("null, end of message only": the
# least any milter can cost, whatever it is written in). dlp-milter's ratio
# against the first is what collecting, scanning and deciding cost; the
# last is the floor of the ratio on this machine. The same-stages null
# milter runs on inet too (same listener and TCP_QUICKACK cure as
# dlp-milter's), so each transport is compared with its own twin.
#
# Three daemons run side by side (inet with the TCP_QUICKACK cure, unix
# socket, inet without the cure); switching setups is a Postfix reload. For
# each setup smtp-source sends MESSAGES copies of a typical ~20 KB message
# over SESSIONS parallel SMTP sessions (one message per session, as most
# clients do); messages/s is counted from the first connection to the last
# end-of-DATA reply. Setups are interleaved over ROUNDS rounds and the
# medians compared, because a shared machine's load drifts during a run.
# Then smtp-latency.py times LATENCY_N single transactions per setup
# (p50/p99: the latency the milter adds is the difference).
#
# Env: SESSIONS (default 4, as the peers were measured), MESSAGES (1500),
# ROUNDS (3), LATENCY_N (300). BASE_BIN=path/to/other/dlp-milter adds that
# binary on a unix socket of its own to every round ("base unix") and
# prints this binary's same-run ratio against it: the cost of a change
# (build the base revision's release binary into /tmp first).
# Exit 77 when Postfix cannot be had.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=lib-postfix.sh
. "$here/lib-postfix.sh"
BIN=$(realpath "${1:-$repo/target/release/dlp-milter}")
(cd "$repo" && cargo build --release --example null_milter -q)
NULL_BIN="$repo/target/release/examples/null_milter"
SESSIONS=${SESSIONS:-4}
MESSAGES=${MESSAGES:-1500}
ROUNDS=${ROUNDS:-3}
LATENCY_N=${LATENCY_N:-300}
pf_require

pf_workdir dlp-bench
SMTP=$(pf_free_port)
SINK=$(pf_free_port)
MPORT=$(pf_free_port)
NOQA=$(pf_free_port)
NULLI=$(pf_free_port)
SOCK="$W/run/milter.sock"
NULL_SOCK="$W/run/null.sock"
HDR_SOCK="$W/run/null-headers.sock"
EOM_SOCK="$W/run/null-eom.sock"
pf_typical_message

BASE_BIN=${BASE_BIN:+$(realpath "$BASE_BIN")}
BASE_SOCK="$W/run/base.sock"

# start_milter NAME LISTEN QUICKACK [BINARY]: one daemon per setup; sets PID_NAME.
start_milter() {
    pf_milter_config "$W/$1.toml" "$1" "$2" "tcp_quickack = $3"
    "${4:-$BIN}" serve --config "$W/$1.toml" 2>>"$W/milter-$1.log" &
    eval "PID_$1=$!"
    PIDS+=("$!")
    case "$2" in
    inet:*) pf_wait_port "${2##*:}" ;;
    unix:*) pf_wait_unix "${2#unix:}" ;;
    esac
}

# cpu_ms PID: user+system CPU so far, in ms, of a process and its live
# children (dlp-milter's scan workers do the scanning in child processes).
cpu_ms() {
    local kids k
    kids=$(cat /proc/"$1"/task/*/children 2>/dev/null || true)
    {
        cat "/proc/$1/stat"
        for k in $kids; do cat "/proc/$k/stat" 2>/dev/null || true; done
    } | awk '{ i = index($0, ") "); split(substr($0, i + 2), a, " "); t += (a[12] + a[13]) * 10 }
             END { print t + 0 }'
}

# rate N: messages/s for N messages of msg.lf over $SESSIONS sessions.
rate() {
    local n=$1 t0 t1
    t0=$(date +%s.%N)
    smtp-source -s "$SESSIONS" -m "$n" -F "$W/msg.lf" -f office@school.example \
        -t parent@gmail.com "127.0.0.1:$SMTP"
    t1=$(date +%s.%N)
    python3 -c "print(f'{$n / ($t1 - $t0):.0f}')"
}

# use SPEC: point Postfix at a milter (or none) and warm up.
use() {
    pf_milter "$W/pf" "$1"
    pf_reload "$W/pf"
    sleep 1
    rate 50 >/dev/null # Postfix processes respawned with the new setting
    pf_wait_empty "$W/pf" 60 || true
}

"$PF_BIN/smtp-sink" -u postfix "127.0.0.1:$SINK" 1024 & # keeps nothing
SINK_PID=$!
pf_wait_port "$SINK"
start_milter inet "inet:127.0.0.1:$MPORT" true
start_milter unix "unix:$SOCK" true
start_milter noqa "inet:127.0.0.1:$NOQA" false
SETUPS="none eom hdrs null unix nulli inet"
if [ -n "$BASE_BIN" ]; then
    start_milter base "unix:$BASE_SOCK" true "$BASE_BIN"
    SETUPS="$SETUPS base"
fi
"$NULL_BIN" "unix:$NULL_SOCK" content 2>>"$W/null.log" &
PIDS+=("$!")
PID_null=$!
# The same null milter on inet (same listener, same TCP_QUICKACK cure):
# dlp-milter inet's own baseline, so TCP's cost is not counted as ours.
"$NULL_BIN" "inet:127.0.0.1:$NULLI" content 2>>"$W/null.log" &
PIDS+=("$!")
PID_nulli=$!
"$NULL_BIN" "unix:$HDR_SOCK" headers 2>>"$W/null.log" &
PIDS+=("$!")
PID_hdrs=$!
"$NULL_BIN" "unix:$EOM_SOCK" eom 2>>"$W/null.log" &
PIDS+=("$!")
PID_eom=$!
pf_wait_unix "$NULL_SOCK"
pf_wait_unix "$HDR_SOCK"
pf_wait_unix "$EOM_SOCK"
pf_wait_port "$NULLI"
pf_setup "$W/pf" "$SMTP" "$SINK" none
pf_start "$W/pf"
pf_wait_port "$SMTP"

declare -A SPEC=([none]=none [inet]="inet:127.0.0.1:$MPORT" [unix]="unix:$SOCK" [noqa]="inet:127.0.0.1:$NOQA"
    [null]="unix:$NULL_SOCK" [nulli]="inet:127.0.0.1:$NULLI" [hdrs]="unix:$HDR_SOCK" [eom]="unix:$EOM_SOCK" [base]="unix:$BASE_SOCK")
declare -A RATES CPU LAT
echo "Postfix $(postconf -d -h mail_version 2>/dev/null) on loopback, $SESSIONS sessions, $MESSAGES x ~20 KB per run, $ROUNDS rounds, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
for r in $(seq 1 "$ROUNDS"); do
    for setup in $SETUPS; do
        use "${SPEC[$setup]}"
        pid_var="PID_$setup"
        c0=0
        [ "$setup" = none ] || c0=$(cpu_ms "${!pid_var}")
        x=$(rate "$MESSAGES")
        c1=0
        [ "$setup" = none ] || c1=$(cpu_ms "${!pid_var}")
        pf_wait_empty "$W/pf" 120 || true
        RATES[$setup]="${RATES[$setup]:-} $x"
        CPU[$setup]="${CPU[$setup]:-} $(python3 -c "print(($c1 - $c0) / $MESSAGES)")"
        echo "  round $r: $setup $x msg/s"
    done
done
# Without the TCP_QUICKACK cure the rate is an order of magnitude lower: one short run shows it.
use "${SPEC[noqa]}"
RATES[noqa]=$(rate $((MESSAGES / 8)))
CPU[noqa]=0
pf_wait_empty "$W/pf" 120 || true

for setup in none null inet unix noqa ${BASE_BIN:+base}; do
    use "${SPEC[$setup]}"
    LAT[$setup]=$(python3 "$here/smtp-latency.py" 127.0.0.1 "$SMTP" "$W/msg.eml" "$LATENCY_N")
done

LAT[hdrs]="-"
LAT[eom]="-"
{
    for k in none eom hdrs null nulli unix inet noqa base; do
        [ -n "${RATES[$k]:-}" ] || continue
        echo "rate $k ${RATES[$k]}"
        echo "cpu $k ${CPU[$k]:-}"
        echo "lat $k ${LAT[$k]:--}"
    done
} >"$W/results"
python3 - "$W/results" <<'PY'
import statistics as st, sys
rate, cpu, lat = {}, {}, {}
for line in open(sys.argv[1]):
    kind, key, *rest = line.split()
    if kind == "rate":
        rate[key] = [float(x) for x in rest]
    elif kind == "cpu":
        cpu[key] = [float(x) for x in rest]
    else:
        lat[key] = " ".join(rest)
labels = {"none": "no milter", "eom": "null milter, end of message only", "hdrs": "null milter, headers only", "null": "null milter, same stages",
          "nulli": "null milter, same stages, inet",
          "unix": "dlp-milter unix", "inet": "dlp-milter inet", "noqa": "dlp-milter inet, no QUICKACK",
          "base": "base dlp-milter unix (BASE_BIN)"}
base = st.median(rate["none"])
rounds = len(rate["none"])
for k in labels:
    if k not in rate:
        continue
    m = st.median(rate[k])
    # Per-round ratio against the no-milter run of the same round: robust to
    # the machine's load drifting between rounds.
    per = [x / n for x, n in zip(rate[k], rate["none"])] if len(rate[k]) == rounds else []
    pr = f"  per-round {st.median(per):.2f}x" if per else ""
    vs = ""
    if k == "base" and len(rate["unix"]) == rounds:
        vs = f"  this unix / base per-round {st.median([u / b for u, b in zip(rate['unix'], rate[k])]):.2f}x"
    # Each against the null milter on the same kind of socket.
    twin = {"unix": "null", "inet": "nulli"}.get(k)
    if twin and len(rate.get(twin, [])) == rounds:
        vs = f"  vs {twin} {st.median([x / n for x, n in zip(rate[k], rate[twin])]):.2f}x"
    c = f"  milter CPU {st.median(cpu[k]):.3f} ms/msg" if cpu.get(k) and k not in ("none", "noqa") else ""
    runs = " ".join(f"{x:.0f}" for x in rate[k])
    print(f"{labels[k]:33} median {m:5.0f} msg/s (runs {runs})  ratio {m / base:.2f}x{pr}{vs}{c}")
    if lat.get(k, "-") != "-":
        print(f"{'':33} latency {lat[k]}")
PY
