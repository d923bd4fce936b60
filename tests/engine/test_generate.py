"""The real model end to end: exact lengths, timings, overrides, errors."""

import numpy as np
import pytest

from engine import DurationSpec, EngineError, SynthesisRequest
from engine.errors import DurationError, RequestError
from engine.text.units import TextError

SR = 24000


@pytest.mark.parametrize("seconds", [1.0, 2.345, 3.2, 4.0001])
def test_exact_duration_gives_exact_samples_zh(engine, seconds):
    res = engine.generate(SynthesisRequest("雨停了，我们出发吧。", duration=DurationSpec.exact(seconds)))
    assert res.num_samples == round(seconds * SR)
    assert res.audio.dtype == np.float32
    assert np.abs(res.audio).max() > 0.05  # there is speech in it


@pytest.mark.parametrize("ratio", [0.7, 1.0, 1.4])
def test_ratio_en(engine, ratio):
    natural = engine.generate(SynthesisRequest("The bank closes at five.", voice="jm_kumo"))
    res = engine.generate(SynthesisRequest("The bank closes at five.", voice="jm_kumo",
                                           duration=DurationSpec.of_ratio(ratio)))
    frames = round(natural.natural_seconds * 40 * ratio)
    assert res.num_samples == frames * 600
    assert res.ratio == pytest.approx(ratio, abs=0.03)


def test_timings_are_monotonic_and_cover_the_audio(engine):
    text = "你好，world! 今天去银行。"
    res = engine.generate(SynthesisRequest(text, duration=DurationSpec.exact(3.0)))
    spoken = [u for u in res.units if u.kind != "space"]
    starts = [u.start_seconds for u in spoken]
    assert starts == sorted(starts)
    for a, b in zip(res.units, res.units[1:], strict=False):
        assert b.start_seconds == pytest.approx(a.end_seconds)
    assert res.units[0].start_seconds <= 0.1  # speech starts right away
    assert res.units[-1].end_seconds <= res.seconds
    assert res.units[-1].end_seconds >= res.seconds - 0.2
    chars = res.char_times(len(text))
    assert chars[0] is not None and chars[text.index("银")] is not None


def test_pinyin_override_changes_phonemes(engine):
    plain = engine.phonemes("我们重新开始")
    forced = engine.phonemes("我们重[zhòng]新开始")
    assert plain != forced
    assert engine.phonemes("出发[fā chū]吧") != engine.phonemes("出发吧")


def test_max_tokens_caps_length(engine):
    text = "今天天气很好，我们去公园散步吧。"
    cap = int(engine.natural_seconds(text, "jf_alpha") * 40 * 0.8)
    res = engine.generate(SynthesisRequest(text, duration=DurationSpec.free(max_tokens=cap)))
    assert res.num_samples == cap * 600
    assert any("capped" in w for w in res.warnings)
    short = engine.generate(SynthesisRequest("你好", duration=DurationSpec.free(max_tokens=cap)))
    assert short.num_samples < cap * 600 and not short.warnings


def test_long_text_splits_into_passes(engine):
    text = "今天天气很好，我们去公园散步吧。" * 12
    res = engine.generate(SynthesisRequest(text, duration=DurationSpec.exact(40.0)))
    assert res.num_samples == 40 * SR


def test_anchors_pin_characters(engine):
    text = "我们明天早上八点出发。"
    spec = DurationSpec.exact(3.2, anchors=((4, 1.0), (8, 2.25)))
    res = engine.generate(SynthesisRequest(text, duration=spec))
    got = dict(res.anchors_achieved)
    assert got[4] == pytest.approx(1.0, abs=1e-9)
    assert got[8] == pytest.approx(2.25, abs=1e-9)
    assert res.num_samples == round(3.2 * SR)


def test_anchors_off_the_frame_grid_land_on_their_exact_sample(engine):
    """Keyframes at 25 fps sit on a 40 ms grid, the model's frames on 25 ms: the warp closes the gap."""
    text = "今天我们去公园散步吧"
    spec = DurationSpec.exact(3.2, anchors=((4, 1.44), (7, 2.28)))
    res = engine.generate(SynthesisRequest(text, duration=spec))
    got = dict(res.anchors_achieved)
    assert round(got[4] * SR) == round(1.44 * SR) and round(got[7] * SR) == round(2.28 * SR)
    assert res.num_samples == round(3.2 * SR)
    starts = {u.src_start: u.start_seconds for u in res.units}
    assert starts[4] == pytest.approx(1.44, abs=1 / SR) and starts[7] == pytest.approx(2.28, abs=1 / SR)
    # the anchored syllable really starts there: more energy after the pin than in the 10 ms before it
    a = res.audio
    assert np.sqrt(np.mean(a[round(1.44 * SR): round(1.44 * SR) + 2400] ** 2)) > 0.01


def test_warp_is_exact_where_nothing_moves_and_continuous_where_it_does():
    from engine.embedded.warp import map_samples, warp_to_boundaries

    t = np.arange(24000) / SR
    x = np.sin(2 * np.pi * 200 * t).astype(np.float32)
    same = warp_to_boundaries(x, [0, 12000, 24000], [0, 12000, 24000])
    assert np.array_equal(same, x)
    moved = warp_to_boundaries(x, [0, 12000, 24000], [0, 12250, 24000])
    assert len(moved) == len(x) and np.max(np.abs(np.diff(moved))) < 0.06  # no click at the joins
    assert map_samples(12000, [0, 12000, 24000], [0, 12250, 24000]) == 12250
    with pytest.raises(ValueError):
        warp_to_boundaries(x, [0, 100, 24000], [0, 100, 23000])


@pytest.mark.parametrize(
    "req, err",
    [
        (SynthesisRequest(""), TextError),
        (SynthesisRequest("。。！？"), TextError),
        (SynthesisRequest("😀😀"), TextError),
        (SynthesisRequest("出发[fā"), TextError),
        (SynthesisRequest("出发[fā xx9]"), TextError),
        (SynthesisRequest("你好", duration=DurationSpec.exact(0)), RequestError),
        (SynthesisRequest("你好", duration=DurationSpec.exact(-1)), RequestError),
        (SynthesisRequest("你好", duration=DurationSpec.exact(601)), RequestError),
        (SynthesisRequest("今天天气很好，我们去公园散步吧。", duration=DurationSpec.exact(0.1)), DurationError),
        (SynthesisRequest("你好", voice="nobody"), RequestError),
        (SynthesisRequest("你" * 2001), RequestError),
    ],
)
def test_bad_input_raises_clear_engine_errors(engine, req, err):
    with pytest.raises(err) as info:
        engine.generate(req)
    assert isinstance(info.value, EngineError)
    assert str(info.value) and "\n" not in str(info.value)


def test_tempo_keeps_pitch_and_length_and_puts_fixed_points_on_their_sample():
    from engine.embedded.tempo import tempo, tempo_map

    t = np.arange(2 * SR) / SR
    x = (0.5 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    y = tempo(x, int(0.75 * len(x)))
    assert len(y) == int(0.75 * len(x)) and y.dtype == np.float32
    freqs = np.fft.rfftfreq(len(y), 1 / SR)
    assert freqs[np.argmax(np.abs(np.fft.rfft(y)))] == pytest.approx(200, abs=2)  # pitch kept, not resampled
    assert np.sqrt(np.mean(y[2000:-2000] ** 2)) == pytest.approx(np.sqrt(np.mean(x ** 2)), rel=0.02)
    # a click at a fixed point of the map is heard at its output sample
    z = np.zeros(2 * SR, np.float32)
    z[30000] = 1.0
    w = tempo_map(z, [0, 30000, len(z)], [0, 21000, 36000])
    assert abs(int(np.argmax(np.abs(w))) - 21000) <= 1
    with pytest.raises(ValueError):
        tempo_map(x, [0, 100, 50], [0, 10, 20])


def test_a_faster_line_is_rendered_at_its_pace_then_compressed(engine):
    """Below its natural length a line keeps every phoneme's natural shape (WSOLA), exactly as long as asked."""
    text = "Meet me at the corner by the old lantern shop."
    natural = engine.generate(SynthesisRequest(text, voice="jf_alpha"))
    seconds = round(natural.seconds * 0.72, 3)
    at = {u.src_start: u.start_seconds for u in natural.units}
    corner, lantern = text.index("corner"), text.index("lantern")
    pins = {c: round(at[c] * 0.72, 3) + 0.007 for c in (corner, lantern)}  # off the 25 ms grid
    spec = DurationSpec.exact(seconds, anchors=tuple(pins.items()))
    res = engine.generate(SynthesisRequest(text, voice="jf_alpha", duration=spec))
    assert res.num_samples == round(seconds * SR)
    got = dict(res.anchors_achieved)
    assert round(got[corner] * SR) == round(pins[corner] * SR)
    assert round(got[lantern] * SR) == round(pins[lantern] * SR)
    starts = {u.src_start: u.start_seconds for u in res.units}
    assert starts[lantern] == pytest.approx(pins[lantern], abs=1 / SR)
    assert res.units[-1].end_seconds >= res.seconds - 0.2  # speech still fills the region


def test_a_first_render_and_a_render_from_kept_analysis_are_the_same(engine):
    # the prosody stage reads the predictor's features; kept or computed again, the audio is the same
    req = SynthesisRequest("橘猫在街角等你，带上钥匙。", duration=DurationSpec.exact(3.1))
    kept = engine.generate(req)
    again = engine.generate(req)
    engine.forget_lines()
    first = engine.generate(req)
    assert np.array_equal(kept.audio, again.audio) and np.array_equal(kept.audio, first.audio)
    assert kept.token_durations == first.token_durations
