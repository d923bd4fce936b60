"""The window fits a 1366x768 laptop screen with every panel open and the inspector on any page."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication


def _pick_source(qtbot, w, index: int) -> None:
    combo = w.inspector.emotion_box.mode
    combo.setFocus()
    for _ in range(10):
        if combo.currentIndex() == index:
            break
        qtbot.keyClick(combo, Qt.Key.Key_Down if combo.currentIndex() < index else Qt.Key.Key_Up)
    assert combo.currentIndex() == index, (combo.currentIndex(), combo.isEnabled())
    QApplication.processEvents()


def test_minimum_size_fits_1280x720_on_every_inspector_page(qtbot, window, make_project):
    w = window
    w.doc.replace(make_project(), None)
    for dock in w.findChildren(type(w.inspector_dock)):
        dock.show()
    rid = w.doc.project.tracks[0].regions[0].id
    rect = w.timeline.region_rect(rid)
    qtbot.mouseClick(w.timeline.view.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     w.timeline.map_to_viewport(rect.center()))
    assert w.inspector.region_id == rid
    combo = w.inspector.emotion_box.mode
    for i in range(combo.count()):
        _pick_source(qtbot, w, i)
        assert w.inspector.emotion_box.pages.currentIndex() == i
        qtbot.wait(20)
        hint = w.minimumSizeHint()
        assert hint.width() <= 1280 and hint.height() <= 720, (combo.currentText(), hint)
        # the group keeps its height while the page changes (it collapsed for a moment before)
        box = w.inspector.emotion_box
        assert box.height() >= box.minimumSizeHint().height()
    w.resize(1280, 720)
    qtbot.wait(20)
    assert w.width() == 1280 and w.height() == 720
