"""The dictionaries behind Mandarin readings, loaded once and lazily (each from the chunked cache of
:mod:`engine.text.dict_cache`, so loading does not freeze the editor's GUI thread): jieba's word
frequencies and part-of-speech tags, pypinyin's phrase and character readings, CC-CEDICT's phrases from
pypinyin-dict (neutral tones, coverage) and the readings real phrases use.  Lookups of a word or a
character reading in them, cached.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Mapping
from functools import lru_cache

from engine.text.dict_cache import load_dict, package_version
from engine.text.pinyin import ParsedPinyin, parse_syllable
from engine.text.units import TextError

log = logging.getLogger("engine.text.zh")

# Load CC-CEDICT phrase readings from pypinyin-dict when installed (neutral tones,
# extra words).  Costs about 1 s on the first call; set to False to skip.
USE_CEDICT = os.environ.get("DUBLINE_ZH_CEDICT", "1") != "0"

#: dictionary readings that are wrong in the packaged dictionaries
_PHRASE_FIXES = {
    "不得了": "bu4 de2 liao3",
    "少不了": "shao3 bu5 liao3",
}

_lock = threading.Lock()
_state: dict[str, object] = {}


def _once(key: str, build):
    """``_state[key]``, made by ``build()`` the first time (under the lock, so threads share one load;
    ``build`` must not take the lock itself)."""
    value = _state.get(key)
    if value is None:
        with _lock:
            value = _state.get(key)
            if value is None:
                value = build()
                _state[key] = value
    return value


def _jieba():
    """The jieba tokenizer, initialised once (quietly).

    Words come from ``jieba.lcut`` (as in misaki, so spaces fall where Kokoro saw
    them in training); part-of-speech tags from jieba's dictionary.  The
    frequency table comes from our chunked cache (engine/text/dict_cache.py), so
    loading it does not freeze the editor's GUI thread.
    """
    return _once("jieba", _load_jieba)


def _load_jieba():
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
    _state["jieba_tags"] = load_dict("jieba-tags", f"jieba {package_version('jieba')} {dt.dictionary}", tags)
    _state["jieba_freq"] = dt.FREQ
    return dt


def _phrase_dicts() -> tuple[Mapping[str, list], Mapping[str, list]]:
    return _once("phrases", _load_phrase_dicts)  # type: ignore[return-value]


def _load_phrase_dicts():
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
            extra = load_dict("cc-cedict-phrases", f"pypinyin-dict {package_version('pypinyin-dict')}", cedict)
        except ImportError:  # optional
            log.info("pypinyin-dict not installed; using pypinyin phrases only")
    return base, extra


def _char_dict() -> Mapping[int, str]:
    """pypinyin's readings per character (code point -> "háng,xíng,..."), from our chunked cache."""
    def pypinyin_chars():
        from pypinyin.pinyin_dict import pinyin_dict

        return pinyin_dict

    return _once("chars", lambda: load_dict("pypinyin-chars", f"pypinyin {package_version('pypinyin')}",
                                            pypinyin_chars))


def char_readings(ch: str) -> list[str]:
    """Dictionary readings of one character in tone marks, most common first ([] if unknown)."""
    readings = _char_dict().get(ord(ch)) if len(ch) == 1 else None
    return list(dict.fromkeys(readings.split(","))) if readings else []


def _reading_counts() -> Mapping[int, str]:
    """Readings of each character that pypinyin's phrase dictionary uses at least twice
    (code point -> "xíng,háng"), most used first; built once, then read from the chunked cache."""
    phrases, _extra = _phrase_dicts()  # before _once takes the lock: it takes it too

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

    return _once("reading_counts", lambda: load_dict("pypinyin-reading-counts",
                                                     f"pypinyin {package_version('pypinyin')}", build))


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
