"""What the Mandarin reader works on: which characters count as Chinese, the items of a run as the
front end hands them over (:class:`ZhItem`), the syllables it hands back (:class:`ZhSyllable`), and the
words and syllables it reads in between (lexical reading, working spoken tone, source, word and segment).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.text.pinyin import ParsedPinyin


def is_cjk(ch: str) -> bool:
    """A Han character (or 〇) that Mandarin G2P reads."""
    o = ord(ch)
    return (
        0x4E00 <= o <= 0x9FFF
        or 0x3400 <= o <= 0x4DBF
        or 0xF900 <= o <= 0xFAFF
        or 0x20000 <= o <= 0x3134F
        or o == 0x3007
    )


@dataclass
class ZhItem:
    """One spoken character of a Chinese run, with where it came from.

    ``fixed``: a user override (spoken as given, no sandhi).  ``text`` is normally
    one CJK character; for an inline ``XING2`` override it is the raw token.
    ``numeric`` / ``piece``: the normaliser piece kind and id for characters read
    out from digits (see :mod:`engine.text.zh_normalize`).  ``boundary_before``: a
    hard break (whitespace) before this item.
    """

    text: str
    src_start: int
    src_end: int
    fixed: ParsedPinyin | None = None
    numeric: str | None = None
    piece: int = -1
    boundary_before: bool = False


@dataclass
class ZhSyllable:
    """One syllable as spoken, with its source."""

    text: str
    src_start: int
    src_end: int
    spoken: ParsedPinyin  # tone = spoken tone
    lexical_tone: int
    fixed: bool = False

    @property
    def pinyin(self) -> str:
        return self.spoken.numbered


@dataclass
class _Syl:
    chars: str
    start: int
    end: int
    p: ParsedPinyin  # lexical reading
    tone: int  # spoken tone (working)
    source: str  # "dict" "char" "glossary" "override"
    word: int
    seg: int
    pos: str = ""
    numeric: str | None = None
    piece: int = -1
    items: list[ZhItem] = field(default_factory=list)

    @property
    def fixed(self) -> bool:
        return self.source == "override"


@dataclass
class _Word:
    text: str
    pos: str
    syls: list[_Syl]
    source: str  # "jieba" "glossary" "override"
    in_dict: bool = False
