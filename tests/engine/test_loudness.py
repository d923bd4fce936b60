"""Loudness measurement, limiter and normalisation (engine/loudness.py), checked against pyloudnorm and
ffmpeg's ebur128 filter on the same files, and the writer's dither (engine/audio_io.py)."""

import math

import numpy as np
import pytest
import soundfile as sf

from engine import loudness as ld
from engine.audio_io import write_audio
from tests.engine.ffmpeg_meter import ffmpeg_ebur128


def _signal(kind: str, seconds: float = 12.0, sr: int = 48000, channels: int = 1, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    if kind == "tone":
        x = 0.3 * np.sin(2 * np.pi * 997 * t)
    elif kind == "noise":
        x = rng.normal(0, 0.05, n)
    elif kind == "bursts":  # loud and quiet stretches: both gates matter
        env = (np.sin(2 * np.pi * 0.3 * t) > 0.2) * (0.02 + 0.3 * np.sin(2 * np.pi * 0.07 * t) ** 2)
        x = rng.normal(0, 1, n) * env
    elif kind == "speechy":  # syllables of a voiced sound with breath noise, and a quieter passage
        env = np.abs(np.sin(2 * np.pi * 2.5 * t)) ** 3 * (0.2 + 0.8 * (np.sin(2 * np.pi * 0.05 * t) > 0))
        x = env * (0.3 * np.sin(2 * np.pi * 180 * t + 3 * np.sin(2 * np.pi * 3 * t)) + 0.05 * rng.normal(0, 1, n))
    elif kind == "low":
        x = 0.5 * np.sin(2 * np.pi * 40 * t)
    else:
        raise ValueError(kind)
    x = x.astype(np.float32)
    if channels == 2:
        x = np.stack([x, 0.5 * np.roll(x, 1000)], axis=1)
    return x


CASES = [("tone", 1, 48000), ("noise", 2, 48000), ("bursts", 1, 48000), ("bursts", 2, 48000),
         ("speechy", 2, 48000), ("low", 1, 48000), ("speechy", 1, 44100), ("bursts", 2, 44100)]


@pytest.mark.parametrize("kind,channels,sr", CASES)
def test_integrated_loudness_matches_pyloudnorm(kind, channels, sr):
    pyln = pytest.importorskip("pyloudnorm")
    x = _signal(kind, sr=sr, channels=channels)
    ours = ld.measure(x, sr).integrated_lufs
    theirs = pyln.Meter(sr).integrated_loudness(x.astype(np.float64))
    # pyloudnorm designs its shelf from rounded parameters: it reads ~0.04 LU under the BS.1770 table
    assert ours == pytest.approx(theirs, abs=0.1)


@pytest.mark.parametrize("kind,channels,sr", CASES)
def test_readings_match_ffmpeg_ebur128(kind, channels, sr, tmp_path):
    x = _signal(kind, sr=sr, channels=channels)
    path = tmp_path / f"{kind}.wav"
    sf.write(path, x, sr, subtype="FLOAT")
    ours = ld.measure(x, sr)
    ff = ffmpeg_ebur128(path)
    if sr == 48000:  # ffmpeg's meter resamples anything else to 48 kHz first
        assert ours.integrated_lufs == pytest.approx(ff["I"], abs=0.1)
        assert ours.range_lu == pytest.approx(ff["LRA"], abs=0.3)
    else:
        assert ours.integrated_lufs == pytest.approx(ff["I"], abs=0.15)
    assert ours.true_peak_dbtp == pytest.approx(ff["TP"], abs=0.3)


def test_reference_tone_reads_as_the_standard_says():
    # BS.1770: a 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS; at -20 dBFS, -23.01
    sr = 48000
    t = np.arange(10 * sr) / sr
    x = (10 ** (-20 / 20) * np.sin(2 * np.pi * 997 * t)).astype(np.float32)
    m = ld.measure(x, sr)
    assert m.integrated_lufs == pytest.approx(-23.01, abs=0.02)
    assert m.range_lu == pytest.approx(0.0, abs=0.05)
    assert m.true_peak_dbtp == pytest.approx(-20.0, abs=0.05)
    stereo = ld.measure(np.stack([x, x], 1), sr)
    assert stereo.integrated_lufs == pytest.approx(-20.0, abs=0.02)  # two channels add their power


def test_true_peak_finds_the_peak_between_samples():
    sr = 48000
    t = np.arange(sr) / sr
    x = (0.7 * np.sin(2 * np.pi * sr / 4 * t + np.pi / 4)).astype(np.float32)  # samples at 0.495, peak 0.7
    assert 20 * np.log10(np.abs(x).max()) == pytest.approx(-6.1, abs=0.05)
    assert ld.measure(x, sr).true_peak_dbtp == pytest.approx(20 * np.log10(0.7), abs=0.1)


def test_block_filter_equals_sample_by_sample_filtering():
    signal = pytest.importorskip("scipy.signal")
    for sr in (48000, 44100, 22050):
        b, a = ld.k_weighting_coefficients(sr)
        x = np.random.default_rng(3).normal(0, 0.3, (50_000, 2))
        f = ld.BlockIIR(b, a, channels=2)
        y = np.concatenate([f.process(x[:12_345]), f.process(x[12_345:]), f.flush()])
        ref = signal.lfilter(b, a, x, axis=0)
        assert np.abs(y - ref).max() < 1e-5 * np.abs(ref).max()


def test_the_48k_table_and_the_analogue_design_agree():
    b48, a48 = ld.k_weighting_coefficients(48000)
    b, a = ld.k_weighting_coefficients(48001)
    assert np.allclose(b48, b, atol=2e-4) and np.allclose(a48, a, atol=2e-4)


def test_chunked_feeding_reads_the_same():
    sr = 48000
    x = _signal("speechy", seconds=15, channels=2)
    whole = ld.measure(x, sr)
    meter = ld.LoudnessMeter(sr, 2)
    i = 0
    for size in [1, 777, 4800, 10_001] * 100:
        meter.add(x[i: i + size])
        i += size
    meter.add(x[i:])
    parts = meter.result()
    assert parts.integrated_lufs == pytest.approx(whole.integrated_lufs, abs=1e-6)
    assert parts.range_lu == pytest.approx(whole.range_lu, abs=1e-6)
    assert parts.true_peak_dbtp == pytest.approx(whole.true_peak_dbtp, abs=1e-6)


def test_silence_and_short_audio_read_minus_infinity():
    m = ld.measure(np.zeros(48000, np.float32), 48000)
    assert m.integrated_lufs == -math.inf and m.true_peak_dbtp == -math.inf
    assert ld.measure(np.ones(100, np.float32) * 0.1, 48000).integrated_lufs == -math.inf
    assert m.to_dict()["integrated_lufs"] is None


def test_targets_parse():
    assert ld.parse_target("ebu") == (-23.0, -1.0)
    assert ld.parse_target("ATSC") == (-24.0, -2.0)
    assert ld.parse_target("web") == (-16.0, -1.0)
    assert ld.parse_target("-20") == (-20.0, -1.0)
    assert ld.parse_target("-18 LUFS") == (-18.0, -1.0)
    assert ld.parse_target(None) is None and ld.parse_target("none") is None
    for bad in ("loud", "5", "-100", "nan"):
        with pytest.raises(ld.LoudnessError):
            ld.parse_target(bad)


def test_limiter_holds_the_ceiling_without_clipping():
    sr = 48000
    t = np.arange(sr) / sr
    x = (0.5 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    x[20_000:24_800] *= 4  # a burst 7 dB over a -1 dBTP ceiling
    y, rep = ld.limit_true_peak(x, sr, -1.0)
    assert ld.measure(y, sr).true_peak_dbtp <= -1.0
    assert rep.max_reduction_db == pytest.approx(20 * np.log10(2.0 / 10 ** (-1.2 / 20)), abs=0.1)
    assert np.array_equal(y[:19_000], x[:19_000]) and np.array_equal(y[40_000:], x[40_000:])  # untouched
    # a gain, not a clip: inside the burst the waveform keeps its shape
    seg, ref = y[21_000:23_000], x[21_000:23_000]
    big = np.abs(ref) > 0.5
    gain = seg[big] / ref[big]
    assert gain.std() < 1e-4  # one steady gain across each peak: a clip would squash only the tops


def test_normalize_reaches_the_target_under_the_ceiling():
    sr = 48000
    x = _signal("speechy", seconds=20, channels=2)
    for target, ceiling in ((-23.0, -1.0), (-16.0, -1.0), (-24.0, -2.0)):
        res = ld.normalize(x, sr, target, ceiling)
        check = ld.measure(res.audio, sr)
        assert check.integrated_lufs == pytest.approx(target, abs=0.1)
        assert check.true_peak_dbtp <= ceiling
        assert res.loudness.integrated_lufs == pytest.approx(check.integrated_lufs, abs=1e-6)


def test_a_hard_working_limiter_is_reported():
    sr = 48000
    x = _signal("bursts", seconds=20)
    res = ld.normalize(x, sr, -10.0, -2.0)
    assert ld.measure(res.audio, sr).true_peak_dbtp <= -2.0
    assert res.limiter.worked_hard
    assert any("limiter worked hard" in w for w in res.warnings)


def test_writer_dithers_and_never_clips(tmp_path):
    sr = 48000
    t = np.arange(sr) / sr
    quiet = (1e-4 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)  # about 3 LSB at 16 bits
    write_audio(tmp_path / "q.wav", quiet, sr, subtype="PCM_16")
    y, _ = sf.read(tmp_path / "q.wav", dtype="float64")
    err = (y - quiet) * 32768
    assert np.abs(err).max() <= 1.51 and abs(err.mean()) < 0.02  # TPDF: +-1 LSB plus rounding, no bias
    assert 0.3 < err.std() < 0.8  # dither noise is there (sqrt(1/6 + 1/12) = 0.5 LSB)
    write_audio(tmp_path / "q2.wav", quiet, sr, subtype="PCM_16")
    assert np.array_equal(sf.read(tmp_path / "q2.wav")[0], y)  # the same mix makes the same file

    loud = (1.6 * np.sin(2 * np.pi * 100 * t)).astype(np.float32)
    write_audio(tmp_path / "l.flac", loud, sr, subtype="PCM_24")
    z, _ = sf.read(tmp_path / "l.flac", dtype="float64")
    assert sf.info(tmp_path / "l.flac").subtype == "PCM_24"
    assert np.abs(z).max() < 1.0
    assert np.corrcoef(z, loud)[0, 1] > 0.999  # scaled down by a limiter, not squared off
    write_audio(tmp_path / "f.wav", loud, sr, subtype="FLOAT")
    assert np.abs(sf.read(tmp_path / "f.wav")[0]).max() == pytest.approx(1.6, abs=1e-6)  # float keeps overs
