"""The Voices panel: clone from a file (in the background), rename through the project, delete."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from engine import SynthesisRequest
from engine import voices as vl


@pytest.fixture
def real_window(qtbot, engine, tmp_path, monkeypatch):
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QMessageBox

    from editor.mainwindow import MainWindow

    monkeypatch.setenv("DUBLINE_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("DUBLINE_ENROLL_ITERATIONS", "1")
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    w = MainWindow(engine_factory=lambda progress: engine, use_audio=False, settings=settings)
    w._ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(w)
    qtbot.waitUntil(lambda: w.renderer.engine_state == "ready", timeout=60000)
    yield w
    w.shutdown()


def test_clone_rename_delete(qtbot, real_window, engine, tmp_path, monkeypatch):
    w = real_window
    panel = w.voices_panel
    t = vl.VoiceTemplate("ref", {"jf_nezumi": 0.5, "jm_kumo": 0.5}, pitch_shift=-2.0)
    audio = np.concatenate([engine.generate(SynthesisRequest(x, voice=t)).audio
                            for x in ("我们下周再见面，到时候带上你的作业。", "Could you tell me the way to the museum?")])
    ref = tmp_path / "actor.wav"
    sf.write(str(ref), audio, 24000)
    assert panel.add_from(str(ref), "Actor", "synthetic test speaker")
    qtbot.waitUntil(lambda: "Actor" in vl.names(), timeout=300000)  # minutes on a loaded machine
    qtbot.waitUntil(lambda: panel._job is None, timeout=10000)
    assert "Actor" in w.renderer.voices
    panel.list.setCurrentRow(next(i for i in range(panel.list.count())
                                  if panel.list.item(i).text().startswith("Actor")))
    with qtbot.waitSignal(panel.previewed, timeout=30000) as sig:
        panel.preview()  # rendered off the GUI thread
    info = sf.info(sig.args[0])
    assert info.duration > 1.0
    assert any(panel.list.item(i).text().startswith("Actor") for i in range(panel.list.count()))
    # kept with the (saved) project: copied beside it, listed in it, undoable
    w.doc.save(tmp_path / "proj.dubline")
    assert panel.keep_with_project()
    assert (tmp_path / "voices" / "Actor.dvoice").is_file()
    assert [v.name for v in w.doc.project.voices] == ["Actor"]
    w.doc.undo_stack.undo()
    assert w.doc.project.voices == []
    # a track uses it; renaming follows through the project as one undo step
    track = w.doc.project.tracks[0]
    from editor import commands as cmd

    w.doc.push(cmd.SetTrackProperty(w.doc, track.id, "default_voice", "Actor"))
    panel.rename_in_project("Actor", "Lead")
    assert w.doc.project.tracks[0].default_voice == "Lead"
    w.doc.undo_stack.undo()
    assert w.doc.project.tracks[0].default_voice == "Actor"
    from PySide6.QtWidgets import QMessageBox

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    panel.list.setCurrentRow(next(i for i in range(panel.list.count())
                                  if panel.list.item(i).text().startswith("Actor")))
    panel.delete()
    assert "Actor" not in vl.names() and "Actor" not in w.renderer.voices


def test_bad_reference_is_reported_not_saved(qtbot, real_window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: shown.append(a[2]))
    silent = tmp_path / "silent.wav"
    sf.write(str(silent), np.zeros(24000 * 5, np.float32), 24000)
    assert real_window.voices_panel.add_from(str(silent), "Nobody", "x")
    qtbot.waitUntil(lambda: bool(shown), timeout=30000)
    assert "silent" in shown[0] and "Nobody" not in vl.names()


def test_a_temporary_reference_is_removed_when_its_enrollment_ends(qtbot, real_window, tmp_path, monkeypatch):
    """A reference cut for one enrollment (an actor's lines, a region of the source) lives in its own
    temporary folder, which goes when the enrollment ends, however it ends."""
    from PySide6.QtWidgets import QMessageBox

    panel = real_window.voices_panel
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: warnings.append(a[2]))
    not_started = tmp_path / "cut1"
    not_started.mkdir()
    (not_started / "ref.wav").write_bytes(b"x")
    assert not panel.add_from(str(not_started / "ref.wav"), "jf_alpha", "x", temporary=True)  # a stock name
    assert warnings and not not_started.exists()
    failed = tmp_path / "cut2"
    failed.mkdir()
    (failed / "ref.wav").write_bytes(b"not audio")
    assert panel.add_from(str(failed / "ref.wav"), "Cut", "x", temporary=True)
    qtbot.waitUntil(lambda: not failed.exists(), timeout=60000)
    assert len(warnings) == 2 and panel._job is None

