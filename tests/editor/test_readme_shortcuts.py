"""Every shortcut in the README's key table, pressed as a key: it reaches the action it names.

The table is read from README.md (the `backticked` keys of the rows between
"| keys | action |" and the first blank line), so a shortcut documented but not
bound, or bound to nothing, fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QApplication, QFileDialog

README = Path(__file__).resolve().parents[2] / "README.md"


def readme_keys() -> list[str]:
    text = README.read_text(encoding="utf-8")
    table = text[text.index("| keys | action |"):]
    table = table[: table.index("\n\n")]
    keys: list[str] = []
    for line in table.splitlines()[2:]:
        cell = line.split("|")[1]
        keys += [k.replace("\\\\", "\\") for k in re.findall(r"`([^`]+)`", cell)]
    return keys


KEYS = readme_keys()
# actions that open a modal dialog or end the session: their slot is replaced by a counter
MODAL = ("act_open", "act_new_media", "act_save", "act_save_as", "act_import_subs", "act_export", "act_prefs",
         "act_quit", "act_new")


def test_the_readme_table_lists_the_new_keys():
    for k in ("Ctrl+C", "Ctrl+V", "Ctrl+D", "Ctrl+K", "Shift+Del", "Alt+Up", ",", ">", "Ctrl+L", "Ctrl+F", "F2"):
        assert k in KEYS


def _press(qtbot, widget, key: str) -> None:
    combo = QKeySequence(key)[0]
    qtbot.keyClick(widget, combo.key(), combo.keyboardModifiers())


@pytest.mark.parametrize("key", KEYS)
def test_readme_shortcut_reaches_its_action(qtbot, window, make_project, key, monkeypatch):
    w = window
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a, **k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: ("", "")))
    p = make_project(regions=((1.0, 3.0, "hello there"), (5.0, 7.0, "再见")), markers=(4.0, 8.0))
    w.doc.replace(p, None)
    rid = w.doc.project.tracks[0].regions[0].id
    w.doc.select([rid])
    if key in ("Ctrl+Z", "Ctrl+Shift+Z", "Ctrl+Y"):  # something to undo / redo
        from editor import commands as cmd

        w.doc.push(cmd.SetRegionText(w.doc, rid, "changed"))
        if key != "Ctrl+Z":
            w.doc.undo_stack.undo()
    w.line_list_dock.show()
    w.timeline.set_playhead(2.0)
    w.playback.seek(2.0)
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    ll = w.line_list
    if key == "Ctrl+F":
        ll.table.setFocus()
        _press(qtbot, ll.table, key)
        assert ll.find_bar.isVisible()
        return
    if key == "F2":
        ll.table.setFocus()
        ll.table.setCurrentIndex(ll.proxy.index(0, 4))  # the text column
        _press(qtbot, ll.table, key)
        assert ll.table.state() == QAbstractItemView.State.EditingState
        return
    seq = QKeySequence(key)
    owners = [a for a in w.findChildren(type(w.act_play)) if any(s == seq for s in a.shortcuts())]
    assert len(owners) == 1, f"{key}: bound to {[a.text() for a in owners]}"
    action = owners[0]
    hits = []
    for name in MODAL:
        a = getattr(w, name)
        if a is action:
            a.triggered.disconnect()
    action.triggered.connect(lambda *_: hits.append(1))
    w.timeline.view.setFocus()
    _press(qtbot, w.timeline.view, key)
    assert hits, f"{key} did not reach “{action.text()}”"
