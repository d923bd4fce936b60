"""Per-voice Mandarin fixes (engine/embedded/accent.py): jf_alpha's timbre half of the style is pulled toward the
stock voices' centre, and jf_tebukuro's a little; jm_kumo speaks Mandarin at the other voices' pace."""

import contextlib

import numpy as np

from engine import SynthesisRequest
from engine.embedded import accent

ZH = "吃完饭记得把碗洗干净，出门的时候别忘了关灯。"
EN = "Put the cups back on the shelf, please."


@contextlib.contextmanager
def pull(engine, weights):
    saved = engine.timbre_pull
    engine.timbre_pull = weights
    try:
        yield
    finally:
        engine.timbre_pull = saved


@contextlib.contextmanager
def pace(engine, factors):
    saved = engine.mandarin_pace
    engine.mandarin_pace = factors
    try:
        yield
    finally:
        engine.mandarin_pace = saved


def audible_end(audio: np.ndarray, sr: int = 24000) -> float:
    """Seconds to the end of the last 10 ms frame above -45 dB of the line's peak (bench_fill's measure)."""
    hop = sr // 100
    n = len(audio) // hop
    rms = np.sqrt(np.mean(audio[: n * hop].reshape(n, hop) ** 2, axis=1))
    loud = np.flatnonzero(rms > rms.max() * 10 ** (-45 / 20))
    return (loud[-1] + 1) * hop / sr


def test_only_the_decoder_half_moves():
    rng = np.random.default_rng(1)
    style = rng.normal(size=(1, 256)).astype(np.float32)
    centre_row = rng.normal(size=128).astype(np.float32)
    out = accent.pulled(style, centre_row, 0.3)
    assert np.array_equal(out[:, 128:], style[:, 128:])
    assert np.allclose(out[:, :128], 0.7 * style[:, :128] + 0.3 * centre_row, atol=1e-6)
    assert np.array_equal(accent.pulled(style, centre_row, 0.0), style)
    assert out is not style


def test_the_centre_is_the_mean_of_the_stock_voices(engine):
    tables = {v: engine.style_table(v) for v in engine.stock_voices()}
    assert len(tables) == 5
    assert np.allclose(engine._centre, np.mean([t[:, :128] for t in tables.values()], axis=0), atol=1e-6)


def test_the_pulled_voices_move_in_both_languages_and_stay_themselves(engine):
    from engine.speaker import embed, similarity

    assert engine.timbre_pull == accent.TIMBRE_PULL == {"jf_alpha": 0.3, "jf_tebukuro": 0.3}
    for voice, text in (("jf_alpha", ZH), ("jf_alpha", EN), ("jf_tebukuro", ZH), ("jf_tebukuro", EN)):
        with pull(engine, {}):
            plain = engine.generate(SynthesisRequest(text, voice=voice))
        moved = engine.generate(SynthesisRequest(text, voice=voice))
        # the same plan (lengths and timings), other audio
        assert moved.num_samples == plain.num_samples
        assert moved.token_durations == plain.token_durations
        assert not np.allclose(moved.audio, plain.audio, atol=1e-3)
        # the speaker encoder the app clones with still hears the same voice (another voice is ~0.8)
        assert similarity(embed(plain.audio, 24000), embed(moved.audio, 24000)) > 0.97


def test_other_voices_and_a_cloned_voice_are_as_shipped(engine):
    """Only the listed stock voice moves.  A cloned voice was fitted to its reference through the renderer: it is
    not pulled, even when it blends jf_alpha."""
    from engine.voices import VoiceTemplate

    clone = VoiceTemplate("test clone", {"jf_alpha": 0.6, "jf_nezumi": 0.4})
    for voice in (clone, "jf_nezumi"):
        with pull(engine, {}):
            plain = engine.generate(SynthesisRequest(ZH, voice=voice))
        moved = engine.generate(SynthesisRequest(ZH, voice=voice))
        assert np.allclose(moved.audio, plain.audio, atol=1e-4)


def test_paced_natural_lengthens_only_the_masked_tokens():
    frames = np.array([2, 3, 4, 1, 10])
    assert accent.paced_natural(frames, np.array([0, 1, 1, 0, 0]), 1.0) == 20
    assert accent.paced_natural(frames, np.array([0, 1, 1, 0, 0]), 1.3) == 22  # 20 + 0.3 * 7 = 22.1
    assert accent.paced_natural(frames, np.array([1, 1, 1, 1, 1]), 1.12) == 22  # 20 + 2.4


def test_jm_kumo_speaks_mandarin_at_the_other_voices_pace(engine):
    """jm_kumo's natural Mandarin is longer (its syllables were ~14 % shorter than the other voices'); the line
    is planned to that length in free and ratio modes, still ends on its speech, and exact lengths hold."""
    from engine import DurationSpec

    assert engine.mandarin_pace == accent.MANDARIN_PACE == {"jm_kumo": 1.12}
    with pace(engine, {}):
        own = engine.natural_seconds(ZH, "jm_kumo")
        own_en = engine.natural_seconds(EN, "jm_kumo")
    slow = engine.natural_seconds(ZH, "jm_kumo")
    assert 1.05 < slow / own < 1.12  # the speech is longer; the line's pauses and lead-in are not
    assert engine.natural_seconds(EN, "jm_kumo") == own_en  # English is at the model's pace
    assert engine.length_bounds(ZH, "jm_kumo")[0] == slow
    free = engine.generate(SynthesisRequest(ZH, voice="jm_kumo"))
    assert free.num_samples == round(slow * 24000) and free.ratio == 1.0
    assert free.num_samples / 24000 - audible_end(free.audio) <= 0.12  # the short release, not silence
    assert free.units[-2].end_seconds <= audible_end(free.audio) + 0.04  # the last word ends where it is heard
    ratio = engine.generate(SynthesisRequest(ZH, voice="jm_kumo", duration=DurationSpec.of_ratio(0.8)))
    assert abs(ratio.num_samples / 24000 - 0.8 * slow) <= 0.025
    exact = engine.generate(SynthesisRequest(ZH, voice="jm_kumo", duration=DurationSpec.exact(3.21)))
    assert exact.num_samples == round(3.21 * 24000)


def test_the_pace_leaves_other_voices_and_clones_alone(engine):
    from engine.voices import VoiceTemplate

    clone = VoiceTemplate("test clone", {"jm_kumo": 1.0})
    for voice in (clone, "jf_nezumi"):
        with pace(engine, {}):
            own = engine.generate(SynthesisRequest(ZH, voice=voice))
        paced = engine.generate(SynthesisRequest(ZH, voice=voice))
        assert paced.num_samples == own.num_samples
        assert paced.token_durations == own.token_durations
