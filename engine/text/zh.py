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

Bracketed / inline overrides are taken literally: they are never re-sandhied
(but they are context for their neighbours).  Glossary readings replace the
dictionary; tone sandhi (3-3, 一, 不) still applies to them, the neutral-tone
rules do not.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from engine.text.dict_cache import load_dict, package_version
from engine.text.pinyin import ParsedPinyin, parse_syllable, split_syllables, to_tone_marks
from engine.text.units import TextError

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

log = logging.getLogger(__name__)

# Load CC-CEDICT phrase readings from pypinyin-dict when installed (neutral tones,
# extra words).  Costs about 1 s on the first call; set to False to skip.
USE_CEDICT = os.environ.get("DUBLINE_ZH_CEDICT", "1") != "0"

# --------------------------------------------------------------------------- characters


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


_NUMERIC_CHARS = set("零〇一二三四五六七八九十百千万亿两幺")
_DIGIT_CHARS = set("零〇一二三四五六七八九幺")
_MAGNITUDES = set("十百千万亿")
_NUMERAL_BEFORE_MEASURE = set("一二两三四五六七八九十几百千万每这那哪某半第")
_PARTICLES = set("吗呢吧啊呀哇啦嘛呗咯喽哒嘞呐")
_KINSHIP = set("妈爸哥姐弟妹爷奶姥婆公叔伯舅姑婶姨宝娃太")
_ZI_NOT_NEUTRAL = {
    "孔子", "老子", "孟子", "庄子", "墨子", "荀子", "韩非子", "君子", "天子", "太子", "弟子", "才子", "游子",
    "赤子", "男子", "女子", "分子", "原子", "电子", "质子", "中子", "离子", "粒子", "因子", "量子", "光子",
    "孢子", "瓜子", "莲子", "松子", "棋子", "卵子", "精子", "学子", "士子", "臣子", "诸子", "逆子", "独子",
    "长子", "次子", "母子", "父子", "妃子", "甲子", "仔子", "夫子", "内子", "犬子", "公子", "王子", "世子",
}
_NEUTRAL_LAST = {
    "麻烦", "骨头", "馒头", "衣服", "舒服", "朋友", "漂亮", "明白", "时候", "告诉", "喜欢", "认识", "意思",
    "事情", "先生", "学生", "眼睛", "耳朵", "脑袋", "地方", "豆腐", "葡萄", "萝卜", "玻璃", "窗户", "聪明",
    "糊涂", "清楚", "热闹", "暖和", "结实", "老实", "客气", "关系", "故事", "消息", "休息", "月亮", "太阳",
    "名字", "头发", "石头", "木头", "枕头", "指头", "舌头", "尾巴", "嘴巴", "哑巴", "家伙", "打扮", "打听",
    "打算", "商量", "招呼", "答应", "吩咐", "收拾", "琢磨", "折腾", "委屈", "姑娘", "媳妇", "师傅", "师父",
    "大夫", "队伍", "那么", "这么", "怎么", "什么", "多么", "这个", "那个", "哪个", "东西", "谢谢", "部分",
    "亲戚", "钥匙", "算盘", "规矩", "厉害", "困难", "心思", "动静", "地道", "别人", "窝囊", "疙瘩", "护士",
}
_DIRECTIONAL_HEAD = set("上下进出回过起开")
_GUO_VERBS = set("去吃看听见做来到说用玩试想学写读住买坐哭爱有干喝打唱聊碰")
_AA_VERBS = set("看想试说听走问尝找写读教等聊玩猜歇坐动摸揉洗练学查算数抱亲笑跳逛转讲比闻瞧拍")
_DEGREE_ADVERBS = set("很太真最更多好挺蛮较极超特非么")
_PRONOUNS = set("我你他她它您")
#: one-character verbs jieba's single tag gets wrong (换 is tagged nz)
_COMMON_VERBS = set("换走去来做买卖拿说看找吃喝想写改跑回等给带送叫问开关用学")
#: 还 huán before a pronoun when one of these comes first (再还我, 快还你, 不还他)
_HUAN_BEFORE = set("再要快先没去来得不会能该就把") | _PRONOUNS
#: verbs after which X为 reads wéi, "as" (选他为队长, 立她为后)
_WEI_VERBS = set("选称任拜封立奉推评定")
#: what follows the verb 种 zhòng (种了, 种树, 种下)
_ZHONG_VERB_NEXT = set("了过着下树花草菜地田瓜豆苗")
#: dictionary readings that are wrong in the packaged dictionaries
_PHRASE_FIXES = {
    "不得了": "bu4 de2 liao3",
    "少不了": "shao3 bu5 liao3",
}
# Classifier use: 行 after a numeral is háng (一行字, 第三行) unless followed by 人.
_HANG_MEASURE_RE = re.compile(r"[一二两三四五六七八九十几每这那哪第]行")


# --------------------------------------------------------------------------- lazy resources

_lock = threading.Lock()
_state: dict[str, object] = {}


def _jieba():
    """The jieba tokenizer, initialised once (quietly).

    Words come from ``jieba.lcut`` (as in misaki, so spaces fall where Kokoro saw
    them in training); part-of-speech tags from jieba's dictionary.  The
    frequency table comes from our chunked cache (engine/text/dict_cache.py), so
    loading it does not freeze the editor's GUI thread.
    """
    tok = _state.get("jieba")
    if tok is None:
        with _lock:
            tok = _state.get("jieba")
            if tok is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                dt = jieba.dt
                if not dt.initialized:

                    def build():
                        dt.initialize()
                        return dt.FREQ

                    freq = load_dict("jieba-freq", f"jieba {package_version('jieba')} {dt.dictionary}", build)
                    with dt.lock:
                        if not dt.initialized:
                            dt.FREQ, dt.total = freq, sum(freq.values())
                            dt.initialized = True

                def tags():  # word -> part of speech, from the dictionary jieba.posseg reads
                    out = {}
                    with dt.get_dict_file() as f:
                        for raw in f:
                            parts = raw.strip().decode("utf-8").split(" ")
                            if len(parts) == 3:
                                out[parts[0]] = parts[2]
                    return out

                # (importing jieba.posseg would also unmarshal its HMM tables, which we do not use)
                _state["jieba_tags"] = load_dict("jieba-tags", f"jieba {package_version('jieba')} {dt.dictionary}",
                                                 tags)
                _state["jieba_freq"] = dt.FREQ
                tok = dt
                _state["jieba"] = tok
    return tok


def _phrase_dicts() -> tuple[Mapping[str, list], Mapping[str, list]]:
    d = _state.get("phrases")
    if d is None:
        with _lock:
            d = _state.get("phrases")
            if d is None:

                def pypinyin_phrases():
                    from pypinyin.phrases_dict import phrases_dict

                    return phrases_dict

                base = load_dict("pypinyin-phrases", f"pypinyin {package_version('pypinyin')}", pypinyin_phrases)
                extra: Mapping[str, list] = {}
                if USE_CEDICT:

                    def cedict():
                        from pypinyin_dict.phrase_pinyin_data import cc_cedict

                        return cc_cedict.phrases_dict

                    try:
                        extra = load_dict("cc-cedict-phrases", f"pypinyin-dict {package_version('pypinyin-dict')}",
                                          cedict)
                    except ImportError:  # optional
                        log.info("pypinyin-dict not installed; using pypinyin phrases only")
                d = (base, extra)
                _state["phrases"] = d
    return d  # type: ignore[return-value]


def _char_dict() -> Mapping[int, str]:
    """pypinyin's readings per character (code point -> "háng,xíng,..."), from our chunked cache."""
    d = _state.get("chars")
    if d is None:
        with _lock:
            d = _state.get("chars")
            if d is None:

                def pypinyin_chars():
                    from pypinyin.pinyin_dict import pinyin_dict

                    return pinyin_dict

                d = load_dict("pypinyin-chars", f"pypinyin {package_version('pypinyin')}", pypinyin_chars)
                _state["chars"] = d
    return d


def char_readings(ch: str) -> list[str]:
    """Dictionary readings of one character in tone marks, most common first ([] if unknown)."""
    readings = _char_dict().get(ord(ch)) if len(ch) == 1 else None
    return list(dict.fromkeys(readings.split(","))) if readings else []


def _reading_counts() -> Mapping[int, str]:
    """Readings of each character that pypinyin's phrase dictionary uses at least twice
    (code point -> "xíng,háng"), most used first; built once, then read from the chunked cache."""
    d = _state.get("reading_counts")
    if d is None:
        phrases, _extra = _phrase_dicts()  # before taking the lock: it takes it too
        with _lock:
            d = _state.get("reading_counts")
            if d is None:

                def build():
                    from collections import Counter

                    counts: Counter = Counter()
                    for word, readings in phrases.items():
                        for ch, r in zip(word, readings, strict=False):
                            counts[(ch, r[0] if isinstance(r, list) and r else r)] += 1
                    per_char: dict[int, list[tuple[int, str]]] = {}
                    for (ch, r), n in counts.items():
                        if n >= 2 and isinstance(r, str) and len(ch) == 1:
                            per_char.setdefault(ord(ch), []).append((n, r))
                    return {k: ",".join(r for _, r in sorted(v, reverse=True)) for k, v in per_char.items()}

                d = load_dict("pypinyin-reading-counts", f"pypinyin {package_version('pypinyin')}", build)
                _state["reading_counts"] = d
    return d


def common_readings(ch: str) -> list[str]:
    """The readings of a character worth offering (the pinyin helper's choices).

    The character dictionary lists archaic readings too (明 mèng, 去 qū), which
    made every line look full of polyphones; a reading counts here when real
    phrases use it (twice or more in pypinyin's phrase dictionary).  The
    dictionary's first reading is always kept.
    """
    every = char_readings(ch)
    used = _reading_counts().get(ord(ch)) if len(ch) == 1 else None
    used_set = set(used.split(",")) if used else set()
    return [r for i, r in enumerate(every) if i == 0 or r in used_set]


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


@lru_cache(maxsize=65536)
def _p(s: str) -> ParsedPinyin | None:
    try:
        return parse_syllable(s)
    except TextError:
        return None


@lru_cache(maxsize=65536)
def _char_reading(ch: str) -> ParsedPinyin | None:
    readings = _char_dict().get(ord(ch))
    if not readings:
        return None
    for r in readings.split(","):
        p = _p(r)
        if p is not None:
            return p
    return None


def _lexical(p: ParsedPinyin, ch: str) -> ParsedPinyin:
    """For a neutral-tone dictionary reading: the character's citation tone when it has the same syllable."""
    if p.tone != 5 or len(ch) != 1:
        return p
    c = _char_reading(ch)
    if c is not None and c.base == p.base and c.tone != 5:
        return p.with_tone(c.tone)
    return p


@lru_cache(maxsize=65536)
def _lookup(word: str) -> tuple[tuple[ParsedPinyin, bool], ...] | None:
    """Dictionary reading of a multi-character word (None when unknown).

    Each syllable is ``(lexical reading, spoken neutral?)``.
    """
    fix = _PHRASE_FIXES.get(word)
    if fix is not None:
        return tuple((p, p.tone == 5) for p in (_p(x) for x in fix.split()) if p is not None)
    base, extra = _phrase_dicts()
    b = base.get(word)
    e = extra.get(word) if extra else None
    raw: list[ParsedPinyin] = []
    if b is not None and len(b) == len(word):
        for i, opts in enumerate(b):
            p = _p(opts[0]) if opts else None
            if p is None:
                return None
            # CC-CEDICT knows which syllables are neutral in speech (衣服 yi1 fu5).
            if e is not None and len(e) == len(word) and p.tone != 5 and len(e[i]) == 1:
                q = _p(e[i][0])
                keep_33 = p.tone == 3 and i > 0 and raw[i - 1].tone == 3
                if q is not None and q.tone == 5 and q.base == p.base and not keep_33:
                    p = q
            raw.append(p)
    elif e is not None and len(e) == len(word):
        for opts in e:
            p = _p(opts[0]) if opts else None
            if p is None:
                return None
            raw.append(p)
    else:
        return None
    return tuple((_lexical(p, ch), p.tone == 5) for p, ch in zip(raw, word, strict=True))


def _in_jieba_dict(word: str) -> bool:
    _jieba()
    freq = _state["jieba_freq"]
    return bool(freq.get(word))  # type: ignore[union-attr]


# --------------------------------------------------------------------------- data types


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


# --------------------------------------------------------------------------- overrides


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
    taken = [False] * len(text)
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch in _CLOSERS:
            raise TextError(f"unbalanced bracket: '{ch}' without a matching '{_CLOSERS[ch]}'", i)
        if ch not in _BRACKETS:
            i += 1
            continue
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
            i = j + 1
            continue
        shown = f"{ch}{content.strip()}{close}"
        # syllables with their offsets (for error positions)
        syls: list[ParsedPinyin] = []
        for m in re.finditer(r"[^\s,'’]+", content):
            try:
                syls.append(parse_syllable(m.group()))
            except TextError as e:
                raise TextError(f"pinyin override {shown}: {e.message}", i + 1 + m.start()) from None
        # characters before the bracket, right to left
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
        for s, e, p in assigned:
            scan.fixed[s] = (e, p)
            for q in range(s, e):
                taken[q] = True
        scan.markup.append((i, j + 1))
        for q in range(i, j + 1):
            taken[q] = True
        i = j + 1
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
    return scan


def _latin_neighbour(text: str, i: int, step: int) -> bool:
    k = i + step
    while 0 <= k < len(text) and text[k] == " ":
        k += step
    return 0 <= k < len(text) and text[k].isascii() and text[k].isalpha()


# --------------------------------------------------------------------------- readings


def _single_char_rule(ch: str, default: ParsedPinyin, ctx: _Ctx, k: int) -> ParsedPinyin:
    """Context rules for polyphones read on their own (not covered by a dictionary word)."""
    prev = ctx.char(k - 1)
    nxt = ctx.char(k + 1)
    word = ctx.word_of(k)
    alone = len(word.text) == 1
    widx = ctx.word_index(k)
    prev_word = ctx.words[widx - 1] if widx > 0 else None
    next_word = ctx.words[widx + 1] if widx + 1 < len(ctx.words) else None
    pos = word.pos
    if ch == "得":
        if alone and next_word is not None and _is_verb(next_word) and (
            prev_word is None or prev_word.pos in ("r", "n", "nr", "d") or prev_word.text in ("还", "就", "也", "都", "必须", "总")
        ):
            return ParsedPinyin("dei", 3)
        if alone and nxt == "了" and prev_word is not None and prev_word.pos in ("r", "n", "nr"):
            return ParsedPinyin("de", 2)  # 他得了第一名: obtained (跑得了 stays de liǎo)
        if prev:
            return ParsedPinyin("de", 5)
        return ParsedPinyin("de", 2)
    if ch == "地" and alone:
        if prev_word is not None and (
            (len(prev_word.text) >= 2 and prev_word.pos[:1] in ("a", "b", "d", "z", "i", "l", "v"))
            or (len(prev_word.text) == 2 and prev_word.text[0] == prev_word.text[1])
        ):
            return ParsedPinyin("de", 5)
        return ParsedPinyin("di", 4)
    if ch == "长":
        if prev and prev in _DEGREE_ADVERBS or (nxt and nxt in "度久远短期条"):
            return ParsedPinyin("chang", 2)
        if nxt and nxt in "大高得着了成胖":
            return ParsedPinyin("zhang", 3)
        return ParsedPinyin("chang", 2)
    if ch == "只":
        if prev and prev in _NUMERAL_BEFORE_MEASURE:
            return ParsedPinyin("zhi", 1)
        return ParsedPinyin("zhi", 3)
    if ch == "行" and prev and prev in _NUMERAL_BEFORE_MEASURE and nxt != "人":
        return ParsedPinyin("hang", 2)
    if ch == "重" and nxt and nxt in "新来复做写建启逢申叠返播装温":
        return ParsedPinyin("chong", 2)
    if ch == "种":
        if prev and prev in _NUMERAL_BEFORE_MEASURE | set("各多"):
            return ParsedPinyin("zhong", 3)
        if pos.startswith("v") or (nxt and nxt in _ZHONG_VERB_NEXT):
            return ParsedPinyin("zhong", 4)
    if ch == "觉" and ("睡" in ctx.chars_before(k, 3) or (alone and (
            "睡" in _clause_before(ctx.text, k, 10) or (prev and prev in "个一午")))):
        return ParsedPinyin("jiao", 4)
    if ch == "为" and alone and any(c in _WEI_VERBS for c in ctx.chars_before(k, 3)):
        return ParsedPinyin("wei", 2)
    if ch == "教" and nxt and (nxt in "我你他她它们大" or (nxt == "教" and ctx.char(k + 2) in tuple("我你他她它们大"))):
        return ParsedPinyin("jiao", 1)
    if ch == "还" and nxt and (nxt in "钱书债款给清回" or (nxt in _PRONOUNS and prev and prev in _HUAN_BEFORE)):
        return ParsedPinyin("huan", 2)
    if ch == "数" and (prev == "一" and ctx.char(k - 2) == "数" or (nxt and nxt in "一到数了着过钱清不完")):
        return ParsedPinyin("shu", 3)
    if ch == "着" and not (nxt and nxt in "急火凉迷"):
        return ParsedPinyin("zhe", 5)
    if ch == "了" and (alone or k == ctx.word_end(k) - 1):
        return ParsedPinyin("le", 5)
    if ch == "过" and not alone and k == ctx.word_start(k) + 1 and prev in _GUO_VERBS:
        return ParsedPinyin("guo", 5)  # experiential 过: 去过 吃过 (but 穿过 chuān guò)
    if ch == "过" and alone and pos == "ug":
        return ParsedPinyin("guo", 5)
    return default


def _is_verb(word: _Word) -> bool:
    """A verb by jieba's tag, or (a word jieba does not tag, 换个) by its first character's."""
    if word.pos.startswith("v"):
        return True
    if word.pos == "x" and word.text:
        first = word.text[0]
        return first in _COMMON_VERBS or _state["jieba_tags"].get(first, "").startswith("v")
    return False


def _clause_before(text: str, k: int, n: int) -> str:
    """Up to ``n`` characters before ``k``, not across punctuation."""
    out = []
    for c in reversed(text[max(0, k - n) : k]):
        if not is_cjk(c):
            break
        out.append(c)
    return "".join(reversed(out))


@dataclass
class _Ctx:
    """Character-level view of one chunk with its jieba words."""

    text: str
    words: list[_Word]
    starts: list[int]  # start index of each word in text

    def char(self, k: int) -> str:
        return self.text[k] if 0 <= k < len(self.text) else ""

    def chars_before(self, k: int, n: int) -> str:
        return self.text[max(0, k - n) : k]

    def word_index(self, k: int) -> int:
        lo, hi = 0, len(self.starts) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if self.starts[mid] <= k:
                lo = mid
            else:
                hi = mid - 1
        return lo

    def word_of(self, k: int) -> _Word:
        return self.words[self.word_index(k)]

    def word_start(self, k: int) -> int:
        return self.starts[self.word_index(k)]

    def word_end(self, k: int) -> int:
        w = self.word_index(k)
        return self.starts[w] + len(self.words[w].text)


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
    for m in _HANG_MEASURE_RE.finditer(text):
        k = m.end() - 1
        r = readings[k]
        if r is not None and r[0].base == "xing" and ctx.char(k + 1) != "人" and ctx.char(k + 1):
            readings[k] = (ParsedPinyin("hang", 2), "dict", False)
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


def _apply_erhua(words: list[_Word]) -> None:
    for w in words:
        if len(w.text) < 2 or not w.text.endswith("儿") or w.text in _NOT_ERHUA or len(w.syls) < 2:
            continue
        last, prev = w.syls[-1], w.syls[-2]
        if last.chars != "儿" or last.fixed or prev.fixed or last.p.base != "er" or last.p.tone not in (2, 5):
            continue
        if prev.p.erhua or prev.p.base == "er":
            continue
        merged = ParsedPinyin(prev.p.base, prev.p.tone, True)
        prev.chars += last.chars
        prev.end = last.end
        prev.p = merged
        prev.items.extend(last.items)
        w.syls.pop()


_NOT_ERHUA = {
    "女儿", "儿女", "婴儿", "幼儿", "孤儿", "健儿", "胎儿", "少儿", "患儿", "男儿", "乞儿", "宠儿", "混血儿",
    "婴幼儿", "孙儿", "侄儿", "妻儿", "犬儿", "新生儿", "早产儿", "弃儿", "孩儿", "儿儿", "流浪儿", "优等生儿",
}


def _neutral_rules(words: list[_Word]) -> None:
    for w in words:
        syls = [s for s in w.syls if not s.fixed]
        if not syls or w.source in ("override", "glossary"):
            continue  # the user's readings are taken as given (tone sandhi still applies)
        text = w.text
        last = w.syls[-1]
        if last.fixed:
            continue
        ch = last.chars[-1]
        if ch in _PARTICLES:
            last.tone = 5
        elif ch == "的" and last.p.base == "de":
            last.tone = 5
        elif ch == "们" and len(text) >= 2:
            last.tone = 5
        elif ch == "子" and len(text) >= 2 and not w.in_dict and text not in _ZI_NOT_NEUTRAL and last.p.base == "zi":
            last.tone = 5
        elif text in _NEUTRAL_LAST and len(w.syls) == 2:
            last.tone = 5
        elif len(text) >= 2 and ch in "来去" and text[-2] in _DIRECTIONAL_HEAD and len(w.syls) >= 2:
            last.tone = 5
        # AA reduplication: kinship terms and verbs (妈妈, 看看, 想想)
        if len(text) == 2 and text[0] == text[1] and len(w.syls) == 2 and not w.syls[0].fixed:
            first = w.syls[0]
            verb = w.pos.startswith("v") or text[0] in _AA_VERBS
            if text[0] in _KINSHIP or verb:
                last.tone = 5
                if verb and first.p.tone == 3 and text[0] not in _KINSHIP:
                    first.tone = 2


def _lexical_next(syls: list[_Syl], i: int) -> int | None:
    if i + 1 < len(syls) and syls[i + 1].seg == syls[i].seg:
        nxt = syls[i + 1]
        if nxt.fixed:
            return nxt.tone
        if nxt.p.tone == 5 and len(nxt.chars) == 1:
            cr = _char_reading(nxt.chars)
            if cr is not None and cr.tone != 5:
                return cr.tone
        return nxt.p.tone
    return None


def _yi_bu_sandhi(syls: list[_Syl], words: list[_Word]) -> None:
    for i, s in enumerate(syls):
        if s.fixed or s.chars not in ("一", "不"):
            continue
        prev = syls[i - 1] if i > 0 and syls[i - 1].seg == s.seg else None
        nxt = syls[i + 1] if i + 1 < len(syls) and syls[i + 1].seg == s.seg else None
        next_tone = _lexical_next(syls, i)
        reduplication = prev is not None and nxt is not None and prev.chars == nxt.chars and is_cjk(prev.chars[0])
        if s.chars == "不" and s.p.base == "bu":
            dict_neutral = s.tone == 5
            s.p = ParsedPinyin("bu", 4)
            if reduplication or dict_neutral:
                s.tone = 5
            elif next_tone == 4:
                s.tone = 2
            else:
                s.tone = 4
            continue
        if s.chars != "一" or s.p.base != "yi":
            continue
        dict_neutral = s.tone == 5
        s.p = ParsedPinyin("yi", 1)
        s.tone = _yi_tone(s, prev, nxt, next_tone, reduplication, dict_neutral, words)


def _yi_tone(s: _Syl, prev: _Syl | None, nxt: _Syl | None, next_tone: int | None, redup: bool,
             dict_neutral: bool, words: list[_Word]) -> int:
    if redup or dict_neutral:
        return 5
    if s.numeric == "digits":
        return 1
    if nxt is None or next_tone is None:
        return 1
    if prev is not None and prev.chars == "第":
        return 1
    same_piece_prev = prev is not None and s.numeric and prev.piece == s.piece
    same_piece_next = s.numeric and nxt.piece == s.piece
    if prev is not None and prev.chars in _NUMERIC_CHARS and (same_piece_prev or not s.numeric):
        return 1  # 十一, 一百一十
    if nxt.chars in _DIGIT_CHARS or (nxt.chars == "点" and same_piece_next):
        return 1  # 一九八四, 一点五
    if s.numeric and not same_piece_next and s.numeric != "number":
        return 1  # closed readings: 百分之一, 1:30
    if nxt.chars in ("月",) and not s.numeric:
        return 1  # 一月
    if nxt.chars in ("号", "日") and prev is not None and prev.chars == "月":
        return 1
    w = words[s.word]
    if w.syls and w.syls[-1] is s and len(w.text) > 1 and nxt.word != s.word:
        return 1  # 统一 / 万一 / 唯一 at the end of a word
    return 2 if next_tone in (4, 5) else 4


def _split_word(w: _Word) -> list[list[_Syl]]:
    """Internal structure of a word for 3-3 sandhi (展览|馆, 小|老虎, 2+2 ...)."""
    syls = w.syls
    n = len(syls)
    if n <= 2:
        return [syls]
    if n == 3:
        if len(w.text) == 3 and _in_jieba_dict(w.text[:2]) and not _in_jieba_dict(w.text[1:]):
            return [syls[:2], syls[2:]]
        if len(w.text) == 3 and _in_jieba_dict(w.text[1:]):
            return [syls[:1], syls[1:]]
        return [syls[:2], syls[2:]]
    return [syls[i : i + 2] for i in range(0, n, 2)]


def _three_three(words: list[_Word]) -> None:
    """Cyclic 3-3 sandhi over short prosodic groups of words."""
    groups: list[list[_Word]] = []
    for w in words:
        if not w.syls:
            continue
        if groups and groups[-1][-1].syls[-1].seg == w.syls[0].seg:
            size = sum(len(x.syls) for x in groups[-1])
            if size + len(w.syls) <= 4 and len(w.syls) < 3:
                groups[-1].append(w)
                continue
        groups.append([w])
    for g in groups:
        # constituents: words (split internally), combined left to right
        parts = []
        for w in g:
            subs = _split_word(w)
            node: list[_Syl] = []
            for sub in subs:
                _junction_cycle(sub)
                if node:
                    _join(node, sub)
                node = node + sub
            parts.append(node)
        acc: list[_Syl] = []
        for part in parts:
            if acc:
                _join(acc, part)
            acc = acc + part


def _junction_cycle(syls: list[_Syl]) -> None:
    for i in range(len(syls) - 1):
        _join(syls[: i + 1], syls[i + 1 :])


def _join(left: list[_Syl], right: list[_Syl]) -> None:
    a, b = left[-1], right[0]
    if a.tone == 3 and b.tone == 3 and not a.fixed:
        a.tone = 2


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
