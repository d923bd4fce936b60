"""Stock voices speak Mandarin with the Mandarin voices' prosody half (engine/embedded/zh_voices.py): their
own decoder half (the voice), the Mandarin speakers' predictor half (durations, pitch, energy)."""

import gzip
import io
import os
import tarfile

import numpy as np
import pytest

from engine import SynthesisRequest
from engine.embedded import zh_voices

ZH = "这只橘猫每天下午都在街角晒太阳。"
EN = "Put the cups back on the shelf, please."
REQUIRE = os.environ.get("DUBLINE_REQUIRE_ZH_VOICES") == "1"


@pytest.fixture(scope="module")
def halves():
    h = zh_voices.prosody_halves()
    if h is None:
        if REQUIRE:
            pytest.fail("DUBLINE_REQUIRE_ZH_VOICES=1 but " + zh_voices.status())
        pytest.skip(zh_voices.status())
    return h


def _tarball(files: dict[str, bytes]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue())


def test_a_tarball_that_is_not_the_pinned_one_is_refused_and_nothing_is_written(tmp_path, capsys):
    fake = tmp_path / "kokoro-js-1.2.1.tgz"
    fake.write_bytes(_tarball({f"package/voices/{n}.bin": bytes(510 * 256 * 4) for n in zh_voices.FEMALE + zh_voices.MALE}))
    with pytest.raises(ValueError, match="SHA-256"):
        zh_voices.install(fake, target=tmp_path / "voices")
    assert not (tmp_path / "voices" / zh_voices.VOICES_FILE).exists()
    os.environ["DUBLINE_ZH_VOICES"] = str(tmp_path / "voices")
    try:
        assert zh_voices.main(["install", "--from", str(fake)]) == 1  # a message, not a traceback
        assert "SHA-256" in capsys.readouterr().err
        assert zh_voices.load() is None
        assert "not installed" in zh_voices.status()
    finally:
        del os.environ["DUBLINE_ZH_VOICES"]


def test_a_damaged_file_reads_as_not_installed(tmp_path):
    (tmp_path / zh_voices.VOICES_FILE).write_bytes(b"not an npz")
    assert zh_voices.load(tmp_path) is None
    assert "damaged" in zh_voices.status(tmp_path)


def test_the_installed_packs_are_kokoros_mandarin_voices(halves):
    packs = zh_voices.load()
    assert sorted(packs) == sorted(zh_voices.FEMALE + zh_voices.MALE)
    assert all(p.shape == (510, 256) and p.dtype == np.float32 for p in packs.values())
    assert np.allclose(halves["f"], np.mean([packs[n][:, 128:] for n in zh_voices.FEMALE], axis=0), atol=1e-6)
    assert np.allclose(halves["m"], np.mean([packs[n][:, 128:] for n in zh_voices.MALE], axis=0), atol=1e-6)
    assert (zh_voices.folder() / "LICENSE").read_text().lstrip().startswith("Apache License")


def test_mandarin_lines_borrow_the_prosody_half_and_keep_the_voice(engine, halves):
    from engine.embedded.accent import ZH_TIMBRE_PULL

    timbre = zh_voices.timbre_halves()
    assert 0.0 < ZH_TIMBRE_PULL <= 0.3 and engine.zh_timbre_pull == ZH_TIMBRE_PULL
    for voice, gender in (("jf_nezumi", "f"), ("jm_kumo", "m")):
        own = engine.style_table(voice)
        table, key = engine.line_table(voice, engine.units(ZH))
        # the decoder half: the voice itself, moved part of the way toward the Mandarin speakers'
        expect = (1.0 - ZH_TIMBRE_PULL) * own[:, :128] + ZH_TIMBRE_PULL * timbre[gender]
        assert np.allclose(table[:, :128], expect, atol=1e-6)
        assert np.array_equal(table[:, 128:], halves[gender])  # the predictor half: Mandarin speakers'
        assert key != engine.voice_key(voice)  # its predictions are cached apart
        en_table, en_key = engine.line_table(voice, engine.units(EN))
        assert en_table is own and en_key == engine.voice_key(voice)


def test_the_rendered_line_changes_and_stays_the_same_speaker(engine, halves, monkeypatch):
    from engine.speaker import embed, similarity

    borrowed = engine.generate(SynthesisRequest(ZH, voice="jf_gongitsune"))
    with monkeypatch.context() as m:
        m.setattr(engine, "zh_prosody", False)
        own = engine.generate(SynthesisRequest(ZH, voice="jf_gongitsune"))
        other = engine.generate(SynthesisRequest(ZH, voice="jf_nezumi"))
    assert borrowed.token_durations != own.token_durations  # the Mandarin speakers' rhythm
    same = similarity(embed(own.audio, 24000), embed(borrowed.audio, 24000))
    assert same > 0.9 and same > similarity(embed(own.audio, 24000), embed(other.audio, 24000))
    # an exact length still lands on its sample
    exact = engine.generate(SynthesisRequest(ZH, voice="jf_gongitsune", duration=_exact(3.0)))
    assert exact.num_samples == 72000


def test_the_timbre_moves_toward_the_mandarin_speakers_and_stays_the_voice(engine, halves, monkeypatch):
    """The decoder half's pull, alone: the same line with and without it is the same speaker to the encoder
    the app clones with, nearer to itself than to the closest other stock voice, and closer to a Mandarin
    speaker than before."""
    from engine.speaker import embed, similarity

    packs = zh_voices.load()
    pulled = engine.generate(SynthesisRequest(ZH, voice="jm_kumo"))
    with monkeypatch.context() as m:
        m.setattr(engine, "zh_timbre_pull", 0.0)
        shipped = engine.generate(SynthesisRequest(ZH, voice="jm_kumo"))
        other = engine.generate(SynthesisRequest(ZH, voice="jf_tebukuro"))
        m.setattr(engine, "_voices", {**engine._voices, "zm_yunxi": packs["zm_yunxi"]})
        m.setattr(engine, "_tables", dict(engine._tables))  # the borrowed voice leaves no table behind
        m.setattr(engine, "zh_prosody", False)
        mandarin = engine.generate(SynthesisRequest(ZH, voice="zm_yunxi"))
    assert pulled.token_durations == shipped.token_durations  # the prosody is not what moved
    e = {k: embed(r.audio, 24000) for k, r in
         (("pulled", pulled), ("shipped", shipped), ("other", other), ("mandarin", mandarin))}
    same = similarity(e["pulled"], e["shipped"])
    assert same > 0.9 and same > similarity(e["shipped"], e["other"]) + 0.1
    assert similarity(e["pulled"], e["mandarin"]) > similarity(e["shipped"], e["mandarin"])


def test_english_lines_and_cloned_voices_are_untouched(engine, halves, monkeypatch):
    from engine.voices import VoiceTemplate

    clone = VoiceTemplate("test clone", {"jf_alpha": 0.6, "jf_nezumi": 0.4})
    for voice, text in (("jf_alpha", EN), (clone, ZH)):
        with_zh = engine.generate(SynthesisRequest(text, voice=voice))
        with monkeypatch.context() as m:
            m.setattr(engine, "zh_prosody", False)
            without = engine.generate(SynthesisRequest(text, voice=voice))
        assert with_zh.token_durations == without.token_durations
        assert np.allclose(with_zh.audio, without.audio, atol=1e-4)


def test_the_pitch_offset_is_measured_once_and_kept(engine, halves, monkeypatch, tmp_path):
    monkeypatch.setattr(engine, "_graphs", tmp_path)
    monkeypatch.setattr(engine, "_zh_pitch", {})
    measured = engine.zh_pitch_offset("jf_tebukuro")
    assert (tmp_path / zh_voices.PITCH_FILE).is_file()
    # a later process reads it back rather than rendering the reference sentences again
    monkeypatch.setattr(engine, "_zh_pitch", {})

    def no_rendering(*a, **k):
        raise AssertionError("a kept pitch offset must not be measured again")

    monkeypatch.setattr(engine, "_prosody", no_rendering)
    assert engine.zh_pitch_offset("jf_tebukuro") == pytest.approx(measured, abs=1e-5)
    # a damaged file is a cache miss, never an error
    (tmp_path / zh_voices.PITCH_FILE).write_text("{not json")
    assert zh_voices.stored_pitch(tmp_path, "anything") is None
    zh_voices.store_pitch(tmp_path, "k", 1.5)
    assert zh_voices.stored_pitch(tmp_path, "k") == 1.5


def _exact(seconds):
    from engine import DurationSpec

    return DurationSpec.exact(seconds)
