"""Mandarin G2P: characters -> spoken pinyin syllables.

Pipeline for one run of Chinese characters (see :func:`convert`):

1. hard chunks: whitespace breaks, glossary terms (longest match first) and
   inline ``XING2`` overrides are words of their own;
2. the rest is segmented by jieba (with part-of-speech tags);
3. readings: a multi-character word found in the phrase dictionaries (pypinyin,
   plus CC-CEDICT from pypinyin-dict for neutral tones and coverage) is read as
   a whole; inside longer unknown words the phrase dictionaries are matched
   greedily; characters left over are read alone with context rules for the
   common polyphones (还钱 得 地 长 只 行 重 种 觉 教 数 ...);
4. erhua: 儿 closing a word such as 哪儿 / 玩儿 merges into the previous syllable;
5. neutral tones (particles, 们, suffix 子, kinship AA terms, AA verbs ...);
6. 一 and 不 sandhi, then 3-3 sandhi over short prosodic groups (cyclically,
   following the word structure: 展览馆 -> zhan2 lan2 guan3, 小老虎 -> xiao3 lao2 hu3).

Where each part lives: the dictionaries and their lookups in
:mod:`engine.text.zh_dicts`, inline overrides in :mod:`engine.text.zh_overrides`,
the single-character polyphone rules in :mod:`engine.text.zh_polyphones`, steps
4-6 in :mod:`engine.text.zh_sandhi`, the working types in
:mod:`engine.text.zh_types`; this module segments, reads and puts it together.

Bracketed / inline overrides are taken literally: they are never re-sandhied
(but they are context for their neighbours).  Glossary readings replace the
dictionary; tone sandhi (3-3, 一, 不) still applies to them, the neutral-tone
rules do not.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

from engine.text.pinyin import ParsedPinyin, parse_syllable, split_syllables, to_tone_marks
from engine.text.units import TextError
from engine.text.zh_dicts import (  # noqa: F401 (char_readings, common_readings: re-exported)
    _char_dict,
    _char_reading,
    _jieba,
    _lexical,
    _lookup,
    _phrase_dicts,
    _reading_counts,
    _state,
    char_readings,
    common_readings,
)
from engine.text.zh_overrides import OverrideScan, parse_overrides  # noqa: F401 (re-exported)
from engine.text.zh_polyphones import _Ctx, _single_char_rule
from engine.text.zh_sandhi import _apply_erhua, _neutral_rules, _three_three, _yi_bu_sandhi
from engine.text.zh_types import ZhItem, ZhSyllable, _Syl, _Word, is_cjk

__all__ = [
    "Glossary",
    "OverrideScan",
    "ZhItem",
    "ZhSyllable",
    "compile_glossary",
    "char_readings",
    "convert",
    "dictionary_readings",
    "is_cjk",
    "parse_overrides",
    "pinyin_of",
    "warm_up",
]

# Classifier use: 行 after a numeral is háng (一行字, 第三行) unless followed by 人.
_HANG_MEASURE_RE = re.compile(r"[一二两三四五六七八九十几每这那哪第]行")
# 调 tiáo "to adjust" before a result complement (调低 调大 调成静音 调好), where the phrase
# dictionaries read 调低 diào dī; 调 must begin its word (空调好 keeps the word 空调).
_TIAO_RE = re.compile(r"调(?=[低高小大成好匀准慢快亮暗轻])")
# 地 de after an adverbial that jieba joined with 点 into 地点 "place": 认真地点了点头.
_DE_DIAN_RE = re.compile(r"地点(?=[了头着])")


def warm_up() -> None:
    """Load jieba and the dictionaries now instead of on the first line."""
    _jieba()
    _phrase_dicts()
    _char_dict()
    _reading_counts()
    convert([ZhItem("你", 0, 1), ZhItem("好", 1, 2)])
    # The tables are alive for good: keep the collector from walking them again and
    # again (each full collection would hold the GIL for tens of milliseconds).
    import gc

    gc.freeze()


# --------------------------------------------------------------------------- glossary


@dataclass(frozen=True)
class Glossary:
    """Compiled user glossary: term -> readings (one per character, erhua may cover 2)."""

    entries: Mapping[str, tuple[ParsedPinyin, ...]]
    max_len: int

    def match(self, chars: Sequence[str], i: int, allowed: Sequence[bool]) -> tuple[str, tuple[ParsedPinyin, ...]] | None:
        n = len(chars)
        for length in range(min(self.max_len, n - i), 0, -1):
            if not all(allowed[i : i + length]):
                continue
            term = "".join(chars[i : i + length])
            r = self.entries.get(term)
            if r is not None:
                return term, r
        return None


def _consume(term_chars: Sequence[str], syls: Sequence[ParsedPinyin]) -> list[tuple[int, int]] | None:
    """Assign syllables to characters (left to right); erhua 'nar' may take X+儿."""
    spans = []
    i = 0
    for k, p in enumerate(syls):
        if i >= len(term_chars):
            return None
        remaining_syls = len(syls) - k - 1
        if p.erhua and i + 1 < len(term_chars) and term_chars[i + 1] == "儿" and len(term_chars) - (i + 2) >= remaining_syls:
            spans.append((i, i + 2))
            i += 2
        else:
            spans.append((i, i + 1))
            i += 1
    return spans if i == len(term_chars) else None


def compile_glossary(glossary: Mapping[str, str] | None) -> Glossary | None:
    """Validate and compile a glossary ``{term: "chóng qìng" | "chong2 qing4"}``."""
    if not glossary:
        return None
    try:
        key = frozenset(glossary.items())
    except TypeError:
        key = None
    if key is not None:
        return _compile_glossary_cached(key)
    return _compile_glossary(dict(glossary))


@lru_cache(maxsize=32)
def _compile_glossary_cached(items: frozenset) -> Glossary:
    return _compile_glossary(dict(items))


def _compile_glossary(glossary: dict) -> Glossary:
    entries: dict[str, tuple[ParsedPinyin, ...]] = {}
    for term, reading in glossary.items():
        if not isinstance(term, str) or not isinstance(reading, str):
            raise TextError(f"glossary entries must be text: {term!r}={reading!r}")
        t = unicodedata.normalize("NFC", term.strip())
        if not t:
            raise TextError("glossary has an empty term")
        parts = split_syllables(reading)
        if not parts:
            raise TextError(f"glossary entry {t}: empty reading")
        syls = []
        for part in parts:
            try:
                syls.append(parse_syllable(part))
            except TextError as e:
                raise TextError(f"glossary entry {t}={reading}: {e.message}") from None
        if _consume(list(t), syls) is None:
            n = len(syls)
            raise TextError(
                f"glossary entry {t}={reading}: {n} syllable{'s' if n != 1 else ''} "
                f"for {len(t)} character{'s' if len(t) != 1 else ''}"
            )
        entries[t] = tuple(syls)
    return Glossary(entries, max(len(t) for t in entries))


# --------------------------------------------------------------------------- readings


def _read_chunk(items: Sequence[ZhItem], seg: int, word_base: int) -> list[_Word]:
    """Segment one chunk of plain characters (some possibly bracket-fixed) and read it."""
    text = "".join(it.text for it in items)
    tok = _jieba()
    tags = _state["jieba_tags"]
    pairs = [(w, tags.get(w, "x")) for w in tok.lcut(text)]  # type: ignore[union-attr]
    words: list[_Word] = []
    starts: list[int] = []
    pos = 0
    for w, flag in pairs:
        starts.append(pos)
        words.append(_Word(w, flag, [], "jieba"))
        pos += len(w)
    ctx = _Ctx(text, words, starts)
    readings: list[tuple[ParsedPinyin, str, bool] | None] = [None] * len(text)
    # 1. whole dictionary words
    for w, st in zip(words, starts, strict=True):
        if len(w.text) > 1:
            r = _lookup(w.text)
            if r is not None:
                w.in_dict = True
                for i, (p, neutral) in enumerate(r):
                    readings[st + i] = (p, "dict", neutral)
    # 2. inside a longer word the dictionaries do not know (跑得快, 小老虎): greedy
    #    longest phrases.  Never across jieba's word boundaries: jieba splitting
    #    我/都/会 is better evidence than the phrase 都会 (dū huì).
    for w, st in zip(words, starts, strict=True):
        if len(w.text) < 3 or w.in_dict:
            continue
        i, end = st, st + len(w.text)
        while i < end:
            hit = None
            for length in range(min(6, end - i), 1, -1):
                r = _lookup(text[i : i + length])
                if r is not None:
                    hit = r
                    break
            if hit is None:
                i += 1
                continue
            for j, (p, neutral) in enumerate(hit):
                readings[i + j] = (p, "dict", neutral)
            i += len(hit)
    # 3. single characters with context rules
    for k, ch in enumerate(text):
        if readings[k] is None:
            p = _char_reading(ch)
            if p is not None:
                p = _single_char_rule(ch, p, ctx, k)
                readings[k] = (_lexical(p, ch), "char", p.tone == 5)
    # 4. contextual fixes that beat the dictionary
    _context_fixes(ctx, readings)
    # build syllables
    for wi, (w, st) in enumerate(zip(words, starts, strict=True)):
        for i in range(len(w.text)):
            item = items[st + i]
            r = readings[st + i]
            neutral = False
            if item.fixed is not None:
                p, source = item.fixed, "override"
            elif r is None:
                continue  # no reading known: silent
            else:
                p, source, neutral = r
            w.syls.append(
                _Syl(item.text, item.src_start, item.src_end, p, 5 if neutral else p.tone, source, word_base + wi,
                     seg, w.pos, item.numeric, item.piece, [item])
            )
    return words


def _context_fixes(ctx: _Ctx, readings: list) -> None:
    """Readings that beat the dictionaries' (行 háng after a numeral, 调 tiáo before a result, 地 de in
    认真地点了), written into ``readings`` in place."""
    text, words = ctx.text, ctx.words
    for m in _HANG_MEASURE_RE.finditer(text):
        k = m.end() - 1
        r = readings[k]
        if r is not None and r[0].base == "xing" and ctx.char(k + 1) != "人" and ctx.char(k + 1):
            readings[k] = (ParsedPinyin("hang", 2), "dict", False)
    for m in _TIAO_RE.finditer(text):
        k = m.start()
        if ctx.word_start(k) == k:
            readings[k] = (ParsedPinyin("tiao", 2), "dict", False)
    for m in _DE_DIAN_RE.finditer(text):
        k, wi = m.start(), ctx.word_index(m.start())
        before = words[wi - 1] if wi > 0 and ctx.word_start(k) == k else None
        if before is not None and len(before.text) >= 2 and before.pos[:1] in ("a", "d", "z"):
            readings[k] = (ParsedPinyin("de", 5), "dict", True)


# --------------------------------------------------------------------------- entry points


def convert(items: Sequence[ZhItem], glossary: Glossary | None = None) -> list[list[ZhSyllable]]:
    """Read a run of Chinese characters.  Returns words, each a list of syllables."""
    if not items:
        return []
    words: list[_Word] = []
    seg = 0
    chunk: list[ZhItem] = []

    def flush() -> None:
        if chunk:
            words.extend(_read_chunk(chunk, seg, len(words)))
            chunk.clear()

    chars = [it.text for it in items]
    allowed = [it.fixed is None and len(it.text) == 1 and is_cjk(it.text) for it in items]
    i = 0
    while i < len(items):
        it = items[i]
        if it.boundary_before and i > 0:
            flush()
            seg += 1
        if len(it.text) != 1 or not is_cjk(it.text):
            # inline override token (XING2) or an erhua override covering X儿
            flush()
            if it.fixed is not None:
                s = _Syl(it.text, it.src_start, it.src_end, it.fixed, it.fixed.tone, "override", len(words), seg,
                         items=[it])
                words.append(_Word(it.text, "x", [s], "override"))
            i += 1
            continue
        hit = glossary.match(chars, i, allowed) if glossary is not None else None
        if hit is not None and not any(items[q].boundary_before for q in range(i + 1, i + len(hit[0]))):
            flush()
            term, readings = hit
            spans = _consume(list(term), readings)
            assert spans is not None
            w = _Word(term, "n", [], "glossary", in_dict=True)
            for (a, b), p in zip(spans, readings, strict=True):
                its = list(items[i + a : i + b])
                w.syls.append(_Syl("".join(x.text for x in its), its[0].src_start, its[-1].src_end, p, p.tone,
                                   "glossary", len(words), seg, "n", its[0].numeric, its[0].piece, its))
            words.append(w)
            i += len(term)
            continue
        chunk.append(it)
        i += 1
    flush()

    for wi, w in enumerate(words):
        for s in w.syls:
            s.word = wi
    _apply_erhua(words)
    _neutral_rules(words)
    flat = [s for w in words for s in w.syls]
    _yi_bu_sandhi(flat, words)
    _three_three(words)

    out: list[list[ZhSyllable]] = []
    for w in words:
        if not w.syls:
            continue
        out.append([
            ZhSyllable(s.chars, s.start, s.end, s.p.with_tone(s.tone), s.p.tone, s.fixed) for s in w.syls
        ])
    return out


def items_from_text(text: str, offset: int = 0) -> list[ZhItem]:
    """Plain items for the CJK characters of ``text`` (anything else is a word break)."""
    items: list[ZhItem] = []
    brk = False
    for i, ch in enumerate(text):
        if is_cjk(ch):
            items.append(ZhItem(ch, offset + i, offset + i + 1, boundary_before=brk))
            brk = False
        else:
            brk = True
    return items


def dictionary_readings(text: str) -> dict[int, str]:
    """The reading the engine picks for each Chinese character of ``text`` (index -> tone marks),
    before tone sandhi: the form an override like ``行[háng]`` names."""
    out: dict[int, str] = {}
    for word in convert(items_from_text(text)):
        for s in word:
            if s.src_end - s.src_start == 1:
                out[s.src_start] = to_tone_marks(s.spoken.with_tone(s.lexical_tone))
    return out


def pinyin_of(text: str, glossary: Mapping[str, str] | None = None, marks: bool = False) -> list[str]:
    """Spoken pinyin of the Chinese characters in ``text`` (``"你好"`` -> ``["ni2", "hao3"]``).

    No number reading and no inline overrides: use :func:`engine.text.frontend.text_to_units`
    for full lines.  ``marks=True`` returns tone-mark spellings.
    """
    words = convert(items_from_text(text), compile_glossary(glossary))
    out = [s.spoken for w in words for s in w]
    return [to_tone_marks(p) if marks else p.numbered for p in out]
