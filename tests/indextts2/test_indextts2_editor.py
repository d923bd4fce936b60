"""The editor with IndexTTS2: Preferences point at the model, the project renders with it, the status
bar says so, and switching back to the embedded engine ends the IndexTTS2 process."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings


@pytest.fixture
def gui_settings(tmp_path, settings, monkeypatch):
    from editor.preferences import store_indextts2_settings

    for k in ("CHECKPOINTS", "HF_CACHE", "FP16", "PYTHON"):
        monkeypatch.delenv("DUBLINE_INDEXTTS2_" + k, raising=False)
    # the switch back enrolls the recording for the embedded engine: one search step is enough here
    # (the enrollment's quality is tests/voices/test_cloning.py's)
    monkeypatch.setenv("DUBLINE_ENROLL_ITERATIONS", "1")
    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    store_indextts2_settings(qs, settings)
    return qs


def test_project_renders_with_indextts2_and_switching_back_frees_it(qtbot, gui_settings, speaker_wav, settings):
    from PySide6.QtWidgets import QMessageBox

    from editor import commands as cmd
    from editor.mainwindow import MainWindow
    from engine import voices as vl
    from project.model import Project, Region

    vl.grant_consent(speaker_wav, "synthetic test speaker")  # a recording as the voice needs consent
    w = MainWindow(use_audio=False, settings=gui_settings)
    w._ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(w)
    try:
        p = Project()
        r = Region(start=0.2, end=1.7, text="出发[fā chū]吧！", voice=speaker_wav)
        p.tracks[0].regions = [r]
        w.doc.replace(p, None)
        w.doc.push(cmd.SetProjectBackend(w.doc, "indextts2"))
        qtbot.waitUntil(lambda: w.renderer.status(r.id) == "ready", timeout=180000)
        clip = w.renderer.clip(r.id)
        assert clip.sample_rate == 22050 and len(clip.audio) == round(1.5 * 22050)
        assert w.engine_label.text() == "IndexTTS2 · CPU"
        eng = w.renderer.engine()
        proc = eng._proc
        assert proc is not None and proc.poll() is None
        w.doc.push(cmd.SetProjectBackend(w.doc, "embedded"))
        assert proc.poll() is not None  # the worker process ended: its (GPU) memory is released
        # the embedded engine enrolls the recording first (seconds alone; minutes on a loaded machine)
        qtbot.waitUntil(lambda: w.renderer.status(r.id) == "ready", timeout=300000)
        assert w.renderer.clip(r.id).sample_rate == 24000
        assert w.engine_label.text() == "Embedded · CPU"
        assert "Native kernels" in w.engine_label.toolTip()  # in use, off, or why not
    finally:
        w.shutdown()
