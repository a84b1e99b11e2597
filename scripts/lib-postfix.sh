# shellcheck shell=bash
# Throwaway Postfix instances on loopback, for the end-to-end tests
# (postfix-e2e.sh, postfix-direction-e2e.sh, dkim-order.sh, deb-test.sh) and
# the load scripts (bench-postfix.sh, profile-postfix.sh). Sourced, not run.
#
# An instance lives entirely under one directory: its own config dir (-c),
# queue, data dir and log file (maillog_file, so errors are visible without
# syslog). Nothing is chrooted (the milter socket path is then the real path),
# smtpd listens on 127.0.0.1:PORT and everything is relayed to a loopback
# smtp-sink that keeps each message as a file.

PF_BIN=${PF_BIN:-/usr/sbin}
PF_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# pf_require: be root and have Postfix, smtp-sink and swaks (installing them
# from the OS packages when missing). Exits 77 ("skipped") with a reason
# when that is impossible, so callers can report a skip, never a pass.
pf_require() {
    if [ "$(id -u)" != 0 ]; then
        echo "SKIP: the Postfix end-to-end test needs root (it starts a throwaway Postfix)" >&2
        exit 77
    fi
    local missing=
    for b in postfix smtp-sink smtp-source swaks postqueue; do
        command -v "$b" >/dev/null 2>&1 || [ -x "$PF_BIN/$b" ] || missing=1
    done
    if [ -n "$missing" ]; then
        echo "installing postfix and swaks..." >&2
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q postfix swaks >/dev/null 2>&1; then
            echo "SKIP: Postfix is not installed and cannot be installed (apt-get install postfix swaks failed)" >&2
            exit 77
        fi
    fi
}

# pf_free_port: a TCP port nobody listens on.
pf_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# pf_setup DIR SMTP_PORT SINK_PORT MILTER|none
# Writes the instance's main.cf/master.cf. MILTER is in Postfix notation.
pf_setup() {
    local dir=$1 port=$2 sink=$3 milter=$4
    mkdir -p "$dir/etc" "$dir/queue" "$dir/data" "$dir/sink"
    chown postfix "$dir/data" "$dir/sink"
    cp /etc/postfix/master.cf "$dir/etc/master.cf"
    : >"$dir/etc/main.cf"
    local pc="postconf -c $dir/etc"
    $pc -e \
        "compatibility_level = 3.6" \
        "queue_directory = $dir/queue" \
        "data_directory = $dir/data" \
        "mail_owner = postfix" \
        "setgid_group = postdrop" \
        "myhostname = e2e.school.example" \
        "mydomain = school.example" \
        "myorigin = school.example" \
        "mydestination =" \
        "local_recipient_maps =" \
        "alias_maps =" \
        "alias_database =" \
        "inet_interfaces = 127.0.0.1" \
        "inet_protocols = ipv4" \
        "mynetworks = 127.0.0.0/8" \
        "relayhost = [127.0.0.1]:$sink" \
        "smtpd_relay_restrictions = permit_mynetworks, reject" \
        "smtp_tls_security_level = none" \
        "smtpd_tls_security_level = none" \
        "smtp_dns_support_level = disabled" \
        "maillog_file_prefixes = $dir" \
        "maillog_file = $dir/maillog" \
        "milter_protocol = 6" \
        "milter_default_action = tempfail" \
        "minimal_backoff_time = 2s" \
        "maximal_backoff_time = 4s" \
        "queue_run_delay = 2s" \
        "smtp_destination_concurrency_limit = 50" \
        "default_destination_concurrency_limit = 50" \
        "default_process_limit = 200" \
        "smtpd_client_connection_count_limit = 0" \
        "smtpd_client_message_rate_limit = 0" \
        "anvil_rate_time_unit = 60s" \
        "smtp_connection_cache_on_demand = yes" \
        "message_size_limit = 52428800"
    pf_milter "$dir" "$milter"
    # No chroot: the milter's unix socket path is then the same for Postfix.
    $pc -F '*/*/chroot = n'
    # smtpd on the test port instead of 25; pickup polls every second so
    # sendmail(1) mail deferred by a dead milter is retried quickly.
    sed -i -E "s/^smtp +inet .*smtpd\$/127.0.0.1:$port inet n - n - 200 smtpd/" "$dir/etc/master.cf"
    $pc -M "pickup/unix=pickup unix n - n 1 1 pickup"
    postfix -c "$dir/etc" check >/dev/null 2>&1 || true
}

# pf_milter DIR MILTER|none: sets smtpd_milters and non_smtpd_milters.
pf_milter() {
    local dir=$1 milter=$2
    if [ "$milter" = none ]; then
        postconf -c "$dir/etc" -e "smtpd_milters =" "non_smtpd_milters ="
    else
        postconf -c "$dir/etc" -e "smtpd_milters = $milter" "non_smtpd_milters = $milter"
    fi
}

# Postfix reports start-up errors only to syslog or a terminal: show them through script(1).
pf_start() {
    postfix -c "$1/etc" start >/dev/null 2>&1 && return 0
    script -qc "postfix -c $1/etc start" /dev/null >&2 || true
    return 1
}
pf_reload() { postfix -c "$1/etc" reload >/dev/null 2>&1; }
pf_stop() { postfix -c "$1/etc" stop >/dev/null 2>&1 || true; }

# pf_wait_port PORT: until something accepts on 127.0.0.1:PORT (max ~10 s).
pf_wait_port() {
    local i
    for i in $(seq 1 100); do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# pf_wait_unix PATH: until the socket file exists.
pf_wait_unix() {
    local i
    for i in $(seq 1 100); do
        [ -S "$1" ] && return 0
        sleep 0.1
    done
    return 1
}

# sink_start DIR PORT: smtp-sink keeping each message under DIR/sink; sets SINK_PID.
sink_start() {
    "$PF_BIN/smtp-sink" -u postfix -d "$1/sink/%Y%m%d%H%M%S." "127.0.0.1:$2" 256 &
    SINK_PID=$!
    pf_wait_port "$2"
}

# pf_queue_count DIR: messages in Postfix's queues (all of them).
pf_queue_count() {
    postqueue -c "$1/etc" -j 2>/dev/null | wc -l
}

# pf_wait_empty DIR SECONDS: until the queue is empty.
pf_wait_empty() {
    local i
    for i in $(seq 1 $(($2 * 10))); do
        [ "$(pf_queue_count "$1")" = 0 ] && return 0
        sleep 0.1
    done
    return 1
}

# --- the work directory, shared by every script that sources this ---

# pf_workdir PREFIX: a work directory in W (the instance goes in $W/pf, the
# milter's socket in $W/run, the shipped rules in $W/rules), and an EXIT
# trap, pf_workdir_cleanup, that tears down what the script started.
pf_workdir() {
    W=$(mktemp -d "/tmp/$1.XXXXXX")
    chmod 755 "$W"
    mkdir -p "$W/run" "$W/rules"
    chmod 755 "$W/run"
    cp "$PF_REPO"/rules/*.toml "$W/rules/"
    PIDS=()
    SINK_PID=
    # The logs fail shows the tail of, as "label=path": a script with
    # another daemon beside the milter adds its log.
    PF_LOGS=("milter log=$W/milter.log" "postfix log=$W/pf/maillog")
    trap pf_workdir_cleanup EXIT
    trap 'exit 1' INT TERM
}

# pf_workdir_cleanup: first the caller's own pf_on_exit when it defines one
# (a daemon it restarts, a package it installed), then the processes listed
# in PIDS, the Postfix instance in $W/pf and the sink (SINK_PID); W is
# removed unless KEEP=1 or a check failed (FAILED=1, set by fail), when it
# is kept for inspection and its path said.
pf_workdir_cleanup() {
    local p
    if declare -F pf_on_exit >/dev/null; then pf_on_exit; fi
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    pf_stop "$W/pf"
    [ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null || true
    if [ "${KEEP:-}" = 1 ] || [ "${FAILED:-}" = 1 ]; then
        echo "work directory kept: $W" >&2
    else
        rm -rf "$W"
    fi
}

# --- shared by the end-to-end tests ---

# The message tool (scripts/mailtool.py: make, find, header, norm, strip...).
MT="python3 $PF_REPO/scripts/mailtool.py"

# pf_bin [PATH]: BIN is the dlp-milter under test, PATH or else the debug
# build; exits 1 (a failure, not a skip) when there is no such binary.
pf_bin() {
    BIN=$(realpath "${1:-$PF_REPO/target/debug/dlp-milter}")
    [ -x "$BIN" ] || {
        echo "no dlp-milter binary at $BIN (cargo build first)" >&2
        exit 1
    }
}

PASS=0
# ok WHAT: a check passed (counted in PASS).
ok() {
    PASS=$((PASS + 1))
    echo "ok: $*"
}

# fail WHY: the test failed: says why with the tail of each log in PF_LOGS,
# keeps the work directory (FAILED=1) and exits 1.
fail() {
    FAILED=1
    echo "FAIL: $*" >&2
    local entry
    for entry in "${PF_LOGS[@]}"; do
        echo "--- ${entry%%=*} (tail)" >&2
        tail -20 "${entry#*=}" >&2 || true
    done
    exit 1
}

# in_sink SUBJECT: the sink's files holding a message with that subject.
in_sink() { $MT find "$W/pf/sink" "$1"; }

# changes SENT DELIVERED: how the delivered copy differs from the message
# sent, apart from Postfix's Received: and line-end normalisation (a diff;
# nothing, and status 0, when it arrived as sent).
changes() { diff <($MT norm "$1") <($MT strip "$2"); }

# --- shared by the load scripts (bench-postfix.sh, profile-postfix.sh) ---

# pf_typical_message: the typical ~20 KB message as $W/msg.eml, and as
# $W/msg.lf with LF line ends for smtp-source -F (which appends CRLF itself).
pf_typical_message() {
    $MT make big:20 "Summer term news" "$W/msg.eml"
    tr -d '\r' <"$W/msg.eml" >"$W/msg.lf"
}

# pf_milter_config FILE NAME LISTEN [EXTRA]: a dlp-milter config for load
# runs (data in $W/data-NAME, the rules in $W/rules, warnings only); EXTRA
# is appended to [milter].
pf_milter_config() {
    cat >"$1" <<CONF
data_dir = "$W/data-$2"
[organisation]
domains = ["school.example"]
[rules]
dir = "$W/rules"
[log]
level = "warn"
[milter]
listen = "$3"
socket_group = "postfix"
${4:-}
CONF
}
