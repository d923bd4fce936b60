"""The English phoneme alphabet Dubline writes (misaki's US symbols, as Kokoro v1.0 reads them),
where stress marks go, and how suffixes attach to a stem's phonemes (``-s``, ``-ed``, ``-ing``...).

Pure string functions over phoneme strings; :mod:`engine.text.en_words` builds words with them.
"""

from __future__ import annotations

PRIMARY = "ˈ"
SECONDARY = "ˌ"
STRESSES = PRIMARY + SECONDARY
#: Vowel symbols a stress mark can sit on (as in misaki; ᵊ is never stressed).
VOWELS = frozenset("AIOQWYaiuæɑɒɔəɛɜɪʊʌᵻ")
CONSONANTS = frozenset("bdfhjklmnpstvwzðŋɡɹɾʃʒʤʧθʔT")
DIPHTHONGS = frozenset("AIOQWYʤʧ")
#: Vowels (and ɹ) after which a /t/ before an unstressed vowel is flapped.
_FLAP_LEFT = frozenset("AIOWYiuæɑəɛɪɹʊʌɔɜ")
#: Everything a word's phonemes may contain (all in Kokoro's vocab.json).
KOKORO_EN_SYMBOLS = frozenset("AIOWYbdfhijklmnpstuvwzæðŋɐɑɔəɛɜɡɪɹʃʊʌʒʤʧˈˌθᵊᵻT")


# ---------------------------------------------------------------------------
# Stress helpers
# ---------------------------------------------------------------------------

def _has_vowel(ps: str) -> bool:
    return any(c in VOWELS for c in ps)


def _mark_first_vowel(ps: str, mark: str) -> str:
    for i, c in enumerate(ps):
        if c in VOWELS:
            return ps[:i] + mark + ps[i:]
    return ps


def _demote(ps: str) -> str:
    """All primary stresses become secondary."""
    return ps.replace(PRIMARY, SECONDARY)


def _case_stress(ps: str, word: str) -> str:
    """misaki's stress for capitalised (0.5) and ALL-CAPS (2) words."""
    letters = [c for c in word if c.isalpha()]
    if not letters or all(c.islower() for c in letters):
        return ps
    shout = len(letters) > 1 and all(c.isupper() for c in letters)
    if not _has_vowel(ps):
        return ps
    if shout:
        if PRIMARY in ps:
            return ps
        if SECONDARY in ps:
            return ps.replace(SECONDARY, PRIMARY)
        return _mark_first_vowel(ps, PRIMARY)
    if any(s in ps for s in STRESSES):
        return ps
    return _mark_first_vowel(ps, SECONDARY)


def _stress_weight(ps: str) -> int:
    return sum(2 if c in DIPHTHONGS else 1 for c in ps)


def _join_compound(parts: list[str], first_is_letter: bool = False) -> str:
    """Join the phonemes of the parts of one word, keeping about one primary stress per two parts."""
    parts = [p for p in parts if p]
    if len(parts) < 2:
        return "".join(parts)
    if len(parts) == 2 and first_is_letter:
        return parts[0] + _demote(parts[1])
    ranked = sorted(range(len(parts)), key=lambda i: (PRIMARY in parts[i], _stress_weight(parts[i]), i))
    if sum(PRIMARY in p for p in parts) > (len(parts) + 1) // 2:
        for i in ranked[: len(parts) // 2]:
            parts[i] = _demote(parts[i])
    return "".join(parts)


def _finish(ps: str) -> str:
    """Kokoro v1.0 conventions (flap -> T, glottal stop -> t) and a vocab-only guarantee."""
    ps = ps.replace("ɾ", "T").replace("ʔ", "t")
    return "".join(c for c in ps if c in KOKORO_EN_SYMBOLS)


# ---------------------------------------------------------------------------
# Suffix phonology (from the stem's phonemes)
# ---------------------------------------------------------------------------

def _last_phone(ps: str) -> str:
    for c in reversed(ps):
        if c not in STRESSES:
            return c
    return ""


def _add_s(stem: str) -> str:
    last = _last_phone(stem)
    if last in ("p", "t", "k", "f", "θ", "T"):
        return stem + "s"
    if last in ("s", "z", "ʃ", "ʒ", "ʧ", "ʤ"):
        return stem + "ᵻz"
    return stem + "z"


def _add_ed(stem: str) -> str:
    last = _last_phone(stem)
    if last in ("p", "k", "f", "θ", "ʃ", "s", "ʧ"):
        return stem + "t"
    if last == "d":
        return stem + "ᵻd"
    if last != "t":
        return stem + "d"
    if len(stem) > 1 and stem[-2] in _FLAP_LEFT:
        return stem[:-1] + "ɾᵻd"
    return stem + "ᵻd"


def _flap_end(stem: str) -> str:
    """A stem-final /t/ after a vowel flaps before an unstressed vowel suffix."""
    if stem.endswith("t") and len(stem) > 1 and stem[-2] in _FLAP_LEFT:
        return stem[:-1] + "ɾ"
    return stem


def _add_ing(stem: str) -> str:
    return _flap_end(stem) + "ɪŋ"


def _add_er(stem: str) -> str:
    return _flap_end(stem) + "əɹ"


def _add_est(stem: str) -> str:
    return _flap_end(stem) + "əst"


def _add_ly(stem: str) -> str:
    if stem.endswith("i"):  # happy -> happily
        return stem[:-1] + "əli"
    if stem.endswith(("ᵊl", "əl")):  # able -> ably, gentle -> gently
        return stem[:-2] + "li"
    return stem + "li"


_SIMPLE_SUFFIXES = {
    "ness": "nəs",
    "less": "ləs",
    "ful": "fəl",
    "ment": "mənt",
    "ship": "ʃˌɪp",
    "hood": "hˌʊd",
    "able": "əbᵊl",
    "ism": "ˌɪzəm",
    "ist": "ɪst",
    "ish": "ɪʃ",
}
_PREFIXES = {
    "un": "ˌʌn",
    "re": "ɹˌi",
    "non": "nˌɑn",
    "pre": "pɹˌi",
    "dis": "dˌɪs",
    "mis": "mˌɪs",
    "over": "ˌOvəɹ",
    "under": "ˌʌndəɹ",
    "out": "ˌWt",
    "anti": "ˌænti",
    "super": "sˌupəɹ",
    "multi": "mˌʌlti",
    "semi": "sˌɛmi",
    "sub": "sˌʌb",
    "inter": "ˌɪntəɹ",
    "counter": "kˌWntəɹ",
    "hyper": "hˌIpəɹ",
    "micro": "mˌIkɹO",
    "mega": "mˌɛɡə",
}


