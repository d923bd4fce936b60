"""The one mixer: playback blocks are the exported samples, bit for bit, whatever the block boundaries."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from engine.types import UnitTiming  # noqa: F401 (Clip's units)
from project import model as pj
from project.export import ExportOptions, export_mix, export_stems
from project.mixer import ArraySource, Line, MixPlan, array_source, plan_for
from project.render_core import Clip, mix


def _tone(seconds: float, sr: int, freq: float, level: float) -> np.ndarray:
    t = np.arange(int(seconds * sr)) / sr
    return (level * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def _project():
    """Media + three tracks of overlapping lines (one muted, one panned), gains on tracks and mix."""
    p = pj.Project(sample_rate=48000)
    p.mix.source_gain_db = -3.0
    p.mix.duck_db = -14.0
    p.mix.dub_gain_db = -2.0
    a, b, c = pj.Track(name="A", gain_db=-4.0, pan=-0.5), pj.Track(name="B", gain_db=2.0, pan=0.7), \
        pj.Track(name="C", mute=True)
    a.regions = [pj.Region(start=0.5, end=1.7, text="a1"), pj.Region(start=1.2, end=2.9, text="a2")]
    b.regions = [pj.Region(start=1.0, end=2.0, text="b1"), pj.Region(start=3.3, end=4.1, text="b2")]
    c.regions = [pj.Region(start=0.2, end=4.0, text="muted")]
    p.tracks = [a, b, c]
    clips = {}
    for i, (_, r) in enumerate(p.all_regions()):
        audio = _tone(r.end - r.start, 24000, 220.0 + 110 * i, 0.2)
        clips[r.id] = Clip(f"{i:032x}", audio, 24000, r.end - r.start, 1.0, [], [])
    rng = np.random.default_rng(1)
    source = (0.1 * rng.standard_normal((48000 * 5, 2))).astype(np.float32)
    return p, clips, source


def test_playback_block_equals_exported_samples(tmp_path, qapp):
    from editor.playback import Mixer

    p, clips, source = _project()
    out = tmp_path / "mix.wav"
    export_mix(p, clips, out, source, 48000, ExportOptions(bit_depth=32, channels=2, ceiling_dbtp=0.0))
    exported, sr = sf.read(out, dtype="float32")
    assert sr == 48000 and exported.shape[1] == 2

    m = Mixer(48000, channels=2)
    m.set_source(source, 48000)
    m.set_plan(plan_for(p, clips, m.source, sample_rate=48000, channels=2))
    for t in (0.0, 0.49, 1.0, 1.234567, 2.05, 3.3, 3.95):  # around line starts/ends, ducking ramps, overlaps
        start = int(round(t * sr))
        for n in (1, 441, 8192):
            n = min(n, len(exported) - start)
            block = m.render(start, n)
            assert np.array_equal(block, exported[start: start + n]), (t, n)
    # and through the device path, as QAudioSink pulls it (interleaved float frames)
    from PySide6.QtCore import QIODevice

    from editor.playback import _MixDevice

    dev = _MixDevice(m, 1.2, 1.0, channels=2, as_float=True)
    dev.open(QIODevice.OpenModeFlag.ReadOnly | QIODevice.OpenModeFlag.Unbuffered)
    frames = np.frombuffer(bytes(dev.read(8 * 3000)), np.float32).reshape(-1, 2)
    s = int(round(1.2 * sr))
    assert np.array_equal(frames, np.clip(exported[s: s + 3000], -1, 1))


def test_any_block_boundaries_give_the_same_samples():
    p, clips, source = _project()
    plan = plan_for(p, clips, array_source(source, 48000, 44100), sample_rate=44100, channels=2)
    whole = plan.render_all()
    rng = np.random.default_rng(7)
    cuts = np.unique(np.concatenate([[0, plan.length], rng.integers(0, plan.length, 40)]))
    pieces = np.concatenate([plan.render(a, b - a) for a, b in zip(cuts[:-1], cuts[1:], strict=True)])
    assert np.array_equal(pieces, whole)
    assert np.array_equal(mix(p, clips, source, 48000, channels=2, sample_rate=44100), whole)


def test_mute_solo_gain_and_ducking():
    sr = 8000
    clip = np.full(sr, 0.5, np.float32)
    src = ArraySource(np.full(sr * 4, 0.25, np.float32))
    plan = MixPlan.build(sr, 1, [Line(1.0, clip, sr, gain=0.5, duck=0.25)], src, 2.0)
    out = plan.render_all()
    assert out[int(0.5 * sr)] == pytest.approx(0.5)  # source alone, its gain 2
    assert out[int(1.5 * sr)] == pytest.approx(0.25 * 2 * 0.25 + 0.5 * 0.5)  # ducked source + line
    # the envelope ramps over 20 ms centred on the line's edges: about half way at the edge itself
    env = plan.duck_envelope(sr - 5, 11)
    assert env[5] == pytest.approx(1 - 0.75 * (plan.duck_half + 1) / (2 * plan.duck_half + 1), abs=1e-9)
    assert np.all(np.diff(env) <= 0)
    p, clips, _ = _project()
    a, b, _c = p.tracks
    b.solo = True
    solo = plan_for(p, clips, sample_rate=sr, channels=1)
    assert {q.line.key for q in solo.placed} == {clips[r.id].key for r in b.regions}


def test_fades_and_region_gain_are_read_when_the_model_has_them():
    """Ready for per-region gain/fades and a track's duck level (issue 17): attributes are honoured."""
    p, clips, _ = _project()
    r = p.tracks[0].regions[0]
    r.gain_db, r.fade_in, r.fade_out = -6.0, 0.1, 0.1
    p.tracks[0].duck_db = -6.0
    ln = next(q.line for q in plan_for(p, clips, sample_rate=48000).placed if q.line.key == clips[r.id].key)
    assert ln.gain == pytest.approx(10 ** ((-4 - 2 - 6) / 20)) and ln.fade_in == 0.1
    assert ln.duck == pytest.approx(10 ** (-6 / 20))
    plan = MixPlan.build(1000, 1, [Line(0.0, np.ones(1000, np.float32), 1000, fade_in=0.1, fade_out=0.2)])
    out = plan.render_all()
    assert out[0] < 0.01 and out[99] > 0.99 and out[500] == 1.0 and out[-1] < 0.01


def test_streamed_export_meets_the_loudness_target(tmp_path):
    from engine.loudness import measure

    p, clips, source = _project()
    out = tmp_path / "loud.wav"
    rep = export_mix(p, clips, out, source, 48000, ExportOptions.make(loudness="-20", bit_depth=32))
    audio, sr = sf.read(out, dtype="float32")
    m = measure(audio, sr)
    assert abs(m.integrated_lufs + 20.0) < 0.1 and m.true_peak_dbtp <= -1.0 + 0.05
    assert rep.loudness.integrated_lufs == pytest.approx(m.integrated_lufs, abs=0.01)
    stems = export_stems(p, clips, tmp_path / "stems", options=ExportOptions.make(loudness="-20", bit_depth=32),
                         source=source, source_sr=48000)
    assert stems.gain_db == pytest.approx(rep.gain_db)
