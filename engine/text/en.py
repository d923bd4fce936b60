"""English grapheme-to-phoneme front end for Kokoro-82M v1.0.

Kokoro v1.0 was trained on the phoneme strings of misaki's US English G2P, so
this module writes the same alphabet (``hello`` -> ``həlˈO``): diphthongs as
capitals (A = eɪ, I = aɪ, O = oʊ, W = aʊ, Y = ɔɪ), stress marks ``ˈ``/``ˌ``
right before the stressed vowel, and -- as Kokoro v1.0 expects -- the flap
written ``T`` and the glottal stop written ``t``.

Pipeline for one run of text (:meth:`EnglishG2P.units`):

1. :mod:`engine.text.en_normalize` cuts the run into words and punctuation
   with spans (numbers, currency, times... become words).
2. A small rule-based tagger guesses the part of speech where a homograph
   needs it (``to read`` / ``I read it yesterday`` / ``the record``).
3. Each word is looked up in misaki's lexicons (gold, then silver) with case
   handling, function-word reductions (``the`` -> ``ðə``/``ði``, ``a`` ->
   ``ɐ``, ``to`` -> ``tə``/``tʊ``...), acronyms spelled as letters, suffix
   and prefix rules from a known stem, hyphenated and closed compounds.
4. Anything still unknown goes to the out-of-vocabulary fallback: the small
   GRU letter-to-ARPAbet model shipped by the ``g2p-en`` package, decoded
   here with numpy (the package itself is never imported), mapped onto
   misaki's symbols.  Without that package a rule-based letter-to-sound
   fallback is used.

Nothing is downloaded at run time: the lexicons come from the installed
``misaki`` package (``misaki/data``), the model weights from g2p-en's file as
Dubline ships it (``resources/models/g2p_en``, Apache-2.0, with its notice).
"""

from __future__ import annotations

import importlib.resources
import importlib.util
import json
import os
import re
import threading
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from engine.text import en_normalize
from engine.text.units import TextError, Unit

__all__ = ["EnglishG2P", "phonemize_word", "warm_up", "KOKORO_EN_SYMBOLS"]

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
#: Punctuation that becomes a pause unit, mapped to Kokoro symbols.
_PAUSE_MAP = {
    ",": ",", ".": ".", "!": "!", "?": "?", ";": ";", ":": ":", "—": "—", "…": "…",
    "(": "(", ")": ")", "[": "(", "]": ")", "{": "(", "}": ")", "“": "“", "”": "”",
}
_OPENING = frozenset("“(")
_CLOSING = frozenset(",.!?;:…”)")
#: Pauses that cut the phrase: the next word's context is "end" (misaki's future_vowel None).
_HARD_PAUSES = frozenset(",.!?;:—…")


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


# ---------------------------------------------------------------------------
# Lexicon
# ---------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------
# Out-of-vocabulary fallback: g2p-en's GRU checkpoint, decoded with numpy
# ---------------------------------------------------------------------------

_GRAPHEMES = ["<pad>", "<unk>", "</s>"] + list("abcdefghijklmnopqrstuvwxyz")
_ARPABET = ["<pad>", "<unk>", "<s>", "</s>"] + (
    "AA0 AA1 AA2 AE0 AE1 AE2 AH0 AH1 AH2 AO0 AO1 AO2 AW0 AW1 AW2 AY0 AY1 AY2 B CH D DH "
    "EH0 EH1 EH2 ER0 ER1 ER2 EY0 EY1 EY2 F G HH IH0 IH1 IH2 IY0 IY1 IY2 JH K L M N NG "
    "OW0 OW1 OW2 OY0 OY1 OY2 P R S SH T TH UH0 UH1 UH2 UW UW0 UW1 UW2 V W Y Z ZH"
).split()
_ARPA_VOWELS = {
    "AA": "ɑ", "AE": "æ", "AH": "ʌ", "AO": "ɔ", "AW": "W", "AY": "I", "EH": "ɛ", "ER": "ɜɹ",
    "EY": "A", "IH": "ɪ", "IY": "i", "OW": "O", "OY": "Y", "UH": "ʊ", "UW": "u",
}
_ARPA_CONSONANTS = {
    "B": "b", "CH": "ʧ", "D": "d", "DH": "ð", "F": "f", "G": "ɡ", "HH": "h", "JH": "ʤ", "K": "k",
    "L": "l", "M": "m", "N": "n", "NG": "ŋ", "P": "p", "R": "ɹ", "S": "s", "SH": "ʃ", "T": "t",
    "TH": "θ", "V": "v", "W": "w", "Y": "j", "Z": "z", "ZH": "ʒ",
}


def arpabet_to_misaki(arpa: list[str]) -> str:
    """ARPAbet with stress digits -> misaki US phonemes (stress mark before the vowel)."""
    out = []
    for p in arpa:
        if p in _ARPA_CONSONANTS:
            out.append(_ARPA_CONSONANTS[p])
            continue
        base, stress = (p[:-1], p[-1]) if p[-1].isdigit() else (p, "0")
        if base not in _ARPA_VOWELS:
            continue
        if stress == "0" and base == "AH":
            v = "ə"
        elif stress == "0" and base == "ER":
            v = "əɹ"
        else:
            v = _ARPA_VOWELS[base]
        out.append({"1": PRIMARY, "2": SECONDARY}.get(stress, "") + v)
    return _us_reductions("".join(out))


_RE_SYLLABIC_L = re.compile(r"(?<=[bdfɡkmnpstvzʃʒʧʤθð])əl$")
_RE_SYLLABIC_N = re.compile(r"(?<=[tdsz])ən$")
_RE_ED = re.compile(r"(?<=[td])[ɪə]d$")
_RE_ES = re.compile(r"(?<=[szʃʒʧʤ])[ɪə]z$")
_RE_FLAP = re.compile(r"(?<=[AIOWYiuæɑəɛɪɹʊʌɔɜ])t(?=[AIOWYiuæɑəɛɪʊʌɔɜᵻ]|ᵊl|əɹ)")


def _us_reductions(ps: str) -> str:
    """Reductions and flaps the way misaki's US lexicon writes them."""
    ps = _RE_SYLLABIC_L.sub("ᵊl", ps)
    ps = _RE_SYLLABIC_N.sub("ᵊn", ps)
    ps = _RE_ED.sub("ᵻd", ps)
    ps = _RE_ES.sub("ᵻz", ps)
    ps = _RE_FLAP.sub("ɾ", ps)
    return _ensure_primary(ps)


def _ensure_primary(ps: str) -> str:
    if PRIMARY in ps or not _has_vowel(ps):
        return ps
    if SECONDARY in ps:
        return ps.replace(SECONDARY, PRIMARY, 1)
    return _mark_first_vowel(ps, PRIMARY)


class NeuralG2P:
    """Greedy decoding of g2p-en's ``checkpoint20.npz`` (GRU encoder-decoder, letters -> ARPAbet)."""

    def __init__(self, path: str):
        z = np.load(path)
        hid = z["enc_w_hh"].shape[1]
        self.hidden = hid
        # Input projections of every symbol are precomputed: one table lookup per step.
        self.enc_in = (z["enc_emb"] @ z["enc_w_ih"].T + z["enc_b_ih"]).astype(np.float32)
        self.dec_in = (z["dec_emb"] @ z["dec_w_ih"].T + z["dec_b_ih"]).astype(np.float32)
        self.enc_whh_t = np.ascontiguousarray(z["enc_w_hh"].T, dtype=np.float32)
        self.enc_bhh = z["enc_b_hh"].astype(np.float32)
        self.dec_whh_t = np.ascontiguousarray(z["dec_w_hh"].T, dtype=np.float32)
        self.dec_bhh = z["dec_b_hh"].astype(np.float32)
        self.fc_w_t = np.ascontiguousarray(z["fc_w"].T, dtype=np.float32)
        self.fc_b = z["fc_b"].astype(np.float32)

    @staticmethod
    def find() -> str | None:
        """Path of the checkpoint Dubline ships (resources/models/g2p_en), else g2p_en's (not imported), or None."""
        from engine import resources
        from engine.errors import ModelError

        try:
            if resources.exists("models", "g2p_en", "checkpoint20.npz"):
                return str(resources.path("models", "g2p_en", "checkpoint20.npz"))
        except ModelError:
            pass
        try:
            spec = importlib.util.find_spec("g2p_en")
        except (ImportError, ValueError):
            return None
        if spec is None or not spec.submodule_search_locations:
            return None
        for loc in spec.submodule_search_locations:
            path = os.path.join(loc, "checkpoint20.npz")
            if os.path.isfile(path):
                return path
        return None

    def _step(self, x_proj: np.ndarray, h: np.ndarray, whh_t: np.ndarray, bhh: np.ndarray) -> np.ndarray:
        n = self.hidden
        hp = h @ whh_t + bhh
        r = 1.0 / (1.0 + np.exp(-(x_proj[:n] + hp[:n])))
        u = 1.0 / (1.0 + np.exp(-(x_proj[n:2 * n] + hp[n:2 * n])))
        c = np.tanh(x_proj[2 * n:] + r * hp[2 * n:])
        return (1.0 - u) * c + u * h

    def predict(self, word: str) -> list[str]:
        """ARPAbet for a lowercase a-z word."""
        ids = [_GRAPHEMES.index(c) for c in word if "a" <= c <= "z"] + [2]
        h = np.zeros(self.hidden, np.float32)
        for i in ids:
            h = self._step(self.enc_in[i], h, self.enc_whh_t, self.enc_bhh)
        prev, out = 2, []
        for _ in range(len(ids) + 8):
            h = self._step(self.dec_in[prev], h, self.dec_whh_t, self.dec_bhh)
            prev = int(np.argmax(h @ self.fc_w_t + self.fc_b))
            if prev == 3:
                break
            out.append(_ARPABET[prev])
        return out


_NEURAL: NeuralG2P | None | bool = False  # False: not tried yet
_NEURAL_LOCK = threading.Lock()


def _neural() -> NeuralG2P | None:
    global _NEURAL
    if _NEURAL is False:
        with _NEURAL_LOCK:
            if _NEURAL is False:
                path = NeuralG2P.find()
                try:
                    _NEURAL = NeuralG2P(path) if path else None
                except (OSError, KeyError, ValueError):
                    _NEURAL = None
    return _NEURAL  # type: ignore[return-value]


# -- rule-based letter-to-sound (used only when g2p-en is not installed) --------

_LTS_RULES = [
    # (letters, phonemes); longest first within each initial letter, tried in order
    ("tion", "ʃən"), ("sion", "ʒən"), ("cial", "ʃᵊl"), ("tial", "ʃᵊl"), ("ture", "ʧəɹ"),
    ("ough", "O"), ("augh", "ɔ"), ("eigh", "A"), ("igh", "I"), ("tch", "ʧ"), ("dge", "ʤ"),
    ("sch", "sk"), ("chr", "kɹ"), ("ph", "f"), ("sh", "ʃ"), ("ch", "ʧ"), ("th", "θ"), ("ck", "k"),
    ("ng", "ŋ"), ("qu", "kw"), ("wh", "w"), ("wr", "ɹ"), ("kn", "n"), ("gh", "ɡ"),
    ("ee", "i"), ("ea", "i"), ("ie", "i"), ("oo", "u"), ("ou", "W"), ("ow", "O"), ("oi", "Y"),
    ("oy", "Y"), ("ai", "A"), ("ay", "A"), ("au", "ɔ"), ("aw", "ɔ"), ("ew", "ju"), ("ey", "i"),
    ("oa", "O"), ("ue", "u"), ("ar", "ɑɹ"), ("or", "ɔɹ"), ("er", "əɹ"), ("ir", "ɜɹ"), ("ur", "ɜɹ"),
    ("x", "ks"), ("j", "ʤ"), ("y", "j"), ("q", "k"), ("c", "k"), ("g", "ɡ"), ("r", "ɹ"),
]
_LTS_SHORT = {"a": "æ", "e": "ɛ", "i": "ɪ", "o": "ɑ", "u": "ʌ"}
_LTS_LONG = {"a": "A", "e": "i", "i": "I", "o": "O", "u": "u"}


def rule_based_g2p(word: str) -> str:
    """A small letter-to-sound rule set: crude but offline, dependency free and vocab-only."""
    w = "".join(c for c in word.lower() if "a" <= c <= "z")
    if not w:
        return ""
    out: list[str] = []
    i, n = 0, len(w)
    magic_e = n > 3 and w.endswith("e") and w[-2] not in "aeiou" and w[-3] in "aeiou"
    while i < n:
        c = w[i]
        if c == "e" and i == n - 1 and n > 2:
            break  # silent final e
        if i + 1 < n and w[i + 1] == c and c not in "aeiou":
            i += 1  # doubled consonant
            continue
        if c in "cg" and i + 1 < n and w[i + 1] in "eiy":
            out.append("s" if c == "c" else "ʤ")
            i += 1
            continue
        if c == "y" and i > 0:
            out.append("i" if i == n - 1 and n > 3 else "I")
            i += 1
            continue
        for letters, ps in _LTS_RULES:
            if w.startswith(letters, i):
                out.append(ps)
                i += len(letters)
                break
        else:
            if c in _LTS_SHORT:
                long_ = magic_e and i == n - 3
                out.append(_LTS_LONG[c] if long_ else _LTS_SHORT[c])
            else:
                out.append(c)
            i += 1
    ps = "".join(out)
    # reduce the vowels of later syllables, stress the first
    first = next((k for k, ch in enumerate(ps) if ch in VOWELS), None)
    if first is None:
        return ps
    tail = "".join("ə" if ch in "æʌɑ" else ch for ch in ps[first + 1:])
    return _us_reductions(ps[:first] + PRIMARY + ps[first] + tail)


@lru_cache(maxsize=8192)
def _oov_phonemes(word: str) -> str:
    """Phonemes for a lowercase a-z word the lexicon does not know."""
    model = _neural()
    if model is not None:
        ps = arpabet_to_misaki(model.predict(word))
        if ps:
            return ps
    return rule_based_g2p(word)


def oov_backend() -> str:
    """``"g2p-en-gru"`` when the neural fallback is available, else ``"rules"``."""
    return "g2p-en-gru" if _neural() is not None else "rules"


# ---------------------------------------------------------------------------
# Part-of-speech guesses for homographs
# ---------------------------------------------------------------------------

_MODALS = frozenset(
    "will would shall should can could may might must do does did don't doesn't didn't won't wouldn't "
    "can't cannot couldn't shouldn't mustn't mightn't let's please i'll you'll we'll they'll he'll "
    "she'll it'll gonna wanna gotta".split()
)
_HAVE = frozenset("have has had having i've you've we've they've haven't hasn't hadn't".split())
_BE = frozenset(
    "is was were are am be been being isn't wasn't weren't aren't it's he's she's that's "
    "there's i'm you're we're they're".split()
)
_DETERMINERS = frozenset(
    "the a an this that these those my your his her its our their some any no every each "
    "another either neither which whose what".split()
)
_PREPOSITIONS = frozenset("of in for with without into from on at about by under over through during".split())
_SUBJECTS = frozenset("i you we they he she it who".split())
_THIRD_SINGULAR = frozenset("he she it who".split())
_ADVERBS = frozenset(
    "also often never always usually sometimes still really just then once only even already "
    "quickly slowly carefully finally not".split()
)
_INTENSIFIERS = frozenset("very so too quite really pretty more most less least rather".split())
_OBJECT_STARTERS = frozenset(
    "the a an this that these those my your his her our their it them him me us its some".split()
)
#: Words that follow a noun rather than modify one ("the close of", "a minute later").
_NOT_CONTENT = frozenset(
    "of to in on at for with and or but is was were are be been by from as than that which who "
    "later ago before after earlier left more again too away".split()
)
_PAST_CUES = frozenset("yesterday ago last earlier previously was were had did once".split())
_NOT_PAST_ED = frozenset("need indeed speed seed bed red bred shed feed weed breed proceed exceed succeed".split())


def guess_tags(words: list[str | None]) -> list[str | None]:
    """Tags for a phrase: ``words`` are lowercase words or ``None`` for punctuation.

    Only a handful of tags are produced ("VB", "VBD", "VBN", "BE", "NOUN", "ADJ",
    "DT"), enough to pick a homograph's reading from misaki's lexicon.
    """
    n = len(words)
    tags: list[str | None] = [None] * n
    # sentence-level past-tense cue, per stretch between . ! ?
    past = [False] * n
    start = 0
    for i in range(n + 1):
        if i == n or words[i] is None:
            seg = [w for w in words[start:i] if w]
            cue = any(w in _PAST_CUES for w in seg) or any(
                len(w) > 4 and w.endswith("ed") and w not in _NOT_PAST_ED for w in seg
            )
            for k in range(start, i):
                past[k] = cue
            start = i + 1
    for i, w in enumerate(words):
        if w is None:
            continue
        p = words[i - 1] if i > 0 else None
        pp = words[i - 2] if i > 1 else None
        nx = words[i + 1] if i + 1 < n else None
        if w == "lead" and (p in ("of", "with") or nx in _LEAD_METAL_NEXT):
            tags[i] = "METAL"  # the metal, not the verb
            continue
        if w == "a":
            tags[i] = "DT" if nx is not None and nx not in _NOT_CONTENT or p is None else None
            continue
        if p == "to" or p in _MODALS or (p in _ADVERBS and pp in _MODALS):
            tags[i] = "VB"
        elif p in _HAVE or (p in _ADVERBS and pp in _HAVE):
            tags[i] = "VBN"
        elif p in _BE or (p in _ADVERBS and pp in _BE):
            tags[i] = "BE"
        elif p in _DETERMINERS or (p in _INTENSIFIERS and pp in _DETERMINERS):
            tags[i] = "ADJ" if nx is not None and nx not in _NOT_CONTENT else "NOUN"
        elif p in _INTENSIFIERS:
            tags[i] = "ADJ"
        elif p in _PREPOSITIONS:
            tags[i] = "NOUN"
        elif p in _SUBJECTS or (p in _ADVERBS and pp in _SUBJECTS):
            subj = p if p in _SUBJECTS else pp
            if past[i] or (subj in _THIRD_SINGULAR and not w.endswith("s")):
                tags[i] = "VBD"
            else:
                tags[i] = "VBP"
        elif nx in _OBJECT_STARTERS:
            tags[i] = "VBD" if past[i] else "VB"
    return tags


# ---------------------------------------------------------------------------
# Word phonemizer
# ---------------------------------------------------------------------------

_RE_DOTTED = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]?\.?$")
_RE_CAPS_PLURAL = re.compile(r"^([A-Z]{2,})(['’]?s)$")
_RE_IRISH = re.compile(r"^([ODLModlm])'([A-Za-z]{2,})$")
_RE_CAMEL = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_LEAD_METAL_NEXT = frozenset("pipe pipes poisoning paint pencil pencils weight weights shot balloon based".split())


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
        """Known stem + suffix / prefix, or known compound."""
        known = self._known_or_derived
        w = word
        lw = w.lower()
        n = len(w)
        # possessives and plurals
        if n > 2 and lw.endswith("'s"):
            stem = known(w[:-2], tag, depth)
            if stem:
                return _add_s(stem)
        if n > 2 and lw.endswith("s'"):
            stem = known(w[:-1], tag, depth)
            if stem:
                return stem
        if lw.endswith("'"):
            return known(w[:-1], tag, depth)
        # contractions
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
        # -s
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
        # -er / -est / -ly
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


# ---------------------------------------------------------------------------
# Units
# ---------------------------------------------------------------------------

@dataclass
class _Tok:
    kind: str  # "w" or "p"
    text: str  # word, or the pause symbol(s)
    start: int
    end: int
    piece: int  # index of the normaliser piece
    tag: str | None = None
    phonemes: str = ""


def _first_sound_is_vowel(ps: str) -> bool | None:
    for c in ps:
        if c in VOWELS:
            return True
        if c in CONSONANTS:
            return False
    return None


class EnglishG2P:
    """English text -> Kokoro phoneme units (see module docstring)."""

    def __init__(self) -> None:
        self._words: _WordPhonemizer | None = None

    @property
    def _wp(self) -> _WordPhonemizer:
        if self._words is None:
            self._words = _WordPhonemizer()
        return self._words

    def phonemize_word(self, word: str, pos: str | None = None) -> str:
        """Phonemes of one word as said on its own (phrase-final context).

        ``pos`` picks a homograph's reading: "VERB"/"VB", "VBD" (past), "VBN",
        "NOUN", "ADJ" (misaki's lexicon keys and Penn tags both work).
        """
        if not _is_latin_word(word):
            raise TextError(f"cannot read {word!r} as English")
        tag = {"VERB": "VB", "VBZ": "VB", "NN": "NOUN", "NNS": "NOUN", "JJ": "ADJ", "RB": "ADV"}.get(pos, pos)
        return self._wp.word(word, tag, _END)

    def phonemize(self, text: str) -> str:
        """The phoneme string of a whole run (the units' phonemes joined)."""
        return "".join(u.phonemes for u in self.units(text, 0))

    def units(self, run_text: str, offset: int = 0) -> list[Unit]:
        pieces = en_normalize.normalize(run_text)
        toks: list[_Tok] = []
        for k, pc in enumerate(pieces):
            if pc.kind == "punct":
                mark = pc.text
                if mark == '"':
                    before = run_text[pc.src_start - 1] if pc.src_start > 0 else " "
                    mark = "“" if before.isspace() or before in "([{—-" else "”"
                mark = "".join(_PAUSE_MAP.get(c, "") for c in mark)
                if mark:
                    toks.append(_Tok("p", mark, pc.src_start, pc.src_end, k))
                continue
            for w in pc.text.split():
                if not _is_latin_word(w):
                    raise TextError(f"cannot read {w!r} as English", offset + pc.src_start)
                toks.append(_Tok("w", w, pc.src_start, pc.src_end, k))
        if not toks:
            return []
        # tag homographs phrase by phrase
        tags = guess_tags([t.text.lower() if t.kind == "w" else None for t in toks])
        caps = [_is_caps(t.text) for t in toks if t.kind == "w" and sum(c.isalpha() for c in t.text) > 1]
        shouting = bool(caps) and sum(caps) * 2 > len(caps)
        for t, tag in zip(toks, tags, strict=True):
            # An ALL-CAPS word in ordinary text is an acronym ("IT department", "the US"),
            # unless the whole line is in capitals.
            t.tag = "ACRONYM" if not shouting and t.kind == "w" and _is_caps(t.text) else tag
        # phonemize right to left so each word knows what follows it
        wp = self._wp
        nxt = _END
        for t in reversed(toks):
            if t.kind == "p":
                if any(c in _HARD_PAUSES for c in t.text):
                    nxt = _END
                continue
            t.phonemes = wp.word(t.text, t.tag, nxt)
            v = _first_sound_is_vowel(t.phonemes)
            nxt = _Next(nxt.vowel if v is None else v, t.text.lower())
        return self._assemble(run_text, offset, toks)

    @staticmethod
    def _assemble(raw: str, offset: int, toks: list[_Tok]) -> list[Unit]:
        units: list[Unit] = []
        prev: _Tok | None = None
        i = 0
        while i < len(toks):
            t = toks[i]
            if t.kind == "p":  # merge touching punctuation into one pause
                j, marks, end = i + 1, t.text, t.end
                while j < len(toks) and toks[j].kind == "p" and toks[j].start == end:
                    marks += toks[j].text
                    end = toks[j].end
                    j += 1
                cur = _Tok("p", marks, t.start, end, t.piece)
                i = j
            else:
                cur = t
                i += 1
            if prev is not None:
                sp = EnglishG2P._space_between(raw, prev, cur)
                if sp is not None:
                    units.append(Unit("space", " ", offset + sp[0], offset + sp[1], " "))
            if cur.kind == "p":
                units.append(Unit("pause", raw[cur.start:cur.end], offset + cur.start, offset + cur.end, cur.text))
            else:
                units.append(Unit("en", cur.text, offset + cur.start, offset + cur.end, cur.phonemes))
            prev = cur
        return units

    @staticmethod
    def _space_between(raw: str, a: _Tok, b: _Tok) -> tuple[int, int] | None:
        """Span of the space unit between two tokens, or None for no space."""
        if a.kind == "w" and b.kind == "w" and a.piece == b.piece:
            return a.start, a.end  # words of one expanded number/abbreviation
        gap = raw[a.end:b.start]
        has_ws = any(c.isspace() for c in gap)
        span = (a.end, b.start)
        if a.kind == "w" and b.kind == "w":
            return span
        if a.kind == "w":  # word, then punctuation
            return span if has_ws and b.text[0] in _OPENING | {"—"} else None
        if b.kind == "w":  # punctuation, then word
            if a.text[-1] in _OPENING:
                return None
            return span if has_ws or a.text[-1] in _CLOSING else None
        if has_ws and b.text[0] not in _CLOSING and a.text[-1] not in _OPENING:
            return span
        return None


def warm_up() -> None:
    """Load the lexicons (about 0.15-0.2 s) and the OOV model now instead of on the first line."""
    _lexicon()
    _neural()


_DEFAULT: EnglishG2P | None = None


def phonemize_word(word: str, pos: str | None = None) -> str:
    """Module-level shortcut for :meth:`EnglishG2P.phonemize_word`."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = EnglishG2P()
    return _DEFAULT.phonemize_word(word, pos)
