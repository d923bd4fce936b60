"""What happens to readings in connected speech, after each word has its dictionary reading:
erhua (儿 closing 哪儿 / 玩儿 merges into the syllable before), neutral tones (particles, 们, suffix 子,
kinship and verb reduplication, fixed words), 一 and 不 sandhi, and cyclic 3-3 sandhi over short
prosodic groups following the word structure (展览馆 -> zhan2 lan2 guan3, 小老虎 -> xiao3 lao2 hu3).
User overrides are never changed; they are context for their neighbours.
"""

from __future__ import annotations

from engine.text.pinyin import ParsedPinyin
from engine.text.zh_dicts import _char_reading, _in_jieba_dict
from engine.text.zh_polyphones import (
    _AA_VERBS,
    _DIGIT_CHARS,
    _DIRECTIONAL_HEAD,
    _KINSHIP,
    _NEUTRAL_LAST,
    _NUMERIC_CHARS,
    _PARTICLES,
    _ZI_NOT_NEUTRAL,
)
from engine.text.zh_types import _Syl, _Word, is_cjk


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
