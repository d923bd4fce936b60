"""Keyframes in the editor: import, navigation, detection suggestions, bound regions, word pins."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from editor import commands as cmd
from project.model import Marker

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def win(window, make_project):
    window.doc.replace(make_project(), None)
    return window


def test_import_is_one_undo_step_and_markers_navigate(qtbot, win):
    assert win.imports.import_keyframes(ROOT / "resources" / "keyframes" / "sample_keyframes.csv")
    ms = win.doc.project.markers
    assert [round(m.time, 3) for m in ms] == [0.48, 1.2, 2.4, 3.0] and all(m.kind == "keyframe" for m in ms)
    win.playback.seek(0.0)
    win.act_next_marker.trigger()
    assert win.playback.position == pytest.approx(0.48)
    win.act_next_marker.trigger()
    assert win.playback.position == pytest.approx(1.2)
    win.act_prev_marker.trigger()
    assert win.playback.position == pytest.approx(0.48)
    win.act_undo.trigger()
    assert win.doc.project.markers == []


def test_a_bad_keyframe_file_is_reported_and_changes_nothing(qtbot, win, tmp_path, monkeypatch):
    bad = tmp_path / "k.csv"
    bad.write_text("frame\nbanana\n")
    shown = []
    monkeypatch.setattr(win, "_error", lambda title, text: shown.append(text))
    assert not win.imports.import_keyframes(bad)
    assert "k.csv line 2" in shown[0] and win.doc.project.markers == []


def test_a_bound_region_follows_its_keyframes(qtbot, win):
    doc = win.doc
    a, b = Marker(time=0.9, name="a"), Marker(time=3.2, name="b")
    doc.push(cmd.AddMarkers(doc, [a, b], "add"))
    rid = doc.project.tracks[0].regions[0].id  # 1.0 - 3.0
    doc.push(cmd.BindRegion(doc, rid, (a.id, b.id)))
    r = doc.region(rid)
    assert (r.start, r.end) == (0.9, 3.2) and r.bound_markers == [a.id, b.id]
    doc.push(cmd.MoveMarker(doc, b.id, 3.6))
    assert (doc.region(rid).start, doc.region(rid).end) == (0.9, 3.6)
    doc.push(cmd.MoveMarker(doc, a.id, 1.5))
    assert doc.region(rid).start == 1.5
    doc.undo_stack.undo()
    doc.undo_stack.undo()
    assert (doc.region(rid).start, doc.region(rid).end) == (0.9, 3.2)
    # a keyframe moved into the next region stops the edge at the neighbour (5.0 - 7.0)
    doc.push(cmd.MoveMarker(doc, b.id, 6.0))
    assert doc.region(rid).end == 5.0
    doc.undo_stack.undo()
    doc.push(cmd.DeleteMarker(doc, a.id))
    assert doc.region(rid).bound_markers is None
    doc.undo_stack.undo()
    assert doc.region(rid).bound_markers == [a.id, b.id]


def test_word_pins_from_the_region_menu(qtbot, win):
    doc, tl = win.doc, win.timeline
    rid = doc.project.tracks[0].regions[0].id  # "你好", 1.0 - 3.0
    doc.push(cmd.AddMarkers(doc, [Marker(time=2.2, name="mouth")], "add"))
    qtbot.waitUntil(lambda: win.renderer.status(rid) == "ready", timeout=10000)
    menu = QMenu()
    tl.menus.keyframe_menu(menu, rid, 2.1)  # near the start of 好
    pin = next(a.menu() for a in menu.actions() if a.menu() is not None)
    assert pin.title() == "Pin “好” to"
    pin.actions()[0].trigger()
    assert doc.region(rid).anchors == [[1, 1.2]]
    qtbot.waitUntil(lambda: win.renderer.status(rid) == "ready", timeout=10000)  # re-rendered with the pin
    doc.undo_stack.undo()
    assert doc.region(rid).anchors == []


def _link_cut_video(qtbot, win, tmp_path) -> None:
    """Give the project tests/project/cutvideo.py's generated video with two cuts."""
    import sys

    sys.path.insert(0, str(ROOT / "tests" / "project"))
    from cutvideo import make_cut_video

    from project.model import MediaRef

    video = make_cut_video(tmp_path / "cuts.mp4") and tmp_path / "cuts.mp4"
    win.doc.push(cmd.RelinkMedia(win.doc, MediaRef(path=str(video), abs_path=str(video), has_video=True,
                                                   duration=10.0), "media"))
    qtbot.waitUntil(lambda: win.media_path is not None, timeout=5000)


def test_detection_suggestions_become_keyframes(qtbot, win, monkeypatch, tmp_path):
    from editor import keyframe_dialogs

    _link_cut_video(qtbot, win, tmp_path)
    shown_in = []

    class Accept:  # the dialog, answered by the user: keep the cuts it pre-checks
        def __init__(self, found, fps, parent):
            self.found = found

        def exec(self):
            shown_in.append(threading.current_thread() is threading.main_thread())
            return keyframe_dialogs.QDialog.DialogCode.Accepted

        def chosen(self):
            return [c for c in self.found if c.kind == "cut"]

    monkeypatch.setattr(keyframe_dialogs, "SuggestionsDialog", Accept)
    win.imports.detect_keyframes()
    qtbot.waitUntil(lambda: len(win.doc.project.markers) == 2, timeout=30000)
    assert [round(m.time * 25) for m in win.doc.project.markers] == [37, 151]
    assert shown_in == [True]  # the results reach the GUI thread, not the detecting one
    win.act_undo.trigger()
    assert win.doc.project.markers == []


def test_detection_can_be_cancelled_from_its_progress_dialog(qtbot, win, monkeypatch, tmp_path):
    from PySide6.QtWidgets import QProgressDialog

    from editor import keyframe_dialogs

    _link_cut_video(qtbot, win, tmp_path)
    shown, errors = [], []
    monkeypatch.setattr(keyframe_dialogs, "SuggestionsDialog", lambda *a: shown.append(a))
    monkeypatch.setattr(win, "_error", lambda *a: errors.append(a))
    before = set(win.findChildren(QProgressDialog))
    win.imports.detect_keyframes()
    task = win.imports.detect_job
    (dlg,) = set(win.findChildren(QProgressDialog)) - before
    dlg.canceled.emit()  # what its Cancel button (or Escape) sends
    qtbot.waitUntil(lambda: win.imports.detect_job is None, timeout=30000)
    qtbot.waitUntil(lambda: not task.running, timeout=5000)
    assert task.is_cancelled()
    assert shown == [] and errors == [] and win.doc.project.markers == []


def test_suggestions_dialog_lists_and_checks(qtbot):
    from editor.keyframe_dialogs import SuggestionsDialog
    from project.keyframes import Candidate

    dlg = SuggestionsDialog([Candidate(1.0, 25, 30.0, "cut"), Candidate(2.0, 50, 9.0, "change")], 25.0)
    qtbot.addWidget(dlg)
    assert [c.frame for c in dlg.chosen()] == [25]  # cuts pre-checked, changes not
    dlg._check_all(True)
    assert len(dlg.chosen()) == 2


def test_dragging_a_word_boundary_pins_the_word(qtbot, win):
    from PySide6.QtCore import QPointF

    doc, tl = win.doc, win.timeline
    tl.vb.setXRange(0.0, 10.0, padding=0)
    rid = doc.project.tracks[0].regions[0].id  # "你好", 1.0 - 3.0; the fake engine puts 好 at +1.0 s
    qtbot.waitUntil(lambda: win.renderer.status(rid) == "ready", timeout=10000)
    rect = tl.region_rect(rid)
    y = rect.bottom() - 3
    x = tl.t2x(2.0)
    word = tl.word_boundary_at(rid, QPointF(x, y))
    assert word is not None and word.text == "好"
    assert tl.word_boundary_at(rid, QPointF(x, rect.top() + 2)) is None  # upper half: moving the region
    assert tl.mouse.press(QPointF(x, y), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    tl.mouse.move(QPointF(tl.t2x(2.5), y), Qt.KeyboardModifier.AltModifier)  # Alt: no snapping
    tl.mouse.release(QPointF(tl.t2x(2.5), y), Qt.KeyboardModifier.AltModifier)
    [[ci, sec]] = doc.region(rid).anchors
    assert ci == 1 and sec == pytest.approx(1.5, abs=0.02)
    assert (doc.region(rid).start, doc.region(rid).end) == (1.0, 3.0)  # the region did not move
    tl.grab()  # pins paint
