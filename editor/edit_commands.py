"""Undo commands for multi-region edits (paste, duplicate, move, nudge, split, ripple delete, replace).

The plans come from :mod:`project.region_edits` (plain Python); here each is
one ``QUndoCommand`` that swaps whole track region lists, so undo restores
exactly the regions, ids and order there were.
"""

from __future__ import annotations

import copy

from PySide6.QtGui import QUndoCommand

from editor.document import Document
from project.model import Region


class TrackRegionsEdit(QUndoCommand):
    """Replace the region lists of some tracks (one step); select ``select`` afterwards."""

    ID = 4712

    def __init__(self, doc: Document, plan: dict[str, list[Region]], label: str, select: list[str] | None = None,
                 drag_id: int | None = None):
        super().__init__(label)
        self.doc = doc
        self.drag_id = drag_id
        self.after = {tid: copy.deepcopy(rs) for tid, rs in plan.items()}
        self.before = {tid: copy.deepcopy(doc.track(tid).regions) for tid in plan}
        self.select_after = list(select) if select is not None else None
        self.select_before = list(doc.selected_ids)
        self.current_before = doc.current_region_id

    def _apply(self, lists: dict[str, list[Region]]) -> None:
        for tid, rs in lists.items():
            self.doc.set_track_regions(tid, rs)

    def redo(self) -> None:
        self._apply(self.after)
        if self.select_after is not None:
            self.doc.select(self.select_after)

    def undo(self) -> None:
        self._apply(self.before)
        self.doc.select(self.select_before, self.current_before)

    def id(self) -> int:
        return self.ID if self.drag_id is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        """The steps of one group drag become one: the first state before, the last after."""
        if not isinstance(other, TrackRegionsEdit) or self.drag_id is None or other.drag_id != self.drag_id:
            return False
        for tid, rs in other.before.items():
            self.before.setdefault(tid, rs)
        after = dict(other.after)
        for tid in self.after:
            if tid not in after:  # a track the drag has left again: back to how it was
                after[tid] = self.before[tid]
                self.doc.set_track_regions(tid, self.before[tid])
        self.after = after
        self.select_after = other.select_after
        return True


class SetRegionTexts(QUndoCommand):
    """New text for many regions in one step (Replace All)."""

    def __init__(self, doc: Document, texts: dict[str, str], label: str):
        super().__init__(label)
        self.doc = doc
        self.new = dict(texts)
        self.old = {rid: doc.region(rid).text for rid in texts}

    def redo(self) -> None:
        for rid, text in self.new.items():
            self.doc.set_region_fields(rid, text=text)

    def undo(self) -> None:
        for rid, text in self.old.items():
            self.doc.set_region_fields(rid, text=text)


class SetRegionLevel(QUndoCommand):
    """A line's gain and fades (the mix, not the render): one step; a burst on one control merges."""

    ID = 4711

    def __init__(self, doc: Document, region_id: str, **values):
        super().__init__("Set line level")
        region = doc.region(region_id)
        if region is None:
            raise KeyError(region_id)
        unknown = set(values) - {"gain_db", "fade_in", "fade_out"}
        if unknown:
            raise ValueError(f"not a level field: {sorted(unknown)[0]}")
        self.doc = doc
        self.region_id = region_id
        self.new = dict(values)
        self.old = {k: getattr(region, k) for k in values}

    def id(self) -> int:
        return self.ID

    def redo(self) -> None:
        self.doc.set_region_fields(self.region_id, **self.new)

    def undo(self) -> None:
        self.doc.set_region_fields(self.region_id, **self.old)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetRegionLevel) or other.region_id != self.region_id \
                or set(other.new) != set(self.new):
            return False
        self.new = dict(other.new)
        return True
