"""The render cache never serves wrong audio: every kind of damage is a miss, and the region renders again.

Regressions for issue #15 (flipped bytes, truncation, another line's clip, NaN, a changed header
rate, an absurd length, bogus timings in the sidecar).  A fake engine keeps these fast.
"""

import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from engine.types import SynthesisResult, UnitTiming
from project import model as pj
from project.render_core import Clip, RenderCache, render_region

SR = 24000


class FakeEngine:
    """Renders a tone exactly as long as asked; counts the renders."""

    def __init__(self):
        self.calls = 0

    def model_version(self) -> str:
        return "fake-1"

    def generate(self, req):
        self.calls += 1
        n = int(round(req.duration.seconds * SR)) if req.duration.mode == "exact" else SR // 2
        t = np.arange(n) / SR
        audio = (0.3 * np.sin(2 * np.pi * (200 + 50 * self.calls) * t)).astype(np.float32)
        units = [UnitTiming(req.text, "zh", 0, len(req.text), 0.01, n / SR - 0.01, "ni hao")]
        return SynthesisResult(audio, SR, n / SR, 1.0, "ni hao", units, [n // 600], voice=req.voice)


@pytest.fixture
def setup(tmp_path):
    p = pj.Project()
    a = pj.Region(id="a", start=0.0, end=0.5, text="你好")
    b = pj.Region(id="b", start=1.0, end=1.5, text="再见")
    p.tracks[0].regions = [a, b]
    eng = FakeEngine()
    folder = tmp_path / "cache"
    ca = render_region(eng, p, p.tracks[0], a, RenderCache(folder))
    cb = render_region(eng, p, p.tracks[0], b, RenderCache(folder))
    assert eng.calls == 2
    return p, eng, folder, ca, cb


def _again(setup) -> tuple[Clip, int]:
    p, eng, folder, ca, _ = setup
    before = eng.calls
    clip = render_region(eng, p, p.tracks[0], p.tracks[0].regions[0], RenderCache(folder))
    return clip, eng.calls - before


def test_an_intact_entry_is_a_hit_and_bit_exact(setup):
    clip, renders = _again(setup)
    assert renders == 0
    np.testing.assert_array_equal(clip.audio, setup[3].audio)


def _flip(folder, key):
    wav = folder / f"{key}.wav"
    data = bytearray(wav.read_bytes())
    data[len(data) // 2] ^= 0x40
    wav.write_bytes(bytes(data))


def _truncate(folder, key):
    wav = folder / f"{key}.wav"
    data = wav.read_bytes()
    wav.write_bytes(data[: len(data) * 2 // 3])


def _other_clip(folder, key, other):
    shutil.copy(folder / f"{other}.wav", folder / f"{key}.wav")


def _other_clip_and_sidecar(folder, key, other):
    shutil.copy(folder / f"{other}.wav", folder / f"{key}.wav")
    shutil.copy(folder / f"{other}.json", folder / f"{key}.json")


def _nan(folder, key):
    wav = folder / f"{key}.wav"
    audio, sr = sf.read(wav, dtype="float32")
    audio[100] = np.nan
    sf.write(wav, audio, sr, subtype="FLOAT")


def _rate(folder, key):
    wav = folder / f"{key}.wav"
    audio, sr = sf.read(wav, dtype="float32")
    sf.write(wav, audio, 48000, subtype="FLOAT")


def _long(folder, key):
    sf.write(folder / f"{key}.wav", np.zeros(3600 * 8000, np.float32), 8000, subtype="PCM_16")


def _timings(folder, key):
    meta = folder / f"{key}.json"
    info = json.loads(meta.read_text())
    info["units"][0]["end_seconds"] = 99.0
    meta.write_text(json.dumps(info))


def _sidecar_rate(folder, key):
    meta = folder / f"{key}.json"
    info = json.loads(meta.read_text())
    info["sample_rate"] = 48000
    meta.write_text(json.dumps(info))


def _old_format(folder, key):
    meta = folder / f"{key}.json"
    info = json.loads(meta.read_text())
    del info["sha256"]
    meta.write_text(json.dumps(info))


def _device(folder, key):
    (folder / f"{key}.wav").unlink()
    (folder / f"{key}.wav").symlink_to("/dev/zero")


DAMAGE = {"flipped bytes": _flip, "truncated": _truncate, "another clip": _other_clip,
          "another clip and sidecar": _other_clip_and_sidecar, "NaN": _nan, "header rate": _rate,
          "one hour": _long, "bogus timings": _timings, "sidecar rate": _sidecar_rate,
          "no hash": _old_format, "device": _device}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_damaged_entries_are_misses_and_render_again(setup, damage):
    p, eng, folder, ca, cb = setup
    fn = DAMAGE[damage]
    if fn in (_other_clip, _other_clip_and_sidecar):
        fn(folder, ca.key, cb.key)
    else:
        fn(folder, ca.key)
    clip, renders = _again(setup)
    assert renders == 1, damage
    assert len(clip.audio) == round(0.5 * SR) and np.isfinite(clip.audio).all()
    # the fresh render replaced the damaged entry: the next read is a clean hit
    clip2, renders2 = _again(setup)
    assert renders2 == 0
    np.testing.assert_array_equal(clip2.audio, clip.audio)


def test_a_clip_of_the_wrong_length_for_an_exact_region_is_a_miss(setup):
    p, eng, folder, ca, _ = setup
    cache = RenderCache(folder)
    region = p.tracks[0].regions[0]
    region.end = 0.6  # another length: another key, so poison that key's entry with the old clip
    from project.render_core import region_request, request_key

    key = request_key(region_request(p, p.tracks[0], region), eng.model_version())
    cache.put(Clip(key, ca.audio, ca.sample_rate, ca.natural_seconds, ca.ratio, ca.units, []))
    before = eng.calls
    clip = render_region(eng, p, p.tracks[0], region, RenderCache(folder))
    assert eng.calls == before + 1 and len(clip.audio) == round(0.6 * SR)


def test_keys_that_are_not_digests_never_become_file_names(tmp_path):
    cache = RenderCache(tmp_path / "c")
    clip = Clip("../../evil", np.zeros(10, np.float32), SR, 0.1, 1.0, [], [])
    cache.put(clip)
    assert not (tmp_path / "evil.wav").exists() and not (tmp_path / "c").exists()
    assert RenderCache(tmp_path / "c").get("../../evil") is None
