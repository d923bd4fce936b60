"""Track gain and duck-level controls in the track header: wheel, vertical drag, double-click, clamping.

Driven with real mouse and wheel events on the TimelineWidget's viewport; each gesture is one undo
step, and the mix (playback and export both build it with ``project.mixer.line_for``) follows."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent, QWheelEvent
from PySide6.QtWidgets import QApplication

from editor import commands as cmd
from editor.timeline.mouse import LEVEL_DRAG_PX
from editor.timeline.view import TRACK_MIN_H
from project.mixer import line_for
from project.model import Track
from project.render_core import db_to_gain

NO = Qt.KeyboardModifier.NoModifier
LEFT = Qt.MouseButton.LeftButton


def _wheel(tl, pos: QPointF, delta: int, mods=NO) -> None:
    vp = tl.view.viewport()
    p = tl.map_to_viewport(pos)
    ev = QWheelEvent(QPointF(p), QPointF(vp.mapToGlobal(p)), QPoint(0, 0), QPoint(0, delta),
                     Qt.MouseButton.NoButton, mods, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(vp, ev)


def _control(tl, prop: str, lane: int = 0) -> QPointF:
    rects = tl.track_lanes[lane].level_controls()
    assert prop in rects, "the header shows its level controls"
    return rects[prop].center()


def _vdrag(qtbot, tl, at: QPointF, dy: float, mods=NO, steps: int = 8) -> None:
    vp = tl.view.viewport()
    a = tl.map_to_viewport(at)
    qtbot.mousePress(vp, LEFT, mods, a)
    for i in range(1, steps + 1):
        # QTest's mouseMove carries no modifiers: send the moves a user holding them would make
        p = QPointF(a + QPoint(0, round(dy * i / steps)))
        QApplication.sendEvent(vp, QMouseEvent(QEvent.Type.MouseMove, p, QPointF(vp.mapToGlobal(p)), Qt.MouseButton.NoButton,
                                               LEFT, mods))
    qtbot.mouseRelease(vp, LEFT, mods, a + QPoint(0, round(dy)))


def test_wheel_over_the_gain_readout_steps_it_and_undoes(qtbot, timeline):
    tl = timeline
    d = tl.doc
    tid = d.project.tracks[0].id
    span = tl.visible_range()
    n = d.undo_stack.count()
    _wheel(tl, _control(tl, "gain_db"), 120)
    assert d.track(tid).gain_db == 0.5
    assert d.undo_stack.count() == n + 1
    assert tl.visible_range() == span  # the wheel went to the control, not the view
    _wheel(tl, _control(tl, "gain_db"), -120, Qt.KeyboardModifier.ShiftModifier)  # fine step
    assert d.track(tid).gain_db == pytest.approx(0.4)
    d.undo_stack.undo()
    assert d.track(tid).gain_db == 0.0
    # the mix reads the new level: playback and export follow
    _wheel(tl, _control(tl, "gain_db"), -120)
    track = d.project.tracks[0]
    region = track.regions[0]
    clip = type("C", (), {"audio": np.ones(10, np.float32), "sample_rate": 1000, "key": "k"})()
    assert line_for(d.project, track, region, clip).gain == pytest.approx(db_to_gain(-0.5 + d.project.mix.dub_gain_db))


def test_vertical_drag_on_gain_is_one_undo_step_and_double_click_resets(qtbot, timeline):
    tl = timeline
    d = tl.doc
    tid = d.project.tracks[0].id
    n = d.undo_stack.count()
    regions_before = [(r.start, r.end) for r in d.project.tracks[0].regions]
    _vdrag(qtbot, tl, _control(tl, "gain_db"), -10 * LEVEL_DRAG_PX)  # up: louder, 10 steps
    assert d.track(tid).gain_db == pytest.approx(5.0)
    assert d.undo_stack.count() == n + 1
    assert [(r.start, r.end) for r in d.project.tracks[0].regions] == regions_before  # no region was made
    assert d.selected_ids == []
    # Alt: fine steps, downwards
    _vdrag(qtbot, tl, _control(tl, "gain_db"), 5 * LEVEL_DRAG_PX, Qt.KeyboardModifier.AltModifier)
    assert d.track(tid).gain_db == pytest.approx(4.5)
    assert d.undo_stack.count() == n + 2
    d.undo_stack.undo()
    assert d.track(tid).gain_db == pytest.approx(5.0)
    qtbot.mouseDClick(tl.view.viewport(), LEFT, NO, tl.map_to_viewport(_control(tl, "gain_db")))
    assert d.track(tid).gain_db == 0.0
    assert d.undo_stack.count() == n + 2
    d.undo_stack.undo()
    assert d.track(tid).gain_db == pytest.approx(5.0)
    # a drag that ends where it started leaves no undo step
    vp = tl.view.viewport()
    a = tl.map_to_viewport(_control(tl, "gain_db"))
    qtbot.mousePress(vp, LEFT, NO, a)
    qtbot.mouseMove(vp, a - QPoint(0, 12))
    qtbot.mouseMove(vp, a)
    qtbot.mouseRelease(vp, LEFT, NO, a)
    assert d.track(tid).gain_db == pytest.approx(5.0)
    assert d.undo_stack.count() == n + 1


def test_duck_readout_follows_the_project_then_steps_drags_and_resets(qtbot, timeline):
    tl = timeline
    d = tl.doc
    d.push(cmd.AddTrack(d, Track(name="B")))
    qtbot.wait(10)
    tid = d.project.tracks[1].id
    assert d.track(tid).duck_db is None
    proj = d.project.mix.duck_db
    n = d.undo_stack.count()
    # a burst of wheel notches on one readout is one undo step
    for _ in range(3):
        _wheel(tl, _control(tl, "duck_db", 1), -120)
    assert d.track(tid).duck_db == pytest.approx(proj - 1.5)
    assert d.undo_stack.count() == n + 1
    _vdrag(qtbot, tl, _control(tl, "duck_db", 1), 4 * LEVEL_DRAG_PX)
    assert d.track(tid).duck_db == pytest.approx(proj - 3.5)
    assert d.undo_stack.count() == n + 2
    qtbot.mouseDClick(tl.view.viewport(), LEFT, NO, tl.map_to_viewport(_control(tl, "duck_db", 1)))
    assert d.track(tid).duck_db is None  # back to the project default
    d.undo_stack.undo()
    assert d.track(tid).duck_db == pytest.approx(proj - 3.5)
    # the other track is untouched
    assert d.project.tracks[0].duck_db is None and d.project.tracks[0].gain_db == 0.0


def test_levels_clamp_like_the_model(qtbot, timeline):
    tl = timeline
    d = tl.doc
    tid = d.project.tracks[0].id
    _vdrag(qtbot, tl, _control(tl, "gain_db"), -200, steps=20)  # 25 dB worth of drag, from 0
    assert d.track(tid).gain_db == 24.0
    n = d.undo_stack.count()
    _wheel(tl, _control(tl, "gain_db"), 120)
    assert d.track(tid).gain_db == 24.0 and d.undo_stack.count() == n  # nothing to undo at the limit
    d.set_track_fields(tid, gain_db=-95.8)
    _wheel(tl, _control(tl, "gain_db"), -120)
    assert d.track(tid).gain_db == -96.0
    d.set_track_fields(tid, duck_db=-0.2)
    _wheel(tl, _control(tl, "duck_db"), 120)
    assert d.track(tid).duck_db == 0.0
    _vdrag(qtbot, tl, _control(tl, "duck_db"), -40)
    assert d.track(tid).duck_db == 0.0


def test_hover_shows_a_tooltip_and_ctrl_wheel_still_resizes_the_lane(qtbot, timeline):
    tl = timeline
    vp = tl.view.viewport()
    qtbot.mouseMove(vp, tl.map_to_viewport(_control(tl, "gain_db")))
    assert tl.vb.cursor().shape() == Qt.CursorShape.SizeVerCursor
    assert "Track gain" in tl.vb.toolTip() and "Double-click" in tl.vb.toolTip()
    qtbot.mouseMove(vp, tl.map_to_viewport(_control(tl, "duck_db")))
    assert "project default" in tl.vb.toolTip()
    lane = tl.track_lanes[0]
    h0 = lane.rect.height()
    _wheel(tl, _control(tl, "gain_db"), 120, Qt.KeyboardModifier.ControlModifier)
    assert lane.rect.height() > h0 and tl.doc.project.tracks[0].gain_db == 0.0


def test_controls_fit_the_smallest_lane_and_hide_when_the_view_is_too_narrow(qtbot, timeline):
    tl = timeline
    tid = tl.doc.project.tracks[0].id
    tl.set_lane_height(tid, TRACK_MIN_H)
    lane = tl.track_lanes[0]
    rects = lane.level_controls()
    assert rects and all(lane.rect.top() <= r.top() and r.bottom() <= lane.rect.top() + 15 for r in rects.values())
    _wheel(tl, _control(tl, "gain_db"), 120)
    assert tl.doc.track(tid).gain_db == 0.5
    tl.resize(260, 320)
    qtbot.wait(20)
    assert lane.level_controls() == {}
    assert tl.level_control_at(QPointF(200, lane.rect.top() + 7)) is None
    tl.grab()  # paints the text fallback without error
