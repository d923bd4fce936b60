"""Fixtures for the editor's GUI tests (pytest-qt, offscreen).

Settings and user data go to a temporary folder so tests never touch a real
user's Dubline settings.  ``FakeEngine`` speaks instantly with exact sample
counts, for tests about the editor's behaviour rather than the voice; tests
that need real speech use the session ``engine`` fixture.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time

import numpy as np
import pytest

_HOME = tempfile.mkdtemp(prefix="dubline-test-home-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_HOME, "config")
os.environ["XDG_DATA_HOME"] = os.path.join(_HOME, "data")
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session", autouse=True)
def _app_identity(qapp):
    qapp.setOrganizationName("DublineTests")
    qapp.setApplicationName("DublineTests")
    yield


class FakeEngine:
    """Implements the backend protocol with instant, exact-length fake speech."""

    sample_rate = 24000
    name = "fake"
    device = "cpu"

    def __init__(self, gate: threading.Event | None = None, delay: float = 0.0):
        self.gate = gate
        self.delay = delay
        self.generated: list[str] = []
        self.lock = threading.Lock()

    def voices(self):
        return ["jf_alpha", "jm_kumo", "jf_nezumi"]

    def model_version(self):
        return "fake-1"

    def natural_seconds(self, text, voice, glossary=()):
        return 0.15 * max(1, len(text.strip()))

    def length_bounds(self, text, voice, glossary=(), emotion=None):
        """(natural, shortest): generate() refuses exact lengths under 0.3x natural."""
        natural = self.natural_seconds(text, voice)
        return natural, natural * 0.3

    def phonemes(self, text, glossary=()):
        return text

    def generate(self, req):
        from engine.errors import DurationError
        from engine.types import SynthesisResult, UnitTiming

        req.validate()
        if self.gate is not None:
            self.gate.wait(10)
        if self.delay:
            time.sleep(self.delay)
        with self.lock:
            self.generated.append(req.text)
        natural = self.natural_seconds(req.text, req.voice)
        d = req.duration
        if d.mode == "exact":
            if d.seconds < natural * 0.3:
                raise DurationError(f"{d.seconds:.2f} s is too short for this text: it needs at least "
                                    f"{natural * 0.3:.2f} s")
            seconds = d.seconds
        elif d.mode == "ratio":
            seconds = natural * d.ratio
        else:
            seconds = natural
        n = int(round(seconds * self.sample_rate))
        t = np.arange(n) / self.sample_rate
        audio = (0.3 * np.sin(2 * np.pi * 220 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * 3 * t))).astype(np.float32)
        chars = [c for c in req.text if not c.isspace()]
        units = []
        step = seconds / max(1, len(chars))
        for i, c in enumerate(chars):
            units.append(UnitTiming(c, "zh", i, i + 1, i * step, (i + 1) * step, c))
        return SynthesisResult(audio=audio, sample_rate=self.sample_rate, natural_seconds=natural,
                               ratio=seconds / natural, phonemes=req.text, units=units, token_durations=[],
                               warnings=[], backend="fake", voice=req.voice)


@pytest.fixture
def fake_engine():
    return FakeEngine()


@pytest.fixture(name="FakeEngine")
def _fake_engine_class():
    return FakeEngine


@pytest.fixture
def fake_factory(fake_engine):
    return lambda progress: fake_engine


def make_project(regions=((1.0, 3.0, "你好"), (5.0, 7.0, "再见")), markers=(), fps=25.0):
    from project.model import Marker, Project, Region

    p = Project(fps=fps)
    for s, e, text in regions:
        p.tracks[0].regions.append(Region(start=s, end=e, text=text))
    for t in markers:
        p.markers.append(Marker(time=t, name=f"m{t:g}"))
    return p


@pytest.fixture(name="make_project")
def _make_project_fixture():
    return make_project


@pytest.fixture
def timeline(qtbot):
    """A TimelineWidget on a two-region project, 10 s visible over 1000 px."""
    from editor.document import Document
    from editor.timeline import TimelineWidget

    doc = Document(make_project(markers=(4.0,)))
    tl = TimelineWidget(doc)
    qtbot.addWidget(tl)
    tl.resize(1000, 320)
    tl.show()
    qtbot.waitExposed(tl)
    tl.vb.setXRange(0.0, 10.0, padding=0)
    qtbot.wait(10)
    return tl


@pytest.fixture
def window(qtbot, fake_factory, tmp_path):
    """A MainWindow with the fake engine and the silent clock."""
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    from editor.mainwindow import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(engine_factory=fake_factory, use_audio=False, settings=settings)
    # pytest-qt closes the widget before fixtures are finalised: never block on the unsaved-changes dialog
    w._ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.shutdown()


# ---------------------------------------------------------------- test media
BITS = 8
BLOCK_W, BLOCK_H = 20, 40


def make_numbered_video(path, n_frames: int = 60, fps: int = 25, with_audio: bool = False):
    """An H.264/MPEG-4 file whose frame n shows n as 8 black/white blocks (robust to compression)."""
    import av

    w, h = BITS * BLOCK_W, 96
    with av.open(str(path), "w") as out:
        try:
            vs = out.add_stream("libx264", rate=fps)
            vs.options = {"g": "12", "bf": "2", "preset": "ultrafast"}  # keyframes and B-frames: seeking is real
        except Exception:
            vs = out.add_stream("mpeg4", rate=fps)
        vs.width, vs.height, vs.pix_fmt = w, h, "yuv420p"
        astream = out.add_stream("aac", rate=48000) if with_audio else None
        for n in range(n_frames):
            img = np.full((h, w, 3), 40, np.uint8)
            for b in range(BITS):
                if n >> b & 1:
                    img[:BLOCK_H, b * BLOCK_W:(b + 1) * BLOCK_W] = 255
                else:
                    img[:BLOCK_H, b * BLOCK_W:(b + 1) * BLOCK_W] = 0
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            for pkt in vs.encode(frame):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        if astream is not None:
            t = np.arange(int(48000 * n_frames / fps)) / 48000
            samples = (0.2 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[None, :]
            af = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
            af.sample_rate = 48000
            for pkt in astream.encode(af):
                out.mux(pkt)
            for pkt in astream.encode():
                out.mux(pkt)
    return path


def read_frame_number(rgb) -> int:
    """Decode the number drawn by make_numbered_video from an RGB frame (any scale)."""
    h, w = rgb.shape[:2]
    bw = w / BITS
    y = int(h * (BLOCK_H / 2) / 96)
    n = 0
    for b in range(BITS):
        x = int((b + 0.5) * bw)
        if rgb[y, x].mean() > 128:
            n |= 1 << b
    return n


@pytest.fixture(name="numbered_video")
def _numbered_video(tmp_path_factory):
    path = tmp_path_factory.mktemp("media") / "numbered.mp4"
    return make_numbered_video(path, with_audio=True)


@pytest.fixture(name="read_frame_number")
def _read_frame_number_fixture():
    return read_frame_number
