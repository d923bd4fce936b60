"""Autosave and crash recovery: recovery files, clean saves, the recovery prompt."""

from __future__ import annotations

import os
import time

from PySide6.QtWidgets import QMessageBox

from editor import autosave as asv
from editor import commands as cmd
from project import model as pj


def _edit(window):
    doc = window.doc
    track = doc.project.tracks[0]
    doc.push(cmd.AddRegion(doc, track.id, pj.Region(start=10.0, end=11.5, text="自动保存")))


def _setup(window, tmp_path, make_project, interval_ms=50):
    window.autosave.folder = tmp_path / "recovery"
    window.autosave.set_interval(interval_ms)
    path = tmp_path / "show.dubline"
    pj.save(make_project(), path, backup=False)
    assert window.open_project(path, ask=False)
    return path


def test_autosave_writes_a_recovery_file_that_loads_to_the_same_model(qtbot, window, make_project, tmp_path):
    path = _setup(window, tmp_path, make_project)
    rec = asv.recovery_path_for(path, tmp_path / "recovery")
    _edit(window)
    # the region's render may finish (and change the model) after a write: autosave
    # (every 50 ms here) must then catch up with it
    qtbot.waitUntil(lambda: rec.is_file() and pj.to_dict(pj.load(rec)) == pj.to_dict(window.doc.project),
                    timeout=15000)
    # the user's project was not touched by autosave
    assert len(pj.load(path).all_regions()) == 2
    assert not (tmp_path / "show.dubline.bak").exists()


def test_clean_save_removes_the_recovery_file(qtbot, window, make_project, tmp_path):
    path = _setup(window, tmp_path, make_project)
    rec = asv.recovery_path_for(path, tmp_path / "recovery")
    _edit(window)
    qtbot.waitUntil(rec.is_file, timeout=15000)
    assert window.save()
    assert not rec.exists()
    window.autosave.timer.timeout.emit()
    assert not rec.exists()  # nothing unsaved: nothing written


def test_untitled_projects_get_their_own_recovery_file(qtbot, window, tmp_path):
    window.autosave.folder = tmp_path / "recovery"
    window.new_project()
    _edit(window)
    rec = window.autosave.write_now("test")
    assert rec is not None and rec.name.startswith(asv.UNTITLED_PREFIX)
    assert asv.untitled_recoveries(tmp_path / "recovery") == [rec]


def _crash_with_recovery(window, tmp_path, make_project):
    """A saved project plus a newer recovery file holding one more region (as after a crash)."""
    path = tmp_path / "show.dubline"
    pj.save(make_project(), path, backup=False)
    edited = make_project()
    edited.tracks[0].regions.append(pj.Region(start=10.0, end=11.0, text="恢复"))
    rec = asv.recovery_path_for(path, tmp_path / "recovery")
    rec.parent.mkdir(parents=True)
    pj.atomic_write_text(rec, pj.dumps(edited), backup=False)
    old = time.time() - 60
    os.utime(path, (old, old))
    window.autosave.folder = tmp_path / "recovery"
    return path, rec, edited


def _answer(monkeypatch, button_text: str, asked: list):
    def fake_exec(box):
        asked.append(box.text())
        for b in box.buttons():
            if b.text() == button_text:
                b.click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", fake_exec)


def test_recovery_prompt_restores_the_edit_as_a_modified_document(qtbot, window, make_project, tmp_path,
                                                                   monkeypatch):
    path, rec, edited = _crash_with_recovery(window, tmp_path, make_project)
    asked: list[str] = []
    _answer(monkeypatch, "Recover", asked)
    assert window.open_project(path, ask=False)
    assert asked and asked[0].startswith("Recover unsaved changes from ")
    assert window.doc.is_modified()
    assert window.doc.path == path
    assert pj.to_dict(window.doc.project) == pj.to_dict(edited)
    assert len(pj.load(path).all_regions()) == 2  # the saved file is unchanged until the user saves
    assert window.save()
    assert not rec.exists()
    assert len(pj.load(path).all_regions()) == 3


def test_declining_recovery_keeps_the_file_until_a_save(qtbot, window, make_project, tmp_path, monkeypatch):
    path, rec, edited = _crash_with_recovery(window, tmp_path, make_project)
    asked: list[str] = []
    _answer(monkeypatch, "Open Saved Version", asked)
    assert window.open_project(path, ask=False)
    assert asked
    assert not window.doc.is_modified()
    assert len(window.doc.project.all_regions()) == 2
    assert rec.is_file()
    # an autosave of new edits moves the declined state aside rather than losing it
    _edit(window)
    window.autosave.write_now("test")
    assert pj.to_dict(pj.load(asv.declined_path(rec))) == pj.to_dict(edited)
    assert window.save()
    assert not rec.exists() and not asv.declined_path(rec).exists()


def test_damaged_recovery_file_is_reported_and_kept(qtbot, window, make_project, tmp_path, monkeypatch):
    path, rec, _ = _crash_with_recovery(window, tmp_path, make_project)
    rec.write_text('{"schema_version": 1, "tra', encoding="utf-8")
    errors: list[str] = []
    monkeypatch.setattr(window.files, "ask_recover", lambda when: True)
    monkeypatch.setattr(window, "_error", lambda title, text: errors.append(text))
    assert window.open_project(path, ask=False)
    assert errors and "damaged" in errors[0]
    assert rec.is_file()
    assert not window.doc.is_modified()
    assert len(window.doc.project.all_regions()) == 2
