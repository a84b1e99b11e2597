#!/usr/bin/env python3
"""A labelled evaluation for issue 18 classes 2 and 3 (people of every name;
the subject line), kept apart from fixtures/eval and from the unit tests.

Writes CRLF messages with school footers, signatures, quoted replies, HTML
alternatives and RFC 2047 subjects, and a labels.json, for a development
half (--half dev) and a test half (--half test) that draw on disjoint name
pools and different seeds. Then scores a dlp-milter binary on them:

  python3 scripts/eval-names/gen.py --half dev --out /tmp/eval-dev
  python3 scripts/eval-names/gen.py --half test --out /tmp/eval-test --score target/debug/dlp-milter

Labels: `subject` is true when the subject names a person with a sensitive
term; `body` when the body does (special-category data about a pupil).
A message counts as found when the rule of that location fired
(personal-data-subject, special-category-body). Nothing here is committed
output: the messages are made afresh each run.
"""
import argparse
import base64
import json
import os
import random
import subprocess

# Names of many cultures; the two halves use disjoint pools. Many are in no
# list of the detector on purpose: context has to carry them.
GIVEN = {
    "dev": ["Oluwaseun", "Chidi", "Wei", "Bogdan", "Glenys", "Lesley-Ann", "Abdirahman", "Nusrat",
            "Wojciech", "Ioana", "Siobhan", "Tsegaye", "Mehmet", "Thanh", "Arjun", "Ewa", "Kwame",
            "Hodan", "Mavis", "Zainab", "Rafael", "Gintaras", "Amelia", "Callum", "Aisha"],
    "test": ["Adaeze", "Kofi", "Xinyi", "Florin", "Myfanwy", "Mary-Jane", "Faduma", "Tahmina",
             "Szymon", "Raluca", "Caoimhe", "Dawit", "Elif", "Minh", "Kavya", "Agnieszka",
             "Yaw", "Sagal", "Doreen", "Maryam", "Joao", "Rasa", "Oliver", "Kayden", "Hafsa"],
}
SURNAMES = {
    "dev": ["Adeyemi", "Okonkwo", "Zhang", "Popescu", "Pritchard", "Mensah", "Warsame", "Begum",
            "Kowalczyk", "Dumitrescu", "Gallagher", "Wolde", "Yilmaz", "Nguyen", "Patel", "Nowak",
            "Asante", "Farah", "Hughes", "Bello", "Silva", "Kazlauskas", "Jones", "Reid", "Hussain"],
    "test": ["Okafor", "Boateng", "Liu", "Ionescu", "Vaughan", "Owusu", "Jama", "Khatun",
             "Wozniak", "Stoica", "Kavanagh", "Tesfaye", "Demir", "Tran", "Reddy", "Mazur",
             "Appiah", "Abdi", "Bevan", "Qureshi", "Pereira", "Petrauskaite", "Smith", "Walker", "Malik"],
}
CLASSES = ["in Year {y}", "(Y{y})", "(Yr {y})", "in {y}B", ", Year {y},", "in Reception", "({y}R)"]
BODY_FACTS = [
    "has an EHCP and the annual review is next week",
    "has been referred to CAMHS",
    "has a severe nut allergy and carries an EpiPen",
    "is on a child protection plan",
    "was excluded for three days after the incident at lunch",
    "has been diagnosed with epilepsy",
    "is a looked after child and her PEP is due",
    "has a social worker who will attend the meeting",
    "needs his inhaler before PE because of his asthma",
    "has type 1 diabetes and needs insulin at lunch",
]
WEAK_BODY = [
    "was excluded yesterday after the fight",
    "was involved in an incident at break and the incident report is attached",
]
SUBJECT_TERMS = ["CP concern", "CiN meeting", "CLA review", "LAC PEP", "EHCP draft", "SEN support plan",
                 "IHP update", "MASH referral", "TAC meeting", "EHA", "Exclusion letter",
                 "Suspension letter", "Incident report", "Behaviour log", "Managed move",
                 "Medical needs", "Safeguarding concern", "Allergy plan"]
SUBJECT_NEG = ["CP training - Tuesday", "SEN register deadline", "Incident report template",
               "Exclusion letter template (updated)", "Year 4 EHCP reviews", "Young Minds webinar",
               "Managed move protocol - draft", "TAC meeting room change", "Diabetes UK fundraiser",
               "Mental Health Awareness Week", "Staff meeting agenda", "Trip to Chester Zoo"]
SUBJECT_PERSON_NEG = ["EHCP training with {n}", "Safeguarding training - {n} presenting",
                      "SEND policy review ({n})", "{n} - parents evening", "{n}: trip permission", "Reading book for {n}",
                      "{n} - lost coat", "Photos of {n}'s class assembly"]
FOOTERS = [
    "Kind regards,\n{staff}\nSENCo | Greenlane Primary School\n\nThis email and any attachments are "
    "confidential. If you are not the intended recipient please delete it.\n",
    "Best wishes,\n{staff}\nDesignated Safeguarding Lead\nOakfield Academy, 12 Mill Lane, Leeds LS6 2QT\n"
    "Tel: 0113 496 0000\nPlease consider the environment before printing this email.\n",
    "Thanks,\n{staff}\n\n--\nThis message and any attachments are intended for the addressee only. "
    "If you have a safeguarding concern about a child, contact our DSL on 0113 496 0001.\n",
]
NEG_BODIES = [
    "This term we raised money for Diabetes UK and Young Minds. Phonics Screening in Year 1 takes "
    "place in June, and children with asthma should bring their inhaler to Forest School.",
    "Please read the SEND policy and the EHCP guidance before Thursday's INSET. {staff2}, our "
    "SENCo, will lead the session on anxiety.",
    "There was an incident at the gate this morning; parents were informed and the road is now clear.",
    "{n} reported an incident with the photocopier on the second floor.",
    "Year 9 were excluded from the hall while the floor dried.",
    "Could you send the medication consent forms for the Year 5 trip to Chester Zoo?",
    "Kent's foster care service will run a session for carers in the Victoria Hall.",
    "{n} has been chosen for the county football team and will miss Tuesday's lesson.",
    "{n} in Year 4 has been a star this week and has earned a headteacher's award.",
]


def crlf(s):
    return s.replace("\r\n", "\n").replace("\n", "\r\n")


def enc_subject(rng, s):
    r = rng.random()
    if r < 0.3:
        return "=?utf-8?B?" + base64.b64encode(s.encode()).decode() + "?="
    if r < 0.5:
        return "=?utf-8?Q?" + "".join(
            c if c.isalnum() else ("_" if c == " " else "=%02X" % ord(c)) for c in s) + "?="
    return s


def message(rng, subject, body, staff, n):
    foot = rng.choice(FOOTERS).format(staff=staff)
    greet = rng.choice(["Hi,", "Dear colleagues,", f"Dear {rng.choice(['Mr', 'Mrs', 'Ms'])} Hughes,", "Morning,"])
    text = f"{greet}\n\n{body}\n\n{foot}"
    if rng.random() < 0.3:
        text += ("\n\nOn Mon, 7 Dec 2026 at 09:12, office@greenlane.sch.uk wrote:\n"
                 "> Thanks, I will pass it on.\n> Office\n")
    headers = (f"From: staff@greenlane.sch.uk\nTo: colleague@northshire.gov.uk\n"
               f"Subject: {enc_subject(rng, subject)}\nDate: Mon, 07 Dec 2026 10:04:00 +0000\n"
               f"Message-ID: <{n}@greenlane.sch.uk>\nMIME-Version: 1.0\n")
    if rng.random() < 0.3:
        html = "<html><body>" + "".join(f"<p>{p}</p>" for p in text.split("\n\n")) + "</body></html>"
        return crlf(headers + 'Content-Type: multipart/alternative; boundary="b1"\n\n--b1\n'
                    'Content-Type: text/plain; charset="utf-8"\n\n' + text + "\n--b1\n"
                    'Content-Type: text/html; charset="utf-8"\n\n' + html + "\n--b1--\n")
    return crlf(headers + 'Content-Type: text/plain; charset="utf-8"\n\n' + text)


def generate(half, out, count):
    rng = random.Random(1 if half == "dev" else 2)
    os.makedirs(out, exist_ok=True)
    given, sur = GIVEN[half], SURNAMES[half]
    labels = {}
    for i in range(count):
        name = f"{rng.choice(given)} {rng.choice(sur)}"
        staff = f"{rng.choice(given)} {rng.choice(sur)}"
        cls = rng.choice(CLASSES).format(y=rng.randint(1, 11))
        kind = rng.random()
        subj_pos = body_pos = False
        if kind < 0.3:  # person + term in the subject
            t = rng.choice(SUBJECT_TERMS)
            subject = rng.choice([f"{t} - {name}", f"{t} for {name}", f"{name} - {t if any(c.isupper() for c in t.split()[0][1:]) else t[0].lower() + t[1:]}",
                                  f"{t}: {name} {cls.strip(', ')}",
                                  f"Re: FW: {name} {cls.strip(', ')} - {t}",
                                  f"URGENT - {t} - {name}"])
            body = "Please see the attached note and call me when you can."
            subj_pos = True
        elif kind < 0.6:  # person + fact in the body
            subject = rng.choice(["Update", "Following our call", "Quick one", "Re: Thursday"])
            fact = rng.choice(BODY_FACTS + WEAK_BODY)
            form = rng.random()
            if fact in WEAK_BODY or form < 0.6:
                body = f"{name} {cls.strip(', ') if cls.startswith(',') else cls} {fact}."
            elif form < 0.7:
                body = f"I wanted to let you know that our pupil {name} {fact}."
            elif form < 0.8:
                body = f"Year {rng.randint(1, 11)} pupil {name} {fact}."
            else:
                body = f"A note about {name}: the family have told us she {fact}."
            body_pos = True
        elif kind < 0.8:  # negatives in the subject
            subject = rng.choice(SUBJECT_NEG + [s.format(n=name) for s in SUBJECT_PERSON_NEG])
            body = "Details below; thanks for your help with this."
        else:  # negatives in the body
            subject = rng.choice(["Newsletter", "This week", "Reminder", "Notice"])
            body = rng.choice(NEG_BODIES).format(n=name, staff2=staff)
        fname = f"{half}-{i:04d}.eml"
        with open(os.path.join(out, fname), "wb") as fh:
            fh.write(message(rng, subject, body, staff, f"{half}{i}").encode())
        labels[fname] = {"subject": subj_pos, "body": body_pos}
    with open(os.path.join(out, "labels.json"), "w") as fh:
        json.dump(labels, fh, indent=1)
    return labels


def score(binary, out, labels):
    res = subprocess.run([binary, "scan", "--format", "json", out], capture_output=True, text=True)
    found = {}
    for line in res.stdout.splitlines():
        r = json.loads(line)
        rules = {f.get("rule") for f in r["findings"]}
        found[os.path.basename(r["path"])] = {
            "subject": "personal-data-subject" in rules,
            "body": "special-category-body" in rules,
        }
    for cat in ["subject", "body"]:
        tp = sum(1 for f, l in labels.items() if l[cat] and found[f][cat])
        fp = sum(1 for f, l in labels.items() if not l[cat] and found[f][cat])
        fn = sum(1 for f, l in labels.items() if l[cat] and not found[f][cat])
        p = tp / (tp + fp) if tp + fp else 1.0
        r = tp / (tp + fn) if tp + fn else 1.0
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        print(f"{cat}: tp={tp} fp={fp} fn={fn} precision={p:.3f} recall={r:.3f} F1={f1:.3f}")
        for f, l in sorted(labels.items()):
            if l[cat] != found[f][cat]:
                print(f"  {'missed' if l[cat] else 'false'}: {f}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--half", choices=["dev", "test"], required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--score")
    a = ap.parse_args()
    labels = generate(a.half, a.out, a.count)
    if a.score:
        score(a.score, a.out, labels)


if __name__ == "__main__":
    main()
