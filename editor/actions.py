"""QAction construction shared by the window and its controllers (one place for shortcut rules)."""

from __future__ import annotations

from PySide6.QtGui import QAction, QKeySequence


def make_action(parent, text: str, slot=None, shortcuts=(), tip: str = "", checkable: bool = False) -> QAction:
    """An action with its shortcuts, status tip and slot, added to ``parent`` (when it is a widget) so its
    shortcuts work even when no menu shows it.

    A standard key can be empty on some platforms (Quit, Preferences on Qt's offscreen and generic
    themes): the explicit spelling beside it then carries the shortcut; duplicates are dropped."""
    a = QAction(text, parent)
    seqs: list[QKeySequence] = []
    for s in shortcuts:
        k = s if isinstance(s, QKeySequence) else QKeySequence(s)
        if not k.isEmpty() and all(k != u for u in seqs):
            seqs.append(k)
    if seqs:
        a.setShortcuts(seqs)
    if tip:
        a.setStatusTip(tip)
    a.setCheckable(checkable)
    if slot is not None:
        a.triggered.connect(slot)
    if parent is not None and hasattr(parent, "addAction"):
        parent.addAction(a)
    return a


def make_window_action(window, text: str, slot=None, shortcuts=(), tip: str = "", icon=None,
                       checkable: bool = False) -> QAction:
    """A main-window action (menus and toolbar): ``make_action`` plus an optional standard icon and a
    tooltip that names the first shortcut ("Save (Ctrl+S)"), as the toolbar shows it."""
    a = make_action(window, text, slot, shortcuts, tip, checkable)
    if icon is not None:
        a.setIcon(window.style().standardIcon(icon))
    if tip:
        seqs = a.shortcuts()
        a.setToolTip(f"{text.replace('&', '').rstrip('…')} ({seqs[0].toString()})" if seqs else tip)
    return a
