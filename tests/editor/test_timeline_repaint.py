"""What is on screen after partial repaints equals a full repaint (labels stay put)."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QGuiApplication, QImage

from editor import commands as cmd


def _screen(widget) -> np.ndarray:
    """The window's pixels as the platform shows them (the backing store, not a fresh paint)."""
    img = QGuiApplication.primaryScreen().grabWindow(widget.window().winId())
    img = img.toImage().convertToFormat(QImage.Format.Format_RGB32)
    ptr = img.constBits()
    return np.frombuffer(ptr, np.uint8, img.sizeInBytes()).reshape(img.height(), img.bytesPerLine() // 4, 4).copy()


def test_region_label_left_of_the_view_survives_seeking(qtbot, timeline):
    tl = timeline
    d = tl.doc
    rid = d.project.tracks[0].regions[0].id
    d.push(cmd.SetRegionText(d, rid, "The weather is lovely today, is it not"))
    d.push(cmd.MoveResizeRegion(d, rid, 1.0, 4.9, "end"))
    tl.vb.setXRange(2.0, 12.0, padding=0)  # the region starts 100 px left of the view
    qtbot.wait(50)
    full = _screen(tl)
    vp = tl.view.viewport()
    rect = tl.region_rect(rid)
    y = tl.ruler.rect.center().y()
    # click along the ruler over the region: each click repaints only the playhead's old and new strips
    for x in (30.0, 60.0, 95.0, 140.0, 200.0, 20.0, 75.0):
        p = tl.map_to_viewport(QPointF(x, y))
        qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, p)
        qtbot.wait(20)
    tl.set_playhead(9.0)  # park the playhead far away, again a partial repaint
    qtbot.wait(50)
    after = _screen(tl)
    top_left = tl.map_to_viewport(QPointF(0, rect.top()))
    origin = vp.mapTo(tl.window(), top_left)
    y0, y1 = origin.y(), origin.y() + 16  # the label row
    x0, x1 = origin.x(), origin.x() + int(rect.right())
    band_full, band_after = full[y0:y1, x0:x1, :3], after[y0:y1, x0:x1, :3]
    assert band_full.std() > 5  # the label is there
    assert np.array_equal(band_full, band_after)


def test_ruler_labels_are_never_clipped_at_the_right_edge(qtbot, timeline):
    from PySide6.QtGui import QFontMetrics

    from editor.timeline.lanes import _font

    tl = timeline
    fm = QFontMetrics(_font(8.0))
    for t0, t1 in ((0.0, 10.0), (0.37, 9.93), (3.0, 13.05), (0.0, 29.9)):
        tl.vb.setXRange(t0, t1, padding=0)
        labels = tl.ruler.labels(fm)
        right = tl.ruler.rect.right()
        assert labels
        for _x, lx, text in labels:
            if lx >= 0:
                assert lx + fm.horizontalAdvance(text) <= right, (t0, t1, text)
        xs = sorted(lx for _x, lx, _t in labels)
        widths = {lx: fm.horizontalAdvance(t) for _x, lx, t in labels}
        assert all(b >= a + widths[a] for a, b in zip(xs, xs[1:], strict=False))  # and never overlap


def test_word_labels_never_overlap(qtbot):
    from types import SimpleNamespace

    from PySide6.QtGui import QFontMetrics

    from editor.timeline.lanes import TrackLaneItem, _font

    fm = QFontMetrics(_font(7.5))
    reg = SimpleNamespace(start=0.0)
    # words of uneven length, close together (the overlap came from testing the new label's width)
    words = ["a", "wonderfully", "b", "long", "c", "extraordinary", "d", "e"]
    units = [SimpleNamespace(text=w, start_seconds=0.08 * i, kind="en") for i, w in enumerate(words)]
    labels = TrackLaneItem.word_labels(reg, units, 0.0, 1000.0, fm, 0.0, 1000.0)
    assert len(labels) >= 3
    for (xa, ta), (xb, _tb) in zip(labels, labels[1:], strict=False):
        assert xb >= xa + 2 + fm.horizontalAdvance(ta)
