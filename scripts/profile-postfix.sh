#!/usr/bin/env bash
# Where the CPU goes per message behind a real Postfix, with no milter, with
# the null milter (examples/null_milter.rs: dlp-milter's negotiated stages,
# nothing scanned) and with dlp-milter (unix socket):
#
#   scripts/profile-postfix.sh [path/to/dlp-milter]     (as root; needs perf)
#
# For each setup, `perf record -a` samples every process while smtp-source
# sends N copies of the ~20 KB message of scripts/bench-postfix.sh and
# Postfix delivers them to smtp-sink; CPU ms per message is then summed by
# process name: Postfix's own processes, the milter, and the load
# generator/sink. This is what explains the Postfix throughput ratio: the
# bench saturates both cores, so the ratio is (CPU per message without a
# milter) / (CPU per message with it), and the Postfix rows show what the
# milter protocol costs Postfix itself, whatever the milter does.
#
# Env: N (messages per setup, default 1500), SESSIONS (4), FREQ (perf
# sampling Hz, 2000). Exit 77 when Postfix or perf cannot be had.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=lib-postfix.sh
. "$here/lib-postfix.sh"
BIN=$(realpath "${1:-$repo/target/release/dlp-milter}")
N=${N:-1500}
SESSIONS=${SESSIONS:-4}
FREQ=${FREQ:-2000}
pf_require
command -v perf >/dev/null 2>&1 || { echo "SKIP: perf is not installed (apt-get install linux-perf)" >&2; exit 77; }
(cd "$repo" && cargo build --release --example null_milter -q)
NULL_BIN="$repo/target/release/examples/null_milter"

pf_workdir dlp-profile
SMTP=$(pf_free_port)
SINK=$(pf_free_port)
SOCK="$W/run/milter.sock"
NULL_SOCK="$W/run/null.sock"
pf_typical_message
pf_milter_config "$W/milter.toml" dlp "unix:$SOCK"
"$BIN" serve --config "$W/milter.toml" 2>>"$W/milter.log" &
PIDS+=("$!")
"$NULL_BIN" "unix:$NULL_SOCK" content 2>>"$W/null.log" &
PIDS+=("$!")
pf_wait_unix "$SOCK"
pf_wait_unix "$NULL_SOCK"
"$PF_BIN/smtp-sink" -u postfix "127.0.0.1:$SINK" 1024 &
SINK_PID=$!
pf_wait_port "$SINK"
pf_setup "$W/pf" "$SMTP" "$SINK" none
pf_start "$W/pf"
pf_wait_port "$SMTP"

send() { smtp-source -s "$SESSIONS" -m "$1" -F "$W/msg.lf" -f office@school.example -t parent@gmail.com "127.0.0.1:$SMTP"; }

# profile NAME SPEC: one perf recording of N messages, sent and delivered.
profile() {
    pf_milter "$W/pf" "$2"
    pf_reload "$W/pf"
    sleep 1
    send 50
    pf_wait_empty "$W/pf" 60 || true
    perf record -a -F "$FREQ" -o "$W/$1.data" -- bash -c "
        smtp-source -s $SESSIONS -m $N -F $W/msg.lf -f office@school.example -t parent@gmail.com 127.0.0.1:$SMTP
        . $here/lib-postfix.sh; pf_wait_empty $W/pf 120" >/dev/null 2>&1
    perf report -i "$W/$1.data" --sort comm --stdio -n 2>/dev/null |
        awk -v n="$N" -v f="$FREQ" -v setup="$1" '
            /^ +[0-9.]+%/ { ms = $2 * 1000 / f / n; comm = $3
                g = "other"
                if (comm ~ /^(smtpd|cleanup|smtp|qmgr|master|trivial-rewrite|postlogd|scache|anvil|tlsmgr|pickup|bounce|proxymap|postdrop|sendmail)$/) g = "postfix"
                else if (comm ~ /dlp-milter|null_milter/) g = "milter"
                else if (comm ~ /^smtp-(source|sink)$/) g = "load"
                cpu[g] += ms; if (g == "postfix") pf[comm] += ms }
            END {
                printf "%-5s CPU ms/msg: postfix %.3f (smtpd %.3f, cleanup %.3f, smtp %.3f)  milter %.3f  load+sink %.3f  all %.3f  other %.3f\n",
                    setup, cpu["postfix"], pf["smtpd"], pf["cleanup"], pf["smtp"], cpu["milter"], cpu["load"], cpu["postfix"] + cpu["milter"] + cpu["load"], cpu["other"] }'
}

echo "Postfix $(postconf -d -h mail_version 2>/dev/null), $SESSIONS sessions, $N x ~20 KB per setup, perf at $FREQ Hz, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
for r in 1 2; do
    profile none none
    profile null "unix:$NULL_SOCK"
    profile dlp "unix:$SOCK"
done
echo "(all = postfix + milter + load; \"other\" is the rest of the machine, ~0 when quiet. With both cores saturated the throughput ratio of a setup is about all(none) / all(setup).)"
