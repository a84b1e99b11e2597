#!/usr/bin/env python3
"""Held-out check of the inline-password detector on generated school mail.

Writes labelled messages (80 % CRLF, as Postfix hands them over; footers from
fixtures/footers/school-footers.txt under the body, after a blank line or
right under it; quoted replies; some HTML-only) and scores the `scan`
verdicts: a positive counts when the message is held/rewritten/rejected with
an inline_password finding, and any such verdict on a negative is a false
hold. The dev and test halves use disjoint phrasings of the positive and
negative sentences (the subject and PIN sentences are shared), so the test
half measures phrasings the detector was not tuned on.

    scripts/password-eval.py [--bin target/debug/dlp-milter] [--keep DIR]

Nothing is committed from its output: the messages are regenerated each run.
"""
import argparse
import html
import json
import os
import random
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOOT = [
    f.strip("%\n")
    for f in open(os.path.join(ROOT, "fixtures/footers/school-footers.txt")).read().split("\n%%\n")[1:]
]
R = random.Random()
FIRST = ["Sam","Priya","Oluwaseun","Wei","Bogdan","Siobhan","Amira","Tomasz","Glenys","Chidi","Lesley-Ann","Hamza","Fatima","Jack","Ioana","Aisling","Nimmi","Kwame"]
LAST = ["Khan","Patel","Adeyemi","Zhang","Popescu","O'Reilly","Nowak","Pritchard","Okonkwo","Mensah","Hussain","Begum","Jones","Murphy","Ali","Kowalski"]
WORDS = ["maple","river","lantern","otter","copper","violet","harbour","meadow","pepper","falcon","cobalt","thistle","pebble","saffron","walnut","glacier"]
def user():
    f, l = R.choice(FIRST), R.choice(LAST)
    return R.choice([f[0].lower()+l.lower().replace("'",""), f.lower().replace('-','')+'.'+l.lower().replace("'",""), f[0].lower()+l.lower()[:4]+str(R.randint(1,99))])
def secret():
    k = R.randint(0,3)
    if k == 0:
        return ''.join(R.choice('ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789') for _ in range(R.randint(8,12)))
    if k == 1:
        return '-'.join(R.sample(WORDS, R.choice([3,4])))
    if k == 2:
        return R.choice(WORDS).capitalize()+R.choice(['!','#','',''])+str(R.randint(10,9999))
    return R.choice(WORDS).capitalize()+'-'+R.choice(WORDS).capitalize()+'-'+str(R.randint(1,99))
POS_DEV = [
 "Password: {s}", "pwd: {s}", "The password is {s}.", "Your login is {u} and your password is {s}.",
 "user: {u}\npwd: {s}", "Portal login: {u} / {s}", "PW: {s}", "The passcode for the file is {s}",
 "Your temporary password is {s} (you will be asked to change it).", "The guest wifi password is {s}",
 "It's {u}, password {s}", "Username: {u}\nPassword: {s}", "the password for the attached spreadsheet is {s}",
]
POS_TEST = [
 "pw: {s}", "Password for the report: {s}", "Login details: {u} / {s}", "The password to open it is {s}",
 "Temporary password: {s}", "Guest WiFi key: {s}", "it's {u} and the password is {s}", "username {u} password {s}",
 "Passphrase: {s}", "The new password is: {s}", "Your Arbor login: {u}\nTemporary password: {s}", "Login: {u} Password: {s}",
 "P/W: {s}",
]
PIN_POS = ["The PIN for the document is {p}", "PIN: {p}", "The passcode is {p}", "Door code: {p}"]
NEG_DEV = [
 "Reminder: please reset your password before the end of term.", "I'll send the password by text.",
 "The password must be 8 characters or more.", "To reset your password go to https://portal.example.sch.uk/reset",
 "The password is the same as before.", "Password sent separately.", "Your username is your school email address.",
 "Passwords should be three random words, e.g. {w}.", "The guest wifi password is on the noticeboard in reception.",
 "Please change your temporary password when you first log in.", "Can you send me the wifi password?",
 "Please log in with your usual username and password.",
]
NEG_TEST = [
 "Forgot your password? Use the self-service reset page: https://reset.example.sch.uk",
 "I'll phone you with the password for the file.", "Passwords must contain at least 12 characters.",
 "The password will follow in a separate email.", "The password is the same as last term.",
 "Password: sent separately by text", "Your temporary password will be emailed to you separately.",
 "My password isn't working, could IT take a look?", "Password tip: use three random words like {w}.",
 "The PIN for the document will be texted to you.", "Your login is the same as before.",
 "Please don't share your password with anyone.",
]
SUBJ_POS = ["Password: {s}", "Y6 reports - password {s}", "Login {u} / {s}", "Wifi password is {s}"]
SUBJ_NEG = ["Password reset reminder", "Re: wifi password", "Password to follow by text", "Your new login", "Password policy update", "Password protected: Year 6 reports"]
GREET = ["Hi {n},", "Dear {n},", "Morning {n},", "Hello,"]
SIGN = ["Thanks\nJo", "Kind regards,\nJo Bright\nData Manager", "Best wishes\nMrs Begum", "Cheers,\nTom"]
QUOTE = "\n\nOn Mon, 30 Nov 2026 at 09:12, {n} wrote:\n> Hi, could you send me the login for the portal?\n> Thanks\n"


def generate(out, seed, half, n=300):
    """Writes n messages of one half into out; returns {name: "pos"|"neg"}."""
    R.seed(seed)
    pos = POS_DEV if half == "dev" else POS_TEST
    neg = NEG_DEV if half == "dev" else NEG_TEST
    labels = {}

    def write(i, subject, body, label, htmlish):
        name = f"{half}-{i:04d}"
        hdr = (f"From: Jo Bright <j.bright@ashfield-primary.sch.uk>\nTo: {R.choice(FIRST).lower()}@example.com\n"
               f"Subject: {subject}\nDate: Mon, 07 Dec 2026 09:15:00 +0000\nMessage-ID: <{name}@gen>\nMIME-Version: 1.0\n")
        crlf = R.random() < 0.8
        if htmlish:
            hb = "<html><body>" + "".join(
                f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in body.split("\n\n")) + "</body></html>"
            msg = hdr + "Content-Type: text/html; charset=utf-8\n\n" + hb + "\n"
        else:
            msg = hdr + "Content-Type: text/plain; charset=utf-8\n\n" + body + "\n"
        if crlf:
            msg = msg.replace("\n", "\r\n")
        with open(os.path.join(out, name + ".eml"), "w", newline="") as f:
            f.write(msg)
        labels[name] = label

    for i in range(n):
        who = R.choice(FIRST)
        kind = R.random()
        subject = R.choice(["Login", "Reports", "Access", "Re: portal", "Assessment data", "Visit"])
        label = "neg"
        if kind < 0.4:
            line = R.choice(pos).format(u=user(), s=secret())
            label = "pos"
        elif kind < 0.47:
            line = R.choice(PIN_POS).format(p=str(R.randint(1000, 999999)))
            label = "pos"
        elif kind < 0.55:
            subject = R.choice(SUBJ_POS).format(u=user(), s=secret())
            line = "As discussed."
            label = "pos"
        else:
            if kind < 0.62:
                subject = R.choice(SUBJ_NEG)
            line = R.choice(neg).format(w="-".join(R.sample(WORDS, 3)))
        parts = [R.choice(GREET).format(n=who), line, R.choice(SIGN)]
        if R.random() < 0.3:
            parts.insert(2, R.choice(["Let me know if you have any problems.", "Any questions, just ask.",
                                      "See you on Thursday."]))
        body = "\n\n".join(parts)
        for f in R.sample(FOOT, R.randint(0, 2)):
            body += R.choice(["\n\n", "\n"]) + f
        if R.random() < 0.2:
            body += QUOTE.format(n=R.choice(FIRST))
        write(i, subject, body, label, R.random() < 0.15)
    return labels


def score(binary, d, labels):
    out = subprocess.run([binary, "scan", d, "--format", "json"], capture_output=True, text=True).stdout
    tp = fp = fn = tn = 0
    for line in out.splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        name = os.path.basename(r["path"])[:-4]
        got = r["verdict"] in ("hold", "reject", "rewrite") and any(
            f["category"] == "inline_password" for f in r["findings"])
        want = labels[name] == "pos"
        if got and want:
            tp += 1
        elif got:
            fp += 1
            print("  false hold:", name, [f["evidence"] for f in r["findings"]])
        elif want:
            fn += 1
            print("  missed:", name)
        else:
            tn += 1
    p = tp / max(tp + fp, 1)
    rc = tp / max(tp + fn, 1)
    f1 = 2 * p * rc / max(p + rc, 1e-9)
    return tp, fp, fn, tn, p, rc, f1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/debug/dlp-milter"))
    ap.add_argument("--keep", help="write the messages here instead of a temporary folder")
    a = ap.parse_args()
    base = a.keep or tempfile.mkdtemp(prefix="password-eval-")
    for half, seed in (("dev", 11), ("test", 22)):
        d = os.path.join(base, half)
        os.makedirs(d, exist_ok=True)
        labels = generate(d, seed, half)
        tp, fp, fn, tn, p, rc, f1 = score(a.bin, d, labels)
        print(f"{half}: {tp + fn} positives, {fp + tn} negatives: tp={tp} fp={fp} fn={fn} "
              f"precision={p:.3f} recall={rc:.3f} F1={f1:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
