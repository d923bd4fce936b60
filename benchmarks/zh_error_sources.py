"""Where Mandarin recognition errors come from: each substituted character of
``bench_intelligibility.py``'s scores, classed by what differs in its reading.

    .venv/bin/python benchmarks/zh_error_sources.py /tmp/dubline_intelligibility/scores.json

Reference and hypothesis are aligned character by character (Levenshtein, on
the same normalisation the scorer uses for CER) and every substitution gets
one class, comparing the pinyin pypinyin gives each in its sentence:

* homophone  - same syllable and tone: the recogniser chose another character
  for the same sound (盒子 -> 和子); not something the voice can fix;
* tone       - same syllable, other tone (成都 chéngdū -> 程度 chéngdù);
* initial / final - the consonant / the rest of the syllable differs;
* other      - more than one part differs, or no reading.

Deletions and insertions are counted apart.  Prints the shares per voice and
overall, the most frequent tone confusions (spoken tone -> heard tone), and
errors by position (first syllable of the line, last, inside).
"""

from __future__ import annotations

import collections
import json
import sys
import unicodedata
from pathlib import Path

from pypinyin import Style, pinyin

_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r", "z", "c",
             "s", "y", "w")


def _hanzi(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return "".join(c for c in text if "\u4e00" <= c <= "\u9fff")


def _readings(text: str) -> list[str]:
    return [p[0] for p in pinyin(text, style=Style.TONE3, neutral_tone_with_five=True, errors=lambda x: ["?"] * len(x))]


def _split(syl: str) -> tuple[str, str, str]:
    tone = syl[-1] if syl[-1:].isdigit() else "5"
    base = syl.rstrip("012345")
    ini = next((i for i in _INITIALS if base.startswith(i)), "")
    return ini, base[len(ini):], tone


def _align(a: str, b: str) -> list[tuple[int | None, int | None]]:
    n, m = len(a), len(b)
    d = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n + 1):
        d[i][0] = i
    for j in range(m + 1):
        d[0][j] = j
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] != b[j - 1]))
    out: list[tuple[int | None, int | None]] = []
    i, j = n, m
    while i > 0 or j > 0:
        if i > 0 and j > 0 and d[i][j] == d[i - 1][j - 1] + (a[i - 1] != b[j - 1]):
            out.append((i - 1, j - 1))
            i, j = i - 1, j - 1
        elif i > 0 and d[i][j] == d[i - 1][j] + 1:
            out.append((i - 1, None))
            i -= 1
        else:
            out.append((None, j - 1))
            j -= 1
    return out[::-1]


def syllables(text: str) -> list[str]:
    """The toned pinyin syllables of a line after the scorer's normalisation (numbers read out, punctuation
    gone); a Latin / digit token stays one token."""
    import asr

    out: list[str] = []
    run = ""
    for tok in asr.normalize_zh(text) + [""]:
        if len(tok) == 1 and "\u4e00" <= tok <= "\u9fff":
            run += tok
            continue
        if run:
            out += _readings(run)
            run = ""
        if tok:
            out.append(tok)
    return out


def syllable_error_rate(ref: str, hyp: str) -> float:
    """Edit distance over toned syllables / reference syllables: CER with homophones forgiven."""
    import asr

    r = syllables(ref)
    if not r:
        return 0.0 if not syllables(hyp) else 1.0
    return asr.edit_distance(r, syllables(hyp)) / len(r)


def classify(ref: str, hyp: str) -> list[tuple[str, int, str]]:
    """(class, reference position, detail) per error of one line."""
    r, h = _hanzi(ref), _hanzi(hyp)
    rp, hp = _readings(r), _readings(h)
    errs = []
    for i, j in _align(r, h):
        if i is None:
            errs.append(("insertion", -1, h[j]))
        elif j is None:
            errs.append(("deletion", i, r[i]))
        elif r[i] != h[j]:
            a, b = _split(rp[i]), _split(hp[j])
            diff = [k for k in range(3) if a[k] != b[k]]
            kind = {(): "homophone", (2,): "tone", (0,): "initial", (1,): "final"}.get(tuple(diff), "other")
            errs.append((kind, i, f"{r[i]}{rp[i]}->{h[j]}{hp[j]}" + (f" t{a[2]}>{b[2]}" if kind == "tone" else "")))
    return errs


def main() -> None:
    path = Path(sys.argv[1] if len(sys.argv) > 1 else "/tmp/dubline_intelligibility/scores.json")
    rows = [r for r in json.loads(path.read_text(encoding="utf-8"))["rows"] if r["lang"] == "zh"]
    per_voice: dict = collections.defaultdict(collections.Counter)
    tones: collections.Counter = collections.Counter()
    where: collections.Counter = collections.Counter()
    chars = 0
    for r in rows:
        n = len(_hanzi(r["text"]))
        chars += n
        for kind, pos, detail in classify(r["text"], r["hyp"]):
            per_voice[(r["voice"], r["ratio"])][kind] += 1
            per_voice[("all", r["ratio"])][kind] += 1
            if kind == "tone":
                tones[detail.split()[-1]] += 1
            if pos >= 0:
                where["first" if pos == 0 else "last" if pos == n - 1 else "inside"] += 1
    kinds = ["homophone", "tone", "initial", "final", "other", "deletion", "insertion"]
    print(f"{'voice':<15}{'ratio':>6}" + "".join(f"{k:>11}" for k in kinds) + f"{'total':>8}")
    for (voice, ratio), c in sorted(per_voice.items(), key=lambda kv: (kv[0][0] == "all", kv[0])):
        total = sum(c.values())
        print(f"{voice:<15}{ratio:>6g}" + "".join(f"{c[k]:>6} {100 * c[k] / max(1, total):3.0f}%" for k in kinds)
              + f"{total:>8}")
    print(f"\n{chars} reference characters; errors by position: {dict(where)}")
    print("tone confusions (spoken > heard):", ", ".join(f"{k} {v}" for k, v in tones.most_common(12)))


if __name__ == "__main__":
    main()
