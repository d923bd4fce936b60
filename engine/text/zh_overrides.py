"""Inline pinyin overrides in a line's raw text: bracket overrides (``出发[fā chū]``, ``重【chóng】新``)
that fix the reading of the characters before them, and ``XING2``-style tokens that stand for a
syllable of their own.  Errors carry the raw position (unbalanced bracket, bad syllable, count mismatch).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from engine.text.pinyin import ParsedPinyin, parse_syllable
from engine.text.units import TextError
from engine.text.zh_dicts import _p
from engine.text.zh_types import is_cjk


@dataclass
class OverrideScan:
    """Inline pinyin overrides found in a raw text.

    ``markup``: raw spans that are override markup (brackets with their content)
    and produce nothing.  ``fixed``: raw position of a character -> (end of its
    span, reading) for characters read by a bracket override (the span is 2 for
    an erhua syllable covering X儿).  ``inline``: ``(start, end, reading)`` of
    ``XING2``-style tokens.  ``plain_brackets``: positions of bracket characters
    that are *not* overrides (their content is ordinary text).
    """

    markup: list[tuple[int, int]] = field(default_factory=list)
    fixed: dict[int, tuple[int, ParsedPinyin]] = field(default_factory=dict)
    inline: list[tuple[int, int, ParsedPinyin]] = field(default_factory=list)
    plain_brackets: set[int] = field(default_factory=set)


_BRACKETS = {"[": "]", "【": "】"}
_CLOSERS = {v: k for k, v in _BRACKETS.items()}
_INLINE_RE = re.compile(r"(?<![A-Za-z0-9])((?:[A-ZÜ]|U:){2,7})([1-5])(?![0-9A-Za-z])")
_INLINE_EXCLUDED = {"m", "n", "ng", "hm", "hng"}


def _pinyin_like(content: str) -> bool:
    has_letter = False
    for ch in unicodedata.normalize("NFD", content):
        if ch.isascii() and ch.isalpha():
            has_letter = True
        elif ch.isspace() or ch.isdigit() or ch in ":,'’" or unicodedata.combining(ch):
            continue
        else:
            return False
    return has_letter


def _has_tone(content: str) -> bool:
    nfd = unicodedata.normalize("NFD", content)
    return any(c in "\u0304\u0301\u030c\u0300\u0306" for c in nfd) or any(c in "12345" for c in content)


def _s(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def parse_overrides(text: str) -> OverrideScan:
    """Find bracket overrides (``出发[fā chū]``, ``重【chóng】新``) and ``XING2`` tokens.

    Raises :class:`TextError` with the raw position for an unbalanced bracket, an
    invalid syllable, an override without Chinese characters before it, or a
    syllable/character count mismatch.
    """
    scan = OverrideScan()
    taken = [False] * len(text)  # characters already read by an override, and the markup itself
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in _CLOSERS:
            raise TextError(f"unbalanced bracket: '{ch}' without a matching '{_CLOSERS[ch]}'", i)
        if ch not in _BRACKETS:
            i += 1
            continue
        i = _bracket(text, i, taken, scan)
    _inline_tokens(text, taken, scan)
    return scan


def _bracket(text: str, i: int, taken: list[bool], scan: OverrideScan) -> int:
    """Read the bracket opening at ``i`` into ``scan`` (an override, or plain brackets); the index after it."""
    n = len(text)
    ch = text[i]
    close = _BRACKETS[ch]
    j = i + 1
    while j < n and text[j] != close:
        if text[j] in _BRACKETS or text[j] in _CLOSERS:
            raise TextError(f"unbalanced bracket: '{ch}' is not closed before '{text[j]}'", i)
        j += 1
    if j >= n:
        raise TextError(f"unbalanced bracket: '{ch}' is never closed with '{close}'", i)
    content = text[i + 1 : j]
    prev_cjk = i > 0 and is_cjk(text[i - 1])
    if not (_pinyin_like(content) and (_has_tone(content) or prev_cjk)):
        scan.plain_brackets.update((i, j))
        return j + 1
    shown = f"{ch}{content.strip()}{close}"
    # syllables with their offsets (for error positions)
    syls: list[ParsedPinyin] = []
    for m in re.finditer(r"[^\s,'’]+", content):
        try:
            syls.append(parse_syllable(m.group()))
        except TextError as e:
            raise TextError(f"pinyin override {shown}: {e.message}", i + 1 + m.start()) from None
    for s, e, p in _assign(text, i, shown, syls, taken):
        scan.fixed[s] = (e, p)
        for q in range(s, e):
            taken[q] = True
    scan.markup.append((i, j + 1))
    for q in range(i, j + 1):
        taken[q] = True
    return j + 1


def _assign(text: str, i: int, shown: str, syls: list[ParsedPinyin],
            taken: list[bool]) -> list[tuple[int, int, ParsedPinyin]]:
    """(start, end, reading) of the characters before the bracket at ``i`` that its syllables read,
    right to left; an erhua syllable takes X儿."""
    avail: list[int] = []
    k = i - 1
    while k >= 0 and is_cjk(text[k]) and not taken[k]:
        avail.append(k)
        k -= 1
    if not avail:
        raise TextError(f"pinyin override {shown} has no Chinese characters before it", i)
    avail.reverse()
    assigned: list[tuple[int, int, ParsedPinyin]] = []
    pos = len(avail) - 1
    for p in reversed(syls):
        if pos < 0:
            break
        if p.erhua and text[avail[pos]] == "儿" and pos >= 1:
            assigned.append((avail[pos - 1], avail[pos] + 1, p))
            pos -= 2
        else:
            assigned.append((avail[pos], avail[pos] + 1, p))
            pos -= 1
    if len(assigned) < len(syls):
        raise TextError(
            f"pinyin override {shown} has {_s(len(syls), 'syllable')} "
            f"but only {_s(len(avail), 'character')} precede it",
            i,
        )
    return assigned


def _inline_tokens(text: str, taken: list[bool], scan: OverrideScan) -> None:
    """``XING2``-style tokens outside bracket overrides, not next to Latin words, into ``scan.inline``."""
    for m in _INLINE_RE.finditer(text):
        if any(taken[q] for q in range(m.start(), m.end())):
            continue
        letters = m.group(1).lower()
        if letters in _INLINE_EXCLUDED:
            continue
        p = _p(letters + m.group(2))
        if p is None:
            continue
        if _latin_neighbour(text, m.start(), -1) or _latin_neighbour(text, m.end() - 1, 1):
            continue
        scan.inline.append((m.start(), m.end(), p))


def _latin_neighbour(text: str, i: int, step: int) -> bool:
    k = i + step
    while 0 <= k < len(text) and text[k] == " ":
        k += step
    return 0 <= k < len(text) and text[k].isascii() and text[k].isalpha()
