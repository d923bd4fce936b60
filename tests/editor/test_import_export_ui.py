"""File > Import and File > Export in the editor."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QDialog, QFileDialog

from editor.export_dialog import ExportDialog, export_task, run_export
from editor.import_dialog import ImportSubtitlesDialog
from project import model as pj

OVERLAPPING_SRT = """1
00:00:01,000 --> 00:00:03,000
第一句

2
00:00:02,000 --> 00:00:04,000
同时说话

3
00:00:05,000 --> 00:00:06,500
第三句
"""


def test_import_overlapping_srt_via_menu_is_one_undo_step(qtbot, window, tmp_path, monkeypatch):
    srt = tmp_path / "ep1.srt"
    srt.write_text(OVERLAPPING_SRT, encoding="utf-8")
    window.autosave.folder = tmp_path / "recovery"
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(srt), ""))
    monkeypatch.setattr(ImportSubtitlesDialog, "exec", lambda self: QDialog.DialogCode.Accepted)
    doc = window.doc
    tracks_before = len(doc.project.tracks)
    regions_before = pj.to_dict(doc.project)
    steps_before = doc.undo_stack.count()

    window.act_import_subs.trigger()

    assert doc.undo_stack.count() == steps_before + 1
    assert tracks_before == 1 and not regions_before["tracks"][0]["regions"]
    new_tracks = doc.project.tracks  # the empty default track made way for the imported ones (issue 17)
    assert [t.name for t in new_tracks] == ["ep1", "ep1 (overlap 1)"]
    assert [r.text for r in new_tracks[0].regions] == ["第一句", "第三句"]
    assert [(r.start, r.end, r.text) for r in new_tracks[1].regions] == [(2.0, 4.0, "同时说话")]
    msg = window.statusBar().currentMessage()
    assert "3 line(s) from ep1.srt" in msg and "extra track" in msg

    window.undo()
    assert pj.to_dict(doc.project) == regions_before
    window.redo()
    assert sum(len(t.regions) for t in doc.project.tracks) == 3 and len(doc.project.tracks) == 2


def test_import_plain_text_after_the_playhead(qtbot, window, tmp_path):
    window.autosave.folder = tmp_path / "recovery"
    window.new_project()
    window.timeline.set_playhead(4.0)
    doc = window.doc
    assert window.imports.import_plain_text("一\n\n二行\n", "lines.txt")
    regions = doc.project.tracks[0].regions
    assert [r.text for r in regions] == ["一", "二行"]
    assert regions[0].start >= 4.0 - 1e-9 and regions[1].start >= regions[0].end
    window.undo()
    assert doc.project.tracks[0].regions == []


def _saved_project(make_project, tmp_path) -> Path:
    path = tmp_path / "show.dubline"
    pj.save(make_project(), path, backup=False)
    return path


def _fake_engine(monkeypatch, FakeEngine):
    import engine.api

    eng = FakeEngine()
    monkeypatch.setattr(engine.api, "get_engine", lambda *a, **k: eng)
    return eng


def test_export_srt_through_the_worker(qtbot, make_project, tmp_path, monkeypatch, FakeEngine):
    eng = _fake_engine(monkeypatch, FakeEngine)
    path = _saved_project(make_project, tmp_path)
    out = tmp_path / "show.srt"
    from editor.tasks import run_task

    task = run_task(export_task, path, "srt", out, name="export")
    messages: list[str] = []
    task.progress.connect(lambda _f, m: messages.append(m))
    with qtbot.waitSignal(task.finished, timeout=10000) as done:
        pass
    status, text, report = done.args[0]
    assert (status, text) == ("ok", str(out)) and report.outputs == [out]
    text = out.read_text(encoding="utf-8")
    assert "你好" in text and "再见" in text and "00:00:01," in text
    assert sorted(eng.generated) == sorted(["你好", "再见"])
    assert any("writing srt" in m for m in messages)


def test_export_cancel_writes_nothing(qtbot, make_project, tmp_path, monkeypatch, FakeEngine):
    _fake_engine(monkeypatch, FakeEngine)
    path = _saved_project(make_project, tmp_path)
    out = tmp_path / "show.srt"
    assert run_export(path, "srt", out, cancelled=lambda: True) == ("cancelled", "")
    assert not out.exists()
    assert not list(tmp_path.glob(".show.srt.*"))


def test_export_error_is_one_line(qtbot, tmp_path, monkeypatch, FakeEngine):
    _fake_engine(monkeypatch, FakeEngine)
    status, text = run_export(tmp_path / "missing.dubline", "srt", tmp_path / "x.srt")
    assert status == "error" and "\n" not in text and "missing.dubline" in text


def test_export_from_the_window_runs_in_a_thread(qtbot, window, make_project, tmp_path, monkeypatch, FakeEngine):
    _fake_engine(monkeypatch, FakeEngine)
    path = _saved_project(make_project, tmp_path)
    window.autosave.folder = tmp_path / "recovery"
    assert window.open_project(path, ask=False)
    out = tmp_path / "from-menu.srt"

    def accept(dlg):
        dlg.set_format("srt")
        dlg.dest_edit.setText(str(out))
        return QDialog.DialogCode.Accepted

    monkeypatch.setattr(ExportDialog, "exec", accept)
    window.act_export.trigger()
    qtbot.waitUntil(lambda: window.exports.task is None, timeout=10000)
    assert out.is_file()
    assert str(out) in window.statusBar().currentMessage()


def test_export_dialog_defaults_follow_the_format(qtbot, tmp_path):
    dlg = ExportDialog(tmp_path / "show.dubline", has_video=False)
    qtbot.addWidget(dlg)
    dlg.set_format("srt")
    fmt, out, keep = dlg.values()
    assert (fmt, out.name, keep) == ("srt", "show.srt", False)
    assert not dlg.keep_original.isEnabled()
    dlg.set_format("stems")
    assert dlg.values()[1].name == "show_stems"
    dlg.set_format("mp4")
    assert dlg.keep_original.isEnabled()  # offered for video formats only
    assert not dlg.buttons.button(dlg.buttons.StandardButton.Ok).isEnabled()  # no video in the project


def test_export_dialog_delivery_options(qtbot, tmp_path):
    dlg = ExportDialog(tmp_path / "show.dubline", has_video=True)
    qtbot.addWidget(dlg)
    dlg.set_format("wav")
    o = dlg.options()
    assert (o.loudness_target, o.ceiling_dbtp, o.channels, o.bit_depth) == (None, -1.0, 2, 24)
    dlg.loudness_combo.setCurrentIndex(dlg.loudness_combo.findData("atsc"))
    o = dlg.options()
    assert (o.loudness_target, o.ceiling_dbtp) == (-24.0, -2.0)
    dlg.loudness_combo.setCurrentIndex(dlg.loudness_combo.findData("custom"))
    dlg.custom_lufs.setValue(-18.0)
    dlg.depth_combo.setCurrentIndex(dlg.depth_combo.findData(16))
    dlg.rate_combo.setCurrentIndex(dlg.rate_combo.findData(44100))
    o = dlg.options()
    assert (o.loudness_target, o.bit_depth, o.sample_rate) == (-18.0, 16, 44100)
    dlg.set_format("srt")
    assert not dlg.loudness_combo.isEnabled()
    dlg.set_format("fcpxml")
    assert dlg.values()[1].name == "show.fcpxml"
