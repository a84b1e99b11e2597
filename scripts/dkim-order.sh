#!/usr/bin/env bash
# dlp-milter beside a DKIM signer, end to end:
#
#   scripts/dkim-order.sh [path/to/dlp-milter]      (as root; ~20 s)
#
# A throwaway Postfix (scripts/lib-postfix.sh) runs dlp-milter and a real
# OpenDKIM (Debian opendkim, key from opendkim-genkey) in the same
# smtpd_milters list and relays to smtp-sink. A newsletter with 8 parents
# visible in To is sent; dlp-milter rewrites To to undisclosed-recipients:;.
# The delivered copy's DKIM signature is checked with an independent
# verifier (dkimpy, scripts/dkim-verify.py, public key from the file
# opendkim-genkey wrote):
#   - dlp-milter listed first: the rewritten message's signature verifies;
#   - OpenDKIM listed first: it signed the original To, so the signature
#     FAILS, which is why docs/postfix-snippet.cf puts dlp-milter first and
#     `dlp-milter doctor` flags the other order.
#
# Exit 0: passed; 77: skipped (not root, packages not installable); else failed.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib-postfix.sh
. "$here/lib-postfix.sh"
# dkimpy is a Debian package (python3-dkim): the system interpreter has it.
PY=/usr/bin/python3

pf_require
if ! command -v opendkim >/dev/null 2>&1 && ! [ -x /usr/sbin/opendkim ] ||
    ! [ -x /usr/sbin/opendkim-genkey ] || ! $PY -c 'import dkim' 2>/dev/null; then
    echo "installing opendkim, opendkim-tools and python3-dkim..." >&2
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q opendkim opendkim-tools python3-dkim >/dev/null 2>&1; then
        echo "SKIP: opendkim/opendkim-tools/python3-dkim are not installed and cannot be installed" >&2
        exit 77
    fi
fi
pf_bin "${1:-}"
pf_workdir dlp-dkim
PF_LOGS=("milter log=$W/milter.log" "opendkim log=$W/opendkim.log" "postfix log=$W/pf/maillog")

SMTP=$(pf_free_port)
SINK=$(pf_free_port)
MPORT=$(pf_free_port)
DPORT=$(pf_free_port)
DLP="inet:127.0.0.1:$MPORT"
DKIM="inet:127.0.0.1:$DPORT"

# --- OpenDKIM: signs mail for school.example from loopback ----------------
mkdir -p "$W/keys"
/usr/sbin/opendkim-genkey -D "$W/keys" -d school.example -s e2e -b 2048 ||
    fail "opendkim-genkey"
chmod 600 "$W/keys/e2e.private"
cat >"$W/opendkim.conf" <<EOF
Syslog no
LogWhy yes
Mode sv
Domain school.example
Selector e2e
KeyFile $W/keys/e2e.private
Socket inet:$DPORT@127.0.0.1
InternalHosts 127.0.0.1
Canonicalization relaxed/simple
RequireSafeKeys no
PidFile $W/opendkim.pid
EOF
/usr/sbin/opendkim -f -x "$W/opendkim.conf" >"$W/opendkim.log" 2>&1 &
PIDS+=("$!")
pf_wait_port "$DPORT" || fail "opendkim did not listen"

# --- dlp-milter with the shipped rules -------------------------------------
cat >"$W/dlp.toml" <<EOF
data_dir = "$W/data"
[organisation]
domains = ["school.example"]
[notice]
enabled = false
[quarantine]
relay = "127.0.0.1:$SMTP"
[milter]
listen = "$DLP"
EOF
"$BIN" serve --config "$W/dlp.toml" >"$W/milter.log" 2>&1 &
PIDS+=("$!")
pf_wait_port "$MPORT" || fail "dlp-milter did not listen"

# --- Postfix ------------------------------------------------------------------
pf_setup "$W/pf" "$SMTP" "$SINK" "$DLP, $DKIM"
sink_start "$W/pf" "$SINK"
pf_start "$W/pf" || fail "postfix did not start"
pf_wait_port "$SMTP" || fail "postfix smtpd did not listen"

# send_and_verify ORDER-NAME SUBJECT: sends the newsletter, prints the
# verifier's verdict on the delivered copy.
send_and_verify() {
    local subject=$2 rcpts f
    $MT make exposed:8 "$subject" "$W/$1.eml"
    rcpts=$(seq 0 7 | sed 's/.*/parent&@gmail.com/' | paste -sd, -)
    swaks --server "127.0.0.1:$SMTP" --from office@school.example --to "$rcpts" \
        --data "@$W/$1.eml" --hide-all --timeout 30 >/dev/null 2>&1 || true
    pf_wait_empty "$W/pf" 20 || fail "$1: mail stuck in the queue"
    f=$($MT find "$W/pf/sink" "$subject")
    [ -n "$f" ] || fail "$1: the newsletter did not reach the sink"
    [ "$($MT header "$f" To)" = "undisclosed-recipients:;" ] ||
        fail "$1: To was not rewritten: $($MT header "$f" To)"
    case "$($MT header "$f" DKIM-Signature)" in
    *d=school.example*) ;;
    *) fail "$1: OpenDKIM did not sign" ;;
    esac
    $PY "$here/dkim-verify.py" "$f" "$W/keys/e2e.txt" || true
}

v=$(send_and_verify dlp-first "dkim order dlp first")
[ "$v" = pass ] || fail "dlp-milter before OpenDKIM: the signature must verify, got: $v"
echo "ok: dlp-milter, then OpenDKIM: To rewritten, DKIM signature verifies"
doctor() {
    "$BIN" doctor --config "$W/dlp.toml" --postfix-config "$W/pf/etc" \
        --signer-config "$W/opendkim.conf" >"$W/doctor.txt" 2>&1
}
doctor || fail "doctor on the right order: $(cat "$W/doctor.txt")"
grep -q "^ok    dkim order: dlp-milter runs before the DKIM signer" "$W/doctor.txt" ||
    fail "doctor did not see the right order: $(cat "$W/doctor.txt")"
grep -q "^ok    relay: 127.0.0.1:$SMTP is Postfix's 127.0.0.1:$SMTP/inet, which runs the milter" "$W/doctor.txt" ||
    fail "doctor did not find the relay's service: $(cat "$W/doctor.txt")"
echo "ok: doctor: all well with dlp-milter first (exit 0), the relay's service runs the milter"

pf_milter "$W/pf" "$DKIM, $DLP"
pf_reload "$W/pf"
sleep 1
v=$(send_and_verify dkim-first "dkim order dkim first")
case "$v" in
fail*) ;;
*) fail "OpenDKIM before dlp-milter: the signature must fail after the rewrite, got: $v" ;;
esac
echo "ok: OpenDKIM, then dlp-milter: To rewritten after signing, the signature fails ($v)"

# And the doctor says so about this Postfix, finding OpenDKIM's socket (a
# port that says nothing) in its config's Socket line.
! doctor || fail "doctor exits 0 with the signer first: $(cat "$W/doctor.txt")"
grep -q "^FAIL  dkim order: main.cf smtpd_milters" "$W/doctor.txt" ||
    fail "doctor did not flag the signer listed first: $(cat "$W/doctor.txt")"
echo "ok: doctor flags the signer listed first"
