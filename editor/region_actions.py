"""The Edit menu's region edits as actions: clipboard, duplicate, split, nudge, ripple delete, move track.

:class:`RegionActions` owns the ``QAction`` objects (with their shortcuts)
and turns each into one undo command from :mod:`editor.edit_commands`;
every refusal is said in the status bar, never silently ignored.  The main
window creates one and adds ``actions()`` to its Edit menu.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QAction, QKeySequence

from editor import clipboard
from editor.actions import make_action
from editor.document import Document
from editor.edit_commands import TrackRegionsEdit
from project.region_edits import EditError, copy_items, plan_move, plan_paste, plan_ripple_delete, plan_split


class RegionActions(QObject):
    message = Signal(str)

    def __init__(self, doc: Document, playhead, clip_of, commit, parent=None):
        """``playhead()``: the playhead time; ``clip_of(rid)``: a ready clip or None (for word
        timings); ``commit()``: commit pending inspector typing before an edit."""
        super().__init__(parent)
        self.doc = doc
        self.playhead = playhead
        self.clip_of = clip_of
        self.commit = commit
        w = parent

        def act(text: str, slot, keys: list, tip: str) -> QAction:
            return make_action(w, text, slot, keys, tip)

        self.act_copy = act("&Copy", self.copy, [QKeySequence.StandardKey.Copy, "Ctrl+C"],
                            "Copy the selected regions (text, voice, emotion, pins)")
        self.act_cut = act("Cu&t", self.cut, [QKeySequence.StandardKey.Cut, "Ctrl+X"],
                           "Cut the selected regions")
        self.act_paste = act("&Paste", self.paste, [QKeySequence.StandardKey.Paste, "Ctrl+V"],
                             "Paste at the playhead on the active track (later if the place is taken)")
        self.act_duplicate = act("D&uplicate", self.duplicate, ["Ctrl+D"],
                                 "Copy the selected regions to right after them")
        self.act_split = act("Sp&lit at Playhead", self.split, ["Ctrl+K"],
                             "Cut the selected region at the playhead; the text splits at the nearest word")
        self.act_ripple = act("&Ripple Delete", self.ripple_delete, ["Shift+Del"],
                              "Delete the selected regions and close the gap")
        self.act_nudge_left = act("Nudge Left One Frame", lambda: self.nudge(-1, "frame"), [","],
                                  "Move the selected regions one frame earlier")
        self.act_nudge_right = act("Nudge Right One Frame", lambda: self.nudge(1, "frame"), ["."],
                                   "Move the selected regions one frame later")
        self.act_nudge_left_s = act("Nudge Left One Second", lambda: self.nudge(-1, "second"), ["Shift+,", "<", "Shift+<"],
                                    "Move the selected regions one second earlier")
        self.act_nudge_right_s = act("Nudge Right One Second", lambda: self.nudge(1, "second"), ["Shift+.", ">", "Shift+>"],
                                     "Move the selected regions one second later")
        self.act_track_up = act("Move to Track Above", lambda: self.move_track(-1), ["Alt+Up"],
                                "Move the selected regions to the track above")
        self.act_track_down = act("Move to Track Below", lambda: self.move_track(1), ["Alt+Down"],
                                  "Move the selected regions to the track below")

    def actions(self) -> list[QAction]:
        return [self.act_copy, self.act_cut, self.act_paste, self.act_duplicate, self.act_split, self.act_ripple,
                None, self.act_nudge_left, self.act_nudge_right, self.act_nudge_left_s, self.act_nudge_right_s,
                self.act_track_up, self.act_track_down]

    # ------------------------------------------------------------ helpers
    def _selection(self, what: str) -> list[str] | None:
        ids = list(self.doc.selected_ids)
        if not ids:
            self.message.emit(f"Select regions to {what} first")
            return None
        return ids

    def _push(self, plan_fn, label: str, select=None) -> bool:
        self.commit()
        try:
            got = plan_fn()
        except EditError as e:
            self.message.emit(str(e))
            return False
        plan, sel = got if isinstance(got, tuple) else (got, select)
        self.doc.push(TrackRegionsEdit(self.doc, plan, label, sel))
        return True

    # ------------------------------------------------------------ actions
    def copy(self) -> bool:
        ids = self._selection("copy")
        if ids is None:
            return False
        self.commit()
        items = copy_items(self.doc.project, ids)
        clipboard.put(items)
        self.message.emit(f"Copied {len(items)} region{'s' if len(items) != 1 else ''}")
        return True

    def cut(self) -> bool:
        ids = self._selection("cut")
        if ids is None or not self.copy():
            return False
        from editor import commands as cmd

        c = cmd.DeleteRegions(self.doc, ids)
        c.setText(f"Cut {len(ids)} region{'s' if len(ids) != 1 else ''}")
        self.doc.push(c)
        return True

    def paste(self) -> bool:
        items = clipboard.get()
        if not items:
            self.message.emit("Nothing to paste: copy some regions first (Ctrl+C)")
            return False
        track = self.doc.active_track()
        if track is None:
            self.message.emit("Add a dub track first")
            return False
        ti = self.doc.project.tracks.index(track)
        n = len(items)
        return self._push(lambda: plan_paste(self.doc.project, items, self.playhead(), ti),
                          f"Paste {n} region{'s' if n != 1 else ''}")

    def duplicate(self) -> bool:
        ids = self._selection("duplicate")
        if ids is None:
            return False
        items = copy_items(self.doc.project, ids)
        regions = [r for _, r in self.doc.project.all_regions() if r.id in set(ids)]
        end = max(r.end for r in regions)
        index = {t.id: i for i, t in enumerate(self.doc.project.tracks)}
        top = min(index[self.doc.track_of(r.id).id] for r in regions)
        n = len(items)
        return self._push(lambda: plan_paste(self.doc.project, items, end, top),
                          f"Duplicate {n} region{'s' if n != 1 else ''}")

    def split(self) -> bool:
        rid = self.doc.current_region_id
        if rid is None:
            self.message.emit("Select the region to split first")
            return False
        clip = self.clip_of(rid)
        units = clip.units if clip is not None else None
        return self._push(lambda: plan_split(self.doc.project, rid, self.playhead(), units), "Split region")

    def ripple_delete(self) -> bool:
        ids = self._selection("delete")
        if ids is None:
            return False
        n = len(ids)
        return self._push(lambda: plan_ripple_delete(self.doc.project, ids),
                          f"Ripple delete {n} region{'s' if n != 1 else ''}", select=[])

    def nudge(self, direction: int, unit: str) -> bool:
        ids = self._selection("nudge")
        if ids is None:
            return False
        dt = direction * (1.0 / self.doc.project.fps if unit == "frame" else 1.0)
        word = "earlier" if direction < 0 else "later"
        return self._push(lambda: plan_move(self.doc.project, ids, dt), f"Nudge one {unit} {word}", select=ids)

    def move_track(self, delta: int) -> bool:
        ids = self._selection("move")
        if ids is None:
            return False
        return self._push(lambda: plan_move(self.doc.project, ids, 0.0, delta),
                          "Move to track " + ("above" if delta < 0 else "below"), select=ids)
