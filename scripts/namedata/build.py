#!/usr/bin/env python3
"""Regenerates the name and word data files of src/detect/special/data/.

Sources (none is committed; each is fetched by its ordinary client):
  * ONS "Baby names in England and Wales" workbooks, 2019-2024, Table 6 of
    each (every name given to 3 or more babies that year), and the historic
    top-100 workbook (1904-2024 at 10-year intervals). Open Government
    Licence v3.0. Pass the folder holding boysnamesYYYY.xlsx,
    girlsnamesYYYY.xlsx and historicalnames2024.xlsx (2019-2021 are named
    2019boysnames.xlsx etc. in the ONS downloads; both spellings are read).
  * PyPI `names` 0.3.0: the 1990 US Census first-name and surname frequency
    files (public domain, US Government work).
  * PyPI `faker` 40.54.0 (MIT): the person-name lists of the locales named
    in LOCALES below (Nigeria, Ghana, Kenya, Pakistan, India, Bangladesh,
    Ireland, Poland, Romania, China romanised, Britain).
  * Debian `wbritish-small` (SCOWL size 35, permissive SCOWL licence): the
    ordinary English words that mark a name as ambiguous ("Hope", "Hall").
  * scripts/namedata/supplement_*.txt: names added by hand (CC0).

Usage:
  pip install openpyxl==3.1.5 faker==40.54.0 names==0.3.0
  python3 scripts/namedata/build.py --ons DIR --dict /usr/share/dict/british-english-small
"""
import argparse
import importlib
import os
import re
import unicodedata

import openpyxl

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "src", "detect", "special", "data")
LOCALES = [
    "en_GB", "en_IE", "ga_IE", "en_NG", "yo_NG", "ig_NG", "ha_NG", "tw_GH",
    "en_KE", "sw", "en_PK", "en_IN", "bn_BD", "pl_PL", "ro_RO", "zh_CN",
]
# Surnames from the US Census list: the most frequent, which covers 90 % of
# the population there; the rarer tail is mostly spelling variants.
CENSUS_SURNAMES = 30000
SHAPE = re.compile(r"^[A-Z][a-z]+(?:['-][A-Z]?[a-z]+)*$|^(?:Mc|Mac|O'|D')[A-Z][a-z]+$")


def fold(s):
    """ASCII form of a name: strips accents (Siân -> Sian); ł -> l."""
    s = s.replace("ł", "l").replace("Ł", "L").replace("ß", "ss")
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c))


def norm(name):
    """The name as a capitalised ASCII word, or None when it is no name shape."""
    name = fold(str(name).strip())
    if not name or len(name) > 16:
        return None
    if name.isupper() or name.islower():
        name = "-".join(p[:1].upper() + p[1:].lower() for p in name.split("-"))
    return name if SHAPE.match(name) and len(name) >= 2 else None


def ons_names(folder):
    out = set()
    for f in sorted(os.listdir(folder)):
        if not f.endswith(".xlsx"):
            continue
        wb = openpyxl.load_workbook(os.path.join(folder, f), read_only=True)
        if f.startswith("historical"):
            sheets = [ws for ws in wb.worksheets if ws.title.startswith("Table")]
            for ws in sheets:
                for row in ws.iter_rows(min_row=5, values_only=True):
                    for cell in row[1:]:
                        if isinstance(cell, str) and (n := norm(cell)):
                            out.add(n)
            continue
        table6 = [n for n in wb.sheetnames if n.replace(" ", "_") in ("Table_6", "6")]
        if not table6:
            print("no Table 6 in", f)
            continue
        for row in wb[table6[0]].iter_rows(values_only=True):
            # A name cell followed by its count (3 or more by ONS's own cut).
            for a, b in zip(row, row[1:]):
                if isinstance(a, str) and isinstance(b, (int, float)) and b >= 3:
                    if n := norm(a):
                        out.add(n)
    return out


def faker_lists(kind):
    out = set()
    for loc in LOCALES:
        mod = importlib.import_module(f"faker.providers.person.{loc}")
        p = mod.Provider
        for attr in dir(p):
            ok = attr.startswith(kind) or (kind == "last_names" and attr == "last_romanized_names")
            if kind == "first_names" and attr == "first_romanized_names":
                ok = True
            if not ok:
                continue
            v = getattr(p, attr)
            if isinstance(v, dict):
                v = list(v.keys())
            if isinstance(v, (list, tuple)):
                for n in v:
                    if isinstance(n, str) and (m := norm(n)):
                        out.add(m)
    return out


def census(path, limit):
    out = set()
    with open(path) as fh:
        for i, line in enumerate(fh):
            if i >= limit:
                break
            if n := norm(line.split()[0]):
                out.add(n)
    return out


def supplement(name):
    with open(os.path.join(HERE, name)) as fh:
        return {n for raw in fh if (s := raw.strip()) and not s.startswith("#") and (n := norm(s))}


def words(path):
    with open(path, encoding="utf-8", errors="replace") as fh:
        return {w for raw in fh if (w := raw.strip()) and w.isalpha() and w.islower() and w.isascii() and len(w) >= 2}


def write(name, header, items):
    with open(os.path.join(OUT, name), "w") as fh:
        fh.write(header)
        for i in sorted(items):
            fh.write(i + "\n")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ons", required=True)
    ap.add_argument("--dict", required=True)
    a = ap.parse_args()
    import names as names_pkg

    npath = os.path.dirname(names_pkg.__file__)
    english = words(a.dict)
    given = ons_names(a.ons) | faker_lists("first_names") | supplement("supplement_given.txt")
    given |= census(os.path.join(npath, "dist.male.first"), 10**6)
    given |= census(os.path.join(npath, "dist.female.first"), 10**6)
    surnames = census(os.path.join(npath, "dist.all.last"), CENSUS_SURNAMES)
    surnames |= faker_lists("last_names") | supplement("supplement_surnames.txt")
    mark = lambda n: n + "*" if n.lower() in english else n
    src = (
        "# Sources: ONS baby names, England and Wales, 2019-2024 (every name given to\n"
        "# 3+ babies a year) and top 100 1904-2024 (Open Government Licence v3.0);\n"
        "# 1990 US Census name files via PyPI `names` 0.3.0 (public domain); Faker\n"
        "# 40.54.0 person locales " + ", ".join(LOCALES) + " (MIT);\n"
        "# scripts/namedata/supplement_*.txt (CC0). Ambiguity from Debian\n"
        "# wbritish-small (SCOWL licence). Regenerate: scripts/namedata/build.py.\n"
    )
    write(
        "given_names_extended.txt",
        "# Given names of every culture found in UK schools (pupils, parents, staff),\n"
        "# ASCII-folded, one per line. A trailing `*` marks a name that is also an\n"
        "# ordinary English word: it needs a pupil reference or a listed surname.\n" + src,
        {mark(n) for n in given},
    )
    write(
        "surnames.txt",
        "# Surnames of every culture found in UK schools, ASCII-folded, one per line.\n"
        "# A trailing `*` marks a surname that is also an ordinary English word.\n" + src,
        {mark(n) for n in surnames},
    )
    write(
        "english_words.txt",
        "# Ordinary English words (lower case, 2+ letters): a capitalised pair made of\n"
        "# them (\"Phonics Screening\") is not a person's name without a listed name.\n"
        "# Source: Debian wbritish-small 2020.12.07 (SCOWL size 35; SCOWL licence,\n"
        "# permissive: copyright Kevin Atkinson and others, use and redistribution\n"
        "# permitted with notice). Regenerate: scripts/namedata/build.py.\n",
        english,
    )


if __name__ == "__main__":
    main()
