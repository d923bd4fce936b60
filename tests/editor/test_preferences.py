"""Preferences: the project's backend (one undo step, re-renders) and the IndexTTS2 file check."""

from __future__ import annotations

from PySide6.QtCore import QSettings

from editor import commands as cmd
from editor.preferences import (
    PreferencesDialog,
    engine_label,
    indextts2_settings,
    store_indextts2_settings,
)
from engine.indextts2.setup import IndexTTS2Settings


def test_switching_the_backend_is_undoable_and_renders_again(window, qtbot, make_project, fake_engine):
    doc = window.doc
    doc.replace(make_project(), None)
    rids = [r.id for _, r in doc.project.all_regions()]
    qtbot.waitUntil(lambda: all(window.renderer.status(r) == "ready" for r in rids), timeout=10000)
    before = len(fake_engine.generated)
    doc.push(cmd.SetProjectBackend(doc, "indextts2"))
    assert doc.project.backend == "indextts2"
    assert window.renderer.backend == "indextts2"
    qtbot.waitUntil(lambda: all(window.renderer.status(r) == "ready" for r in rids), timeout=10000)
    assert len(fake_engine.generated) >= before + len(rids)  # every line rendered again
    assert doc.is_modified()
    doc.undo_stack.undo()
    assert doc.project.backend == "embedded" and window.renderer.backend == "embedded"


def test_preferences_name_missing_files_and_keep_the_dialog_open(qtbot, tmp_path):
    dlg = PreferencesDialog("embedded", IndexTTS2Settings(checkpoints=str(tmp_path / "nope"), hf_cache=""))
    qtbot.addWidget(dlg)
    dlg.backend.setCurrentIndex(dlg.backend.findData("indextts2"))
    missing = dlg.check()
    assert missing and "does not exist" in missing[0]
    assert "Missing" in dlg.report.text()
    dlg._accept()
    assert dlg.result() == 0  # not accepted while files are missing
    dlg.backend.setCurrentIndex(dlg.backend.findData("embedded"))
    dlg._accept()
    assert dlg.result() == PreferencesDialog.DialogCode.Accepted


def test_indextts2_settings_round_trip_through_qsettings(tmp_path, monkeypatch):
    for k in ("CHECKPOINTS", "HF_CACHE", "FP16", "PYTHON"):
        monkeypatch.delenv("DUBLINE_INDEXTTS2_" + k, raising=False)
    qs = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    assert indextts2_settings(qs) == IndexTTS2Settings()
    s = IndexTTS2Settings(checkpoints="/ck", hf_cache="/hf", fp16=False, python="/py")
    store_indextts2_settings(qs, s)
    qs.sync()
    assert indextts2_settings(QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)) == s


def test_status_bar_names_backend_and_device():
    class E:
        name, device, info = "indextts2", "cuda", {"fp16": True}

    class K:
        name, device = "embedded", "cpu"

    assert engine_label(E()) == "IndexTTS2 · CUDA fp16"
    assert engine_label(K()) == "Embedded · CPU"
