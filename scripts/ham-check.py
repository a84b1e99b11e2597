#!/usr/bin/env python3
"""Precision check on real mail nobody here wrote ("ham").

Runs `dlp-milter scan --format json` over every message file under the given
directories (any file name: public corpora name messages `001`, `msg_02.txt`,
`foo.eml`; a file counts as a message when its first line is a header or an
mbox `From ` line) and prints one verdict per file, then a summary of holds,
rewrites, tags and accepts with the rules that fired.

The corpora themselves are not part of this repository (see
docs/detection-precision.md for which were checked and at which commit).

Usage: scripts/ham-check.py [--bin PATH] [--config DIR] [--quiet] DIR...
Exit status: 0 when no message is held or rejected, 1 otherwise, 2 on error.
"""

import argparse
import collections
import json
import os
import re
import subprocess
import sys

HEADER = re.compile(rb"^(From |[!-9;-~]+:)")
BATCH = 200


def is_message(path):
    """True when the file starts like an RFC 5322 message or an mbox entry."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    first = head.lstrip(b"\r\n").split(b"\n", 1)[0]
    return bool(HEADER.match(first))


def messages(dirs):
    for d in dirs:
        if os.path.isfile(d):
            yield d
            continue
        for root, subdirs, files in os.walk(d):
            subdirs.sort()
            for name in sorted(files):
                p = os.path.join(root, name)
                if is_message(p):
                    yield p


def scan(binary, config, paths):
    cmd = [binary, "scan", "--format", "json"]
    if config:
        cmd += ["--config", config]
    out = subprocess.run(cmd + ["--"] + paths, capture_output=True, check=False)
    if out.returncode not in (0, 1):
        sys.stderr.write(out.stderr.decode(errors="replace"))
        sys.exit(2)
    for line in out.stdout.decode(errors="replace").splitlines():
        if line.strip():
            yield json.loads(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default="target/debug/dlp-milter")
    ap.add_argument("--config", help="rules folder (default: the binary's)")
    ap.add_argument("--quiet", action="store_true", help="only non-accepts")
    ap.add_argument("dirs", nargs="+")
    a = ap.parse_args()

    paths = list(messages(a.dirs))
    if not paths:
        sys.exit("no message files found")
    verdicts = collections.Counter()
    rules = collections.Counter()
    errors = 0
    for i in range(0, len(paths), BATCH):
        for r in scan(a.bin, a.config, paths[i : i + BATCH]):
            if "error" in r and "verdict" not in r:
                errors += 1
                print(f"ERROR   {r.get('path')}: {r.get('error')}")
                continue
            v = r.get("verdict", "?")
            verdicts[v] += 1
            fired = sorted(
                {
                    rule
                    for act in r.get("actions", [])
                    for rule in act.get("rules", []) + [act.get("rule")]
                    if rule
                }
            )
            fired = sorted(
                set(fired)
                | {f["rule"] for f in r.get("findings", []) if f.get("rule")}
                | set(r.get("unscanned_rules", []))
            )
            for f in fired:
                rules[(v, f)] += 1
            if a.quiet and v == "accept":
                continue
            detail = "; ".join(
                [
                    f"{f.get('detector')}[{f.get('confidence')}] {f.get('evidence', '')}"
                    for f in r.get("findings", [])
                ]
                + [
                    f"not scanned: {n.get('location')} ({n.get('reason')})"
                    for n in r.get("not_scanned", [])
                ]
            )
            print(f"{v.upper():8}{r['path']}  {','.join(fired)}  {detail}")

    print()
    print(f"messages: {len(paths)}  errors: {errors}")
    for v in ("reject", "hold", "rewrite", "tag", "accept"):
        print(f"  {v:8}{verdicts.get(v, 0)}")
    for (v, rule), n in sorted(rules.items()):
        print(f"    {v:8}{rule}: {n}")
    sys.exit(1 if verdicts.get("hold", 0) or verdicts.get("reject", 0) else 0)


if __name__ == "__main__":
    main()
