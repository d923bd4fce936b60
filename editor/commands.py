"""Undo commands: every user edit of a project is one of these.

Each command is small and exact: ``undo()`` returns the model to the state it
had before ``redo()`` (``project.model.to_dict`` compares equal), including
the order of regions, markers and tracks.  A whole drag is one step: drag
commands carry a ``drag_id`` and merge with the previous command of the same
drag (``mergeWith``), as Shotcut's timeline commands do.

Commands change the model only through :class:`editor.document.Document`'s
mutators, which emit the signals the views listen to.
"""

from __future__ import annotations

import copy
import itertools

from PySide6.QtGui import QUndoCommand

from editor.document import Document
from project.model import Marker, MediaRef, Region, Track

_ids = itertools.count(1000)
ID_MOVE_REGION = next(_ids)
ID_MOVE_MARKER = next(_ids)
ID_TRACK_PROPERTY = next(_ids)

_drag_ids = itertools.count(1)


def new_drag_id() -> int:
    """A fresh id for one mouse drag (all its commands merge into one step)."""
    return next(_drag_ids)


def _short(text: str, n: int = 24) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


# ------------------------------------------------------------------ regions
class AddRegion(QUndoCommand):
    def __init__(self, doc: Document, track_id: str, region: Region, select: bool = True):
        super().__init__("Add region")
        self.doc = doc
        self.track_id = track_id
        self.region = copy.deepcopy(region)
        self.select = select

    def redo(self) -> None:
        self.doc.insert_region(self.track_id, self.region)
        if self.select:
            self.doc.select([self.region.id])

    def undo(self) -> None:
        self.doc.remove_region(self.region.id)


class DeleteRegions(QUndoCommand):
    def __init__(self, doc: Document, region_ids: list[str]):
        n = len(region_ids)
        super().__init__("Delete region" if n == 1 else f"Delete {n} regions")
        self.doc = doc
        self.region_ids = list(dict.fromkeys(region_ids))
        self._removed: list[tuple[str, int, Region]] = []

    def redo(self) -> None:
        self._removed = [self.doc.remove_region(rid) for rid in self.region_ids]

    def undo(self) -> None:
        # re-insert in reverse so every saved index is valid again
        for track_id, _index, region in reversed(self._removed):
            self.doc.insert_region(track_id, region)
        self._removed = []


class MoveResizeRegion(QUndoCommand):
    """Move or resize one region; the span is pushed back against neighbours.

    ``mode``: ``"move"`` (keep duration), ``"start"``/``"end"`` (one edge),
    ``"span"`` (both edges).  ``clamped`` tells the caller the request was
    pushed back so the UI can show it.  Commands with the same ``drag_id``
    merge into one undo step.
    """

    def __init__(self, doc: Document, region_id: str, start: float, end: float, mode: str = "move",
                 drag_id: int | None = None):
        super().__init__()  # first: a PySide command must be constructed before anything can raise
        region = doc.region(region_id)
        if region is None:
            raise KeyError(region_id)
        self.doc = doc
        self.region_id = region_id
        self.drag_id = drag_id
        self.before = (region.start, region.end)
        s, e, self.clamped = doc.place_region(region_id, start, end, mode)
        self.after = (s, e)
        verb = {"move": "Move", "start": "Trim start of", "end": "Resize"}.get(mode, "Set time of")
        self.setText(f"{verb} region")

    def id(self) -> int:
        return ID_MOVE_REGION

    def redo(self) -> None:
        self.doc.set_region_fields(self.region_id, start=self.after[0], end=self.after[1])

    def undo(self) -> None:
        self.doc.set_region_fields(self.region_id, start=self.before[0], end=self.before[1])

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, MoveResizeRegion) or other.region_id != self.region_id:
            return False
        if self.drag_id is None or other.drag_id != self.drag_id:
            return False
        self.after = other.after
        self.clamped = other.clamped
        self.setText(other.text())
        if self.after == self.before:
            self.setObsolete(True)
        return True


class _SetRegionFields(QUndoCommand):
    """Set some fields of one region; remembers the old values for undo."""

    def __init__(self, doc: Document, region_id: str, label: str, **values):
        super().__init__(label)
        region = doc.region(region_id)
        if region is None:
            raise KeyError(region_id)
        self.doc = doc
        self.region_id = region_id
        self.new = copy.deepcopy(values)
        self.old = {k: copy.deepcopy(getattr(region, k)) for k in values}

    def redo(self) -> None:
        self.doc.set_region_fields(self.region_id, **self.new)

    def undo(self) -> None:
        self.doc.set_region_fields(self.region_id, **self.old)


class SetRegionText(_SetRegionFields):
    def __init__(self, doc: Document, region_id: str, text: str):
        super().__init__(doc, region_id, f"Edit text “{_short(text)}”" if text.strip() else "Clear text", text=text)


class SetRegionVoice(_SetRegionFields):
    def __init__(self, doc: Document, region_id: str, voice: str | None):
        super().__init__(doc, region_id, f"Set voice {voice}" if voice else "Use track voice", voice=voice)


class SetRegionEmotion(_SetRegionFields):
    def __init__(self, doc: Document, region_id: str, emotion: dict):
        super().__init__(doc, region_id, "Set emotion", emotion=dict(emotion))


class SetRegionDurationMode(_SetRegionFields):
    NAMES = {"fit": "fit region", "ratio": "ratio of natural", "free": "natural length"}

    def __init__(self, doc: Document, region_id: str, mode: str, ratio: float | None = None):
        region = doc.region(region_id)
        r = float(ratio if ratio is not None else (region.ratio if region is not None else 1.0))
        super().__init__(doc, region_id, "Set duration mode", duration_mode=mode, ratio=r)
        if mode not in self.NAMES:
            raise ValueError(f"unknown duration mode {mode!r}")
        self.setText(f"Duration: {self.NAMES[mode]}" + (f" ×{r:.2f}" if mode == "ratio" else ""))


class ImportRegions(QUndoCommand):
    """Many regions in one undo step (subtitle / text import).

    ``new_track``: add this track first and put the regions on it.  The regions
    must not overlap each other or the track's regions (importers resolve
    overlaps visibly before building this command).

    The steps are plain Python sub-commands run in order (and undone in
    reverse) rather than Qt child commands: PySide does not keep the Python
    side of Qt-owned children reliably alive.
    """

    def __init__(self, doc: Document, track_id: str | None, regions: list[Region], text: str | None = None,
                 new_track: Track | None = None):
        super().__init__(text or f"Import {len(regions)} region{'s' if len(regions) != 1 else ''}")
        self.doc = doc
        self._steps: list[QUndoCommand] = []
        if new_track is not None:
            self._steps.append(AddTrack(doc, new_track))
            track_id = new_track.id
        if track_id is None:
            raise ValueError("ImportRegions needs a track id or a new track")
        self._steps.extend(AddRegion(doc, track_id, r, select=False) for r in regions)

    def redo(self) -> None:
        for step in self._steps:
            step.redo()

    def undo(self) -> None:
        for step in reversed(self._steps):
            step.undo()


class ImportTracks(QUndoCommand):
    """Several new tracks with their regions as one undo step (a subtitle import).

    Each track is an :class:`ImportRegions` with ``new_track`` (plain Python
    sub-steps, for the reason given there).
    """

    def __init__(self, doc: Document, tracks: list[Track], text: str | None = None, replace_empty: bool = False):
        n = sum(len(t.regions) for t in tracks)
        super().__init__(text or f"Import {n} region{'s' if n != 1 else ''}")
        self.doc = doc
        self._steps: list[QUndoCommand] = []
        if replace_empty and tracks and not any(t.regions for t in doc.project.tracks):
            # a project with only empty tracks (the new project's "Dub 1"): the imported tracks
            # take their place instead of leaving an empty lane beside them
            self._steps.extend(RemoveTrack(doc, t.id) for t in doc.project.tracks)
        for t in tracks:
            empty = copy.deepcopy(t)
            empty.regions = []
            self._steps.append(ImportRegions(doc, None, t.regions, new_track=empty))

    def redo(self) -> None:
        for step in self._steps:
            step.redo()

    def undo(self) -> None:
        for step in reversed(self._steps):
            step.undo()


# ------------------------------------------------------------------ markers
class AddMarker(QUndoCommand):
    def __init__(self, doc: Document, marker: Marker, index: int | None = None):
        super().__init__(f"Add marker {marker.name}".rstrip())
        self.doc = doc
        self.marker = copy.deepcopy(marker)
        self.index = len(doc.project.markers) if index is None else index

    def redo(self) -> None:
        self.doc.insert_marker(self.index, self.marker)

    def undo(self) -> None:
        self.doc.remove_marker(self.marker.id)


class DeleteMarker(QUndoCommand):
    def __init__(self, doc: Document, marker_id: str):
        super().__init__()
        m = doc.project.marker(marker_id)
        if m is None:
            raise KeyError(marker_id)
        self.setText(f"Delete marker {m.name}".rstrip())
        self.doc = doc
        self.marker_id = marker_id
        self._removed: tuple[int, Marker] | None = None
        # regions bound to it keep their place but are no longer bound
        self._bound = {r.id: list(r.bound_markers) for r in bound_regions(doc, marker_id)}

    def redo(self) -> None:
        self._removed = self.doc.remove_marker(self.marker_id)
        for rid in self._bound:
            self.doc.set_region_fields(rid, bound_markers=None)

    def undo(self) -> None:
        assert self._removed is not None
        self.doc.insert_marker(*self._removed)
        for rid, pair in self._bound.items():
            self.doc.set_region_fields(rid, bound_markers=pair)


class MoveMarker(QUndoCommand):
    def __init__(self, doc: Document, marker_id: str, time: float, drag_id: int | None = None):
        super().__init__()
        m = doc.project.marker(marker_id)
        if m is None:
            raise KeyError(marker_id)
        self.setText(f"Move marker {m.name}".rstrip())
        self.doc = doc
        self.marker_id = marker_id
        self.drag_id = drag_id
        self.before = m.time
        self.after = max(0.0, float(time))
        # Regions bound to this keyframe follow it (moved or stretched; they go stale).
        self.regions_before = {r.id: (r.start, r.end) for r in bound_regions(doc, marker_id)}
        self.regions_after = self._follow(self.after)

    def _follow(self, t: float) -> dict[str, tuple[float, float]]:
        out = {}
        for rid, (s0, e0) in self.regions_before.items():
            r = self.doc.region(rid)
            a, b = r.bound_markers
            start = t if a == self.marker_id else s0
            end = t if b == self.marker_id else e0
            if a == self.marker_id and b == self.marker_id:
                continue
            if end - start < MIN_BOUND_SECONDS:  # the keyframes crossed: keep a playable region
                if a == self.marker_id:
                    start = end - MIN_BOUND_SECONDS
                else:
                    end = start + MIN_BOUND_SECONDS
            start, end, _ = self.doc.place_region(rid, max(0.0, start), end, "span")
            out[rid] = (start, end)
        return out

    def id(self) -> int:
        return ID_MOVE_MARKER

    def redo(self) -> None:
        self.doc.set_marker_fields(self.marker_id, time=self.after)
        for rid, (s, e) in self.regions_after.items():
            self.doc.set_region_fields(rid, start=s, end=e)

    def undo(self) -> None:
        self.doc.set_marker_fields(self.marker_id, time=self.before)
        for rid, (s, e) in self.regions_before.items():
            self.doc.set_region_fields(rid, start=s, end=e)

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, MoveMarker) or other.marker_id != self.marker_id:
            return False
        if self.drag_id is None or other.drag_id != self.drag_id:
            return False
        self.after = other.after
        self.regions_after = other.regions_after
        if self.after == self.before:
            self.setObsolete(True)
        return True


MIN_BOUND_SECONDS = 0.1


def bound_regions(doc: Document, marker_id: str) -> list[Region]:
    return [r for t in doc.project.tracks for r in t.regions if r.bound_markers and marker_id in r.bound_markers]


class AddMarkers(QUndoCommand):
    """Several markers in one step (an imported keyframe list, accepted detections)."""

    def __init__(self, doc: Document, markers: list[Marker], label: str):
        super().__init__(label)
        self.doc = doc
        self.markers = [copy.deepcopy(m) for m in markers]

    def redo(self) -> None:
        for m in self.markers:
            self.doc.insert_marker(len(self.doc.project.markers), m)

    def undo(self) -> None:
        for m in reversed(self.markers):
            self.doc.remove_marker(m.id)


class SetMarkerColor(QUndoCommand):
    def __init__(self, doc: Document, marker_id: str, color: str):
        super().__init__("Set marker colour")
        m = doc.project.marker(marker_id)
        if m is None:
            raise KeyError(marker_id)
        self.doc, self.marker_id, self.before, self.after = doc, marker_id, m.color, color

    def redo(self) -> None:
        self.doc.set_marker_fields(self.marker_id, color=self.after)

    def undo(self) -> None:
        self.doc.set_marker_fields(self.marker_id, color=self.before)


class BindRegion(_SetRegionFields):
    """Bind a region to a pair of keyframes (its span becomes theirs) or unbind it (``pair=None``)."""

    def __init__(self, doc: Document, region_id: str, pair: tuple[str, str] | None):
        if pair is None:
            super().__init__(doc, region_id, "Unbind region from keyframes", bound_markers=None)
            return
        a, b = (doc.project.marker(pair[0]), doc.project.marker(pair[1]))
        if a is None or b is None:
            raise KeyError(pair)
        if a.time > b.time:
            a, b = b, a
        if b.time - a.time < MIN_BOUND_SECONDS:
            raise ValueError("the two keyframes are too close to hold a line")
        start, end, _ = doc.place_region(region_id, a.time, b.time, "span")
        super().__init__(doc, region_id, f"Bind region to {a.name or 'keyframe'}–{b.name or 'keyframe'}",
                         bound_markers=[a.id, b.id], start=start, end=end)


class SetRegionAnchors(_SetRegionFields):
    """Pin characters of the line to times (seconds from the region's start)."""

    def __init__(self, doc: Document, region_id: str, anchors: list[list[float]], label: str = "Pin word"):
        clean = sorted([[int(a[0]), float(a[1])] for a in anchors], key=lambda a: a[0])
        super().__init__(doc, region_id, label, anchors=clean)


class SetProjectVoices(QUndoCommand):
    """Which voices travel with the project (project.voices), e.g. after copying one into its folder."""

    def __init__(self, doc: Document, voices: list, label: str):
        super().__init__(label)
        self.doc = doc
        self.before = copy.deepcopy(doc.project.voices)
        self.after = copy.deepcopy(voices)

    def _apply(self, voices) -> None:
        from project.model import register_project_voices

        self.doc.project.voices = copy.deepcopy(voices)
        register_project_voices(self.doc.project, self.doc.path)

    def redo(self) -> None:
        self._apply(self.after)

    def undo(self) -> None:
        self._apply(self.before)


class SetProjectBackend(QUndoCommand):
    """Which speech backend renders the project (embedded | indextts2); every line renders again."""

    def __init__(self, doc: Document, backend: str):
        from engine.api import BACKEND_LABELS

        super().__init__(f"Render with {BACKEND_LABELS.get(backend, backend)}")
        self.doc = doc
        self.before = doc.project.backend
        self.after = backend

    def _apply(self, backend: str) -> None:
        self.doc.project.backend = backend
        self.doc.backendChanged.emit()

    def redo(self) -> None:
        self._apply(self.after)

    def undo(self) -> None:
        self._apply(self.before)


class RenameMarker(QUndoCommand):
    def __init__(self, doc: Document, marker_id: str, name: str):
        super().__init__(f"Rename marker to {name}")
        m = doc.project.marker(marker_id)
        if m is None:
            raise KeyError(marker_id)
        self.doc = doc
        self.marker_id = marker_id
        self.before = m.name
        self.after = name

    def redo(self) -> None:
        self.doc.set_marker_fields(self.marker_id, name=self.after)

    def undo(self) -> None:
        self.doc.set_marker_fields(self.marker_id, name=self.before)


# ------------------------------------------------------------------ tracks
class MoveRegionToTrack(QUndoCommand):
    """A line moves to another track (another actor), keeping its time; the caller checks it fits there."""

    def __init__(self, doc: Document, region_id: str, track_id: str):
        super().__init__()
        src = doc.track_of(region_id)
        dst = doc.track(track_id)
        if src is None or dst is None:
            raise KeyError(region_id if src is None else track_id)
        self.setText(f"Move line to {dst.name}")
        self.doc, self.region_id, self.src_id, self.dst_id = doc, region_id, src.id, track_id

    def redo(self) -> None:
        _tid, _i, region = self.doc.remove_region(self.region_id)
        self.doc.insert_region(self.dst_id, region)

    def undo(self) -> None:
        _tid, _i, region = self.doc.remove_region(self.region_id)
        self.doc.insert_region(self.src_id, region)


class AddTrack(QUndoCommand):
    def __init__(self, doc: Document, track: Track, index: int | None = None):
        super().__init__(f"Add track {track.name}")
        self.doc = doc
        self.track = copy.deepcopy(track)
        self.index = index

    def redo(self) -> None:
        i = len(self.doc.project.tracks) if self.index is None else self.index
        self.doc.insert_track(i, self.track)

    def undo(self) -> None:
        self.doc.remove_track(self.track.id)


class RemoveTrack(QUndoCommand):
    def __init__(self, doc: Document, track_id: str):
        super().__init__()
        t = doc.track(track_id)
        if t is None:
            raise KeyError(track_id)
        self.setText(f"Remove track {t.name}")
        self.doc = doc
        self.track_id = track_id
        self._removed: tuple[int, Track] | None = None

    def redo(self) -> None:
        self._removed = self.doc.remove_track(self.track_id)

    def undo(self) -> None:
        assert self._removed is not None
        self.doc.insert_track(*self._removed)


class SetTrackProperty(QUndoCommand):
    """Set one of name, default_voice, gain_db, mute, solo.

    Pass ``merge_key`` (e.g. a slider drag id) to fold a burst of changes of the
    same property into one step.
    """

    LABELS = {"name": "Rename track", "default_voice": "Set track voice", "gain_db": "Set track gain",
              "mute": "Mute track", "solo": "Solo track", "duck_db": "Set duck level of"}

    def __init__(self, doc: Document, track_id: str, prop: str, value, merge_key: int | None = None):
        super().__init__()
        if prop not in self.LABELS:
            raise ValueError(f"tracks have no settable property {prop!r}")
        t = doc.track(track_id)
        if t is None:
            raise KeyError(track_id)
        label = self.LABELS[prop]
        if prop in ("mute", "solo") and not value:
            label = "Unmute track" if prop == "mute" else "Unsolo track"
        self.setText(f"{label} {t.name}" if prop != "name" else f"Rename track to {value}")
        self.doc = doc
        self.track_id = track_id
        self.prop = prop
        self.before = getattr(t, prop)
        self.after = value
        self.merge_key = merge_key

    def id(self) -> int:
        return ID_TRACK_PROPERTY

    def redo(self) -> None:
        self.doc.set_track_fields(self.track_id, **{self.prop: self.after})

    def undo(self) -> None:
        self.doc.set_track_fields(self.track_id, **{self.prop: self.before})

    def mergeWith(self, other: QUndoCommand) -> bool:
        if not isinstance(other, SetTrackProperty) or self.merge_key is None:
            return False
        if (other.track_id, other.prop, other.merge_key) != (self.track_id, self.prop, self.merge_key):
            return False
        self.after = other.after
        if self.after == self.before:
            self.setObsolete(True)
        return True


# ------------------------------------------------------------------ media
class RelinkMedia(QUndoCommand):
    """Point the project at its media's new location (or another file)."""

    def __init__(self, doc: Document, media: MediaRef | None, text: str = "Relink media"):
        super().__init__(text)
        self.doc = doc
        self.before = copy.deepcopy(doc.project.media)
        self.after = copy.deepcopy(media)

    def redo(self) -> None:
        self.doc.set_media(self.after)

    def undo(self) -> None:
        self.doc.set_media(self.before)
