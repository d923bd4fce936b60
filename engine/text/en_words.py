"""One English word's phonemes: misaki's lexicons (gold, then silver) with case handling and
the context-dependent function words, then derivation from a known stem (suffixes, prefixes,
contractions), compounds, acronyms spelled as letters, and finally the out-of-vocabulary fallback
(:mod:`engine.text.en_oov`).
"""

from __future__ import annotations

import importlib.resources
import json
import re
import threading
import unicodedata
from dataclasses import dataclass

from engine.text.en_oov import _oov_phonemes
from engine.text.en_phones import (
    _PREFIXES,
    _SIMPLE_SUFFIXES,
    PRIMARY,
    SECONDARY,
    VOWELS,
    _add_ed,
    _add_er,
    _add_est,
    _add_ing,
    _add_ly,
    _add_s,
    _case_stress,
    _demote,
    _finish,
    _has_vowel,
    _join_compound,
    _last_phone,
)


class _Lexicon:
    """misaki's US gold and silver lexicons, loaded once."""

    def __init__(self) -> None:
        from engine.text.dict_cache import load_dict, package_version

        base = importlib.resources.files("misaki.data")

        def reader(name: str):
            def read() -> dict:
                with (base / name).open("r", encoding="utf-8") as f:
                    return json.load(f)

            return read

        # Chunked cache: one json.load would hold the GIL ~100 ms (a GUI stall).
        key = f"misaki {package_version('misaki')}"
        self.gold: dict = load_dict("misaki-us-gold", key, reader("us_gold.json"))
        self.silver: dict = load_dict("misaki-us-silver", key, reader("us_silver.json"))

    def get(self, word: str):
        """Entry for the exact spelling: gold first, then silver; ``None`` if absent."""
        v = self.gold.get(word)
        if v is None:
            v = self.silver.get(word)
        return v

    def __contains__(self, word: str) -> bool:
        return word in self.gold or word in self.silver


_LEXICON: _Lexicon | None = None
_LEXICON_LOCK = threading.Lock()


def _lexicon() -> _Lexicon:
    global _LEXICON
    if _LEXICON is None:
        with _LEXICON_LOCK:
            if _LEXICON is None:
                _LEXICON = _Lexicon()
    return _LEXICON


#: Tag -> keys of a lexicon entry to try, in order (then DEFAULT).
_TAG_KEYS = {
    "VB": ("VERB",),
    "VBP": ("VERB",),  # misaki's VBP readings of "read"/"wound" are past forms: not used
    "VBD": ("VBD", "VERB"),
    "VBN": ("VBN", "VBD", "VERB"),
    "BE": ("VBN", "ADJ"),
    "NOUN": ("NOUN",),
    "ADJ": ("ADJ",),
    "ADV": ("ADV",),
    "DT": ("DT",),
    "ACRONYM": ("NOUN",),  # an ALL-CAPS word in ordinary (not all-caps) text
}

_SPELL = object()  # lexicon says: spell this as letters


@dataclass(frozen=True)
class _Next:
    """What follows a word: does it start with a vowel sound (None = end of phrase), and which word."""

    vowel: bool | None = None
    word: str | None = None


_END = _Next()


def _resolve(entry, tag: str | None, nxt: _Next):
    if isinstance(entry, str):
        return entry
    if nxt.vowel is None and "None" in entry:
        v = entry["None"]
    else:
        v = entry.get("DEFAULT")
        for key in _TAG_KEYS.get(tag, ()) if tag else ():
            if key in entry:
                v = entry[key]
                break
    return _SPELL if v is None else v


_RE_DOTTED = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]?\.?$")
_RE_CAPS_PLURAL = re.compile(r"^([A-Z]{2,})(['’]?s)$")
_RE_IRISH = re.compile(r"^([ODLModlm])'([A-Za-z]{2,})$")
_RE_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


def _is_caps(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) > 1 and all(c.isupper() for c in letters)


def _strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", s) if unicodedata.category(c) != "Mn")


def _is_latin_word(word: str) -> bool:
    return all(("a" <= c.lower() <= "z") or not c.isalpha() for c in _strip_accents(word))


class _WordPhonemizer:
    def __init__(self) -> None:
        self.lex = _lexicon()

    # -- helpers -------------------------------------------------------------------
    def spell(self, word: str) -> str:
        """Letters one by one (ALL-CAPS acronyms), last letter stressed: XYZ -> ˌɛkswˌIzˈi."""
        ps = []
        for c in _strip_accents(word):
            if c.isalpha():
                v = self.lex.gold.get(c.upper())
                if isinstance(v, str):
                    ps.append(v)
        if not ps:
            return ""
        joined = _demote("".join(ps))
        head, sep, tail = joined.rpartition(SECONDARY)
        return head + PRIMARY + tail if sep else joined

    def _entry(self, word: str, tag: str | None = None):
        """Lexicon entry for the exact spelling, else its lower-case or capitalised form; None if unknown."""
        v = self.lex.get(word)
        if v is not None:
            return v
        lower = word.lower()
        if lower != word:
            letters = [c for c in word if c.isalpha()]
            caps = len(letters) > 1 and all(c.isupper() for c in letters)
            # ALL CAPS: shouting a known word; Capitalised: the common word
            # (an acronym in ordinary text only matches the silver lexicon when it is long)
            v = self.lex.get(lower) if not caps or tag != "ACRONYM" or len(letters) > 4 else self.lex.gold.get(lower)
            if v is not None:
                return v
        if word == lower:
            return self.lex.gold.get(word.capitalize())
        cap = word.capitalize()
        if cap != word:
            return self.lex.gold.get(cap)
        return None

    def lookup(self, word: str, tag: str | None, nxt: _Next) -> str | None:
        """Lexicon only (with case handling); None if unknown."""
        entry = self._entry(word, tag)
        if entry is None:
            return None
        ps = _resolve(entry, tag, nxt)
        if ps is _SPELL:
            return self.spell(word)
        return _case_stress(ps, word)

    def special(self, word: str, tag: str | None, nxt: _Next) -> str | None:
        """Function words whose reading depends on context (misaki's special cases)."""
        lw = word.lower()
        if word == "a" or (word == "A" and tag == "DT"):
            return "ɐ"
        if word == "A":
            return "ˈA"
        weak = tag != "ACRONYM"  # THE, TO, AN... in a shouting line are still function words
        if lw == "an" and weak:
            return "ɐn"
        if lw == "am" and weak:
            return "ɐm" if nxt.vowel is not None and word == "am" else "æm"
        if word == "I":
            return SECONDARY + "I"
        if lw == "to" and weak:
            return {None: "tu", False: "tə", True: "tʊ"}[nxt.vowel]
        if lw == "in" and weak:
            return ("ɪn" if nxt.vowel is not None else PRIMARY + "ɪn")
        if lw == "the" and weak:
            return "ði" if nxt.vowel else "ðə"
        if lw in ("vs", "vs."):
            return self.lookup("versus", None, nxt)
        if lw == "used":
            return "jˈust" if nxt.word == "to" else "jˈuzd"
        if lw == "lead" and tag == "METAL":
            return "lˈɛd"
        return None

    def derive(self, word: str, tag: str | None, depth: int = 2) -> str | None:
        """Known stem + suffix / prefix, or known compound; the first rule that finds a stem wins."""
        lw = word.lower()
        known = self._known_or_derived
        if lw.endswith("'"):  # a plural's possessive (the dogs') or a clipped word (goin'): that or nothing
            if len(word) > 2 and lw.endswith("s'"):
                stem = known(word[:-1], tag, depth)
                if stem:
                    return stem
            return known(word[:-1], tag, depth)
        for rules in (self._derive_clitic, self._derive_inflection, self._derive_affix):
            ps = rules(word, tag, depth)
            if ps is not None:
                return ps
        return None

    def _derive_clitic(self, w: str, tag: str | None, depth: int) -> str | None:
        """Possessive 's and the contractions 'll 've 'd 're 'm n't on a known stem."""
        known = self._known_or_derived
        lw = w.lower()
        n = len(w)
        if n > 2 and lw.endswith("'s"):
            stem = known(w[:-2], tag, depth)
            if stem:
                return _add_s(stem)
        for suffix, after_vowel, after_consonant in (
            ("'ll", "l", "əl"), ("'ve", "v", "əv"), ("'d", "d", "əd"), ("'re", "ɹ", "əɹ"), ("'m", "m", "əm")
        ):
            if lw.endswith(suffix) and n > len(suffix):
                stem = known(w[: -len(suffix)], tag, depth)
                if stem:
                    return stem + (after_vowel if _last_phone(stem) in VOWELS else after_consonant)
        if lw.endswith("n't") and n > 3:
            stem = known(w[:-3], tag, depth)
            if stem:
                return stem + "ᵊnt"
        return None

    def _derive_inflection(self, w: str, tag: str | None, depth: int) -> str | None:
        """-s, -es, -ies, -ed, -ied, -ing (with doubled consonants and dropped e) on a known stem."""
        known = self._known_or_derived
        lw = w.lower()
        n = len(w)
        if n > 2 and lw.endswith("s") and not lw.endswith("ss"):
            for stem_w in (w[:-1],) + ((w[:-2],) if lw.endswith("es") and not lw.endswith("ies") else ()):
                stem = known(stem_w, tag, depth)
                if stem:
                    return _add_s(stem)
            if n > 4 and lw.endswith("ies"):
                stem = known(w[:-3] + "y", tag, depth)
                if stem:
                    return _add_s(stem)
        # -ed
        if n > 3 and lw.endswith("d") and not lw.endswith("dd"):
            cands = [w[:-1]] if lw.endswith("ed") and not lw.endswith("eed") else []
            if lw.endswith("ed") and not lw.endswith("eed"):
                cands.append(w[:-2])
                if n > 5 and lw[-3] == lw[-4] and lw[-3] not in "aeiouls":
                    cands.append(w[:-3])
                if lw.endswith("ied"):
                    cands.append(w[:-3] + "y")
            for stem_w in cands:
                if len(stem_w) > 1:
                    stem = known(stem_w, "VB", depth)
                    if stem:
                        return _add_ed(stem)
        # -ing
        if n > 4 and lw.endswith("ing"):
            cands = [w[:-3], w[:-3] + "e"]
            if n > 5 and lw[-4] == lw[-5]:
                cands.append(w[:-4])
            for stem_w in cands:
                if len(stem_w) > 1:
                    stem = known(stem_w, "VB", depth)
                    if stem:
                        return _add_ing(stem)
        return None

    def _derive_affix(self, w: str, tag: str | None, depth: int) -> str | None:
        """-er, -est, -ly, the other common suffixes (-ness, -ful...) and prefixes (un-, re-...)."""
        known = self._known_or_derived
        lw = w.lower()
        n = len(w)
        for suffix, fn in (("est", _add_est), ("er", _add_er), ("ly", _add_ly)):
            if n > len(suffix) + 2 and lw.endswith(suffix):
                base = w[: -len(suffix)]
                cands = [base]
                if suffix != "ly":
                    cands.append(base + "e")
                    if len(base) > 2 and base[-1] == base[-2]:
                        cands.append(base[:-1])
                else:
                    cands.append(base[:-1] + "le" if base.endswith("b") else base + "le")
                if base.endswith("i"):
                    cands.append(base[:-1] + "y")
                for stem_w in cands:
                    stem = known(stem_w, None, depth)
                    if stem:
                        return fn(stem)
        # other suffixes
        for suffix, ps in _SIMPLE_SUFFIXES.items():
            if n > len(suffix) + 2 and lw.endswith(suffix):
                base = w[: -len(suffix)]
                for stem_w in (base, base[:-1] + "y" if base.endswith("i") else base, base + "e"):
                    stem = known(stem_w, None, depth)
                    if stem:
                        return stem + ps
        # prefixes
        for prefix, ps in _PREFIXES.items():
            if lw.startswith(prefix) and n - len(prefix) >= 3:
                stem = known(w[len(prefix):], tag, depth)
                if stem and _has_vowel(stem):
                    return ps + stem
        return None

    def _known_or_derived(self, word: str, tag: str | None, depth: int) -> str | None:
        ps = self.lookup(word, tag, _Next(False))
        if ps is None and depth > 1 and len(word) > 2:
            ps = self.derive(word, tag, depth - 1)
        return ps or None

    def compound(self, word: str) -> str | None:
        """A closed compound of two gold words: dubline -> dub + line."""
        lw = word.lower()
        if len(lw) < 6 or not lw.isalpha():
            return None
        gold = self.lex.gold
        for i in range(len(lw) - 3, 2, -1):
            a, b = gold.get(lw[:i]), gold.get(lw[i:])
            if isinstance(a, dict):
                a = a.get("DEFAULT")
            if isinstance(b, dict):
                b = b.get("DEFAULT")
            if isinstance(a, str) and isinstance(b, str) and PRIMARY in a and PRIMARY in b:
                return a + _demote(b)
        return None

    # -- main entry --------------------------------------------------------------
    def word(self, word: str, tag: str | None = None, nxt: _Next = _END) -> str:
        w = word.replace("’", "'")
        ps = self.special(w, tag, nxt)
        if ps is None:
            ps = self.lookup(w, tag, nxt)
        if ps is None:
            ps = self._unknown(w, tag)
        return _finish(ps)

    def _unknown(self, w: str, tag: str | None) -> str:
        letters = [c for c in w if c.isalpha()]
        if not letters:
            return ""
        if _RE_DOTTED.match(w):  # U.S.A., p.m.
            return self.spell(w)
        m = _RE_CAPS_PLURAL.match(w)
        if m and self._entry(m.group(1)) is None:  # CEOs, URL's
            return _add_s(self.spell(m.group(1)))
        m = _RE_IRISH.match(w)
        if m:  # O'Brien, D'Angelo
            head = "O" if m.group(1) in "Oo" else m.group(1).lower()
            head_ps = "ˌO" if head == "O" else {"d": "d", "l": "l", "m": "m"}.get(head, "")
            return head_ps + self.word_raw(m.group(2))
        if "'n'" in w.lower() and len(w) > 3:  # rock'n'roll
            parts = [p for p in re.split(r"(?i)'n'", w) if p]
            return _join_compound([self.word_raw(parts[0]), "ən", *(self.word_raw(p) for p in parts[1:])])
        if "-" in w.strip("-"):
            parts = [p for p in w.split("-") if p]
            phs = [self.word_raw(p) for p in parts]
            return _join_compound(phs, first_is_letter=len(parts[0]) == 1)
        caps = len(letters) > 1 and all(c.isupper() for c in letters)
        ps = self.derive(w, tag)
        if ps is None and caps:
            ps = self.derive(w.lower(), tag)
        if ps:
            return _case_stress(ps, w)
        if caps and (len(letters) <= 4 or not any(c in "AEIOUY" for c in letters)):
            return self.spell(w)
        parts = _RE_CAMEL.findall(w)
        if len(parts) > 1 and "".join(parts) == w and not caps:
            return _join_compound([self.word_raw(p) for p in parts])
        ps = self.compound(w)
        if ps:
            return ps
        plain = "".join(c for c in _strip_accents(w).lower() if "a" <= c <= "z")
        if plain != w.lower() and plain:
            ps = self.lookup(plain, tag, _Next(False)) or self.derive(plain, tag)
            if ps:
                return ps
        return _oov_phonemes(plain) if plain else ""

    def word_raw(self, word: str) -> str:
        """Phonemes of a word part (no context, no Kokoro symbol mapping yet)."""
        ps = self.lookup(word, None, _Next(False))
        return ps if ps is not None else self._unknown(word, None)

