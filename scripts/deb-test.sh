#!/usr/bin/env bash
# The Debian package, installed for real on this machine:
#
#   scripts/deb-test.sh          (as root; ~1 minute after the debug build)
#
# Builds the .deb twice with `cargo deb` (versions 0.1.0-1 and 0.1.1-1, from
# the debug build: --profile dev --no-build, so CI compiles nothing more),
# installs the first with dpkg -i and checks what the maintainer scripts
# made (user, groups, directories, conffile), starts the milter with the
# unit's own ExecStart line under the package's user (systemd is not running
# in CI: `runuser -u dlp-milter --` stands in for User=/SupplementaryGroups=),
# sends mail through a throwaway Postfix (scripts/lib-postfix.sh) to the
# package's socket and checks that personal data is held and clean mail
# delivered. Then the upgrade: an edited conffile, the keys and the held
# message must survive `dpkg -i` of the next version, and the milter must
# start again on them.
#
# It changes this machine (the package, the dlp-milter user, /var/lib/dlp-
# milter), so it is run by scripts/test.sh after the parallel tests, never
# beside them, and it purges everything it made at the end, also on failure:
# re-runs on a dev box start clean. It refuses (exit 77, skipped) to touch
# a dlp-milter package, user or data directory it did not create; leftovers
# of an interrupted run of this script (marked by /var/lib/dlp-milter/
# .deb-test) are cleaned first.
#
# Exit 0: passed; 77: skipped; else failed. KEEP=1 keeps the work directory.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
# shellcheck source=lib-postfix.sh
. "$here/lib-postfix.sh"

CARGO_DEB_VERSION=3.8.0
MARK=/var/lib/dlp-milter/.deb-test
SOCK=/var/spool/postfix/dlp-milter/milter.sock
CONF=/etc/dlp-milter/dlp-milter.toml
UNIT=/usr/lib/systemd/system/dlp-milter.service

pf_require
export DEBIAN_FRONTEND=noninteractive

# --- what this machine already has --------------------------------------
purge_package() {
    dpkg --purge dlp-milter >/dev/null 2>&1 || true
    rm -rf /var/lib/dlp-milter /var/spool/postfix/dlp-milter
    if getent passwd dlp-milter >/dev/null; then
        deluser --system --quiet dlp-milter >/dev/null 2>&1 || true
    fi
    if getent group dlp-milter >/dev/null; then
        delgroup --system --quiet dlp-milter >/dev/null 2>&1 || true
    fi
}
if [ -e "$MARK" ]; then
    echo "cleaning up after an interrupted earlier run" >&2
    purge_package
fi
if dpkg -s dlp-milter >/dev/null 2>&1 || [ -e /var/lib/dlp-milter ] ||
    getent passwd dlp-milter >/dev/null; then
    echo "SKIP: this machine already has a dlp-milter package, user or /var/lib/dlp-milter that this test did not make; not touching it" >&2
    exit 77
fi

if ! command -v cargo-deb >/dev/null 2>&1; then
    echo "installing cargo-deb $CARGO_DEB_VERSION..." >&2
    cargo install --quiet --locked cargo-deb --version "$CARGO_DEB_VERSION" >&2
fi

pf_workdir dlp-deb
MILTER_PID=
# The milter runs as the package's user (stop_milter, defined below; a
# MILTER_PID means it is) and everything the package made goes, also on
# failure.
pf_on_exit() {
    [ -z "$MILTER_PID" ] || stop_milter
    purge_package
}

# --- build ------------------------------------------------------------------
cd "$repo"
[ -x target/debug/dlp-milter ] || cargo build --locked --quiet
for v in 0.1.0-1 0.1.1-1; do
    # --profile dev: the debug build the tests already made (cargo-deb warns
    # that releases should use release; a release build would double CI time).
    cargo deb --quiet --no-build --profile dev --strip --fast \
        --deb-version "$v" -o "$W/dlp-milter_$v.deb" >"$W/cargo-deb.log" 2>&1 ||
        fail "cargo deb $v: $(tail -5 "$W/cargo-deb.log")"
done
ok "built two .debs with cargo deb"

# --- install ----------------------------------------------------------------
dpkg -i "$W/dlp-milter_0.1.0-1.deb" </dev/null >"$W/dpkg.log" 2>&1 ||
    fail "dpkg -i: $(cat "$W/dpkg.log")"
touch "$MARK"
chown dlp-milter:dlp-milter "$MARK"
[ "$(dpkg-query -W -f='${Version}' dlp-milter)" = 0.1.0-1 ] || fail "not installed"
id -nG dlp-milter | tr ' ' '\n' | grep -qx postfix || fail "dlp-milter is not in group postfix"
[ "$(getent passwd dlp-milter | cut -d: -f7)" = /usr/sbin/nologin ] || fail "the system user has a login shell"
[ "$(stat -c '%U %a' /var/lib/dlp-milter)" = "dlp-milter 700" ] ||
    fail "/var/lib/dlp-milter is $(stat -c '%U %a' /var/lib/dlp-milter)"
[ "$(stat -c '%U %G %a' /var/spool/postfix/dlp-milter)" = "dlp-milter postfix 750" ] ||
    fail "socket directory is $(stat -c '%U %G %a' /var/spool/postfix/dlp-milter)"
dpkg-query -W -f='${Conffiles}\n' dlp-milter | grep -q " $CONF " || fail "$CONF is not a conffile"
[ -x /usr/bin/dlp-milter ] && [ -f /usr/share/man/man8/dlp-milter.8.gz ] &&
    [ -f /usr/share/dlp-milter/rules/personal-data.toml ] &&
    [ -f /usr/share/dlp-milter/templates/hold.txt ] && [ -f "$UNIT" ] ||
    fail "files missing: $(dpkg -L dlp-milter | tr '\n' ' ')"
/usr/bin/dlp-milter rules check --config "$CONF" >"$W/check.log" 2>&1 ||
    fail "the packaged config does not check: $(cat "$W/check.log")"
grep -q "from /usr/share/dlp-milter/rules" "$W/check.log" || fail "rules not from /usr/share: $(cat "$W/check.log")"
ok "dpkg -i: user in group postfix, /var/lib/dlp-milter 0700, socket directory dlp-milter:postfix 0750, conffile, rules check"

# --- run it the way the unit does -------------------------------------------
EXEC=$(sed -n 's/^ExecStart=//p' "$UNIT")
[ -n "$EXEC" ] || fail "no ExecStart in $UNIT"
start_milter() {
    rm -f "$W/started"
    # shellcheck disable=SC2086 # ExecStart is a command line
    runuser -u dlp-milter -- $EXEC >>"$W/milter.log" 2>&1 &
    MILTER_PID=$!
    pf_wait_unix "$SOCK" || fail "the milter did not create $SOCK"
    # Listening is logged after the socket's group and mode are set.
    local i
    for i in $(seq 1 100); do
        grep -q "dlp-milter listening" "$W/milter.log" && return 0
        sleep 0.1
    done
    fail "the milter did not say it listens"
}
stop_milter() {
    if [ -n "$MILTER_PID" ]; then
        pkill -TERM -P "$MILTER_PID" 2>/dev/null || true
        kill "$MILTER_PID" 2>/dev/null || true
        wait "$MILTER_PID" 2>/dev/null || true
        MILTER_PID=
    fi
}
start_milter
[ "$(stat -c '%U %G %a' "$SOCK")" = "dlp-milter postfix 660" ] ||
    fail "socket is $(stat -c '%U %G %a' "$SOCK")"
ok "ExecStart under runuser -u dlp-milter: $SOCK dlp-milter:postfix 0660"

# --- mail through Postfix ----------------------------------------------------
SMTP=$(pf_free_port)
SINK=$(pf_free_port)
pf_setup "$W/pf" "$SMTP" "$SINK" "unix:$SOCK"
sink_start "$W/pf" "$SINK"
pf_start "$W/pf" || fail "postfix did not start"
pf_wait_port "$SMTP" || fail "postfix smtpd did not listen"

crlf() { sed 's/$/\r/'; }
crlf >"$W/hold.eml" <<'EOF'
From: Office <office@school.example>
To: Payroll <payroll@agency.example>
Subject: deb-test new starter
Date: Mon, 7 Dec 2026 10:00:00 +0000
Message-ID: <deb-test-hold@school.example>

Hi,

New starter: Jane Smith, National Insurance number AB123456C.

Thanks
EOF
crlf >"$W/clean.eml" <<'EOF'
From: Office <office@school.example>
To: Parents <parents@example.org>
Subject: deb-test clean
Date: Mon, 7 Dec 2026 10:00:00 +0000
Message-ID: <deb-test-clean@school.example>

The school is closed on Friday for staff training.
EOF
send() { # FILE RCPT
    swaks --server "127.0.0.1:$SMTP" --from office@school.example --to "$2" \
        --data "@$1" --hide-all --timeout 30 2>&1 || true
}
send "$W/hold.eml" payroll@agency.example >/dev/null
send "$W/clean.eml" parents@example.org >/dev/null
pf_wait_empty "$W/pf" 20 || fail "mail stuck in Postfix's queue: $(postqueue -c "$W/pf/etc" -p)"
[ -n "$(in_sink "deb-test clean")" ] || fail "clean mail did not reach the sink"
[ -z "$(in_sink "deb-test new starter")" ] || fail "the personal data left"
q() { runuser -u dlp-milter -- /usr/bin/dlp-milter "$@" --config "$CONF"; }
HELD=$(q quarantine list | awk 'NR > 1 {print $1}')
[ "$(printf '%s\n' "$HELD" | grep -c .)" = 1 ] || fail "expected one held message, got: $HELD"
ok "through Postfix on the package's socket: clean delivered, personal data held ($HELD)"

# The doctor on the installed package and this Postfix (nothing listens on
# the packaged relay, 127.0.0.1:25, here: that one FAILs, as it should).
/usr/bin/dlp-milter doctor --postfix-config "$W/pf/etc" >"$W/doctor.txt" 2>&1 || true
grep -q "^ok    config: $CONF loads" "$W/doctor.txt" &&
    grep -q "^ok    socket: unix:$SOCK accepts connections and user postfix may use it" "$W/doctor.txt" &&
    grep -q "^ok    data directory: /var/lib/dlp-milter is private" "$W/doctor.txt" &&
    grep -q "^ok    postfix: main.cf smtpd_milters, main.cf non_smtpd_milters name unix:$SOCK" "$W/doctor.txt" ||
    fail "doctor on the package: $(cat "$W/doctor.txt")"
ok "doctor: packaged config, data directory, socket reachable by postfix, Postfix names it"

# --- upgrade ----------------------------------------------------------------
printf '\n# edited by deb-test\n' >>"$CONF"
sed -i 's/^#name = ""$/name = "Deb Test School"/' "$CONF"
grep -q '^name = "Deb Test School"' "$CONF" || fail "could not edit the conffile"
keys_before=$(cd /var/lib/dlp-milter && sha256sum audit.key marker.key)
stop_milter
dpkg -i "$W/dlp-milter_0.1.1-1.deb" </dev/null >"$W/dpkg-upgrade.log" 2>&1 ||
    fail "upgrade: $(cat "$W/dpkg-upgrade.log")"
[ "$(dpkg-query -W -f='${Version}' dlp-milter)" = 0.1.1-1 ] || fail "not upgraded"
grep -q '^name = "Deb Test School"' "$CONF" && grep -q "edited by deb-test" "$CONF" ||
    fail "the edited conffile was replaced"
[ ! -e "$CONF.dpkg-new" ] && [ ! -e "$CONF.dpkg-old" ] || fail "dpkg left $CONF.dpkg-*"
[ "$(cd /var/lib/dlp-milter && sha256sum audit.key marker.key)" = "$keys_before" ] ||
    fail "the keys changed on upgrade"
[ "$(stat -c '%U %a' /var/lib/dlp-milter)" = "dlp-milter 700" ] || fail "data directory changed"
start_milter
[ "$(q quarantine list | awk 'NR > 1 {print $1}')" = "$HELD" ] || fail "the held message is gone after the upgrade"
q quarantine show "$HELD" --reveal --by deb-test >"$W/show.txt" 2>&1 || fail "show: $(cat "$W/show.txt")"
grep -q "AB123456C" "$W/show.txt" || fail "the held content is gone after the upgrade"
q audit verify >"$W/verify.txt" 2>&1 || fail "audit chain broken after upgrade: $(cat "$W/verify.txt")"
send "$W/hold.eml" payroll@agency.example >/dev/null
pf_wait_empty "$W/pf" 20 || fail "mail stuck after the upgrade"
[ "$(q quarantine list | awk 'NR > 1' | wc -l)" -ge 1 ] || fail "no hold after the upgrade"
[ -z "$(in_sink "deb-test new starter")" ] || fail "the personal data left after the upgrade"
ok "upgrade 0.1.0-1 -> 0.1.1-1 kept the edited conffile, the keys, the held message and its audit trail; the milter holds again"

# --- purge ------------------------------------------------------------------
stop_milter
dpkg --purge dlp-milter </dev/null >"$W/purge.log" 2>&1 || fail "purge: $(cat "$W/purge.log")"
[ ! -e /var/spool/postfix/dlp-milter ] || fail "purge left the socket directory"
[ -e /var/lib/dlp-milter/quarantine.db ] || fail "purge removed the held mail (it must keep it for the DPO)"
ok "purge removed the socket directory and kept /var/lib/dlp-milter"

echo "deb-test: $PASS checks passed"
