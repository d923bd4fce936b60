"""Mandarin G2P: polyphones in context, tone sandhi, neutral tones, erhua, glossary, override parsing."""

from __future__ import annotations

import pytest

from engine.text.units import TextError
from engine.text.zh import (
    ZhItem,
    compile_glossary,
    convert,
    is_cjk,
    items_from_text,
    parse_overrides,
    pinyin_of,
)


def py(text: str, glossary=None) -> str:
    return " ".join(pinyin_of(text, glossary))


# --------------------------------------------------------------------------- polyphones


@pytest.mark.parametrize(
    "text, expected",
    [
        ("银行", "yin2 hang2"),
        ("行长", "hang2 zhang3"),
        ("我去银行找行长", "wo3 qu4 yin2 hang2 zhao3 hang2 zhang3"),
        ("行走", "xing2 zou3"),
        ("一行字", "yi4 hang2 zi4"),
        ("重庆", "chong2 qing4"),
        ("重新", "chong2 xin1"),
        ("很重", "hen3 zhong4"),
        ("音乐", "yin1 yue4"),
        ("快乐", "kuai4 le4"),
        ("长大", "zhang3 da4"),
        ("长度", "chang2 du4"),
        ("长城很长", "chang2 cheng2 hen3 chang2"),
        ("还钱", "huan2 qian2"),
        ("觉得", "jue2 de5"),
        ("睡觉", "shui4 jiao4"),
        ("的确", "di2 que4"),
        ("目的", "mu4 di4"),
        ("为了", "wei4 le5"),
        ("因为", "yin1 wei4"),
        ("得到", "de2 dao4"),
        ("跑得快", "pao3 de5 kuai4"),
        ("慢慢地走", "man4 man4 de5 zou3"),
        ("这块地很大", "zhe4 kuai4 di4 hen3 da4"),
        ("一只猫", "yi4 zhi1 mao1"),
        ("这种", "zhe4 zhong3"),
        ("种树", "zhong4 shu4"),
        ("数一数", "shu3 yi5 shu3"),
        ("教教我", "jiao1 jiao5 wo3"),
    ],
)
def test_polyphones(text, expected):
    assert py(text) == expected


def test_hai_huan_in_sentence():
    assert pinyin_of("还是要还钱")[0] == "hai2"
    assert pinyin_of("还是要还钱")[3] == "huan2"


@pytest.mark.parametrize(
    "text, char, expected",
    [
        ("把书还回去", "还", "huan2"),
        ("等天晴了再还我", "还", "huan2"),
        ("你还记得吗", "还", "hai2"),
        ("我们得换个办法", "得", "dei3"),
        ("这次考试他得了第一名", "得", "de2"),
        ("你跑得了吗", "得", "de5"),
        ("香得不得了", "了", "liao3"),
        ("昨晚只睡了三个小时的觉", "觉", "jiao4"),
        ("我觉得很好", "觉", "jue2"),
        ("爷爷种了两棵树", "种", "zhong4"),
        ("这种水果很甜", "种", "zhong3"),
        ("大家选他为队长", "为", "wei2"),
        ("我为你高兴", "为", "wei4"),
        # session 11, from ZH_DEV2's lines
        ("你得多喝点热水", "得", "dei3"),
        ("我们得赶紧走", "得", "dei3"),
        ("他跑得多快", "得", "de5"),
        ("请把电视的声音调低一点儿", "调", "tiao2"),
        ("请把手机调成静音", "调", "tiao2"),
        ("警察正在调查", "调", "diao4"),
        ("他特别强调这一点", "调", "diao4"),
        ("他认真地点了点头", "地", "de5"),
        ("这个地点很好找", "地", "di4"),
        ("她轻轻地点了点头", "地", "de5"),
        ("这块土地很肥", "地", "di4"),
        ("过两天就好了", "过", "guo4"),
        ("再过三天就放假了", "过", "guo4"),
        ("我看过两次", "过", "guo5"),
    ],
)
def test_polyphone_context_rules(text, char, expected):
    # the reading of ``char`` as spoken (sandhi applied), from the rules for single characters
    readings = pinyin_of(text)
    assert readings[text.index(char)] == expected


def test_dei_must():
    assert pinyin_of("我得走了")[1].startswith("dei")


# --------------------------------------------------------------------------- sandhi


@pytest.mark.parametrize(
    "text, expected",
    [
        ("你好", "ni2 hao3"),
        ("老虎", "lao2 hu3"),
        ("可以", "ke2 yi3"),
        ("展览馆", "zhan2 lan2 guan3"),  # 2+1
        ("小老虎", "xiao3 lao2 hu3"),  # 1+2
        ("我很好", "wo2 hen2 hao3"),  # across words
        ("只有", "zhi2 you3"),
    ],
)
def test_third_tone_sandhi(text, expected):
    assert py(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("一", "yi1"),
        ("一天", "yi4 tian1"),
        ("一年", "yi4 nian2"),
        ("一起", "yi4 qi3"),
        ("一定", "yi2 ding4"),
        ("一个", "yi2 ge4"),
        ("第一", "di4 yi1"),
        ("统一", "tong3 yi1"),
        ("唯一的", "wei2 yi1 de5"),
        ("看一看", "kan4 yi5 kan4"),
        ("想一想", "xiang3 yi5 xiang3"),
        ("一九八四", "yi1 jiu3 ba1 si4"),
        ("十一", "shi2 yi1"),
        ("一百一十", "yi4 bai3 yi1 shi2"),
    ],
)
def test_yi_sandhi(text, expected):
    assert py(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("不是", "bu2 shi4"),
        ("不对", "bu2 dui4"),
        ("不好", "bu4 hao3"),
        ("不来", "bu4 lai2"),
        ("来不来", "lai2 bu5 lai2"),
        ("好不好", "hao3 bu5 hao3"),
        ("差不多", "cha4 bu5 duo1"),
    ],
)
def test_bu_sandhi(text, expected):
    assert py(text) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("走了", "zou3 le5"),
        ("我的", "wo3 de5"),
        ("好吗", "hao3 ma5"),
        ("他呢", "ta1 ne5"),
        ("走吧", "zou3 ba5"),
        ("我们", "wo3 men5"),
        ("孩子", "hai2 zi5"),
        ("桌子", "zhuo1 zi5"),
        ("石头", "shi2 tou5"),
        ("木头", "mu4 tou5"),
        ("妈妈", "ma1 ma5"),
        ("爸爸", "ba4 ba5"),
        ("姐姐", "jie3 jie5"),
        ("看看", "kan4 kan5"),
        ("想想", "xiang2 xiang5"),
        ("朋友", "peng2 you5"),
        ("起来", "qi3 lai5"),
    ],
)
def test_neutral_tones(text, expected):
    assert py(text) == expected


def test_lexical_tone_is_kept():
    words = convert(items_from_text("你好一个不是妈妈"))
    syls = [s for w in words for s in w]
    by_char = {s.text: s for s in syls}
    assert by_char["你"].spoken.tone == 2 and by_char["你"].lexical_tone == 3
    assert by_char["你"].pinyin == "ni2"
    assert by_char["一"].spoken.tone == 2 and by_char["一"].lexical_tone == 1
    assert by_char["不"].spoken.tone == 2 and by_char["不"].lexical_tone == 4
    mama = [s for s in syls if s.text == "妈"]
    assert mama[1].spoken.tone == 5 and mama[1].lexical_tone == 1


def test_words_follow_jieba():
    words = convert(items_from_text("我们在这里"))
    assert ["".join(s.text for s in w) for w in words] == ["我们", "在", "这里"]


# --------------------------------------------------------------------------- erhua


def test_erhua_merges_into_one_syllable():
    words = convert(items_from_text("哪儿好玩儿"))
    syls = [s for w in words for s in w]
    assert [s.text for s in syls] == ["哪儿", "好", "玩儿"]
    assert syls[0].src_start == 0 and syls[0].src_end == 2
    assert syls[0].spoken.erhua and syls[0].spoken.base == "na"
    assert syls[2].pinyin == "wanr2"


def test_not_erhua():
    assert py("女儿") == "nv3 er2"
    assert py("婴儿") == "ying1 er2"
    assert py("儿子") == "er2 zi5"


# --------------------------------------------------------------------------- glossary


def test_glossary_beats_dictionary():
    assert py("这是重庆") == "zhe4 shi4 chong2 qing4"
    assert py("这是重庆", {"重庆": "zhòng qìng"}) == "zhe4 shi4 zhong4 qing4"
    assert py("重庆重庆", {"重庆": "zhong4 qing4"}) == "zhong4 qing4 zhong4 qing4"


def test_glossary_longest_match_first():
    g = {"行": "xing2", "行长": "xing2 zhang3", "银行行长": "yin2 hang2 hang2 zhang3"}
    assert py("银行行长", g) == "yin2 hang2 hang2 zhang3"
    assert py("行长来了", g).startswith("xing2 zhang3")


def test_glossary_gets_sandhi_like_dictionary_words():
    # glossary readings are lexical: 3-3 sandhi still applies
    assert py("小美", {"小美": "xiǎo měi"}) == "xiao2 mei3"


def test_glossary_reading_is_not_neutralised():
    assert py("石头") == "shi2 tou5"
    assert py("石头", {"石头": "shí tóu"}) == "shi2 tou2"


def test_glossary_erhua_reading():
    assert py("玩儿", {"玩儿": "wánr"}) == "wanr2"


@pytest.mark.parametrize(
    "glossary, fragment",
    [
        ({"重庆": "chóng"}, "1 syllable for 2 characters"),
        ({"重庆": "chóng qìng qìng"}, "3 syllables for 2 characters"),
        ({"重庆": "chóng qxng"}, "'qxng' is not a valid pinyin syllable"),
        ({"": "a1"}, "empty term"),
        ({"重庆": ""}, "empty reading"),
    ],
)
def test_glossary_errors(glossary, fragment):
    with pytest.raises(TextError) as e:
        compile_glossary(glossary)
    assert fragment in str(e.value)


def test_glossary_compile_is_cached():
    g = {"重庆": "chong2 qing4"}
    assert compile_glossary(g) is compile_glossary(dict(g))
    assert compile_glossary(None) is None
    assert compile_glossary({}) is None


# --------------------------------------------------------------------------- overrides (parsing)


def test_parse_bracket_override():
    scan = parse_overrides("出发[fā chū]吧")
    assert scan.markup == [(2, 10)]
    assert scan.fixed[0][1].numbered == "fa1" and scan.fixed[1][1].numbered == "chu1"
    assert scan.fixed[0][0] == 1 and scan.fixed[1][0] == 2


def test_parse_applies_to_n_characters_before():
    scan = parse_overrides("我们出发[fā chū]吧")
    assert sorted(scan.fixed) == [2, 3]
    scan = parse_overrides("重【chóng】新")
    assert scan.markup == [(1, 8)] and scan.fixed[0][1].numbered == "chong2"


def test_parse_erhua_override_covers_two_characters():
    scan = parse_overrides("哪儿[nǎr]")
    assert scan.fixed == {0: (2, scan.fixed[0][1])} and scan.fixed[0][1].numbered == "nar3"


def test_parse_inline_uppercase():
    scan = parse_overrides("我XING2走，DE2")
    assert [(s, e, p.numbered) for s, e, p in scan.inline] == [(1, 6, "xing2"), (8, 11, "de2")]
    scan = parse_overrides("女NÜ3，绿LV4，略LÜE4，壮ZHUANG4")
    assert [p.numbered for _s, _e, p in scan.inline] == ["nv3", "lv4", "lve4", "zhuang4"]


@pytest.mark.parametrize("text", ["MP3", "A4纸", "COVID19", "M2芯片", "the DE2 board", "B2B"])
def test_inline_rejects_non_pinyin(text):
    assert parse_overrides(text).inline == []


def test_plain_brackets_are_not_overrides():
    scan = parse_overrides("【注意】请看[1]和 see [note]")
    assert scan.markup == [] and scan.fixed == {}
    assert scan.plain_brackets == {0, 3, 6, 8, 15, 20}


@pytest.mark.parametrize(
    "text, fragment, position",
    [
        ("出发[fā chū chū]吧", "has 3 syllables but only 2 characters precede it", 2),
        ("，好[nǐ hǎo]", "has 2 syllables but only 1 character precede it", 2),
        ("[fā]你好", "has no Chinese characters before it", 0),
        ("hello [fā]", "has no Chinese characters before it", 6),
        ("你好[hǎo xyz]", "'xyz' is not a valid pinyin syllable", 7),
        ("你好[fa6]", "invalid tone number", 3),
        ("出发[fā chū吧", "never closed", 2),
        ("出发fā]吧", "without a matching", 4),
        ("出发[fā [chū]]", "not closed before", 2),
        ("出发【fā chū]", "not closed before", 2),
    ],
)
def test_override_errors(text, fragment, position):
    with pytest.raises(TextError) as e:
        parse_overrides(text)
    assert fragment in e.value.message
    assert e.value.position == position
    assert f"(at character {position})" in str(e.value)


def test_override_message_shows_bracket():
    with pytest.raises(TextError) as e:
        parse_overrides("出发[fā chū chū]")
    assert "pinyin override [fā chū chū]" in str(e.value)


# --------------------------------------------------------------------------- convert() directly


def test_convert_fixed_items_are_not_resandhied():
    items = items_from_text("你好")
    items[0] = ZhItem("你", 0, 1, fixed=__import__("engine.text.pinyin", fromlist=["x"]).parse_syllable("ni3"))
    syls = [s for w in convert(items) for s in w]
    assert [s.pinyin for s in syls] == ["ni3", "hao3"]
    assert syls[0].fixed and not syls[1].fixed


def test_convert_boundaries_split_words():
    items = items_from_text("你 好")
    assert items[1].boundary_before
    words = convert(items)
    assert len(words) == 2
    # a hard break stops 3-3 sandhi
    assert [s.pinyin for w in words for s in w] == ["ni3", "hao3"]


def test_is_cjk():
    assert is_cjk("中") and is_cjk("〇") and is_cjk("𠀀")
    assert not is_cjk("a") and not is_cjk("，") and not is_cjk("あ")


def test_speed_per_line():
    import time

    pinyin_of("预热一下")
    lines = ["你先去银行取钱，我在门口等你，千万别让行长看见。", "这首音乐太好听了，我们重新再放一遍吧。"] * 25
    t = time.perf_counter()
    for line in lines:
        pinyin_of(line)
    per_line = (time.perf_counter() - t) / len(lines)
    assert per_line < 0.01, per_line
