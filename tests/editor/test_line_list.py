"""The line list dock: keyboard navigation, inline edit, find/replace, checks, sorting and filters."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from editor import commands as cmd
from editor.line_list import COL_ISSUES, COL_ORIGINAL, COL_TEXT, COLUMNS
from project.model import Region, Track

NONE = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def win(qtbot, window, make_project):
    p = make_project(regions=((1.0, 3.0, "the cat sat"), (5.0, 7.0, "a cat and a dog"), (8.0, 9.0, "再见")))
    t2 = Track(name="Actor B")
    t2.regions.append(Region(start=2.5, end=4.0, text="cat food"))
    p.tracks.append(t2)
    window.doc.replace(p, None)
    window.line_list_dock.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    return window


def texts(ll):
    return [ll.proxy.index(i, COL_TEXT).data() for i in range(ll.proxy.rowCount())]


def test_rows_and_keyboard_navigation_move_selection_and_playhead(qtbot, win):
    ll = win.line_list
    assert ll.table.isColumnHidden(COL_ORIGINAL)  # nothing transcribed: no Original column
    assert texts(ll) == ["the cat sat", "cat food", "a cat and a dog", "再见"]  # by start, all tracks
    table = ll.table
    table.setFocus()
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, NONE,
                     table.visualRect(ll.proxy.index(0, 1)).center())
    assert win.doc.current_region().text == "the cat sat"
    assert win.playback.position == pytest.approx(1.0)
    qtbot.keyClick(table, Qt.Key.Key_Down)
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert win.doc.current_region().text == "a cat and a dog"
    assert win.playback.position == pytest.approx(5.0) and win.timeline.playhead == pytest.approx(5.0)
    assert win.doc.selected_ids == [win.doc.current_region_id]
    # and the other way: a click on the timeline selects the row
    rid = win.doc.project.tracks[1].regions[0].id
    win.doc.select([rid])
    assert table.currentIndex().row() == 1


def test_inline_text_edit_is_one_undo_step(qtbot, win):
    ll = win.line_list
    table = ll.table
    table.setFocus()
    table.setCurrentIndex(ll.proxy.index(0, COL_TEXT))
    n = win.doc.undo_stack.count()
    qtbot.keyClick(table, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    editor.selectAll()
    qtbot.keyClicks(editor, "the dog sat")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.state() != table.State.EditingState)  # the delegate commits queued
    assert win.doc.project.tracks[0].regions[0].text == "the dog sat"
    assert win.doc.undo_stack.count() == n + 1
    win.doc.undo_stack.undo()
    assert texts(ll)[0] == "the cat sat"


def test_find_and_replace_regex_in_all_tracks_or_the_current_one(qtbot, win):
    ll = win.line_list
    ll.table.setFocus()
    qtbot.keyClick(ll.table, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert ll.find_bar.isVisible() and QApplication.focusWidget() is ll.find_edit
    qtbot.keyClicks(ll.find_edit, r"\bcat\b")
    ll.regex.setChecked(True)
    qtbot.keyClicks(ll.replace_edit, "fox")
    before = win.doc.current_region_id
    qtbot.keyClick(ll.find_edit, Qt.Key.Key_Return)  # find next
    assert win.doc.current_region_id != before and "cat" in win.doc.current_region().text
    # current track only (the current line's): Actor B's "cat food" stays
    win.doc.select([win.doc.project.tracks[0].regions[0].id])
    ll.scope.setCurrentIndex(ll.scope.findData("track"))
    n = win.doc.undo_stack.count()
    qtbot.mouseClick(ll.replace_all_button, Qt.MouseButton.LeftButton)
    assert win.doc.undo_stack.count() == n + 1
    assert [r.text for r in win.doc.project.tracks[0].regions] == ["the fox sat", "a fox and a dog", "再见"]
    assert win.doc.project.tracks[1].regions[0].text == "cat food"
    win.doc.undo_stack.undo()
    ll.scope.setCurrentIndex(ll.scope.findData("all"))
    qtbot.mouseClick(ll.replace_all_button, Qt.MouseButton.LeftButton)
    assert win.doc.project.tracks[1].regions[0].text == "fox food"
    # a bad regex is said, not raised
    msgs = []
    ll.message.connect(msgs.append)
    ll.find_edit.setText("(")
    qtbot.mouseClick(ll.find_next_button, Qt.MouseButton.LeftButton)
    assert "regular expression" in msgs[-1]


def test_checks_flag_overlap_too_short_and_reading_speed(qtbot, win):
    ll = win.line_list
    d = win.doc
    issues = lambda: {ll.model.rows[i][1].text: ll.model.index(i, COL_ISSUES).data()  # noqa: E731
                      for i in range(len(ll.model.rows))}
    assert "overlaps a line on Actor B" in issues()["the cat sat"]
    assert "overlaps a line on Dub 1" in issues()["cat food"]
    # 20 characters in 1 s: too fast, and too short for the fake engine (shortest 0.3 x 0.15 s x 20 = 0.90 s)
    rid = d.project.tracks[0].regions[2].id
    d.push(cmd.SetRegionText(d, rid, "一二三四五六七八九十一二三四五六七八九十"))
    d.push(cmd.MoveResizeRegion(d, rid, 8.0, 8.5, "end"))
    qtbot.waitUntil(lambda: "too short" in (issues().get("一二三四五六七八九十一二三四五六七八九十") or ""), timeout=5000)
    got = issues()["一二三四五六七八九十一二三四五六七八九十"]
    assert "needs at least 0.90 s" in got and "40.0 chars/s" in got
    ll.cps.setValue(50.0)
    assert "chars/s" not in issues()["一二三四五六七八九十一二三四五六七八九十"]
    ll.issues_only.setChecked(True)
    assert set(texts(ll)) == {"the cat sat", "cat food", "一二三四五六七八九十一二三四五六七八九十"}


def test_sorting_and_filters(qtbot, win):
    ll = win.line_list
    header = ll.table.horizontalHeader()
    col = COLUMNS.index("Length")
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, NONE,
                     header.rect().center().__class__(header.sectionViewportPosition(col) + 5, 5))
    lengths = [float(ll.proxy.index(i, col).data()) for i in range(ll.proxy.rowCount())]
    assert lengths == sorted(lengths) or lengths == sorted(lengths, reverse=True)
    ll.track_filter.setCurrentIndex(ll.track_filter.findText("Actor B"))
    assert texts(ll) == ["cat food"]
    ll.track_filter.setCurrentIndex(0)
    qtbot.keyClicks(ll.search, "CAT")
    assert sorted(texts(ll)) == ["a cat and a dog", "cat food", "the cat sat"]
    assert "3 of 4 lines" in ll.summary.text()
