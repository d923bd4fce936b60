"""Fuzz: a valid project file, mutated, fed to load, render to every format and save (issue #15).

For every mutation: only the project floor's own error (DublineError) escapes; no file outside
the output path changes (the render cache may only gain entries); nothing half-written remains.
The engine is a stand-in that validates each request like the real one and returns a tone of
the asked length, so a hundred renders take a second (the real engine's own limits are tested
elsewhere); timelines longer than ten minutes are loaded and saved but not mixed, to stay fast.
"""

import copy
import hashlib
import json
import math
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from engine.errors import RequestError
from engine.types import SynthesisResult, UnitTiming
from project import model as pj
from project.errors import DublineError
from project.export import FORMATS, export_project

SR = 24000


class StandInEngine:
    def model_version(self) -> str:
        return "stand-in-1"

    def stock_voices(self):
        return ["jf_alpha", "jm_kumo"]

    def voices(self):
        return self.stock_voices()

    def generate(self, req):
        req.validate()
        if req.voice not in self.voices():
            raise RequestError(f"unknown voice {req.voice!r}")
        n = int(round(req.duration.seconds * SR)) if req.duration.mode == "exact" else SR // 4
        audio = (0.1 * np.sin(np.arange(n) * 0.05)).astype(np.float32)
        units = [UnitTiming(req.text[:8], "zh", 0, len(req.text), 0.0, n / SR, "x")]
        return SynthesisResult(audio, SR, n / SR, 1.0, "x", units, [1], voice=req.voice)


BASE = {
    "schema_version": 1, "app": "dubline", "fps": 25.0, "sample_rate": 16000, "backend": "embedded",
    "media": None,
    "tracks": [{"id": "t1", "name": "Dub 1", "default_voice": "jf_alpha", "gain_db": 0.0, "mute": False,
                "solo": False,
                "regions": [{"id": "r1", "start": 0.1, "end": 0.6, "text": "你好", "voice": None, "emotion": {},
                             "duration_mode": "fit", "ratio": 1.0, "anchors": [], "bound_markers": None,
                             "render_hash": None},
                            {"id": "r2", "start": 0.8, "end": 1.2, "text": "再见", "voice": "jm_kumo",
                             "emotion": {"vector": [0.5, 0, 0, 0, 0, 0, 0, 0], "intensity": 0.7},
                             "duration_mode": "ratio", "ratio": 1.2, "anchors": [], "bound_markers": ["m1", "m2"],
                             "render_hash": None}]}],
    "markers": [{"id": "m1", "time": 0.8, "name": "a", "color": "#fff", "kind": "keyframe"},
                {"id": "m2", "time": 1.2, "name": "b", "color": "#fff", "kind": "keyframe"}],
    "voices": [], "glossary": {"你好": "nǐ hǎo"},
    "mix": {"source_gain_db": 0.0, "duck_db": -12.0, "dub_gain_db": 0.0},
    "view": {"pixels_per_second": 100.0, "scroll_seconds": 0.0, "selected_region": None, "playhead": 0.0},
}

HOSTILE_VALUES = [
    None, True, 0, -1, 1e308, -1e308, float("nan"), float("inf"), 10**30, 2**63, 0.5, 1e-300,
    "", "../../../x", "/etc/passwd", "x" * 5000, "你好\ud800", "\x00", "a/b", ".", "..", "~",
    [], [1], ["a"], [0.1, 0.2], {}, {"text": ["a"]}, {"audio": 5}, {"audio": "/dev/zero"},
    {"vector": [9] * 8}, {"path": "../v.mp4", "duration": 20000}, 10_000_000, 192000, 8000,
]

plausible = st.one_of(st.floats(0, 3), st.integers(0, 3), st.booleans(), st.none(),
                      st.sampled_from(["jf_alpha", "jm_kumo", "r9", "hello", "ratio", "free", "fit"]))
values = st.one_of(
    plausible, plausible, plausible,
    st.sampled_from(HOSTILE_VALUES),
    st.integers(-10**30, 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.lists(st.one_of(st.integers(-5, 50), st.floats(-1, 50), st.text(max_size=4)), max_size=4),
)


def _paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, prefix + (i,))


@st.composite
def mutated_texts(draw):
    d = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 2))):
        paths = [p for p in _paths(d) if p]
        path = draw(st.sampled_from(paths))
        parent = d
        for k in path[:-1]:
            parent = parent[k]
        action = draw(st.sampled_from(["replace", "replace", "replace", "delete", "extra"]))
        if action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=8))] = draw(values)
    text = json.dumps(d, ensure_ascii=draw(st.booleans()), allow_nan=True)
    raw = draw(st.sampled_from(["as is"] * 6 + ["truncate", "flip"]))
    if raw == "truncate":
        text = text[: draw(st.integers(0, len(text)))]
    elif raw == "flip" and text:
        i = draw(st.integers(0, len(text) - 1))
        text = text[:i] + chr(ord(text[i]) ^ draw(st.integers(1, 127))) + text[i + 1:]
    return text


def _snapshot(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in folder.rglob("*") if p.is_file() and not p.is_symlink()}


def _check_untouched(before: dict, after: dict, output: Path, folder: Path) -> None:
    out = str(output.relative_to(folder))
    for name, digest in before.items():
        if name == out or name.startswith(out + "/"):
            continue
        assert after.get(name) == digest, f"{name} changed or vanished"
    for name in after.keys() - before.keys():
        allowed = (name == out or name.startswith(out + "/") or name.startswith("p.dubline-cache/")
                   or name.startswith(Path(out).stem + "_clips/"))
        assert allowed, f"{name} appeared"
        assert not name.endswith(".tmp") and not Path(name).name.startswith("."), f"{name} is half-written"


@pytest.fixture(scope="module")
def stand_in(monkeypatch_module):
    monkeypatch_module.setattr("engine.api.get_engine", lambda *a, **k: StandInEngine())


@pytest.fixture(scope="module")
def monkeypatch_module():
    mp = pytest.MonkeyPatch()
    yield mp
    mp.undo()


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_texts())
def test_mutated_projects_fail_only_with_project_errors_and_touch_nothing_else(stand_in, text):
    folder = Path(tempfile.mkdtemp(prefix="dubline-fuzz-"))
    try:
        proj = folder / "p.dubline"
        proj.write_text(text, encoding="utf-8", errors="surrogatepass")
        (folder / "keep.wav").write_bytes(b"RIFF not really")
        try:
            project = pj.load(proj)
        except pj.ProjectError as e:
            assert "\n" not in str(e)
            event("refused at load")
            return
        event("loaded")
        before = _snapshot(folder)
        saved = folder / "saved.dubline"
        try:
            pj.save(project, saved)
            assert pj.load(saved) is not None  # what was saved reopens
        except pj.ProjectError:
            assert not saved.exists()
        _check_untouched(before, _snapshot(folder), saved, folder)
        if not math.isfinite(project.end_time()) or project.end_time() > 600:
            return
        for fmt in FORMATS:
            out = folder / ("out_" + fmt if fmt in ("stems", "clips") else f"out.{fmt}")
            before = _snapshot(folder)
            try:
                export_project(proj, fmt, out)
                event(f"exported {fmt}")
            except DublineError as e:
                assert "\n" not in str(e)
                event(f"export refused: {type(e).__name__}")
            _check_untouched(before, _snapshot(folder), out, folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
