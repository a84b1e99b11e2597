#!/usr/bin/env bash
# End-to-end test of the milter's direction check behind a real Postfix.
#
#   scripts/postfix-direction-e2e.sh [path/to/dlp-milter]   (as root; ~30 s)
#
# One throwaway Postfix on loopback (scripts/lib-postfix.sh) with the milter
# on smtpd_milters AND non_smtpd_milters, as on a relay that also receives
# mail from the internet. Postfix's XCLIENT (smtpd_authorized_xclient_hosts
# = 127.0.0.0/8) lets swaks claim the client address and SASL login Postfix
# then hands the milter in {client_addr} and {auth_authen}:
#
#  1. an unauthenticated client from an outside address (203.0.113.9) sends
#     internal recipients a message carrying NINOs and 40 addresses in To:
#     delivered byte for byte (apart from Postfix's Received:), logged inbound;
#  2. the same message from the same address, logged in (XCLIENT LOGIN), to
#     outside recipients: held (quarantine), logged outbound;
#  3. a forged internal From on an unauthenticated connection from outside:
#     inbound, untouched;
#  4. internal mail from a trusted client (127.0.0.1, mynetworks): scanned
#     and held, logged internal;
#  5. sendmail(1) (non_smtpd_milters): Postfix presents it as 127.0.0.1, so
#     it is trusted and scanned.
#
# Exit 0: passed; 77: skipped (not root, Postfix not installable); else failed.
# KEEP=1 keeps the work directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib-postfix.sh
. "$here/lib-postfix.sh"
pf_require
pf_bin "${1:-}"
pf_workdir dlp-direction

SMTP=$(pf_free_port)
SINK=$(pf_free_port)
SOCK="$W/run/milter.sock"
mkdir -p "$W/msgs"

# No [direction] section: the defaults (loopback + this Postfix's
# mynetworks, read with postconf through MAIL_CONFIG) are under test.
cat >"$W/dlp.toml" <<EOF
data_dir = "$W/data"
[organisation]
domains = ["school.example"]
[log]
level = "info"
[quarantine]
relay = "127.0.0.1:$SMTP"
[notice]
enabled = false
[milter]
listen = "unix:$SOCK"
socket_group = "postfix"
EOF

# msg FILE SUBJECT FROM TO-KIND: a message with two NINOs in the body and
# 40 addresses in To (TO-KIND outside: parents at gmail.com; inside: staff).
msg() {
    python3 - "$@" <<'PY'
import sys
path, subject, sender, kind = sys.argv[1:5]
dom = "gmail.com" if kind == "outside" else "school.example"
to = ",\r\n ".join(f"person{i}@{dom}" for i in range(40))
body = (
    "Dear all,\r\n"
    "Please update the records: Amelia Jones, NI number QQ 12 34 56 C,\r\n"
    "and Oliver Khan, NI number JT 48 22 91 B, start on Monday.\r\n"
    "\r\n-- \r\nGreen Lane Primary School\r\n"
)
msg = (
    f"From: {sender}\r\n"
    f"To: {to}\r\n"
    f"Subject: {subject}\r\n"
    "Date: Mon, 23 Nov 2026 08:00:00 +0000\r\n"
    f"Message-ID: <{subject.replace(' ', '-')}@example.net>\r\n"
    "MIME-Version: 1.0\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "\r\n" + body
)
open(path, "wb").write(msg.encode())
PY
}

# send FROM RCPTS FILE [swaks options...]: prints the transcript.
send() {
    local from=$1 rcpts=$2 file=$3
    shift 3
    swaks --server "127.0.0.1:$SMTP" --from "$from" --to "$rcpts" \
        --data "@$file" --timeout 30 "$@" 2>&1 || true
}
held_count() { "$BIN" quarantine list --config "$W/dlp.toml" 2>/dev/null | awk 'NR > 1' | wc -l; }
# log_for SUBJECT-QUEUE-ID: the milter's log line for a Postfix queue id.
queue_id_of() { # the queue id Postfix gave the message with this Message-ID
    grep -F "message-id=<$1@example.net>" "$W/pf/maillog" | head -1 | sed -E 's/.*: ([0-9A-F]+): message-id=.*/\1/'
}
milter_line() { grep -F "queue_id=\"$1\"" "$W/milter.log" | grep -F ' message' | tail -1; }

echo "work directory: $W"
sink_start "$W/pf" "$SINK"
pf_setup "$W/pf" "$SMTP" "$SINK" "unix:$SOCK"
# A relay that is also the school's MX: it accepts mail for school.example
# from anyone, relays for mynetworks and logged-in users, and lets loopback
# claim another client with XCLIENT.
postconf -c "$W/pf/etc" -e \
    "relay_domains = school.example" \
    "smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination" \
    "smtpd_authorized_xclient_hosts = 127.0.0.0/8" \
    "smtpd_sasl_auth_enable = yes" \
    "smtpd_sasl_type = dovecot" \
    "smtpd_sasl_path = $W/run/auth"
# Postfix only hands a login to the milter ({auth_authen}) when SASL is on,
# and SASL needs a backend: a stub Dovecot auth socket that offers PLAIN and
# is never asked anything (XCLIENT LOGIN sets the login).
python3 - "$W/run/auth" <<'PY' &
import os, socket, sys, threading
path = sys.argv[1]
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
os.chmod(path, 0o666)
srv.listen(16)
hello = b"VERSION\t1\t2\nMECH\tPLAIN\tplaintext\nSPID\t1\nCUID\t1\nCOOKIE\t" + b"0" * 32 + b"\nDONE\n"
def serve(c):
    try:
        c.sendall(hello)
        while c.recv(4096):
            pass
    except OSError:
        pass
    c.close()
while True:
    c, _ = srv.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
PIDS+=("$!")
for _ in $(seq 50); do [ -S "$W/run/auth" ] && break; sleep 0.1; done
MAIL_CONFIG="$W/pf/etc" "$BIN" serve --config "$W/dlp.toml" >>"$W/milter.log" 2>&1 &
PIDS+=("$!")
pf_wait_unix "$SOCK" || fail "milter did not create $SOCK"
grep -q 'trusted_networks=127.0.0.0/8 ::1/128' "$W/milter.log" ||
    fail "the effective trusted networks are not logged at start"
pf_start "$W/pf" || fail "postfix did not start"
pf_wait_port "$SMTP" || fail "postfix smtpd not listening"

inside="head@school.example,office@school.example"
outside="parent0@gmail.com,parent1@gmail.com"

# 1. From the internet, not logged in, to staff: inbound, untouched.
msg "$W/msgs/in.eml" "dir inbound" "Parent <parent@gmail.com>" outside
out1=$(send parent@gmail.com "$inside" "$W/msgs/in.eml" --xclient-addr 203.0.113.9 --xclient-name mail.example.net)
echo "$out1" | grep -q "250 2.0.0 Ok: queued" || fail "inbound message not accepted: $(echo "$out1" | tail -5)"
# 2. The same message, logged in, to outside recipients: held.
msg "$W/msgs/auth.eml" "dir authenticated" "Office <office@school.example>" outside
out2=$(send office@school.example "$outside" "$W/msgs/auth.eml" --xclient-addr 203.0.113.9 --xclient-login office)
echo "$out2" | grep -q "<-  250 2.0.0 Ok" || fail "authenticated message not accepted: $(echo "$out2" | tail -5)"
# 3. A forged internal From from the internet: inbound.
msg "$W/msgs/forged.eml" "dir forged" "Head <head@school.example>" inside
out3=$(send head@school.example "$inside" "$W/msgs/forged.eml" --xclient-addr 198.51.100.20)
echo "$out3" | grep -q "250 2.0.0 Ok: queued" || fail "forged message not accepted: $(echo "$out3" | tail -5)"
# 4. Internal mail from a trusted client (loopback, in mynetworks): scanned.
msg "$W/msgs/internal.eml" "dir internal" "Office <office@school.example>" inside
send office@school.example "$inside" "$W/msgs/internal.eml" >/dev/null
# 5. sendmail(1): non_smtpd_milters.
msg "$W/msgs/local.eml" "dir sendmail" "Office <office@school.example>" outside
sendmail -C "$W/pf/etc" -f office@school.example parent0@gmail.com <"$W/msgs/local.eml"
pf_wait_empty "$W/pf" 30 || fail "queue did not drain: $(postqueue -c "$W/pf/etc" -p | tail -5)"
sleep 0.5

# 1.
f=$(in_sink "dir inbound")
[ -n "$f" ] || fail "inbound message not delivered"
d=$(changes "$W/msgs/in.eml" "$f") || fail "inbound message changed: $(echo "$d" | head -10)"
grep -qi '^X-DLP' "$f" && fail "inbound message got X-DLP headers"
q=$(queue_id_of dir-inbound)
line=$(milter_line "$q")
echo "$line" | grep -q 'direction="inbound"' || fail "no inbound log line for $q: $line"
echo "$line" | grep -q 'action="pass-inbound"' || fail "inbound not passed: $line"
echo "$line" | grep -q 'client 203.0.113.9 is not in trusted_networks' || fail "no reason: $line"
echo "$line" | grep -q ' INFO ' || fail "inbound line not at info level: $line"
ok "unauthenticated mail from 203.0.113.9 to staff, NINOs and 40 addresses in To: delivered byte for byte, logged inbound with its reason"

# 2.
[ -z "$(in_sink "dir authenticated")" ] || fail "the authenticated message with NINOs reached the sink"
q=$(queue_id_of dir-authenticated)
line=$(milter_line "$q")
echo "$line" | grep -q 'direction="outbound"' || fail "not outbound: $line"
echo "$line" | grep -q 'action="held"' || fail "not held: $line"
echo "$line" | grep -q 'logged in (SASL)' || fail "reason does not name the login: $line"
[ "$(held_count)" -ge 1 ] || fail "nothing in the quarantine"
"$BIN" audit verify --config "$W/dlp.toml" >/dev/null 2>&1 || fail "audit chain does not verify"
python3 - "$W/data/quarantine.db" <<'PY' || fail "the audit entry of the hold has no direction"
import json, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
cols = [r[1] for r in db.execute("PRAGMA table_info(audit)")]
col = next(c for c in ("details", "detail", "data", "payload") if c in cols)
rows = [json.loads(r[0]) for r in db.execute(f"SELECT {col} FROM audit")]
held = [r for r in rows if r.get("direction") == "outbound" and "logged in" in r.get("direction_reason", "")]
sys.exit(0 if held else 1)
PY
ok "the same message from a logged-in user (XCLIENT LOGIN) to parents: held, logged outbound, direction in the audit entry"

# 3.
f=$(in_sink "dir forged")
[ -n "$f" ] || fail "forged-From message not delivered"
changes "$W/msgs/forged.eml" "$f" >/dev/null || fail "forged-From message changed"
line=$(milter_line "$(queue_id_of dir-forged)")
echo "$line" | grep -q 'direction="inbound"' || fail "forged internal From not inbound: $line"
ok "forged internal From from 198.51.100.20, not logged in: inbound, untouched"

# 4.
[ -z "$(in_sink "dir internal")" ] || fail "internal mail with NINOs was not held"
line=$(milter_line "$(queue_id_of dir-internal)")
echo "$line" | grep -q 'direction="internal"' || fail "not internal: $line"
echo "$line" | grep -q 'action="held"' || fail "internal mail not scanned: $line"
ok "internal mail from a trusted client (127.0.0.1): scanned (held), logged internal"

# 5.
[ -z "$(in_sink "dir sendmail")" ] || fail "sendmail(1) message with NINOs was not held"
line=$(grep -F 'direction=' "$W/milter.log" | grep -F 'client 127.0.0.1 is in trusted_networks' | grep -F 'recipients=1 ' | tail -1)
echo "$line" | grep -q 'direction="outbound"' || fail "sendmail(1) not outbound from 127.0.0.1: $(tail -3 "$W/milter.log")"
ok "sendmail(1) (non_smtpd_milters): Postfix sends {client_addr} 127.0.0.1, trusted, scanned"

echo "PASS: $PASS checks"
