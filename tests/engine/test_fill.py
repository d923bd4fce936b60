"""Speech fills its region: the audible span of real renders, and timings
that match the waveform (the brief's examples, then the pure pieces)."""

import numpy as np
import pytest

from engine import DurationSpec, SynthesisRequest
from engine import duration as dur
from engine.embedded.heard import audible_span, heard_timings
from engine.types import UnitTiming

SR = 24000
ZH = "重新检查一下银行的地址。"
EN = "Please finish this line before the camera cuts."


def _span(audio):
    # the benchmark's definition: 10 ms frames within 45 dB of the peak sample
    return audible_span(audio, SR, hop_seconds=0.010)


@pytest.mark.parametrize(("text", "voice", "seconds"), [
    (ZH, "jf_alpha", 3.0), (ZH, "jf_alpha", 4.0), (EN, "jm_kumo", 3.5), (EN, "jf_tebukuro", 3.2),
])
def test_exact_region_is_filled_to_its_end(engine, text, voice, seconds):
    res = engine.generate(SynthesisRequest(text, voice=voice, duration=DurationSpec.exact(seconds)))
    assert res.num_samples == round(seconds * SR)
    start, end = _span(res.audio)
    assert start <= 0.050
    assert seconds - end <= 0.120, f"speech ends {seconds - end:.3f} s before the region does"
    last = [u for u in res.units if u.kind in ("zh", "en")][-1]
    assert abs(last.end_seconds - end) <= 0.040


@pytest.mark.parametrize("ratio", [0.75, 1.3])
def test_ratio_keeps_the_short_release(engine, ratio):
    res = engine.generate(SynthesisRequest(ZH, voice="jf_tebukuro", duration=DurationSpec.of_ratio(ratio)))
    _start, end = _span(res.audio)
    assert res.seconds - end <= 0.120


def test_free_mode_natural_length_is_speech_plus_release(engine):
    res = engine.generate(SynthesisRequest(ZH))
    _start, end = _span(res.audio)
    assert res.seconds - end <= 0.120
    assert res.natural_seconds == pytest.approx(res.seconds)
    assert engine.natural_seconds(ZH, "jf_alpha") == pytest.approx(res.seconds)


def test_pause_inside_a_line_keeps_its_silence_and_word_edges_follow_the_audio(engine):
    text = "快看，天上那颗星星在动。"
    res = engine.generate(SynthesisRequest(text, duration=DurationSpec.exact(4.0)))
    units = res.units
    comma = next(i for i, u in enumerate(units) if u.text == "，")
    before = units[comma - 1]
    after = next(u for u in units[comma:] if u.kind == "zh")
    gap = res.audio[int(before.end_seconds * SR) + 240: int(after.start_seconds * SR) - 240]
    assert after.start_seconds - before.end_seconds >= 0.05  # the comma is still a pause
    if len(gap):  # and it is silent between the heard edges
        assert np.abs(gap).max() < 0.05 * np.abs(res.audio).max()


# ---------------------------------------------------------------- pure pieces

def test_release_is_about_75_ms_whatever_the_sub_frame_rest():
    for pad in range(0, 600, 50):
        release = dur.release_frames(pad) * dur.FRAME_SAMPLES + pad
        assert 0.060 * SR <= release <= 0.090 * SR


def test_tail_is_fixed_and_the_rest_absorbs_the_target():
    C, V, P = dur.CONSONANT, dur.VOWEL, dur.PAUSE
    cls = np.array([dur.BOUNDARY_START, C, V, C, V, P, dur.BOUNDARY_END])
    pred = np.array([12, 2, 3, 2, 20, 5, 1], dtype=float)  # the model's long last vowel
    tail = dur.Tail(4, 3, 3)
    natural = dur.plan(pred, cls, None, tail=tail)
    assert list(natural.frames[4:]) == [3, 2, 1]  # heard frames, then the release shared out
    assert natural.natural_frames == 2 + 2 + 3 + 2 + 3 + 3
    long = dur.plan(pred, cls, 40, tail=tail)
    assert long.frames.sum() == 40
    assert list(long.frames[4:]) == [3, 2, 1]
    # too short to keep the tail: planned without it, still exact
    short = dur.plan(pred, cls, 7, tail=tail)
    assert short.frames.sum() == 7 and short.tail is None


def test_speech_end_is_read_from_the_energy_curve():
    energy = np.concatenate([np.full(40, 4.0), np.linspace(4.0, -9.0, 6), np.full(30, -9.0)])
    end = dur.speech_end_frames(energy, per_frame=2)
    assert 20 < end < 23
    assert dur.speech_end_frames(np.full(40, -9.0)) is None


def test_find_tail_names_the_token_the_speech_ends_in():
    fed = np.array([12, 2, 3, 2, 20, 5, 1])
    spoken = np.array([False, True, True, True, True, False, False])
    tail = dur.find_tail(fed, spoken, 12 + 2 + 3 + 2 + 3.2, 3)
    assert (tail.index, tail.speech_frames, tail.release_frames) == (4, 3, 3)
    # an end read inside the punctuation still ends on the last spoken token
    assert dur.find_tail(fed, spoken, 43.0, 3).index == 4


def _unit(text, kind, start, end):
    return UnitTiming(text, kind, 0, 1, start, end, "")


def test_heard_timings_move_edges_next_to_silence_only():
    audio = np.zeros(SR, dtype=np.float32)
    t = np.arange(SR) / SR
    tone = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    audio[int(0.10 * SR):int(0.40 * SR)] = tone[int(0.10 * SR):int(0.40 * SR)]  # word 1 + word 2, joined
    audio[int(0.60 * SR):int(0.80 * SR)] = tone[int(0.60 * SR):int(0.80 * SR)]  # word 3 after a pause
    units = [_unit("a", "en", 0.05, 0.25), _unit(" ", "space", 0.25, 0.25), _unit("b", "en", 0.25, 0.50),
             _unit(",", "pause", 0.50, 0.55), _unit("c", "en", 0.55, 0.95)]
    out = heard_timings(audio, SR, units)
    assert out[0].start_seconds == pytest.approx(0.10, abs=0.011)
    assert out[0].end_seconds == 0.25 and out[2].start_seconds == 0.25  # joined words: the plan's edge
    assert out[2].end_seconds == pytest.approx(0.40, abs=0.011)
    assert out[4].start_seconds == pytest.approx(0.60, abs=0.011)
    assert out[4].end_seconds == pytest.approx(0.80, abs=0.011)
    assert (out[3].start_seconds, out[3].end_seconds) == (out[2].end_seconds, out[4].start_seconds)
    # an anchored start stays where the anchor put it
    fixed = heard_timings(audio, SR, units, fixed_starts=frozenset({4}))
    assert fixed[4].start_seconds == 0.55


def test_a_burst_after_the_cut_is_pulled_inside_it():
    from engine.embedded.heard import pull_in_tail

    audio = np.zeros(SR, dtype=np.float32)
    audio[: int(0.30 * SR)] = 0.5  # the vowel
    audio[int(0.60 * SR):int(0.62 * SR)] = 0.3  # the burst after a long closure
    keep_end = int(0.50 * SR)
    out = pull_in_tail(audio, SR, int(0.25 * SR), keep_end)
    assert len(out) == len(audio)
    kept = out[:keep_end]
    assert np.abs(kept[int(0.40 * SR):]).max() > 0.2  # the burst is inside now
    assert np.abs(kept[: int(0.30 * SR)] - 0.5).max() == 0  # the vowel untouched
    # nothing to move: the same array back
    assert pull_in_tail(audio, SR, 0, int(0.70 * SR)) is audio


def test_slowed_mandarin_line_whose_last_syllable_fades_early_still_fills(engine):
    # before the waveform check, this line at 1.3x fell silent 140 ms before its region's end
    text = "我有一个好朋友，她住在成都。"
    seconds = round(engine.natural_seconds(text, "jf_alpha") * 1.3, 2)
    res = engine.generate(SynthesisRequest(text, voice="jf_alpha", duration=DurationSpec.exact(seconds)))
    assert res.num_samples == round(seconds * SR)
    _start, end = _span(res.audio)
    assert seconds - end <= 0.120
    last = [u for u in res.units if u.kind == "zh"][-1]
    assert abs(last.end_seconds - end) <= 0.040


def _tone(seconds, start=0.0, total=1.5):
    t = np.arange(int(total * SR)) / SR
    return np.where((t >= start) & (t < start + seconds), 0.5 * np.sin(2 * np.pi * 220 * t), 0.0).astype(np.float32)


def test_fill_to_release_moves_the_last_sound_to_the_release_and_nothing_before_it():
    from engine.embedded.retime import fill_to_release

    audio = _tone(1.25, start=0.1)  # heard until 1.35 s of 1.50 s: 75 ms short of the release
    release = int(0.075 * SR)
    units = [UnitTiming("a", "en", 0, 1, 0.1, 0.6, ""), UnitTiming("b", "en", 2, 3, 0.6, 1.35, "")]
    out, moved = fill_to_release(audio, units, release)
    assert len(out) == len(audio)
    _s, end = _span(out)
    assert abs(end - (1.5 - 0.075)) <= 0.011
    untouched = int(0.1 * SR) - 512  # before the first sound
    assert np.array_equal(out[:untouched], audio[:untouched])
    # evenly: the heard 1.25 s become 1.325 s, and the words follow
    assert moved[0].start_seconds == pytest.approx(0.1) and moved[0].end_seconds == pytest.approx(0.1 + 0.5 * 1.06)
    assert moved[1].end_seconds == pytest.approx(1.5 - 0.075, abs=0.002)
    # at most 25 % slower: the rest of the gap stays
    short = _tone(0.2, start=0.1)
    out2, _ = fill_to_release(short, units, release)
    assert _span(out2)[1] == pytest.approx(0.3 + 0.05, abs=0.011)


def test_fill_to_release_leaves_a_line_that_already_fills_and_keeps_an_anchor():
    from engine.embedded.retime import fill_to_release

    release = int(0.075 * SR)
    full = _tone(1.41, start=0.0)  # ends 90 ms before the end: within the slack
    out, _ = fill_to_release(full, [], release)
    assert out is full
    audio = _tone(1.0, start=0.1)
    floor = int(1.0 * SR)  # an anchored word starts at 1.0 s: nothing before it moves
    out, _ = fill_to_release(audio, [], release, floor)
    assert np.array_equal(out[: floor - 512], audio[: floor - 512])
    assert _span(out)[1] == pytest.approx(1.1 + 0.025, abs=0.011)


def test_fill_to_release_gives_the_time_to_a_pause_and_leaves_the_words_as_they_are():
    from engine.embedded.retime import fill_to_release

    audio = _tone(0.5, start=0.1) + _tone(0.5, start=0.8)  # words 0.1-0.6 and 0.8-1.3, a comma between
    release = int(0.075 * SR)
    units = [UnitTiming("a", "zh", 0, 1, 0.1, 0.6, ""), UnitTiming("，", "pause", 1, 2, 0.6, 0.8, ""),
             UnitTiming("b", "zh", 2, 3, 0.8, 1.3, "")]
    out, moved = fill_to_release(audio, units, release)
    gap = int((1.5 - 0.075 - 1.3) * SR)
    assert len(out) == len(audio)
    assert abs(_span(out)[1] - (1.5 - 0.075)) <= 0.011
    first = int(0.6 * SR)  # the first word is untouched, the second is the same samples later
    assert np.array_equal(out[:first], audio[:first])
    second = slice(int(0.8 * SR), int(1.3 * SR))
    assert np.array_equal(out[second.start + gap : second.stop + gap], audio[second])
    assert moved[0] == units[0] and moved[2].start_seconds == pytest.approx(0.8 + gap / SR, abs=1e-6)
