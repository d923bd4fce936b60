"""English grapheme-to-phoneme front end for Kokoro-82M v1.0.

Kokoro v1.0 was trained on the phoneme strings of misaki's US English G2P, so
this module writes the same alphabet (``hello`` -> ``həlˈO``): diphthongs as
capitals (A = eɪ, I = aɪ, O = oʊ, W = aʊ, Y = ɔɪ), stress marks ``ˈ``/``ˌ``
right before the stressed vowel, and -- as Kokoro v1.0 expects -- the flap
written ``T`` and the glottal stop written ``t``.

Pipeline for one run of text (:meth:`EnglishG2P.units`):

1. :mod:`engine.text.en_normalize` cuts the run into words and punctuation
   with spans (numbers, currency, times... become words).
2. A small rule-based tagger (:mod:`engine.text.en_tags`) guesses the part of
   speech where a homograph needs it (``to read`` / ``I read it yesterday`` /
   ``the record``).
3. Each word (:mod:`engine.text.en_words`, on the alphabet and suffix rules of
   :mod:`engine.text.en_phones`) is looked up in misaki's lexicons (gold, then silver) with case
   handling, function-word reductions (``the`` -> ``ðə``/``ði``, ``a`` ->
   ``ɐ``, ``to`` -> ``tə``/``tʊ``...), acronyms spelled as letters, suffix
   and prefix rules from a known stem, hyphenated and closed compounds.
4. Anything still unknown goes to the out-of-vocabulary fallback
   (:mod:`engine.text.en_oov`): the small
   GRU letter-to-ARPAbet model shipped by the ``g2p-en`` package, decoded
   here with numpy (the package itself is never imported), mapped onto
   misaki's symbols.  Without that package a rule-based letter-to-sound
   fallback is used.

Nothing is downloaded at run time: the lexicons come from the installed
``misaki`` package (``misaki/data``), the model weights from g2p-en's file as
Dubline ships it (``resources/models/g2p_en``, Apache-2.0, with its notice).
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.text import en_normalize
from engine.text.en_oov import NeuralG2P, _neural, arpabet_to_misaki, oov_backend, rule_based_g2p  # noqa: F401 (re-exported)
from engine.text.en_phones import CONSONANTS, KOKORO_EN_SYMBOLS, VOWELS
from engine.text.en_tags import guess_tags
from engine.text.en_words import _END, _is_caps, _is_latin_word, _lexicon, _Next, _WordPhonemizer
from engine.text.units import TextError, Unit

__all__ = ["EnglishG2P", "phonemize_word", "warm_up", "KOKORO_EN_SYMBOLS"]

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
