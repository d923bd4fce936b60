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
