#!/usr/bin/env bash
# End-to-end test of dlp-milter behind a real Postfix on loopback.
#
#   scripts/postfix-e2e.sh [path/to/dlp-milter]      (as root; ~1 minute)
#
# Starts a throwaway Postfix (own config dir, queue and log, high ports)
# relaying to smtp-sink, runs the milter with a three-tier recipients policy
# (8 visible parents: rewrite, 25: hold, 45: reject), sends real messages
# with swaks (smtpd_milters) and sendmail(1) (non_smtpd_milters), and checks
# what reaches the sink, the quarantine and Postfix's hold queue. Then the
# same over a unix socket, postfix-hold mode, and a SIGKILL in the middle
# of a burst with milter_default_action = tempfail: nothing may be lost.
#
# Exit 0: passed; 77: skipped (not root, Postfix not installable); else failed.
# KEEP=1 keeps the work directory for inspection.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib-postfix.sh
. "$here/lib-postfix.sh"
pf_require
pf_bin "${1:-}"
pf_workdir dlp-e2e
MILTER_PID=
# The milter is restarted along the way: the one running at exit is stopped.
pf_on_exit() {
    [ -n "$MILTER_PID" ] && kill "$MILTER_PID" 2>/dev/null || true
}

SMTP=$(pf_free_port)
SINK=$(pf_free_port)
MPORT=$(pf_free_port)
SOCK="$W/run/milter.sock"
mkdir -p "$W/msgs"

# The shipped rules (pf_workdir), with the recipients rule split into three tiers.
cp "$here/e2e-rules/recipients.toml" "$W/rules/recipients.toml"

write_config() { # $1 = listen, $2 = hold mode
    cat >"$W/dlp.toml" <<EOF
data_dir = "$W/data"
[organisation]
domains = ["school.example"]
[rules]
dir = "$W/rules"
[log]
level = "info"
[quarantine]
relay = "127.0.0.1:$SMTP"
[milter]
listen = "$1"
hold_mode = "$2"
on_failure = "closed"
socket_mode = "0660"
socket_group = "postfix"
EOF
}

start_milter() {
    "$BIN" serve --config "$W/dlp.toml" >>"$W/milter.log" 2>&1 &
    MILTER_PID=$!
    case "$1" in
    inet) pf_wait_port "$MPORT" || fail "milter did not start" ;;
    unix) pf_wait_unix "$SOCK" || fail "milter did not create $SOCK" ;;
    esac
}

# swaks_out SUBJECT FILE RCPT-COUNT [swaks options...]: smtp submission with
# swaks to RCPT-COUNT parents; prints the transcript.
swaks_out() {
    local rcpts
    rcpts=$(seq 0 $(($3 - 1)) | sed 's/.*/parent&@gmail.com/' | paste -sd, -)
    swaks --server "127.0.0.1:$SMTP" --from office@school.example --to "$rcpts" \
        --data "@$2" --timeout 30 "${@:4}" 2>&1 || true
}

# send SUBJECT FILE RCPT-COUNT: like swaks_out, printing only errors.
send() { swaks_out "$1" "$2" "$3" --hide-all; }

# in_quarantine SUBJECT: the quarantine id of a held message with that
# subject (the listing leaves subjects out; `show` has them).
in_quarantine() {
    local id
    for id in $("$BIN" quarantine list --config "$W/dlp.toml" 2>/dev/null | awk 'NR > 1 {print $1}'); do
        if "$BIN" quarantine show "$id" --format json --config "$W/dlp.toml" 2>/dev/null |
            python3 -c 'import json,sys; sys.exit(0 if json.load(sys.stdin).get("subject")==sys.argv[1] else 1)' "$1"; then
            echo "$id"
            return
        fi
    done
}

# quarantined_subjects: every held subject, one per line.
quarantined_subjects() {
    local id
    for id in $("$BIN" quarantine list --config "$W/dlp.toml" 2>/dev/null | awk 'NR > 1 {print $1}'); do
        "$BIN" quarantine show "$id" --format json --config "$W/dlp.toml" 2>/dev/null |
            python3 -c 'import json,sys; print(json.load(sys.stdin).get("subject"))'
    done
}

echo "work directory: $W"
sink_start "$W/pf" "$SINK"
write_config "inet:127.0.0.1:$MPORT" quarantine
start_milter inet
pf_setup "$W/pf" "$SMTP" "$SINK" "inet:127.0.0.1:$MPORT"
pf_start "$W/pf" || fail "postfix did not start"
pf_wait_port "$SMTP" || fail "postfix smtpd not listening"

# --- 1. inet socket: accept, rewrite, hold, reject, sendmail path
$MT make clean "e2e clean" "$W/msgs/clean.eml"
$MT make exposed:8 "e2e rewrite" "$W/msgs/rewrite.eml"
$MT make exposed:25 "e2e hold" "$W/msgs/hold.eml"
$MT make exposed:45 "e2e reject" "$W/msgs/reject.eml"
$MT make exposed:8 "e2e sendmail" "$W/msgs/sendmail.eml"
send "e2e clean" "$W/msgs/clean.eml" 1 >/dev/null
send "e2e rewrite" "$W/msgs/rewrite.eml" 8 >/dev/null
send "e2e hold" "$W/msgs/hold.eml" 25 >/dev/null
reject_out=$(swaks_out "e2e reject" "$W/msgs/reject.eml" 45)
sendmail -C "$W/pf/etc" -f office@school.example parent0@gmail.com parent1@gmail.com <"$W/msgs/sendmail.eml"
pf_wait_empty "$W/pf" 30 || fail "queue did not drain: $(postqueue -c "$W/pf/etc" -p)"
sleep 0.5

f=$(in_sink "e2e clean")
[ -n "$f" ] || fail "clean message not delivered"
d=$(changes "$W/msgs/clean.eml" "$f") || fail "clean message changed: $d"
ok "clean mail delivered byte for byte (apart from Received:)"

f=$(in_sink "e2e rewrite")
[ -n "$f" ] || fail "rewritten message not delivered"
[ "$($MT header "$f" To)" = "undisclosed-recipients:;" ] || fail "To not rewritten: $($MT header "$f" To)"
[ -z "$($MT header "$f" Cc)" ] || fail "Cc not removed"
[ "$($MT header "$f" X-DLP-Verdict)" = rewrite ] || fail "no X-DLP-Verdict: rewrite"
[ "$($MT rcpts "$f")" = 8 ] || fail "envelope changed: $($MT rcpts "$f") recipients"
ok "exposed recipients rewritten (To undisclosed, Cc gone, envelope kept: 8 recipients)"

[ -z "$(in_sink "e2e hold")" ] || fail "held message reached the sink"
h=$(in_quarantine "e2e hold")
[ -n "$h" ] || fail "held message not in the quarantine"
# Stored as received: the original body, byte for byte.
# (swaks ends the DATA with an extra CRLF: trailing blank lines are not compared)
"$BIN" quarantine show "$h" --reveal --by e2e --config "$W/dlp.toml" >"$W/held.txt" 2>&1 ||
    fail "quarantine show: $(cat "$W/held.txt")"
body=$(sed '1,/^\r$/d' "$W/msgs/hold.eml" | $MT norm /dev/stdin)
python3 - "$W/held.txt" "$body" <<'PY' || fail "held message content differs: $(tail -5 "$W/held.txt")"
import sys
shown = open(sys.argv[1], encoding="utf-8", errors="replace").read().replace("\r\n", "\n")
sys.exit(0 if sys.argv[2].strip() in shown else 1)
PY
grep -qi "queue" "$W/held.txt" || fail "hold record has no queue id"
grep -q 'action="notice"' "$W/milter.log" || fail "the sender's hold notice did not pass the milter"
ok "hold: absent from the sink, in the quarantine with its record; the hold notice went out through Postfix and the milter let it pass"

# Release: re-injected through Postfix, the milter honours the marker once:
# delivered with its To: intact, the marker stripped, not held again.
"$BIN" quarantine release "$h" --by e2e --reason "e2e: list approved" --config "$W/dlp.toml" >/dev/null 2>&1 ||
    fail "release failed"
pf_wait_empty "$W/pf" 30 || fail "released message stuck in the queue"
sleep 0.5
f=$(in_sink "e2e hold")
[ -n "$f" ] || fail "released message not delivered"
[ "$(in_sink "e2e hold" | wc -l)" = 1 ] || fail "released message delivered more than once"
grep -qi "^X-DLP-Release" "$f" && fail "release marker not stripped"
[ "$($MT rcpts "$f")" = 25 ] || fail "release lost recipients: $($MT rcpts "$f")"
grep -q 'action="released"' "$W/milter.log" || fail "milter did not log the release"
ok "release: re-injected through Postfix, passed the milter once unscanned, marker stripped, all 25 recipients"

echo "$reject_out" | grep -q "550 5.7.1" || fail "reject not 550 5.7.1: $(echo "$reject_out" | grep -E '^<~? *5' | head -3)"
echo "$reject_out" | grep -q "never allowed" || fail "reject does not quote the policy"
[ -z "$(in_sink "e2e reject")" ] && [ -z "$(in_quarantine "e2e reject")" ] || fail "rejected message went somewhere"
ok "reject: 550 5.7.1 quoting the policy, message nowhere"

f=$(in_sink "e2e sendmail")
[ -n "$f" ] || fail "sendmail(1) message not delivered"
[ "$($MT header "$f" To)" = "undisclosed-recipients:;" ] || fail "sendmail(1) message not rewritten"
ok "non_smtpd_milters (sendmail): rewritten too"

[ -n "$("$BIN" quarantine list --all --rule exposed-recipients --config "$W/dlp.toml" 2>/dev/null)" ] ||
    fail "no decision records for the rewrites"
grep -q 'action="\?reject\|action=reject' "$W/milter.log" || grep -q 'reject' "$W/milter.log" || fail "no log line for the reject"
ok "decisions recorded and logged"

# --- 2. postfix-hold mode via SIGHUP reload (no restart, same connections)
write_config "inet:127.0.0.1:$MPORT" postfix-hold
kill -HUP "$MILTER_PID"
# A reload rebuilds the engine: ~0.6 s for a debug build on a loaded machine.
for _ in $(seq 100); do grep -q "reloaded" "$W/milter.log" && break; sleep 0.1; done
grep -q "reloaded" "$W/milter.log" || fail "SIGHUP did not reload"
$MT make exposed:25 "e2e postfix-hold" "$W/msgs/pfhold.eml"
send "e2e postfix-hold" "$W/msgs/pfhold.eml" 25 >/dev/null
sleep 1
postqueue -c "$W/pf/etc" -j | grep -q '"queue_name": *"hold"' || fail "not in Postfix's hold queue: $(postqueue -c "$W/pf/etc" -j)"
[ -z "$(in_sink "e2e postfix-hold")" ] || fail "postfix-hold message reached the sink"
postsuper -c "$W/pf/etc" -d ALL hold >/dev/null 2>&1
ok "postfix-hold: message in Postfix's hold queue (postqueue -j), not delivered"

# A bad config on SIGHUP keeps the old one.
echo "this is = not toml [" >"$W/dlp.toml"
kill -HUP "$MILTER_PID"
for _ in $(seq 100); do grep -q "reload failed" "$W/milter.log" && break; sleep 0.1; done
grep -q "reload failed" "$W/milter.log" || fail "bad config not reported"
kill -0 "$MILTER_PID" || fail "milter died on a bad config"
ok "SIGHUP with a bad config keeps the old one"

# --- 3. unix socket
kill -TERM "$MILTER_PID"
wait "$MILTER_PID" 2>/dev/null || true
write_config "unix:$SOCK" quarantine
start_milter unix
[ "$(stat -c %a:%G "$SOCK")" = "660:postfix" ] || fail "socket mode/group: $(stat -c %a:%G "$SOCK")"
pf_milter "$W/pf" "unix:$SOCK"
pf_reload "$W/pf"
sleep 1
$MT make clean "e2e unix clean" "$W/msgs/uclean.eml"
$MT make exposed:8 "e2e unix rewrite" "$W/msgs/urewrite.eml"
$MT make exposed:25 "e2e unix hold" "$W/msgs/uhold.eml"
send x "$W/msgs/uclean.eml" 1 >/dev/null
send x "$W/msgs/urewrite.eml" 8 >/dev/null
send x "$W/msgs/uhold.eml" 25 >/dev/null
pf_wait_empty "$W/pf" 30 || fail "queue did not drain (unix)"
sleep 0.5
f=$(in_sink "e2e unix clean")
[ -n "$f" ] && changes "$W/msgs/uclean.eml" "$f" >/dev/null || fail "unix: clean message changed or missing"
f=$(in_sink "e2e unix rewrite")
[ -n "$f" ] && [ "$($MT header "$f" To)" = "undisclosed-recipients:;" ] || fail "unix: not rewritten"
[ -z "$(in_sink "e2e unix hold")" ] && [ -n "$(in_quarantine "e2e unix hold")" ] || fail "unix: hold failed"
ok "unix socket (mode 0660, group postfix): accept, rewrite, hold"

# --- 4. SIGKILL in the middle of a burst, fail-closed: nothing lost
N=40
for i in $(seq 1 $N); do
    case $((i % 4)) in
    0) $MT make exposed:25 "burst $i" "$W/msgs/b$i.eml" ;;
    1) $MT make exposed:8 "burst $i" "$W/msgs/b$i.eml" ;;
    *) $MT make big:20 "burst $i" "$W/msgs/b$i.eml" ;;
    esac
done
# Half through smtpd by a client that retries on 4xx (as an MUA or relay
# does), half through sendmail(1) (pickup retries by itself).
submit() {
    local i=$1 n
    n=$(grep -c '^To:.*parent' "$W/msgs/b$i.eml" || true)
    for _ in $(seq 1 60); do
        if swaks --server "127.0.0.1:$SMTP" --from office@school.example \
            --to parent0@gmail.com,parent1@gmail.com --data "@$W/msgs/b$i.eml" \
            --hide-all --timeout 30 >/dev/null 2>&1; then
            return 0
        fi
        sleep 0.5
    done
    echo "burst $i: never accepted" >>"$W/burst-errors"
}
pids=()
for w in 0 1 2 3; do
    (for i in $(seq $((w + 1)) 8 $N); do submit "$i"; done) &
    pids+=($!)
done
for i in $(seq 5 8 $N) $(seq 6 8 $N) $(seq 7 8 $N) $(seq 8 8 $N); do
    sendmail -C "$W/pf/etc" -f office@school.example parent0@gmail.com parent1@gmail.com <"$W/msgs/b$i.eml" &
    pids+=($!)
done
sleep 0.4
kill -KILL "$MILTER_PID"
wait "$MILTER_PID" 2>/dev/null || true
echo "milter killed (SIGKILL) during the burst"
sleep 1
start_milter unix
for p in "${pids[@]}"; do wait "$p"; done
pf_wait_empty "$W/pf" 60 || fail "queue did not drain after the restart: $(postqueue -c "$W/pf/etc" -p | tail -5)"
sleep 0.5
[ ! -s "$W/burst-errors" ] || fail "$(cat "$W/burst-errors")"
lost=0
quarantined_subjects >"$W/held-subjects"
for i in $(seq 1 $N); do
    if [ -z "$(in_sink "burst $i")" ] && ! grep -qx "burst $i" "$W/held-subjects"; then
        echo "lost: burst $i" >&2
        lost=$((lost + 1))
    fi
done
[ "$lost" = 0 ] || fail "$lost of $N messages lost after SIGKILL"
deferred=$(grep -c "milter.*\(connect\|read\|write\|EOF\)\|451 4.7.1\|milter-reject: END-OF-MESSAGE.*4\.7\.1" "$W/pf/maillog" || true)
ok "SIGKILL mid-burst: all $N messages delivered or quarantined ($deferred milter errors tempfailed and retried)"

echo "PASS: $PASS checks"
