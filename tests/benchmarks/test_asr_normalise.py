"""benchmarks/asr.py's text normaliser: formatting differences (digits vs words, time separators, a.m./p.m.)
are not errors, on both sides alike; real misreadings still are."""

import importlib.util
import sys
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "asr.py"


@pytest.fixture(scope="module")
def asr():
    spec = importlib.util.spec_from_file_location("bench_asr", _PATH)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["bench_asr"] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.parametrize("ref, hyp", [
    ("The lantern festival starts at 7:15.", "The lantern festival starts at 7.15."),
    ("The lantern festival starts at 7:15.", "The lantern festival starts at seven fifteen."),
    ("There are only 4 potions left.", "There are only four potions left."),
    ("The boat leaves at 6:45, and it won't wait.", "The boat leaves at six forty-five and it will not wait"),
    ("Breakfast starts at 7.", "Breakfast starts at 7:00."),
    ("Breakfast starts at 7.", "Breakfast starts at seven o'clock."),
    ("Meet me at 8:30 pm.", "Meet me at 8.30 p.m."),
    ("Meet me at 8:30pm.", "meet me at eight thirty PM"),
    ("You earned 120 experience points.", "You earned a hundred and twenty experience points."),
    ("The battery is at 15 percent.", "The battery is at 15%."),
    ("tickets are 15 dollars each", "tickets are $15 each"),
    ("You've reached level 12.", "You have reached level twelve."),
])
def test_english_formatting_is_not_an_error(asr, ref, hyp):
    assert asr.wer(ref, hyp) == 0.0
    assert asr.wer(hyp, ref) == 0.0  # symmetric


@pytest.mark.parametrize("ref, hyp, errors", [
    ("There are only 4 potions left.", "There are only for potions left.", 1),
    ("There are only 4 potions left.", "There are only 5 potions left.", 1),
    ("The lantern festival starts at 7:15.", "The lantern festival starts at 7:50.", 1),
    ("It leaves in 3.5 hours.", "It leaves in 3.15 hours.", 1),  # a decimal, not a time: point (one) five
    ("Level 7 unlocked.", "Level 70 unlocked.", 1),
])
def test_english_misreadings_still_count(asr, ref, hyp, errors):
    assert round(asr.wer(ref, hyp) * len(asr.normalize_en(ref))) == errors


def test_decimals_stay_decimals(asr):
    assert asr.normalize_en("in 3.5 hours") == ["in", "three", "point", "five", "hours"]
    assert asr.normalize_en("2.25 cups") == ["two", "point", "two", "five", "cups"]
    assert asr.normalize_en("at 7.15") == ["at", "seven", "fifteen"]


@pytest.mark.parametrize("ref, hyp", [
    ("只剩下4瓶药水了。", "只剩下四瓶药水了。"),
    ("校长说明天上午8:30在操场集合。", "校长说明天上午八点三十分在操场集合。"),
    ("校长说明天上午8:30在操场集合。", "校长说明天上午8点30分在操场集合"),
    ("这趟列车将于2024年9月1日正式开通。", "这趟列车将于二零二四年九月一日正式开通"),
    ("打折以后只要120元，便宜了将近50%。", "打折以后只要一百二十元,便宜了将近百分之五十"),
    ("我有两个苹果", "我有2个苹果"),
    ("我总觉得有人在背后跟着我。", "我總覺得有人在背後跟著我"),  # Traditional 著 is Simplified 着 here
])
def test_chinese_digits_and_numerals_are_one(asr, ref, hyp):
    pytest.importorskip("opencc", reason="the transcribe extra (OpenCC) converts to Simplified")
    assert asr.cer(ref, hyp) == 0.0
    assert asr.cer(hyp, ref) == 0.0


def test_chinese_misreadings_still_count(asr):
    pytest.importorskip("opencc", reason="the transcribe extra (OpenCC) converts to Simplified")
    assert asr.cer("只剩下4瓶药水了。", "只剩下十瓶药水了。") > 0
    assert asr.cer("上午8:30集合", "上午8:50集合") > 0
    assert asr.cer("一位著名的作家", "一位着名的作家") > 0  # 著名 keeps 著
