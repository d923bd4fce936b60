"""The open project as a Qt object: undo stack, file path, modified state, signals.

The model (``project.model``) stays plain Python; this wrapper is the only
thing the GUI changes it through.  Every user edit is a command from
``editor.commands`` pushed with :meth:`Document.push`; commands call the
small mutators below (``insert_region``, ``set_region_fields`` ...), which
change the model and emit exactly the signals the views need:

* ``regionsChanged(track_id)``: regions were added to / removed from a track
* ``regionChanged(region_id)``: fields of one region changed
* ``markersChanged()``, ``tracksChanged()``, ``mediaChanged()``
* ``projectReplaced()``: a different project (New / Open)

Selection is view state (not undoable) and lives here too so the timeline and
the inspector agree on it.
"""

from __future__ import annotations

import bisect
import copy
import sys
from dataclasses import fields
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QUndoCommand, QUndoStack

from project import model as pj
from project.model import Marker, MediaRef, Project, Region, Track


def protect_singleton_refcounts() -> bool:
    """Work around a PySide6 6.12.0 bug on CPython < 3.12; True when it was needed.

    That build returns ``None``, ``True`` and ``False`` from many calls without
    taking a reference (``SignalInstance.emit()``, ``QUndoStack.undo()``,
    ``QLabel.setText()``, ``QAction.trigger()`` ...), so every call drops one
    reference to the singleton, and after some thousands of calls CPython
    aborts ("none_dealloc" / "bool_dealloc: deallocating ...").  pyqtgraph emits
    signals on every zoom and scroll, so an editing session would crash within
    minutes.  Python 3.12 made these singletons immortal; here we do the same by
    giving them a huge reference count, only when a probe shows the leak, so a
    fixed PySide6 is left alone.  The real fix is a PySide6 without the bug
    (6.11.3 is fine): pin it in pyproject.toml.
    """
    if sys.version_info >= (3, 12) or getattr(protect_singleton_refcounts, "done", False):
        return False

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    none_before, true_before = sys.getrefcount(None), sys.getrefcount(True)
    probe.ping.emit()
    probe.setObjectName("probe")
    leaked = sys.getrefcount(True) < true_before or sys.getrefcount(None) < none_before
    if leaked:
        import ctypes

        for singleton in (None, True, False):
            ctypes.c_ssize_t.from_address(id(singleton)).value += 1 << 40
    protect_singleton_refcounts.done = True  # type: ignore[attr-defined]
    return leaked


PYSIDE_REFCOUNT_LEAK = protect_singleton_refcounts()

#: The shortest region a drag or a typed time may produce.
MIN_REGION_SECONDS = 0.1

_REGION_FIELDS = {f.name for f in fields(Region)}
_TRACK_FIELDS = {f.name for f in fields(Track)} - {"regions", "id"}
_MARKER_FIELDS = {f.name for f in fields(Marker)} - {"id"}


# ------------------------------------------------------------------ placement
def place_span(others: list[tuple[float, float]], start: float, end: float, mode: str,
               orig: tuple[float, float] | None = None,
               min_duration: float = MIN_REGION_SECONDS) -> tuple[float, float, bool]:
    """Where a region may go on a track without overlapping ``others``.

    ``others``: the (start, end) spans of the other regions, sorted by start.
    ``mode``: ``"move"`` keeps the duration and puts the span into the free gap
    nearest to the requested place (it stops against a neighbour and jumps to
    the far side only once that side is nearer); ``"start"`` / ``"end"`` move one
    edge, stopping at the neighbour on that side; ``"span"`` sets both edges
    inside the gap that holds the original span.
    ``orig``: the region's current span (needed for the edge modes).
    Returns ``(start, end, clamped)``; ``clamped`` is True when the request was
    pushed back.
    """
    eps = 1e-9
    if mode == "move":
        dur = end - start
        want = max(0.0, start)
        clamped = want != start
        lo_edges = [0.0] + [e for _, e in others]
        hi_edges = [s for s, _ in others] + [float("inf")]
        best = None
        for lo, hi in zip(lo_edges, hi_edges, strict=True):
            if hi - lo + eps < dur:
                continue
            s = min(max(want, lo), hi - dur)
            d = abs(s - want)
            if best is None or d < best[0]:
                best = (d, s)
        assert best is not None  # the last gap is unbounded
        s = best[1]
        return s, s + dur, clamped or best[0] > eps
    if orig is None:
        raise ValueError("edge modes need the original span")
    o_start, o_end = orig
    prev_end = max((e for s, e in others if s < o_start + eps), default=0.0)
    next_start = min((s for s, e in others if s > o_start + eps), default=float("inf"))
    if mode == "start":
        s = min(max(start, prev_end, 0.0), o_end - min_duration)
        return s, o_end, abs(s - start) > eps
    if mode == "end":
        e = max(min(end, next_start), o_start + min_duration)
        return o_start, e, abs(e - end) > eps
    if mode == "span":
        s = max(start, prev_end, 0.0)
        e = min(end, next_start)
        if e - s < min_duration:
            e = min(s + min_duration, next_start)
            s = max(prev_end, e - max(min_duration, end - start))
        return s, e, abs(s - start) > eps or abs(e - end) > eps
    raise ValueError(f"unknown placement mode {mode!r}")


# ------------------------------------------------------------------ document
class Document(QObject):
    regionsChanged = Signal(str)  # track id
    regionChanged = Signal(str)  # region id
    markersChanged = Signal()
    tracksChanged = Signal()
    mediaChanged = Signal()
    projectReplaced = Signal()
    backendChanged = Signal()  # the project's speech backend (project.backend) changed
    selectionChanged = Signal()
    pathChanged = Signal()
    modifiedChanged = Signal(bool)
    aboutToSave = Signal()  # views write their view state into project.view
    saved = Signal(str)  # the path just saved (autosave drops its recovery file)

    def __init__(self, project: Project | None = None, path: str | Path | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.project: Project = project if project is not None else Project()
        self.path: Path | None = Path(path) if path else None
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self.selected_ids: list[str] = []
        self.current_region_id: str | None = None
        self.current_marker_id: str | None = None
        self.is_demo = False  # opened as the bundled demo (its copy in the user's folder)

    # ------------------------------------------------------------ file state
    def _on_clean_changed(self, clean: bool) -> None:
        self.modifiedChanged.emit(not clean)

    def is_modified(self) -> bool:
        return not self.undo_stack.isClean()

    def display_name(self) -> str:
        return self.path.stem if self.path else "Untitled"

    def replace(self, project: Project, path: str | Path | None) -> None:
        """Show another project (New / Open): the undo history starts afresh."""
        self.project = project
        self.path = Path(path) if path else None
        self.selected_ids = []
        self.current_region_id = None
        self.current_marker_id = None
        self.undo_stack.clear()
        self.undo_stack.setClean()
        self.projectReplaced.emit()
        self.pathChanged.emit()
        self.selectionChanged.emit()
        self.modifiedChanged.emit(False)

    def save(self, path: str | Path | None = None) -> Path:
        """Save (atomically, keeping a .bak); ProjectError on failure."""
        target = Path(path) if path else self.path
        if target is None:
            raise pj.ProjectError("choose where to save the project first")
        if target.suffix != pj.SUFFIX:
            target = target.with_name(target.name + pj.SUFFIX)
        self.project.view.selected_region = self.current_region_id
        self.aboutToSave.emit()
        pj.save(self.project, target)
        moved = target != self.path
        self.path = target
        self.undo_stack.setClean()
        if moved:
            self.pathChanged.emit()
        self.saved.emit(str(target))
        return target

    def mark_modified(self) -> None:
        """Unsaved without an undo step (a recovered state differs from the file on disk)."""
        self.undo_stack.resetClean()

    def cache_dir(self) -> Path | None:
        return pj.cache_dir_for(self.path) if self.path else None

    def push(self, cmd: QUndoCommand) -> None:
        self.undo_stack.push(cmd)

    # ------------------------------------------------------------ queries
    def region(self, region_id: str) -> Region | None:
        found = self.project.find_region(region_id)
        return found[1] if found else None

    def track_of(self, region_id: str) -> Track | None:
        found = self.project.find_region(region_id)
        return found[0] if found else None

    def track(self, track_id: str) -> Track | None:
        return self.project.track(track_id)

    def current_region(self) -> Region | None:
        return self.region(self.current_region_id) if self.current_region_id else None

    def active_track(self) -> Track | None:
        """The track new regions go to: the current region's, else the first."""
        t = self.track_of(self.current_region_id) if self.current_region_id else None
        return t or (self.project.tracks[0] if self.project.tracks else None)

    def others_on_track(self, track_id: str, exclude_id: str | None) -> list[tuple[float, float]]:
        t = self.track(track_id)
        if t is None:
            return []
        return [(r.start, r.end) for r in t.regions if r.id != exclude_id]

    def place_region(self, region_id: str, start: float, end: float, mode: str) -> tuple[float, float, bool]:
        """Where ``region_id`` may go for a requested span (see :func:`place_span`)."""
        track = self.track_of(region_id)
        region = self.region(region_id)
        if track is None or region is None:
            raise KeyError(region_id)
        return place_span(self.others_on_track(track.id, region_id), start, end, mode, (region.start, region.end))

    def fit_new_region(self, track_id: str, start: float, end: float) -> tuple[float, float] | None:
        """Trim a new span to the free gap it starts in; None when ``start`` is inside a region."""
        if end < start:
            start, end = end, start
        start = max(0.0, start)
        others = self.others_on_track(track_id, None)
        for s, e in others:
            if s - 1e-9 <= start < e - 1e-9:
                return None
        nxt = min((s for s, _ in others if s >= start - 1e-9), default=float("inf"))
        end = min(end, nxt)
        if end - start < MIN_REGION_SECONDS - 1e-9:
            return None
        return start, end

    # ------------------------------------------------------------ selection
    def select(self, ids: list[str], current: str | None = None) -> None:
        ids = [i for i in dict.fromkeys(ids) if self.region(i) is not None]
        cur = current if current in ids else (ids[-1] if ids else None)
        if ids == self.selected_ids and cur == self.current_region_id:
            return
        self.selected_ids = ids
        self.current_region_id = cur
        self.selectionChanged.emit()

    def clear_selection(self) -> None:
        self.select([])

    def select_all(self) -> None:
        self.select([r.id for _, r in self.project.all_regions()], self.current_region_id)

    def _forget_selected(self, region_id: str) -> None:
        if region_id in self.selected_ids:
            self.selected_ids = [i for i in self.selected_ids if i != region_id]
            if self.current_region_id == region_id:
                self.current_region_id = self.selected_ids[-1] if self.selected_ids else None
            self.selectionChanged.emit()

    # ------------------------------------------------------------ mutators (commands only)
    def insert_region(self, track_id: str, region: Region) -> None:
        t = self.track(track_id)
        if t is None:
            raise KeyError(track_id)
        i = bisect.bisect_left([r.start for r in t.regions], region.start)
        t.regions.insert(i, copy.deepcopy(region))
        self.regionsChanged.emit(track_id)

    def remove_region(self, region_id: str) -> tuple[str, int, Region]:
        for t in self.project.tracks:
            for i, r in enumerate(t.regions):
                if r.id == region_id:
                    del t.regions[i]
                    self._forget_selected(region_id)
                    self.regionsChanged.emit(t.id)
                    return t.id, i, r
        raise KeyError(region_id)

    def set_region_fields(self, region_id: str, **values) -> None:
        found = self.project.find_region(region_id)
        if found is None:
            raise KeyError(region_id)
        track, region = found
        unknown = set(values) - _REGION_FIELDS
        if unknown:
            raise AttributeError(f"regions have no field {sorted(unknown)[0]!r}")
        for k, v in values.items():
            setattr(region, k, copy.deepcopy(v))
        if "start" in values:
            # the non-overlap rule keeps the order unique; re-sort after a move across a gap
            before = [r.id for r in track.regions]
            track.regions.sort(key=lambda r: r.start)
            if [r.id for r in track.regions] != before:
                self.regionsChanged.emit(track.id)
        self.regionChanged.emit(region_id)

    def set_track_regions(self, track_id: str, regions: list[Region]) -> None:
        """Replace a track's regions (sorted, non-overlapping) in one go: multi-region edits."""
        t = self.track(track_id)
        if t is None:
            raise KeyError(track_id)
        t.regions = sorted(copy.deepcopy(regions), key=lambda r: r.start)
        alive = {r.id for _, r in self.project.all_regions()}
        if any(i not in alive for i in self.selected_ids):
            self.selected_ids = [i for i in self.selected_ids if i in alive]
            if self.current_region_id not in alive:
                self.current_region_id = self.selected_ids[-1] if self.selected_ids else None
            self.selectionChanged.emit()
        self.regionsChanged.emit(track_id)
        for r in t.regions:
            self.regionChanged.emit(r.id)

    def insert_marker(self, index: int, marker: Marker) -> None:
        self.project.markers.insert(index, copy.deepcopy(marker))
        self.markersChanged.emit()

    def remove_marker(self, marker_id: str) -> tuple[int, Marker]:
        for i, m in enumerate(self.project.markers):
            if m.id == marker_id:
                del self.project.markers[i]
                if self.current_marker_id == marker_id:
                    self.current_marker_id = None
                self.markersChanged.emit()
                return i, m
        raise KeyError(marker_id)

    def set_marker_fields(self, marker_id: str, **values) -> None:
        m = self.project.marker(marker_id)
        if m is None:
            raise KeyError(marker_id)
        unknown = set(values) - _MARKER_FIELDS
        if unknown:
            raise AttributeError(f"markers have no field {sorted(unknown)[0]!r}")
        for k, v in values.items():
            setattr(m, k, v)
        self.markersChanged.emit()

    def insert_track(self, index: int, track: Track) -> None:
        self.project.tracks.insert(index, copy.deepcopy(track))
        self.tracksChanged.emit()

    def remove_track(self, track_id: str) -> tuple[int, Track]:
        for i, t in enumerate(self.project.tracks):
            if t.id == track_id:
                del self.project.tracks[i]
                gone = {r.id for r in t.regions}
                if gone & set(self.selected_ids):
                    self.selected_ids = [x for x in self.selected_ids if x not in gone]
                    if self.current_region_id in gone:
                        self.current_region_id = self.selected_ids[-1] if self.selected_ids else None
                    self.selectionChanged.emit()
                self.tracksChanged.emit()
                return i, t
        raise KeyError(track_id)

    def set_track_fields(self, track_id: str, **values) -> None:
        t = self.track(track_id)
        if t is None:
            raise KeyError(track_id)
        unknown = set(values) - _TRACK_FIELDS
        if unknown:
            raise AttributeError(f"tracks have no field {sorted(unknown)[0]!r}")
        for k, v in values.items():
            setattr(t, k, v)
        self.tracksChanged.emit()

    def set_media(self, media: MediaRef | None) -> None:
        self.project.media = copy.deepcopy(media)
        self.mediaChanged.emit()
