"""Mandarin passes use the timbre half of the style pulled toward the stock voices' centre (engine/embedded/accent.py)."""

import contextlib

import numpy as np

from engine import SynthesisRequest
from engine.embedded import accent


@contextlib.contextmanager
def pull(engine, weights):
    saved = engine.mandarin_pull
    engine.mandarin_pull = weights
    try:
        yield
    finally:
        engine.mandarin_pull = saved


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


def test_mandarin_changes_english_does_not_and_the_voice_stays_itself(engine):
    from engine.speaker import embed, similarity

    zh = "吃完饭记得把碗洗干净，出门的时候别忘了关灯。"
    with pull(engine, {}):
        plain_zh = engine.generate(SynthesisRequest(zh, voice="jf_alpha"))
        plain_en = engine.generate(SynthesisRequest("Put the cups back on the shelf, please.", voice="jf_alpha"))
    pulled_zh = engine.generate(SynthesisRequest(zh, voice="jf_alpha"))
    pulled_en = engine.generate(SynthesisRequest("Put the cups back on the shelf, please.", voice="jf_alpha"))
    assert engine.mandarin_pull == accent.MANDARIN_PULL == {"jf_alpha": 0.3}
    # same plan (lengths and timings), other audio
    assert pulled_zh.num_samples == plain_zh.num_samples
    assert pulled_zh.token_durations == plain_zh.token_durations
    assert not np.allclose(pulled_zh.audio, plain_zh.audio, atol=1e-3)
    # English passes keep the voice exactly as shipped
    assert pulled_en.token_durations == plain_en.token_durations
    assert np.allclose(pulled_en.audio, plain_en.audio, atol=1e-4)
    # the speaker encoder the app clones with still hears jf_alpha (another voice is ~0.8)
    a, b = embed(plain_zh.audio, 24000), embed(pulled_zh.audio, 24000)
    assert similarity(a, b) > 0.97


def test_other_voices_and_a_cloned_voice_are_as_shipped(engine):
    """Only the listed stock voice moves.  A cloned voice was fitted to its reference through the renderer: it is
    not pulled, even when it blends jf_alpha."""
    from engine.voices import VoiceTemplate

    clone = VoiceTemplate("test clone", {"jf_alpha": 0.6, "jf_nezumi": 0.4})
    text = "这张桌子是我爷爷亲手做的。"
    for voice in (clone, "jf_nezumi"):
        with pull(engine, {}):
            plain = engine.generate(SynthesisRequest(text, voice=voice))
        pulled = engine.generate(SynthesisRequest(text, voice=voice))
        assert np.allclose(pulled.audio, plain.audio, atol=1e-4)
