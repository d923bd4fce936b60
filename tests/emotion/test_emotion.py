"""Emotion: vectors mix profiles, prompts resolve, clips carry prosody, exact durations still hold."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from engine import DurationSpec, EmotionSpec, SynthesisRequest
from engine.emotion import parse_vector, resolve
from engine.emotion.profiles import PROFILES, Prosody, mix, normalise
from engine.emotion.text_prompt import text_to_vector
from engine.errors import RequestError
from engine.types import EMOTIONS

SR = 24000


def one(name: str) -> tuple[float, ...]:
    return tuple(1.0 if n == name else 0.0 for n in EMOTIONS)


def test_vectors_mix_profiles_and_intensity_blends_from_neutral():
    m = mix(one("sad"))
    assert m.f0_shift == pytest.approx(PROFILES["sad"].f0_shift) and m.rate == pytest.approx(PROFILES["sad"].rate)
    half = mix(one("sad")).scaled(0.5)
    assert half.f0_shift == pytest.approx(PROFILES["sad"].f0_shift / 2)
    assert half.rate == pytest.approx(PROFILES["sad"].rate ** 0.5)
    assert mix(one("sad")).scaled(0.0) == Prosody()
    both = mix((0.5, 0.5, 0, 0, 0, 0, 0, 0))  # happy + angry
    assert PROFILES["happy"].f0_shift <= both.f0_shift * 2 <= PROFILES["angry"].f0_shift + PROFILES["happy"].f0_shift


def test_bad_vectors_are_explained():
    vec, notes = normalise((0.8, 0.8, 0, 0, 0, 0, 0, 0))
    assert sum(vec) == pytest.approx(1.0) and "scaled" in notes[0]
    r = resolve(EmotionSpec(vector=(0,) * 8))
    assert r.prosody.is_neutral() and "all zeros" in r.warnings[0]
    assert "above 0.9" in resolve(EmotionSpec(vector=one("happy"), intensity=0.95)).warnings[0]
    for bad, words in [("joy=1", "unknown emotion 'joy'"), ("happy", "needs a weight"), ("sad=x", "not a number"),
                       ("sad=-1", "0-1")]:
        with pytest.raises(RequestError, match=words):
            parse_vector(bad)
    assert parse_vector("happy=0.8, surprised=0.2") == (0.8, 0, 0, 0, 0, 0, 0.2, 0)
    with pytest.raises(RequestError, match="between 0 and 1"):
        EmotionSpec(intensity=1.2).validate()
    with pytest.raises(RequestError, match="not a number"):
        EmotionSpec(vector=(float("nan"),) + (0,) * 7).validate()


@pytest.mark.parametrize("prompt, want", [("焦急地催促", "afraid"), ("轻蔑地笑", "disgusted"), ("欣喜若狂", "happy"),
                                          ("whispering nervously", "afraid"), ("疑惑", "surprised"),
                                          ("sobbing quietly", "sad"), ("平静地说", "calm")])
def test_text_prompts_resolve_to_the_right_category(prompt, want):
    v = text_to_vector(prompt)
    assert EMOTIONS[int(np.argmax(v))] == want


def test_a_plain_line_reads_as_neutral_and_priorities_hold():
    assert resolve(EmotionSpec(from_line=True), "请把文件放在桌子上。").vector is None
    r = resolve(EmotionSpec(vector=one("calm"), text="愤怒地吼道"))
    assert r.source == "vector" and r.vector == one("calm")
    r = resolve(EmotionSpec(text="愤怒地吼道", from_line=True), "今天天气不错")
    assert r.source == "text" and EMOTIONS[int(np.argmax(r.vector))] == "angry"


def f0_median(audio):
    import soxr

    from engine.emotion.from_audio import _f0_track

    f0 = _f0_track(soxr.resample(audio, SR, 16000).astype(np.float32))
    return float(np.median(f0[f0 > 0]))


def f0_range(audio):
    import soxr

    from engine.emotion.from_audio import _f0_track

    f0 = _f0_track(soxr.resample(audio, SR, 16000).astype(np.float32))
    v = f0[f0 > 0]
    return float(12 * np.log2(np.percentile(v, 90) / np.percentile(v, 10)))


def test_emotion_moves_prosody_and_exact_durations_still_hold(engine):
    text = "我们明天一早就出发去海边。"
    neutral = engine.generate(SynthesisRequest(text))
    sad = engine.generate(SynthesisRequest(text, emotion=EmotionSpec(vector=one("sad"), intensity=0.8)))
    happy = engine.generate(SynthesisRequest(text, emotion=EmotionSpec(vector=one("happy"), intensity=0.8)))
    assert sad.num_samples > neutral.num_samples > happy.num_samples  # slower / faster
    assert f0_median(sad.audio) < f0_median(neutral.audio) < f0_median(happy.audio)
    assert sad.emotion_vector == one("sad") and neutral.emotion_vector is None
    for emo in (EmotionSpec(vector=one("angry")), EmotionSpec(text="伤心地说"), EmotionSpec(from_line=True)):
        res = engine.generate(SynthesisRequest(text, duration=DurationSpec.exact(2.75), emotion=emo))
        assert res.num_samples == round(2.75 * SR)


def test_emotion_from_a_clip_of_another_voice(engine, tmp_path):
    ref = engine.generate(SynthesisRequest("你怎么能这样对我！", voice="jm_kumo",
                                           emotion=EmotionSpec(vector=one("surprised"), intensity=1.0)))
    clip = tmp_path / "ref.wav"
    sf.write(str(clip), ref.audio, SR)
    text = "他把信放在桌子上就走了。"
    out = engine.generate(SynthesisRequest(text, emotion=EmotionSpec(audio=str(clip))))
    neutral = engine.generate(SynthesisRequest(text))
    assert out.emotion_vector is not None and sum(out.emotion_vector) == 1.0
    assert f0_range(out.audio) > f0_range(neutral.audio) + 0.5  # the surprised, wider melody carried over
    silent = tmp_path / "silent.wav"
    sf.write(str(silent), np.zeros(SR * 2, np.float32), SR)
    with pytest.raises(RequestError, match="silent"):
        engine.generate(SynthesisRequest(text, emotion=EmotionSpec(audio=str(silent))))
    with pytest.raises(RequestError, match="none.wav"):
        engine.generate(SynthesisRequest(text, emotion=EmotionSpec(audio=str(tmp_path / "none.wav"))))


def test_cli_emotion_flags(tmp_path, capsys, engine):
    import json

    from cli.main import main

    out = tmp_path / "x.wav"
    assert main(["say", "快点出发！", "-o", str(out), "--emotion-text", "焦急地催促", "--duration", "1.5", "--json"]) == 0
    meta = json.loads(capsys.readouterr().out)
    assert meta["samples"] == round(1.5 * SR) and meta["emotion_vector"][EMOTIONS.index("afraid")] == 1.0
    assert main(["say", "你好", "-o", str(out), "--emotion-vector", "joy=1"]) == 2
    assert "unknown emotion" in capsys.readouterr().err
    assert main(["say", "你好", "-o", str(out), "--emotion-audio", str(tmp_path / "none.wav")]) == 2


def test_the_seed_example_in_one_step(engine):
    """A 3.2 s region with “嗯?” and the prompt “疑惑”: exactly 3.2 s, read as surprise."""
    from project.model import Project, Region
    from project.render_core import region_request

    p = Project()
    r = Region(start=10.0, end=13.2, text="嗯?", emotion={"text": "疑惑", "intensity": 0.8})
    p.tracks[0].regions.append(r)
    res = engine.generate(region_request(p, p.tracks[0], r))
    assert res.num_samples == round(3.2 * SR)
    assert EMOTIONS[int(np.argmax(res.emotion_vector))] == "surprised"
