"""Clipboard, duplicate, split, nudge, ripple delete, move between tracks: keys, one undo step each."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication

from editor import commands as cmd
from project.model import Track, to_dict
from project.region_edits import plan_move, split_point

C = Qt.KeyboardModifier.ControlModifier
NONE = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def win(qtbot, window, make_project):
    p = make_project(regions=((1.0, 3.0, "hello there world"), (5.0, 7.0, "再见")))
    window.doc.replace(p, None)
    d = window.doc
    r0 = d.project.tracks[0].regions[0]
    d.push(cmd.SetRegionVoice(d, r0.id, "jm_kumo"))
    d.push(cmd.SetRegionEmotion(d, r0.id, {"text": "happy", "intensity": 0.7}))
    d.push(cmd.SetRegionAnchors(d, r0.id, [[6, 0.8]], "Pin"))
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.timeline.view.setFocus()
    window.timeline.vb.setXRange(0.0, 10.0, padding=0)  # every region in view, whatever the docks leave
    return window


def key(qtbot, w, k, mods=NONE):
    qtbot.keyClick(w.timeline.view, k, mods)


def click_region(qtbot, w, rid):
    tl = w.timeline
    qtbot.mouseClick(tl.view.viewport(), Qt.MouseButton.LeftButton, NONE,
                     tl.map_to_viewport(tl.region_rect(rid).center()))


def test_copy_paste_keeps_voice_emotion_pins_and_undoes_in_one_step(qtbot, win):
    d = win.doc
    src = d.project.tracks[0].regions[0]
    click_region(qtbot, win, src.id)
    key(qtbot, win, Qt.Key.Key_C, C)
    win.timeline.set_playhead(8.0)
    before = to_dict(d.project)
    n = d.undo_stack.count()
    key(qtbot, win, Qt.Key.Key_V, C)
    regions = d.project.tracks[0].regions
    assert len(regions) == 3
    new = regions[-1]
    assert (new.start, new.end) == (8.0, 10.0) and new.id != src.id
    assert (new.text, new.voice, new.emotion, new.anchors) == (src.text, src.voice, src.emotion, src.anchors)
    assert d.selected_ids == [new.id]
    assert d.undo_stack.count() == n + 1
    key(qtbot, win, Qt.Key.Key_Z, C)
    assert to_dict(d.project) == before
    # pasting where the place is taken goes to the first free place after it
    win.timeline.set_playhead(4.5)
    key(qtbot, win, Qt.Key.Key_V, C)
    assert [(r.start, r.end) for r in d.project.tracks[0].regions][-1] == (7.0, 9.0)


def test_cut_duplicate_and_nothing_to_paste_says_so(qtbot, win):
    d = win.doc
    msgs = []
    win.region_actions.message.connect(msgs.append)
    key(qtbot, win, Qt.Key.Key_D, C)
    assert "Select regions" in msgs[-1]
    r1 = d.project.tracks[0].regions[1]
    click_region(qtbot, win, r1.id)
    key(qtbot, win, Qt.Key.Key_D, C)
    spans = [(r.start, r.end) for r in d.project.tracks[0].regions]
    assert spans == [(1.0, 3.0), (5.0, 7.0), (7.0, 9.0)]
    key(qtbot, win, Qt.Key.Key_X, C)  # cuts the duplicate (selected)
    assert [(r.start, r.end) for r in d.project.tracks[0].regions] == [(1.0, 3.0), (5.0, 7.0)]
    assert "Cut 1 region" in win.act_undo.text()


def test_split_at_playhead_cuts_text_at_the_rendered_word(qtbot, win):
    d = win.doc
    src = d.project.tracks[0].regions[0]
    qtbot.waitUntil(lambda: win.renderer.ready_clip(src.id) is not None, timeout=5000)
    clip = win.renderer.ready_clip(src.id)
    # the fake engine times each non-space character evenly: put the playhead near "there"'s start
    t_word = next(u.start_seconds for u in clip.units if u.src_start == 6)
    click_region(qtbot, win, src.id)
    win.timeline.set_playhead(src.start + t_word + 0.05)
    key(qtbot, win, Qt.Key.Key_K, C)
    a, b = d.project.tracks[0].regions[:2]
    assert (a.text, b.text) == ("hello", "there world")
    assert a.end == b.start == pytest.approx(src.start + t_word + 0.05)
    assert (b.voice, b.emotion) == ("jm_kumo", {"text": "happy", "intensity": 0.7})
    key(qtbot, win, Qt.Key.Key_Z, C)
    assert d.project.tracks[0].regions[0].text == "hello there world"


def test_split_point_without_timings_uses_the_nearest_space():
    assert split_point("one two three", 0.7, 1.0) == 8  # "one two |three"
    assert split_point("我们去公园", 0.4, 1.0) == 2


def test_nudge_by_frame_and_second_and_refusals(qtbot, win):
    d = win.doc
    r = d.project.tracks[0].regions[0]
    click_region(qtbot, win, r.id)
    fps = d.project.fps
    key(qtbot, win, Qt.Key.Key_Period)
    assert r.start if False else d.region(r.id).start == pytest.approx(1.0 + 1 / fps)
    key(qtbot, win, Qt.Key.Key_Comma)
    assert d.region(r.id).start == pytest.approx(1.0)
    key(qtbot, win, Qt.Key.Key_Greater, Qt.KeyboardModifier.ShiftModifier)
    assert d.region(r.id).start == pytest.approx(2.0)
    msgs = []
    win.region_actions.message.connect(msgs.append)
    for _ in range(2):
        key(qtbot, win, Qt.Key.Key_Greater, Qt.KeyboardModifier.ShiftModifier)  # the second would overlap
    assert d.region(r.id).start == pytest.approx(3.0) and "overlap" in msgs[-1]


def test_group_move_between_tracks_and_ripple_delete(qtbot, win):
    d = win.doc
    d.push(cmd.AddTrack(d, Track(name="Dub 2")))
    a, b = d.project.tracks[0].regions
    d.select([a.id, b.id])
    key(qtbot, win, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    assert not d.project.tracks[0].regions and [r.id for r in d.project.tracks[1].regions] == [a.id, b.id]
    key(qtbot, win, Qt.Key.Key_Z, C)
    assert [r.id for r in d.project.tracks[0].regions] == [a.id, b.id]
    d.select([a.id])
    key(qtbot, win, Qt.Key.Key_Delete, Qt.KeyboardModifier.ShiftModifier)
    assert [(r.start, r.end) for r in d.project.tracks[0].regions] == [(3.0, 5.0)]  # closed the 2 s gap


def test_plan_move_refuses_overlap_and_negative_time(make_project):
    from project.region_edits import EditError

    p = make_project()
    a, b = p.tracks[0].regions
    with pytest.raises(EditError, match="start of the timeline"):
        plan_move(p, [a.id], -2.0)
    with pytest.raises(EditError, match="overlap"):
        plan_move(p, [a.id], 3.0)
    plan = plan_move(p, [a.id, b.id], 3.0)  # together they move fine
    assert [(r.start, r.end) for r in plan[p.tracks[0].id]] == [(4.0, 6.0), (8.0, 10.0)]


def test_dragging_a_multi_selection_moves_it_as_a_group_between_tracks(qtbot, win):
    d = win.doc
    d.push(cmd.AddTrack(d, Track(name="Dub 2")))
    qtbot.wait(20)
    tl = win.timeline
    a, b = d.project.tracks[0].regions
    click_region(qtbot, win, a.id)
    vp = tl.view.viewport()
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, C, tl.map_to_viewport(tl.region_rect(b.id).center()))
    assert set(d.selected_ids) == {a.id, b.id}
    n = d.undo_stack.count()
    start = tl.region_rect(a.id).center()
    lane2 = tl.track_lanes[1].rect
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, NONE, tl.map_to_viewport(start))
    dx = tl.t2x(2.0) - tl.t2x(1.0)  # one second
    for k in range(1, 6):  # one second right and down one track, in steps
        p = QPointF(start.x() + dx * k / 5, start.y() + (lane2.center().y() - start.y()) * k / 5)
        qtbot.mouseMove(vp, tl.map_to_viewport(p), delay=5)
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, NONE, tl.map_to_viewport(p))
    assert not d.project.tracks[0].regions
    moved = d.project.tracks[1].regions
    assert [r.id for r in moved] == [a.id, b.id]
    assert [(r.start, r.end) for r in moved] == [pytest.approx((2.0, 4.0)), pytest.approx((6.0, 8.0))]
    assert d.undo_stack.count() == n + 1  # the whole drag is one step
    d.undo_stack.undo()
    assert [(r.start, r.end) for r in d.project.tracks[0].regions] == [(1.0, 3.0), (5.0, 7.0)]
    assert not d.project.tracks[1].regions


def test_copying_regions_then_exiting_offscreen_does_not_crash(tmp_path):
    """PySide6 crashed at exit on the offscreen platform with our mime data on the clipboard."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    code = ("from PySide6.QtWidgets import QApplication\n"
            "app = QApplication([])\n"
            "from editor import clipboard\n"
            "from project.model import Region\n"
            "from project.region_edits import ClipItem\n"
            "clipboard.put([ClipItem(Region(start=0.0, end=1.0, text='x'), 0.0, 0)])\n"
            "assert clipboard.get()[0].region.text == 'x'\n")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(root))
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
