"""benchmarks/zh_error_sources.py's syllable error rate: characters compared by their toned pinyin, so a
homophone the recogniser picked is not an error while a wrong tone or syllable still is."""

import sys
from pathlib import Path

import pytest

_BENCH = str(Path(__file__).resolve().parents[2] / "benchmarks")


@pytest.fixture(scope="module")
def zes():
    pytest.importorskip("opencc", reason="the transcribe extra (OpenCC) converts to Simplified")
    if _BENCH not in sys.path:
        sys.path.insert(0, _BENCH)
    import zh_error_sources

    return zh_error_sources


@pytest.mark.parametrize("ref, hyp", [
    ("她坐在窗边看书。", "他做在窗边看书"),  # 她/他 and 坐/做: the same sounds
    ("我有两个苹果", "我有2个苹果"),
    ("我總覺得有人在背後跟著我。", "我总觉得有人在背后跟着我"),
])
def test_homophones_and_formatting_are_not_errors(zes, ref, hyp):
    assert zes.syllable_error_rate(ref, hyp) == 0.0


def test_heard_differences_still_count(zes):
    assert zes.syllable_error_rate("我想买一只橘猫。", "我想买一只举猫") == pytest.approx(1 / 7)  # tone and final
    assert zes.syllable_error_rate("主角", "主阶") == pytest.approx(1 / 2)
    assert zes.syllable_error_rate("你好", "") == 1.0
    assert zes.syllable_error_rate("", "") == 0.0


def test_syllables_keep_latin_tokens(zes):
    assert zes.syllables("OK，好") == ["ok", "hao3"]
