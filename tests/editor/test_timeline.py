"""The timeline driven with real mouse events on its viewport (pytest-qt, offscreen).

The fixture shows seconds 0-10 over 1000 px (100 px/s, 4 px per frame at
25 fps) with regions at 1-3 s ("你好") and 5-7 s ("再见") and a marker at 4 s.
"""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from editor.render_worker import RenderController


def point(tl, t: float, track: int = 0):
    lane = tl.track_lanes[track]
    top, h = lane.region_band()
    return tl.map_to_viewport(QPointF(tl.t2x(t), top + h / 2))


def view_time(tl, p: QPoint) -> float:
    """The time the timeline reads at a viewport point (what the mouse event carries)."""
    return tl.x2t(tl.vb.mapFromScene(tl.view.mapToScene(p)).x())


def drag(qtbot, tl, a: QPoint, b: QPoint, mods=Qt.KeyboardModifier.NoModifier, steps: int = 6, before_release=None):
    vp = tl.view.viewport()
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, mods, a)
    for i in range(1, steps + 1):
        qtbot.mouseMove(vp, a + (b - a) * (i / steps))
    if before_release:
        before_release()
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, mods, b)


def regions(tl):
    return [(r.start, r.end) for r in tl.doc.project.tracks[0].regions]


def test_drag_on_empty_track_space_creates_a_region(qtbot, timeline):
    tl = timeline
    a, b = point(tl, 7.6), point(tl, 9.0)
    assert view_time(tl, a) == pytest.approx(7.6) and view_time(tl, b) == pytest.approx(9.0)
    drag(qtbot, tl, a, b)
    assert regions(tl) == [(1.0, 3.0), (5.0, 7.0), (7.6, 9.0)]
    new = tl.doc.project.tracks[0].regions[2]
    assert tl.doc.selected_ids == [new.id]
    assert tl.doc.undo_stack.count() == 1 and tl.doc.undo_stack.undoText() == "Add region"


def test_creation_snaps_to_frames_and_stops_at_the_next_region(qtbot, timeline):
    tl = timeline
    a = point(tl, 3.5) + QPoint(1, 0)  # 3.51 s: between frames
    b = point(tl, 6.0)  # inside the next region
    drag(qtbot, tl, a, b)
    new = [r for r in tl.doc.project.tracks[0].regions if r.start > 3][0]
    assert new.start == pytest.approx(3.52)  # the nearest frame (25 fps)
    assert new.end == 5.0  # pushed back against the neighbour


def test_hovering_an_edge_shows_the_resize_cursor(qtbot, timeline):
    tl = timeline
    vp = tl.view.viewport()
    qtbot.mouseMove(vp, point(tl, 3.0) - QPoint(2, 0))
    assert tl.vb.cursor().shape() == Qt.CursorShape.SizeHorCursor
    qtbot.mouseMove(vp, point(tl, 2.0))
    assert tl.vb.cursor().shape() == Qt.CursorShape.OpenHandCursor


def test_move_snaps_to_a_marker_with_a_visible_snap_line(qtbot, timeline):
    tl = timeline
    rid = tl.doc.project.tracks[0].regions[1].id
    seen = {}
    drag(qtbot, tl, point(tl, 6.0), point(tl, 5.0) + QPoint(3, 0),
         before_release=lambda: seen.update(snap=tl.snap_line))
    r = tl.doc.region(rid)
    assert (r.start, r.end) == (4.0, 6.0)  # 4.03 s snapped onto the marker at 4 s
    assert seen["snap"] == 4.0
    assert tl.snap_line is None  # gone after the drop
    assert tl.doc.undo_stack.count() == 1  # the whole drag is one step
    tl.doc.undo_stack.undo()
    assert (r.start, r.end) == (5.0, 7.0)


def test_alt_suspends_snapping(qtbot, timeline):
    tl = timeline
    rid = tl.doc.project.tracks[0].regions[1].id
    target = point(tl, 5.0) + QPoint(3, 0)
    drag(qtbot, tl, point(tl, 6.0), target, mods=Qt.KeyboardModifier.AltModifier)
    r = tl.doc.region(rid)
    assert r.start == pytest.approx(view_time(tl, target) - 1.0)
    assert r.start != 4.0


def test_edge_snaps_to_the_playhead(qtbot, timeline):
    tl = timeline
    tl.set_playhead(8.0)
    rid = tl.doc.project.tracks[0].regions[1].id
    drag(qtbot, tl, point(tl, 7.0) - QPoint(2, 0), point(tl, 8.0) + QPoint(5, 0))
    assert tl.doc.region(rid).end == 8.0


def test_moving_into_a_neighbour_is_pushed_back_and_shown(qtbot, timeline):
    tl = timeline
    rid = tl.doc.project.tracks[0].regions[1].id
    seen = {}
    messages = []
    tl.message.connect(messages.append)
    drag(qtbot, tl, point(tl, 6.0), point(tl, 3.5), before_release=lambda: seen.update(blocked=tl.blocked))
    r = tl.doc.region(rid)
    assert (r.start, r.end) == (3.0, 5.0)  # stopped against the region ending at 3 s
    assert seen["blocked"] is not None and seen["blocked"][1] == 3.0
    assert tl.blocked is None
    assert messages and "overlap" in messages[-1]


def test_click_on_ruler_seeks(qtbot, timeline):
    tl = timeline
    seeks = []
    tl.seekRequested.connect(seeks.append)
    p = tl.map_to_viewport(QPointF(tl.t2x(2.6), tl.ruler.rect.center().y()))
    qtbot.mouseClick(tl.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p)
    assert seeks and seeks[0] == pytest.approx(2.6) and tl.playhead == pytest.approx(2.6)


def test_ctrl_wheel_zooms_about_the_cursor_and_wheel_scrolls(qtbot, timeline):
    tl = timeline
    vp = tl.view.viewport()
    p = point(tl, 2.0)

    def wheel(delta, mods):
        ev = QWheelEvent(QPointF(p), QPointF(vp.mapToGlobal(p)), QPoint(0, 0), QPoint(0, delta),
                         Qt.MouseButton.NoButton, mods, Qt.ScrollPhase.NoScrollPhase, False)
        QApplication.sendEvent(vp, ev)

    wheel(120, Qt.KeyboardModifier.ControlModifier)
    t0, t1 = tl.visible_range()
    assert t1 - t0 == pytest.approx(10.0 / 1.25, rel=1e-3)
    assert view_time(tl, p) == pytest.approx(2.0, abs=0.02)  # the time under the cursor stays put
    before = tl.visible_range()
    wheel(-120, Qt.KeyboardModifier.ShiftModifier)
    after = tl.visible_range()
    assert after[0] > before[0] and after[1] - after[0] == pytest.approx(before[1] - before[0])


def test_zoom_keys_and_fit(qtbot, timeline):
    tl = timeline
    tl.zoom_in()
    assert tl.pixels_per_second() == pytest.approx(150.0)
    tl.zoom_out()
    assert tl.pixels_per_second() == pytest.approx(100.0)
    tl.zoom_fit()
    t0, t1 = tl.visible_range()
    assert t0 <= 0.0 and t1 >= tl.content_end()


def test_r_key_creates_a_region_at_the_playhead(qtbot, timeline):
    tl = timeline
    tl.set_playhead(8.0)
    rid = tl.create_region_at_playhead()
    assert tl.doc.region(rid).start == 8.0 and tl.doc.region(rid).end == 10.0
    tl.set_playhead(2.0)
    assert tl.create_region_at_playhead() is None  # inside a region: refused with a message


def test_regions_draw_without_errors_at_every_zoom(qtbot, timeline):
    tl = timeline
    for span in (0.5, 10, 600, 7200):
        tl.vb.setXRange(0, span, padding=0)
        tl.grab()


def test_dragging_the_right_edge_sets_the_duration_and_queues_a_render(qtbot, timeline, FakeEngine):
    tl = timeline
    doc = tl.doc
    loaded = threading.Event()
    eng = FakeEngine()

    def factory(progress):
        loaded.wait(10)  # the engine is still "loading": jobs wait in the queue
        return eng

    ctl = RenderController(doc, factory)
    tl.set_renderer(ctl)
    try:
        rid = doc.project.tracks[0].regions[0].id
        drag(qtbot, tl, point(tl, 3.0) - QPoint(2, 0), point(tl, 4.4))
        region = doc.region(rid)
        assert (region.start, region.end) == (1.0, pytest.approx(4.4))
        assert region.duration == pytest.approx(3.4)
        assert doc.undo_stack.count() == 1 and doc.undo_stack.undoText() == "Resize region"
        assert ctl.has_pending_changes()  # debounced: submitted 300 ms after the last change
        qtbot.waitUntil(lambda: not ctl.has_pending_changes(), timeout=2000)
        assert rid in ctl.worker.pending()
        assert ctl.status(rid) == "queued"
        loaded.set()
        qtbot.waitUntil(lambda: ctl.status(rid) == "ready", timeout=5000)
        assert len(ctl.clip(rid).audio) == round(3.4 * 24000)
    finally:
        loaded.set()
        ctl.shutdown()


def test_timecode_format_and_parse():
    from project.timecode import TimecodeError, format_tc, parse_tc

    assert format_tc(0.0, 25) == "00:00:00:00"
    assert format_tc(3661.52, 25) == "01:01:01:13"
    assert format_tc(1.0 - 1e-9, 25) == "00:00:01:00"  # float noise does not drop a frame
    assert parse_tc("00:00:02:12", 25) == pytest.approx(2.48)
    assert parse_tc("1:02:03", 25) == pytest.approx(62.12)  # MM:SS:FF
    assert parse_tc("01:02.5", 25) == pytest.approx(62.5)
    assert parse_tc("12.25", 25) == 12.25
    for bad in ("", "abc", "00:00:00:30", "-1"):
        with pytest.raises(TimecodeError):
            parse_tc(bad, 25)


def test_snap_rules():
    from project.snapping import SnapTargets, snap_span, snap_time

    targets = SnapTargets([(4.0, "marker"), (8.0, "playhead"), (3.0, "edge")])
    spp = 0.01  # 100 px/s: 8 px = 0.08 s
    assert snap_time(4.05, targets, spp, 25).target == 4.0
    s = snap_time(4.51, targets, spp, 25)
    assert s.target is None and s.time == pytest.approx(4.52)  # frame grid only
    assert snap_time(4.05, targets, spp, 25, enabled=False).time == 4.05
    start, snap = snap_span(5.97, 7.97, targets, spp, 25)  # the end edge is the one near the playhead
    assert snap.target == 8.0 and start == pytest.approx(6.0)
