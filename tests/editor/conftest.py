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
    from editor.project import Marker, Project, Region

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

    from editor.mainwindow import MainWindow

    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(engine_factory=fake_factory, use_audio=False, settings=settings)
    qtbot.addWidget(w)
    w.resize(1280, 800)
    w.show()
    qtbot.waitExposed(w)
    yield w
    from PySide6.QtWidgets import QMessageBox

    w._ask_unsaved = lambda: QMessageBox.StandardButton.Discard  # never block teardown on a dialog
    w.shutdown()
