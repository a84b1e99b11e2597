#!/usr/bin/python3
"""Verify the DKIM signature of a message against a public key kept in a
file instead of DNS (the test machine has no DNS for school.example).

  dkim-verify.py MESSAGE KEYFILE

MESSAGE: a message as smtp-sink dumped it (its envelope lines are unsigned
headers, which DKIM ignores). KEYFILE: the selector's TXT record as
opendkim-genkey writes it (SEL.txt: `sel._domainkey IN TXT ( "v=DKIM1; ..."
"p=..." )`). Prints `pass` and exits 0, or `fail: ...` and exits 1; 2 when
there is no signature or dkimpy (Debian python3-dkim) is missing.

The verifier is dkimpy, an implementation independent of OpenDKIM's.
"""
import re
import sys

try:
    import dkim
except ImportError:
    print("error: dkimpy is not installed (apt-get install python3-dkim)")
    sys.exit(2)


def main():
    msg_path, key_path = sys.argv[1], sys.argv[2]
    raw = open(msg_path, "rb").read().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if b"\r\ndkim-signature:" not in b"\r\n" + raw.lower().split(b"\r\n\r\n", 1)[0]:
        print("error: no DKIM-Signature header")
        sys.exit(2)
    txt = "".join(re.findall(r'"([^"]*)"', open(key_path).read())).encode()

    def dnsfunc(name, timeout=5):
        return txt

    logged = []

    class Log:
        def debug(self, *a, **k):
            pass

        def info(self, *a, **k):
            pass

        def error(self, m, *a, **k):
            logged.append(str(m) % a if a else str(m))

        warning = error

    ok = dkim.verify(raw, dnsfunc=dnsfunc, logger=Log())
    if ok:
        print("pass")
        sys.exit(0)
    print("fail: " + ("; ".join(logged) or "signature does not verify"))
    sys.exit(1)


main()
