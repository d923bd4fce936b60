"""The timeline's right-click menus, opened by a real context-menu event on the viewport (offscreen).

While the menu is open a timer records it and closes it (Escape, as a user would); the test then reads its
entries and triggers the one a user would pick."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPointF, QTimer
from PySide6.QtGui import QContextMenuEvent
from PySide6.QtWidgets import QApplication, QMenu


@pytest.fixture
def shown():
    return []


def right_click(tl, p: QPointF, shown: list) -> None:
    def close_popup() -> None:
        menu = QApplication.activePopupWidget()
        if isinstance(menu, QMenu):
            shown.append(menu)
            menu.close()

    vp = tl.view.viewport()
    at = tl.map_to_viewport(p)
    QTimer.singleShot(200, close_popup)
    QApplication.sendEvent(vp, QContextMenuEvent(QContextMenuEvent.Reason.Mouse, at, vp.mapToGlobal(at)))


def entries(menu: QMenu) -> dict:
    """Every action by its text, submenus' entries included."""
    found = {}
    for a in menu.actions():
        if a.menu() is not None:
            found.update(entries(a.menu()))
        elif a.text():
            found[a.text()] = a
    return found


def track_point(tl, t: float) -> QPointF:
    top, h = tl.track_lanes[0].region_band()
    return QPointF(tl.t2x(t), top + h / 2)


def test_track_menu_mutes_and_adds_a_region(qtbot, timeline, shown):
    tl = timeline
    right_click(tl, track_point(tl, 8.0), shown)
    assert len(shown) == 1
    items = entries(shown[0])
    assert {"Add region here", "Rename track…", "Mute", "Solo", "Add dub track", "Remove track"} <= set(items)
    assert not items["Mute"].isChecked()
    items["Mute"].trigger()
    assert tl.doc.project.tracks[0].mute is True
    assert tl.doc.project.tracks[0].solo is False
    items["Add region here"].trigger()
    assert [(r.start, r.end) for r in tl.doc.project.tracks[0].regions][-1] == (pytest.approx(8.0), pytest.approx(10.0))
    assert tl.doc.undo_stack.count() == 2


def test_region_menu_selects_the_region_and_deletes_it(qtbot, timeline, shown):
    tl = timeline
    rid = tl.doc.project.tracks[0].regions[0].id
    right_click(tl, track_point(tl, 2.0), shown)
    assert tl.doc.selected_ids == [rid]
    items = entries(shown[0])
    assert {"Render", "Play region", "Delete"} <= set(items)
    with qtbot.waitSignal(tl.playRegionRequested) as sig:
        items["Play region"].trigger()
    assert sig.args == [rid]
    items["Delete"].trigger()
    assert tl.doc.region(rid) is None


def test_marker_menu_sets_the_colour(qtbot, timeline, shown):
    tl = timeline
    m = tl.doc.project.markers[0]
    right_click(tl, QPointF(tl.t2x(m.time), tl.markers.rect.center().y()), shown)
    items = entries(shown[0])
    items["Red"].trigger()
    assert tl.doc.project.markers[0].color == "#e74c3c"
    shown.clear()
    right_click(tl, QPointF(tl.t2x(8.0), tl.markers.rect.center().y()), shown)
    entries(shown[0])["Add marker here"].trigger()
    assert sorted(mk.time for mk in tl.doc.project.markers) == [4.0, pytest.approx(8.0, abs=0.011)]


def test_nothing_on_the_ruler(qtbot, timeline, shown):
    right_click(timeline, QPointF(timeline.t2x(3.0), timeline.ruler.rect.center().y()), shown)
    assert shown == []
