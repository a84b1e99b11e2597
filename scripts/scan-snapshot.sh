#!/usr/bin/env bash
# Snapshot of what `scan --format json` says about every message under DIR,
# one file per message, so a refactor that must keep behaviour identical can
# be checked with `diff -r` between a snapshot taken before and one after.
#
#   scripts/scan-snapshot.sh DIR OUT [BIN]
#
# Every *.eml under DIR is scanned into OUT/<path under DIR>.json. Any other
# regular file under DIR (an attachment fixture such as
# fixtures/attachments/class-list.xlsx; scripts, JSON and docs are skipped) is
# first wrapped as the base64 attachment of a minimal message, so attachment
# formats are snapshotted through the same path mail takes. `elapsed_us` and
# `path` are dropped: the first differs between two runs of one binary, the
# second names the temporary wrapper. BIN defaults to target/debug/dlp-milter;
# it is run once for all messages.
set -euo pipefail

dir=${1:?usage: scripts/scan-snapshot.sh DIR OUT [BIN]}
out=${2:?usage: scripts/scan-snapshot.sh DIR OUT [BIN]}
bin=${3:-target/debug/dlp-milter}

python3 - "$dir" "$out" "$bin" <<'PY'
import base64, json, os, subprocess, sys, tempfile

src_dir, out_dir, binary = sys.argv[1:4]
skip = (".json", ".py", ".sh", ".md", ".toml")
with tempfile.TemporaryDirectory() as wrap:
    jobs = []  # (message path, snapshot path)
    for root, _, files in os.walk(src_dir):
        for name in sorted(files):
            f = os.path.join(root, name)
            rel = os.path.relpath(f, src_dir)
            if name.endswith(".eml"):
                msg = f
            elif name.endswith(skip):
                continue
            else:
                msg = os.path.join(wrap, "%d.eml" % len(jobs))
                body = base64.encodebytes(open(f, "rb").read()).decode()
                with open(msg, "w", newline="") as m:
                    m.write(
                        "From: office@school.example\r\nTo: parent@example.org\r\n"
                        "Subject: attached\r\nMessage-ID: <snapshot@school.example>\r\n"
                        "MIME-Version: 1.0\r\n"
                        "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
                        "--b\r\nContent-Type: text/plain\r\n\r\n"
                        "Please see the attached file.\r\n"
                        "--b\r\nContent-Type: application/octet-stream\r\n"
                        "Content-Disposition: attachment; filename=\"%s\"\r\n"
                        "Content-Transfer-Encoding: base64\r\n\r\n%s--b--\r\n"
                        % (name, body.replace("\n", "\r\n"))
                    )
            jobs.append((msg, os.path.join(out_dir, rel + ".json")))
    run = subprocess.run(
        [binary, "scan", "--format", "json"] + [m for m, _ in jobs],
        capture_output=True, text=True,
    )
    by_path = {}
    for line in run.stdout.splitlines():
        try:
            v = json.loads(line)
        except ValueError:
            continue
        by_path[v.pop("path", None)] = v
    for msg, snap in jobs:
        os.makedirs(os.path.dirname(snap), exist_ok=True)
        v = by_path.get(msg, {"missing": "no JSON line for this message"})
        v.pop("elapsed_us", None)
        with open(snap, "w") as s:
            s.write(json.dumps(v, sort_keys=True, indent=1) + "\n")
    if run.returncode not in (0, 1, 2):
        sys.stderr.write(run.stderr)
PY
