#!/usr/bin/env python3
"""Generate the compact reading tables of reunite-names.

Inputs (read-only; install with `apt-get install -y unicode-data libhangul-data`):
  * Unihan (Unicode licence): /usr/share/unicode/Unihan_Readings.txt.bz2 and
    Unihan_Variants.txt.bz2 (kHangul, kMandarin, kHanyuPinyin, kTGHZ2013, kXHC1983,
    kTraditionalVariant, kSimplifiedVariant, kZVariant).
  * libhangul hanja.txt (BSD-3): /usr/share/libhangul/hanja/hanja.txt, single-character entries.
  * pinyin-pro surname readings (MIT): ../shared/data/names/chinese-surname-readings-pinyin-pro.tsv

Outputs (committed; the build needs none of the inputs):
  * data/han.txt       one line per Han character: CHAR TAB KOREAN TAB PINYIN
                       KOREAN = Hangul readings separated by spaces, each followed by the
                       kHangul source letters E (education) / N (personal names) it has,
                       then ` *` if the character has any E or N reading;
                       PINYIN = toneless readings separated by spaces, ü written v: the
                       modern standard ones (kMandarin, kTGHZ2013), `|`, then the others.
  * data/surnames.txt  CHINESE-SURNAME TAB toneless pinyin (surname mode), in source order.

Usage: python3 scripts/gen_tables.py [--shared PATH-TO-shared]   (run from the crate directory)
Standard library only.
"""
import bz2
import os
import re
import sys
import unicodedata

UNIHAN = "/usr/share/unicode"
HANJA = "/usr/share/libhangul/hanja/hanja.txt"


def toneless(p):
    """Strip tone marks; ü -> v; lowercase."""
    p = p.strip().lower().replace("ü", "v").replace("u:", "v")
    d = unicodedata.normalize("NFD", p)
    out = []
    for ch in d:
        if unicodedata.category(ch) == "Mn":
            if ch == "\u0308":  # diaeresis: part of ü
                if out and out[-1] == "u":
                    out[-1] = "v"
            continue
        out.append(ch)
    s = "".join(out)
    return s if re.fullmatch(r"[a-z]+", s) else None


def cp(s):
    return chr(int(s[2:], 16))


def main():
    shared = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..", "shared")
    if "--shared" in sys.argv:
        shared = sys.argv[sys.argv.index("--shared") + 1]
    here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data")

    kor = {}    # char -> list of hangul readings (ordered)
    flag = set()  # chars marked E or N
    rflag = {}  # (char, reading) -> "E"/"N" letters from kHangul
    pin = {}    # char -> list of toneless pinyin (ordered, kMandarin first)
    main_pin = {}  # char -> readings from kMandarin / kTGHZ2013 (the modern standard ones)

    def add(d, c, v):
        lst = d.setdefault(c, [])
        if v not in lst:
            lst.append(v)

    order = ["kMandarin", "kTGHZ2013", "kXHC1983", "kHanyuPinyin"]
    rows = {k: [] for k in order}
    with bz2.open(os.path.join(UNIHAN, "Unihan_Readings.txt.bz2"), "rt", encoding="utf-8") as f:
        for line in f:
            if not line.startswith("U+"):
                continue
            code, field, value = line.rstrip("\n").split("\t", 2)
            c = cp(code)
            if field == "kHangul":
                for item in value.split():
                    h, _, src = item.partition(":")
                    add(kor, c, h)
                    rflag[(c, h)] = "".join(x for x in "EN" if x in src)
                    if "E" in src or "N" in src:
                        flag.add(c)
            elif field in rows:
                rows[field].append((c, value))
    for field in order:
        for c, value in rows[field]:
            for item in value.split():
                readings = item.split(":", 1)[1] if ":" in item else item
                for r in readings.split(","):
                    t = toneless(r)
                    if t:
                        add(pin, c, t)
                        if field in ("kMandarin", "kTGHZ2013"):
                            add(main_pin, c, t)

    with open(HANJA, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            parts = line.rstrip("\n").split(":")
            if len(parts) < 2 or len(parts[0]) != 1 or len(parts[1]) != 1:
                continue
            h, c = parts[0], parts[1]
            if "\uac00" <= h <= "\ud7a3" and unicodedata.name(c, "").startswith("CJK"):
                add(kor, c, h)

    # Variants: a simplified or variant form without Korean (or Mandarin) readings borrows them
    # from its traditional / Z variants (郑 -> 鄭, 卢 -> 盧, 晚 <-> 晩).
    var = {}
    always = {}
    with bz2.open(os.path.join(UNIHAN, "Unihan_Variants.txt.bz2"), "rt", encoding="utf-8") as f:
        for line in f:
            if not line.startswith("U+"):
                continue
            code, field, value = line.rstrip("\n").split("\t", 2)
            if field not in ("kTraditionalVariant", "kSimplifiedVariant", "kZVariant"):
                continue
            c = cp(code)
            for v in value.split():
                v = cp(v.split("<")[0])
                if v != c:
                    var.setdefault(c, []).append(v)
                    # A simplified form reads as its traditional forms do in Korean (儿 -> 兒 아),
                    # and Z variants are the same character.
                    if field != "kSimplifiedVariant":
                        always.setdefault(c, []).append(v)
    borrowed = {}
    for c, vs in var.items():
        for v in vs if c not in kor else always.get(c, []):
            for h in kor.get(v, []):
                borrowed.setdefault(c, []).append((h, v))
        if c not in pin:
            for v in vs:
                for p in pin.get(v, []):
                    add(pin, c, p)
                for p in main_pin.get(v, []):
                    add(main_pin, c, p)
    for c, hs in borrowed.items():
        for h, v in hs:
            add(kor, c, h)
            if (c, h) not in rflag and (v, h) in rflag:
                rflag[(c, h)] = rflag[(v, h)]
            if v in flag:
                flag.add(c)

    chars = sorted(set(kor) | set(pin), key=ord)
    with open(os.path.join(here, "han.txt"), "w", encoding="utf-8") as out:
        out.write("# Generated by scripts/gen_tables.py from Unihan 15 and libhangul hanja.txt; see NOTICE.\n")
        for c in chars:
            k = " ".join(h + rflag.get((c, h), "") for h in kor.get(c, []))
            if k and c in flag:
                k += " *"
            mains = main_pin.get(c, [])
            rest = [p for p in pin.get(c, []) if p not in mains]
            out.write(f"{c}\t{k}\t{' '.join(mains)}|{' '.join(rest)}\n")

    src = os.path.join(shared, "data", "names", "chinese-surname-readings-pinyin-pro.tsv")
    with open(src, encoding="utf-8") as f, open(os.path.join(here, "surnames.txt"), "w", encoding="utf-8") as out:
        out.write("# Generated by scripts/gen_tables.py from pinyin-pro surname readings (MIT); see NOTICE.\n")
        next(f)
        for line in f:
            s, p = line.rstrip("\n").split("\t")
            t = [toneless(x) for x in p.split()]
            if all(t):
                out.write(f"{s}\t{' '.join(t)}\n")
    print(f"{len(chars)} characters", file=sys.stderr)


if __name__ == "__main__":
    main()
