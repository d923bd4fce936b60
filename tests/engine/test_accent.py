"""jf_alpha's and jf_tebukuro's timbre halves of the style are pulled toward the stock voices' centre
(engine/embedded/accent.py)."""

import numpy as np

from engine import SynthesisRequest
from engine.embedded import accent

ZH = "吃完饭记得把碗洗干净，出门的时候别忘了关灯。"
EN = "Put the cups back on the shelf, please."


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


def test_the_pulled_voices_move_in_both_languages_and_stay_themselves(engine, monkeypatch):
    from engine.speaker import embed, similarity

    assert engine.timbre_pull == accent.TIMBRE_PULL == {"jf_alpha": 0.3, "jf_tebukuro": 0.3}
    for voice, text in (("jf_alpha", ZH), ("jf_alpha", EN), ("jf_tebukuro", ZH), ("jf_tebukuro", EN)):
        with monkeypatch.context() as m:
            m.setattr(engine, "timbre_pull", {})
            plain = engine.generate(SynthesisRequest(text, voice=voice))
        moved = engine.generate(SynthesisRequest(text, voice=voice))
        # the same plan (lengths and timings), other audio
        assert moved.num_samples == plain.num_samples
        assert moved.token_durations == plain.token_durations
        assert not np.allclose(moved.audio, plain.audio, atol=1e-3)
        # the speaker encoder the app clones with still hears the same voice (two stock voices: 0.73-0.91)
        assert similarity(embed(plain.audio, 24000), embed(moved.audio, 24000)) > 0.97


def test_other_voices_and_a_cloned_voice_are_as_shipped(engine, monkeypatch):
    """Only the listed stock voices move.  A cloned voice was fitted to its reference through the renderer: it is
    not pulled, even when it blends jf_alpha."""
    from engine.voices import VoiceTemplate

    clone = VoiceTemplate("test clone", {"jf_alpha": 0.6, "jf_nezumi": 0.4})
    for voice in (clone, "jf_nezumi"):
        with monkeypatch.context() as m:
            m.setattr(engine, "timbre_pull", {})
            plain = engine.generate(SynthesisRequest(ZH, voice=voice))
        moved = engine.generate(SynthesisRequest(ZH, voice=voice))
        assert np.allclose(moved.audio, plain.audio, atol=1e-4)
