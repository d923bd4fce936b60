"""Text front end: one line of (Mandarin / English / mixed) text -> units.

    units = text_to_units("出发[fā chū]吧！Let's go.")
    phonemes = units_to_phonemes(units)

Steps: inline pinyin overrides are parsed from the raw text (their markup makes
no sound); the line is cut into Chinese runs, English runs, punctuation and
ignorable symbols (emoji etc.); numbers are read in Chinese next to Chinese
and left to the English G2P inside English; Chinese runs go through
:mod:`engine.text.zh` (one unit per syllable, a space unit between jieba
words, as misaki's legacy Mandarin does); punctuation becomes ``pause`` units
with Kokoro's symbols.  Every unit's span indexes the raw input text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from engine.text.pinyin import make_syllable
from engine.text.units import TextError, Unit
from engine.text.zh import ZhItem, compile_glossary, convert, is_cjk, parse_overrides
from engine.text.zh_normalize import Expr, scan_numbers

__all__ = ["TextError", "split_runs", "text_to_units", "units_to_phonemes", "warm_up"]

# punctuation -> (Kokoro symbol, space before, space after, glue to previous)
_PUNCT: dict[str, tuple[str, bool, bool, bool]] = {}
for _chars, _spec in (
    ("，、,", (",", False, True, True)),
    ("。．.｡", (".", False, True, True)),
    ("！!", ("!", False, True, True)),
    ("？?", ("?", False, True, True)),
    ("：:", (":", False, True, True)),
    ("；;", (";", False, True, True)),
    ("…⋯", ("…", False, True, True)),
    ("—―", ("—", False, True, True)),
    ("“「『《«〈【‘〔", ("“", True, False, False)),
    ("”」』》»〉】’〕", ("”", False, True, True)),
    ("（(", ("(", True, False, False)),
    ("）)", (")", False, True, True)),
    ('"', ('"', False, False, False)),
):
    for _c in _chars:
        _PUNCT[_c] = _spec

_LATIN_RE = re.compile(r"[A-Za-zÀ-ÖØ-öø-ɏ]+(?:['’\-][A-Za-zÀ-ÖØ-öø-ɏ]+)*")
_ASCII_INNER = set("!\"#&'()*+,-./:;<=>?@[\\]^_`{|}~’")  # may sit between English words


def _english():
    """The English G2P (engine/text/en.py, written separately); cached."""
    g = _EN_CACHE.get("g2p")
    if g is None:
        try:
            from engine.text.en import EnglishG2P  # type: ignore[import-not-found]
        except ImportError:
            g = False
        else:
            g = EnglishG2P()
        _EN_CACHE["g2p"] = g
    return g


_EN_CACHE: dict[str, object] = {}


# --------------------------------------------------------------------------- tokens


@dataclass
class _Tok:
    kind: str  # han fixed num latin space punct other
    start: int
    end: int
    expr: Expr | None = None
    fixed: object = None  # ParsedPinyin for "fixed"
    lang: str = ""  # for num: "zh" / "en"


@dataclass
class Run:
    """A piece of the line: ``kind`` is "zh", "en", "punct", "space" or "other"."""

    kind: str
    start: int
    end: int
    tokens: list[_Tok] = field(default_factory=list)


def _tokenize(text: str, scan) -> list[_Tok]:
    n = len(text)
    skip = [False] * n
    for s, e in scan.markup:
        for q in range(s, e):
            skip[q] = True
    inline = {s: (e, p) for s, e, p in scan.inline}
    masked = list(text)
    for q in range(n):
        if skip[q]:
            masked[q] = "\x00"
    for s, (e, _p) in inline.items():
        for q in range(s, e):
            masked[q] = "\x00"
    exprs = {x.start: x for x in scan_numbers("".join(masked))}

    toks: list[_Tok] = []
    i = 0
    while i < n:
        if skip[i]:
            i += 1
            continue
        if i in inline:
            e, p = inline[i]
            toks.append(_Tok("fixed", i, e, fixed=p))
            i = e
            continue
        if i in exprs:
            x = exprs[i]
            toks.append(_Tok("num", i, x.end, expr=x))
            i = x.end
            continue
        ch = text[i]
        if i in scan.fixed:
            e, p = scan.fixed[i]
            toks.append(_Tok("fixed" if e - i > 1 else "han", i, e, fixed=p))
            i = e
            continue
        if is_cjk(ch):
            toks.append(_Tok("han", i, i + 1))
            i += 1
            continue
        if ch.isascii() and ch.isalpha() or ("À" <= ch <= "ɏ" and ch.isalpha()):
            m = _LATIN_RE.match(text, i)
            if m:
                toks.append(_Tok("latin", i, m.end()))
                i = m.end()
                continue
        if ch.isspace():
            j = i
            while j < n and text[j].isspace() and not skip[j]:
                j += 1
            toks.append(_Tok("space", i, j))
            i = j
            continue
        if ch in _PUNCT:
            sym = _PUNCT[ch][0]
            j = i + 1
            if sym in ("…", "—", ".", "!", "?"):
                while j < n and not skip[j] and text[j] in _PUNCT and _PUNCT[text[j]][0] == sym:
                    j += 1
            toks.append(_Tok("punct", i, j))
            i = j
            continue
        toks.append(_Tok("other", i, i + 1))
        i += 1
    return toks


def _decide_number_languages(text: str, toks: list[_Tok]) -> None:
    has_cjk = any(t.kind in ("han", "fixed") for t in toks)
    has_latin = any(t.kind == "latin" for t in toks)
    zh_kinds = ("han", "fixed")
    for k, t in enumerate(toks):
        if t.kind != "num":
            continue
        prev_glued = toks[k - 1] if k > 0 and toks[k - 1].end == t.start else None
        next_glued = toks[k + 1] if k + 1 < len(toks) and toks[k + 1].start == t.end else None
        left = _neighbour(toks, k, -1)
        right = _neighbour(toks, k, 1)
        if prev_glued is not None and prev_glued.kind == "latin":
            t.lang = "en"  # MP3, Win10
        elif any(x is not None and x.kind in zh_kinds for x in (left, right)):
            t.lang = "zh"
        elif next_glued is not None and next_glued.kind == "latin":
            t.lang = "zh" if has_cjk else "en"  # 5G网络 / 5G network
        elif any(x is not None and x.kind == "latin" for x in (left, right)):
            t.lang = "en"
        elif left is not None and left.kind == "num" and left.lang == "en":
            t.lang = "en"
        else:
            t.lang = "zh" if (has_cjk or not has_latin) else "en"
        # An expression with Chinese in its reading context stays Chinese.
        if t.lang == "en" and any(is_cjk(c) for c in text[t.start : t.end]):
            t.lang = "zh"


def _neighbour(toks: list[_Tok], k: int, step: int) -> _Tok | None:
    j = k + step
    while 0 <= j < len(toks) and toks[j].kind in ("space", "other"):
        j += step
    if 0 <= j < len(toks) and toks[j].kind != "punct":
        return toks[j]
    return None


def _is_zh(t: _Tok) -> bool:
    return t.kind in ("han", "fixed") or (t.kind == "num" and t.lang == "zh")


def _is_en(t: _Tok) -> bool:
    return t.kind == "latin" or (t.kind == "num" and t.lang == "en")


def _ascii_inner(text: str, t: _Tok) -> bool:
    if t.kind == "space":
        return True
    if t.kind in ("punct", "other"):
        return all(c in _ASCII_INNER for c in text[t.start : t.end])
    return False


def split_runs(text: str, scan=None) -> list[Run]:
    """Cut a line into Chinese / English runs, punctuation, spaces and ignorable symbols."""
    if scan is None:
        scan = parse_overrides(text)
    toks = _tokenize(text, scan)
    _decide_number_languages(text, toks)
    runs: list[Run] = []
    k = 0
    while k < len(toks):
        t = toks[k]
        if _is_zh(t):
            j = k
            last = k
            while j + 1 < len(toks) and (_is_zh(toks[j + 1]) or toks[j + 1].kind in ("space", "other")):
                j += 1
                if _is_zh(toks[j]):
                    last = j
            runs.append(Run("zh", t.start, toks[last].end, toks[k : last + 1]))
            k = last + 1
            continue
        if _is_en(t):
            j = k
            last = k
            while j + 1 < len(toks) and (_is_en(toks[j + 1]) or _ascii_inner(text, toks[j + 1])):
                j += 1
                if _is_en(toks[j]):
                    last = j
            runs.append(Run("en", t.start, toks[last].end, toks[k : last + 1]))
            k = last + 1
            continue
        runs.append(Run(t.kind, t.start, t.end, [t]))
        k += 1
    return runs


# --------------------------------------------------------------------------- units


@dataclass
class _Elem:
    units: list[Unit]
    start: int
    end: int
    content: bool
    space_before: bool = False
    space_after: bool = False
    glue_before: bool = False  # never a space before (closing marks)
    glue_after: bool = False  # never a space after (opening marks)


def _zh_units(text: str, run: Run, glossary) -> list[Unit]:
    items: list[ZhItem] = []
    brk = False
    piece_id = 0
    for t in run.tokens:
        if t.kind in ("space", "other"):
            brk = True
            continue
        if t.kind == "han":
            items.append(ZhItem(text[t.start], t.start, t.end, fixed=t.fixed, boundary_before=brk))  # type: ignore[arg-type]
        elif t.kind == "fixed":
            items.append(ZhItem(text[t.start : t.end], t.start, t.end, fixed=t.fixed, boundary_before=brk))  # type: ignore[arg-type]
        elif t.kind == "num":
            assert t.expr is not None
            first = True
            for pc in t.expr.pieces:
                piece_id += 1
                kind = None if pc.kind == "text" else pc.kind
                for c in pc.text:
                    items.append(ZhItem(c, pc.src_start, pc.src_end, numeric=kind, piece=piece_id,
                                        boundary_before=brk and first))
                    first = False
        brk = False
    words = convert(items, glossary)
    units: list[Unit] = []
    prev_end = None
    for w in words:
        if units:
            a, b = prev_end, w[0].src_start
            gap_ws = a is not None and a <= b and text[a:b].strip() == "" and a < b
            s, e = (a, b) if gap_ws else (b, b)
            units.append(Unit("space", " ", s, e, " "))
        for syl in w:
            phonemes, rec = make_syllable(syl.spoken, syl.spoken.tone, syl.lexical_tone)
            units.append(Unit("zh", syl.text, syl.src_start, syl.src_end, phonemes, (rec,)))
        prev_end = w[-1].src_end
    return units


def _en_units(text: str, run: Run) -> list[Unit]:
    g2p = _english()
    if not g2p:
        raise TextError(
            f"English text {text[run.start:run.end]!r} is not supported yet (no English G2P installed)",
            run.start,
        )
    units = list(g2p.units(text[run.start : run.end], run.start))
    while units and units[0].kind == "space":
        units.pop(0)
    while units and units[-1].kind == "space":
        units.pop()
    return units


def text_to_units(text: str, glossary: Mapping[str, str] | None = None) -> list[Unit]:
    """Turn one line into units (Kokoro phonemes + raw-text spans).

    Raises :class:`TextError` (with a raw-text position where there is one) for
    nothing to say, bad pinyin overrides and invalid glossary entries.
    """
    if not isinstance(text, str):
        raise TextError(f"text must be a string, not {type(text).__name__}")
    gl = compile_glossary(glossary)
    scan = parse_overrides(text)
    elems: list[_Elem] = []
    for run in split_runs(text, scan):
        if run.kind == "zh":
            us = _zh_units(text, run, gl)
            if us:
                elems.append(_Elem(us, run.start, run.end, True))
        elif run.kind == "en":
            us = _en_units(text, run)
            if us:
                elems.append(_Elem(us, run.start, run.end, True))
        elif run.kind == "punct":
            ch = text[run.start]
            sym, sb, sa, glue = _PUNCT[ch]
            if sym == "." and run.end - run.start >= 2:  # "..." is an ellipsis
                sym = "…"
            u = Unit("pause", text[run.start : run.end], run.start, run.end, sym)
            elems.append(_Elem([u], run.start, run.end, False, sb, sa, glue_before=glue, glue_after=not sa and sb))
    units: list[Unit] = []
    for i, el in enumerate(elems):
        if i > 0:
            a = elems[i - 1]
            want = a.space_after or el.space_before or (a.content and el.content)
            if want and not a.glue_after and not el.glue_before:
                gap = text[a.end : el.start]
                s, e = (a.end, el.start) if gap and not gap.strip() else (el.start, el.start)
                units.append(Unit("space", " ", s, e, " "))
        units.extend(el.units)
    if not any(u.kind in ("zh", "en") and u.phonemes for u in units):
        raise TextError("nothing to say", None)
    return units


def units_to_phonemes(units: Sequence[Unit]) -> str:
    """The phoneme string for the model (concatenation of the units' phonemes)."""
    return "".join(u.phonemes for u in units)


_warm = {"started": False}


def warm_up(background: bool = False) -> None:
    """Load jieba and the pinyin dictionaries now instead of on the first line.

    Takes about 1.5-3 s.  ``background=True`` does it in a daemon thread (e.g. while
    the acoustic model loads); a line converted meanwhile simply waits for it.
    Calling it again while it runs, or after, costs nothing.
    """
    import threading

    from engine.text.zh import warm_up as _zh_warm_up

    done = _warm.setdefault("done", threading.Event())

    def run() -> None:
        try:
            _zh_warm_up()
            from engine.text.en import warm_up as _en_warm_up

            _en_warm_up()
            import gc

            gc.freeze()  # the tables live for good: no full collection needs to walk them again
        finally:
            done.set()

    if _warm["started"]:
        if not background:
            done.wait()
        return
    _warm["started"] = True
    if background:
        threading.Thread(target=run, name="zh-frontend-warm-up", daemon=True).start()
    else:
        run()


def is_warm() -> bool:
    """True once the dictionaries are loaded (a GUI thread may then use them without a freeze)."""
    ev = _warm.get("done")
    return ev is not None and ev.is_set()
