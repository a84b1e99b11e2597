#!/usr/bin/env bash
# Throughput of a real Postfix on loopback with and without dlp-milter,
# measured in the same run (same Postfix, same sink, same message):
#
#   scripts/bench-postfix.sh [path/to/dlp-milter]     (as root; build --release first)
#
# For each setup (no milter, milter over inet, over a unix socket, and over
# inet with the TCP_QUICKACK cure switched off) smtp-source sends MESSAGES
# copies of a typical ~20 KB message over SESSIONS parallel SMTP sessions;
# messages/s is counted from the first MAIL to the last end-of-DATA reply.
# Then smtp-latency.py times single transactions (p50/p99) per setup.
# The no-milter baseline runs first and last; the ratio uses their mean.
#
# Env: SESSIONS (default 4, as the peers were measured), MESSAGES (2000),
# LATENCY_N (300). Exit 77 when Postfix cannot be had.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=lib-postfix.sh
. "$here/lib-postfix.sh"
BIN=$(realpath "${1:-$repo/target/release/dlp-milter}")
SESSIONS=${SESSIONS:-4}
MESSAGES=${MESSAGES:-2000}
LATENCY_N=${LATENCY_N:-300}
pf_require

W=$(mktemp -d /tmp/dlp-bench.XXXXXX)
chmod 755 "$W"
MILTER_PID=
SINK_PID=
cleanup() {
    [ -n "$MILTER_PID" ] && kill "$MILTER_PID" 2>/dev/null || true
    pf_stop "$W/pf"
    [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true
    [ "${KEEP:-}" = 1 ] || rm -rf "$W"
}
trap cleanup EXIT

SMTP=$(pf_free_port)
SINK=$(pf_free_port)
MPORT=$(pf_free_port)
SOCK="$W/run/milter.sock"
mkdir -p "$W/run" "$W/rules"
cp "$repo"/rules/*.toml "$W/rules/"
python3 "$here/mailtool.py" make big:20 "Summer term news" "$W/msg.eml"
tr -d '\r' <"$W/msg.eml" >"$W/msg.lf" # smtp-source -F appends CRLF itself

start_milter() { # $1 listen, $2 quickack true|false
    cat >"$W/dlp.toml" <<EOF
data_dir = "$W/data"
[organisation]
domains = ["school.example"]
[rules]
dir = "$W/rules"
[log]
level = "warn"
[milter]
listen = "$1"
tcp_quickack = $2
socket_group = "postfix"
EOF
    "$BIN" serve --config "$W/dlp.toml" 2>>"$W/milter.log" &
    MILTER_PID=$!
    case "$1" in
    inet:*) pf_wait_port "$MPORT" ;;
    unix:*) pf_wait_unix "$SOCK" ;;
    esac
}
stop_milter() {
    [ -n "$MILTER_PID" ] && kill "$MILTER_PID" 2>/dev/null && wait "$MILTER_PID" 2>/dev/null || true
    MILTER_PID=
}

sink_start "$W/pf" "$SINK"
# The sink keeps nothing during the benchmark (no -d): only what Postfix does counts.
kill "$SINK_PID"
wait "$SINK_PID" 2>/dev/null || true
"$PF_BIN/smtp-sink" -u postfix "127.0.0.1:$SINK" 1024 &
SINK_PID=$!
pf_setup "$W/pf" "$SMTP" "$SINK" none
pf_start "$W/pf"
pf_wait_port "$SMTP"

# cpu_ms: user+system CPU of the milter so far, in ms (0 without one).
cpu_ms() {
    if [ -n "$MILTER_PID" ]; then
        awk '{print ($14 + $15) * 10}' "/proc/$MILTER_PID/stat"
    else
        echo 0
    fi
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

run() { # $1 label, $2 milter spec|none, $3 N
    pf_milter "$W/pf" "$2"
    pf_reload "$W/pf"
    sleep 1
    rate 50 >/dev/null # warm-up (processes spawned, caches)
    pf_wait_empty "$W/pf" 60 || true
    local r lat cpu0 cpu1 cpu=-
    cpu0=$(cpu_ms)
    r=$(rate "$3")
    cpu1=$(cpu_ms)
    [ -n "$MILTER_PID" ] && cpu=$(python3 -c "print(f'{($cpu1 - $cpu0) / $3:.3f}')")
    pf_wait_empty "$W/pf" 120 || true
    lat=$(python3 "$here/smtp-latency.py" 127.0.0.1 "$SMTP" "$W/msg.eml" "$LATENCY_N")
    pf_wait_empty "$W/pf" 60 || true
    printf '%-28s %6s msg/s   milter CPU %s ms/msg   latency %s\n' "$1" "$r" "$cpu" "$lat"
    eval "RATE_$4=$r"
}

echo "Postfix $(postconf -h mail_version) on loopback, $SESSIONS sessions, $MESSAGES x ~20 KB, $(nproc) cores, $(date -u +%FT%TZ)"
run "no milter" none "$MESSAGES" none1
start_milter "inet:127.0.0.1:$MPORT" true
run "dlp-milter inet" "inet:127.0.0.1:$MPORT" "$MESSAGES" inet
stop_milter
start_milter "unix:$SOCK" true
run "dlp-milter unix" "unix:$SOCK" "$MESSAGES" unix
stop_milter
start_milter "inet:127.0.0.1:$MPORT" false
run "dlp-milter inet, no QUICKACK" "inet:127.0.0.1:$MPORT" $((MESSAGES / 4)) noqa
stop_milter
run "no milter (again)" none "$MESSAGES" none2
python3 - <<EOF
base = ($RATE_none1 + $RATE_none2) / 2
print(f"ratio vs no milter (mean baseline {base:.0f} msg/s): inet {$RATE_inet / base:.2f}x  unix {$RATE_unix / base:.2f}x  inet without QUICKACK {$RATE_noqa / base:.2f}x")
EOF
