"""In/out points, loop playback, scrubbing and the master meter, driven by keys and the mouse."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication

from editor.meters import ShortTermMeter

NONE = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def win(qtbot, window, make_project):
    window.doc.replace(make_project(), None)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.timeline.view.setFocus()
    window.timeline.vb.setXRange(0.0, 10.0, padding=0)
    return window


def key(qtbot, w, k, mods=NONE):
    qtbot.keyClick(w.timeline.view, k, mods)


def test_in_out_keys_and_loop_between_them(qtbot, win):
    pb = win.playback
    pb.seek(1.0)
    key(qtbot, win, Qt.Key.Key_I)
    pb.seek(1.4)
    key(qtbot, win, Qt.Key.Key_O)
    assert (win.timeline.in_point, win.timeline.out_point) == (1.0, 1.4)
    key(qtbot, win, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert win.sync_tools.act_loop.isChecked()
    pb.seek(5.0)
    key(qtbot, win, Qt.Key.Key_Space)  # play: outside the range it starts at the in point
    assert pb.is_playing() and pb.position == pytest.approx(1.0, abs=0.05)
    seen = []
    pb.positionChanged.connect(seen.append)
    qtbot.wait(1000)  # more than two passes of the 0.4 s range
    assert pb.is_playing()
    assert max(seen) < 1.5 and min(seen) < 1.1 and any(t > 1.3 for t in seen)
    key(qtbot, win, Qt.Key.Key_Space)
    key(qtbot, win, Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier)
    assert (win.timeline.in_point, win.timeline.out_point) == (None, None)


def test_loop_without_in_out_uses_the_selected_region(qtbot, win):
    d = win.doc
    d.select([d.project.tracks[0].regions[0].id])  # 1.0 - 3.0 s
    win.sync_tools.act_loop.trigger()
    assert win.sync_tools.loop_range() == (1.0, 3.0)


def test_dragging_on_the_ruler_scrubs_and_leaves_the_playhead_there(qtbot, win):
    tl = win.timeline
    vp = tl.view.viewport()
    y = tl.ruler.rect.center().y()
    plays = []
    win.playback.playingChanged.connect(plays.append)
    p0 = tl.map_to_viewport(QPointF(tl.t2x(2.0), y))
    qtbot.mousePress(vp, Qt.MouseButton.LeftButton, NONE, p0)
    qtbot.mouseMove(vp, tl.map_to_viewport(QPointF(tl.t2x(2.5), y)))
    qtbot.mouseMove(vp, tl.map_to_viewport(QPointF(tl.t2x(3.2), y)))
    qtbot.mouseRelease(vp, Qt.MouseButton.LeftButton, NONE, tl.map_to_viewport(QPointF(tl.t2x(3.2), y)))
    assert True in plays  # a slice was played
    qtbot.waitUntil(lambda: not win.playback.is_playing(), timeout=2000)
    qtbot.wait(30)
    assert win.playback.position == pytest.approx(3.2, abs=0.03)
    assert tl.playhead == pytest.approx(3.2, abs=0.03)


def test_short_term_meter_reads_a_reference_tone():
    sr = 48000
    t = np.arange(4 * sr) / sr
    tone = (0.1 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)  # -20 dBFS peak
    m = ShortTermMeter(sr)
    for i in range(0, len(tone), 2400):
        m.add(tone[i:i + 2400])
    assert m.peak_db == pytest.approx(-20.0, abs=0.01)
    assert m.short_term_lufs == pytest.approx(-23.0, abs=0.05)  # BS.1770: 1 kHz at -20 dBFS reads -23.0 LUFS
    m.add(np.zeros(sr, np.float32))
    assert m.peak_db == pytest.approx(-40.0, abs=0.1)  # falls 20 dB per second


def test_master_meter_moves_while_playing_a_line(qtbot, win):
    rid = win.doc.project.tracks[0].regions[0].id
    qtbot.waitUntil(lambda: win.renderer.ready_clip(rid) is not None, timeout=5000)
    qtbot.wait(100)  # the mix is rebuilt 30 ms after a clip is ready
    win.playback.seek(1.0)
    key(qtbot, win, Qt.Key.Key_Space)
    qtbot.wait(600)
    peak, lufs = win.master_meter.readings()
    key(qtbot, win, Qt.Key.Key_Space)
    assert math.isfinite(peak) and -20 < peak <= 0.0
    assert math.isfinite(lufs) and lufs < peak


def test_the_loop_follows_the_selected_region_and_in_out_points(qtbot, win):
    d, pb = win.doc, win.playback
    win.sync_tools.act_loop.trigger()
    first = d.project.tracks[0].regions[0]
    d.select([first.id])
    assert pb._loop == (first.start, first.end)
    pb.seek(1.2)
    key(qtbot, win, Qt.Key.Key_I)
    pb.seek(1.6)
    key(qtbot, win, Qt.Key.Key_O)
    assert pb._loop == (1.2, 1.6)  # in..out wins over the region
    key(qtbot, win, Qt.Key.Key_X, Qt.KeyboardModifier.AltModifier)
    assert pb._loop == (first.start, first.end)
    win.sync_tools.act_loop.trigger()
    assert pb._loop is None
