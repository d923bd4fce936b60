"""Many dub tracks: lanes keep a usable height and scroll vertically; Ctrl+wheel on a header resizes."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from editor import commands as cmd
from editor.timeline.view import TRACK_FIT_MIN_H
from project.model import Region, Track


def _wheel(tl, pos: QPointF, delta: int, mods=Qt.KeyboardModifier.NoModifier) -> None:
    vp = tl.view.viewport()
    p = tl.map_to_viewport(pos)
    ev = QWheelEvent(QPointF(p), QPointF(vp.mapToGlobal(p)), QPoint(0, 0), QPoint(0, delta),
                     Qt.MouseButton.NoButton, mods, Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(vp, ev)


def _seven_tracks(tl):
    d = tl.doc
    for n in range(2, 8):
        t = Track(name=f"Actor {n}")
        t.regions.append(Region(start=1.0, end=2.5, text=f"line of actor {n}"))
        d.push(cmd.AddTrack(d, t))
    return d.project.tracks[-1]


def test_seven_tracks_scroll_and_the_last_one_is_reachable(qtbot, timeline):
    tl = timeline
    last = _seven_tracks(tl)
    assert all(lane.rect.height() >= TRACK_FIT_MIN_H for lane in tl.track_lanes)
    assert tl.vscrollbar.isVisible() and tl.vscrollbar.maximum() > 0
    rid = last.regions[0].id
    assert tl.region_rect(rid).top() > tl.vb.height()  # below the view at first
    first_lane = tl.track_lanes[0].rect.center()
    span = tl.visible_range()
    for _ in range(30):
        _wheel(tl, QPointF(400, first_lane.y() + 10), -120)
    qtbot.wait(10)
    rect = tl.region_rect(rid)
    assert tl.tracks_area_top() <= rect.top() and rect.bottom() <= tl.vb.height()
    assert tl.vscrollbar.value() == tl.vscrollbar.maximum()
    # the time range did not move: the wheel scrolled the lanes
    assert tl.visible_range() == span
    p = tl.map_to_viewport(rect.center())
    qtbot.mouseClick(tl.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p)
    assert tl.doc.selected_ids == [rid]
    # the fixed lanes stay on top: the ruler is still hit at the top
    assert tl.hit_test(QPointF(10, 5)).lane == "ruler"
    # Shift+wheel still scrolls time
    _wheel(tl, rect.center(), -120, Qt.KeyboardModifier.ShiftModifier)
    assert tl.visible_range()[0] > 0.0


def test_ctrl_wheel_on_a_track_header_changes_its_height(qtbot, timeline):
    tl = timeline
    lane = tl.track_lanes[0]
    h0 = lane.rect.height()
    header = QPointF(300, lane.rect.top() + 5)
    span = tl.visible_range()
    _wheel(tl, header, 120, Qt.KeyboardModifier.ControlModifier)
    assert lane.rect.height() > h0 * 1.1
    assert tl.visible_range() == span  # not a zoom
    for _ in range(20):
        _wheel(tl, QPointF(300, lane.rect.top() + 5), -120, Qt.KeyboardModifier.ControlModifier)
    assert lane.rect.height() == 36.0
    # Ctrl+wheel inside the lane body zooms as before
    _wheel(tl, QPointF(300, lane.rect.bottom() - 5), 120, Qt.KeyboardModifier.ControlModifier)
    assert tl.visible_range() != span
