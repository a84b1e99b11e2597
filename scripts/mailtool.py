#!/usr/bin/env python3
"""Small helpers for the Postfix end-to-end test and the load benchmark.

  mailtool.py make KIND SUBJECT FILE       write a test message (CRLF)
      KIND: clean | exposed:N (N external parents in To) | big:KB (clean, KB of text)
  mailtool.py find DIR SUBJECT              print the files under DIR whose Subject is SUBJECT
  mailtool.py strip FILE                    print a smtp-sink dump without the sink's
                                            envelope lines and the Received: headers
  mailtool.py norm FILE                     print FILE with LF line ends, no trailing blank lines
  mailtool.py header FILE NAME              print the values of header NAME (one per line)
  mailtool.py rcpts FILE                    number of envelope recipients in a smtp-sink dump
"""
import os
import sys

ENVELOPE = ("X-Client-Addr:", "X-Client-Proto:", "X-Helo-Args:", "X-Mail-Args:", "X-Rcpt-Args:")


def make(kind, subject, path):
    to = "parent@gmail.com"
    body = "Dear parent,\r\nthe school trip is on Friday. Please bring a packed lunch.\r\n"
    if kind.startswith("exposed:"):
        n = int(kind.split(":")[1])
        to = ", ".join(f"parent{i}@gmail.com" for i in range(n))
    elif kind.startswith("big:"):
        kb = int(kind.split(":")[1])
        line = "The governors met on Tuesday to discuss the budget and the new library.\r\n"
        body = body + line * (kb * 1024 // len(line))
    msg = (
        "From: Office <office@school.example>\r\n"
        f"To: {to}\r\n"
        "Cc: head@school.example\r\n"
        f"Subject: {subject}\r\n"
        "Date: Mon, 23 Nov 2026 08:00:00 +0000\r\n"
        f"Message-ID: <{subject.replace(' ', '-')}@school.example>\r\n"
        "MIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n" + body
    )
    with open(path, "wb") as f:
        f.write(msg.encode())


def headers_of(data):
    """(name, value) pairs of the header block, unfolded."""
    head = data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0].decode("utf-8", "replace")
    out = []
    for line in head.split("\n"):
        if line[:1] in (" ", "\t") and out:
            out[-1] = (out[-1][0], out[-1][1] + "\n" + line)
        elif ":" in line:
            n, v = line.split(":", 1)
            out.append((n, v.strip()))
    return out


def find(d, subject):
    for root, _, files in os.walk(d):
        for f in sorted(files):
            p = os.path.join(root, f)
            try:
                data = open(p, "rb").read()
            except OSError:
                continue
            for n, v in headers_of(data):
                if n.lower() == "subject" and v == subject:
                    print(p)
                    break


def strip(path):
    data = open(path, "rb").read().replace(b"\r\n", b"\n")
    lines = data.split(b"\n")
    out = []
    i = 0
    in_head = True
    skipping = False
    while i < len(lines):
        line = lines[i]
        i += 1
        if in_head:
            if line == b"":
                in_head = False
                out.append(line)
                continue
            if line[:1] in (b" ", b"\t"):
                if not skipping:
                    out.append(line)
                continue
            skipping = line.startswith(tuple(e.encode() for e in ENVELOPE)) or line.lower().startswith(
                b"received:"
            )
            if not skipping:
                out.append(line)
        else:
            out.append(line)
    sys.stdout.buffer.write(b"\n".join(out).rstrip(b"\n") + b"\n")


def main():
    cmd = sys.argv[1]
    if cmd == "make":
        make(sys.argv[2], sys.argv[3], sys.argv[4])
    elif cmd == "find":
        find(sys.argv[2], sys.argv[3])
    elif cmd == "strip":
        strip(sys.argv[2])
    elif cmd == "norm":
        data = open(sys.argv[2], "rb").read().replace(b"\r\n", b"\n")
        sys.stdout.buffer.write(data.rstrip(b"\n") + b"\n")
    elif cmd == "header":
        data = open(sys.argv[2], "rb").read()
        for n, v in headers_of(data):
            if n.lower() == sys.argv[3].lower():
                print(v)
    elif cmd == "rcpts":
        data = open(sys.argv[2], "rb").read()
        print(sum(1 for n, _ in headers_of(data) if n == "X-Rcpt-Args"))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
