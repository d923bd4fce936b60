"""The timeline's mouse: every press, drag, release, hover, wheel and double-click on the lanes.

:class:`TimelineViewBox` receives pyqtgraph's raw events and hands them to :class:`TimelineMouse`, which
turns them into edits of the document: creating a region by dragging on empty track space, moving and
resizing regions and multi-selections (each drag one undo step), moving markers, dragging a word boundary
to pin it, seeking and scrubbing on the ruler, panning with the middle button, track gain/duck readouts
(vertical drag, wheel, double-click), and zoom/scroll with the wheel.  Snapping (playhead, region edges,
markers within 8 px, else the frame grid; Alt suspends) and the non-overlap rule (the span is pushed back
against the neighbour, shown by a red bar) are applied here; the widget paints what this leaves in its
``ghost``, ``snap_line`` and ``blocked`` fields."""

from __future__ import annotations

import copy
import math
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QGuiApplication

from editor import commands as cmd
from editor.document import MIN_REGION_SECONDS
from project.model import Region
from project.snapping import SnapTargets, snap_span, snap_time
from project.timecode import format_tc

if TYPE_CHECKING:
    from editor.timeline.view import TimelineWidget

DRAG_START_PX = 3.0
LEVEL_STEP_DB = 0.5  # one wheel notch or LEVEL_DRAG_PX of vertical drag on a track's gain/duck readout
LEVEL_FINE_DB = 0.1  # the same with Shift or Alt held
LEVEL_DRAG_PX = 4.0
LEVEL_RANGES = {"gain_db": (-96.0, 24.0), "duck_db": (-96.0, 0.0)}  # as the model clamps them
LEVEL_WHEEL_MERGE_S = 1.0  # wheel notches this close together on one readout are one undo step


@dataclass
class Drag:
    """One press-drag-release gesture: what it drags and the state it started from."""

    kind: str  # seek | create | move | start | end | group | word | marker | level | pan | none
    press_x: float
    press_t: float
    track_id: str | None = None
    region_id: str | None = None
    marker_id: str | None = None
    offset: float = 0.0
    orig: tuple[float, float] = (0.0, 0.0)
    gap: tuple[float, float] = (0.0, math.inf)
    drag_id: int = 0
    started: bool = False
    targets: SnapTargets | None = None
    alt: bool = False
    range0: tuple[float, float] = (0.0, 1.0)
    extra: dict = field(default_factory=dict)


def level_step(mods) -> float:
    fine = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.AltModifier
    return LEVEL_FINE_DB if mods & fine else LEVEL_STEP_DB


class TimelineViewBox(pg.ViewBox):
    """A ViewBox that hands raw mouse events to the timeline's mouse controller (no pan/zoom of its own)."""

    def __init__(self, tl: TimelineWidget):
        super().__init__(enableMouse=False, enableMenu=False, defaultPadding=0.0)
        self.tl = tl
        self.setAcceptHoverEvents(True)

    def mousePressEvent(self, ev) -> None:
        if self.tl.mouse.press(ev.pos(), ev.button(), ev.modifiers()):
            ev.accept()
        else:
            ev.ignore()

    def mouseMoveEvent(self, ev) -> None:
        self.tl.mouse.move(ev.pos(), ev.modifiers())
        ev.accept()

    def mouseReleaseEvent(self, ev) -> None:
        self.tl.mouse.release(ev.pos(), ev.modifiers())
        ev.accept()

    def mouseDoubleClickEvent(self, ev) -> None:
        if ev.button() == Qt.MouseButton.LeftButton and self.tl.mouse.double_click(ev.pos()):
            ev.accept()
        else:
            self.mousePressEvent(ev)

    def hoverMoveEvent(self, ev) -> None:
        self.tl.mouse.hover(ev.pos(), ev.modifiers())

    def hoverLeaveEvent(self, ev) -> None:
        self.unsetCursor()
        if self.tl.mouse.drag is None:
            self.tl.set_level_active(None)

    def wheelEvent(self, ev, axis=None) -> None:
        self.tl.mouse.wheel(ev.delta(), ev.orientation(), ev.modifiers(), ev.pos())
        ev.accept()

    def contextMenuEvent(self, ev) -> None:
        self.tl.menus.show(ev.pos(), ev.screenPos())
        ev.accept()


class TimelineMouse:
    """The interaction controller of one TimelineWidget: holds the gesture in progress (``drag``)."""

    def __init__(self, tl: TimelineWidget):
        self.tl = tl
        self.doc = tl.doc
        self.drag: Drag | None = None
        self._tooltip = ""
        self._wheel_level: tuple[str, str, int, float] | None = None  # track, prop, merge key, time

    def cancel(self) -> None:
        """Forget the gesture in progress (the project was replaced under it)."""
        self.drag = None

    # ------------------------------------------------------------ snapping
    def targets(self, exclude_region: str | None = None, exclude_marker: str | None = None) -> SnapTargets:
        items: list[tuple[float, str]] = [(self.tl.playhead, "playhead")]
        for _, r in self.doc.project.all_regions():
            if r.id != exclude_region:
                items.append((r.start, "edge"))
                items.append((r.end, "edge"))
        for m in self.doc.project.markers:
            if m.id != exclude_marker:
                items.append((m.time, "marker"))
        return SnapTargets(items)

    @staticmethod
    def _snapping(d: Drag, mods) -> bool:
        alt = bool(mods & Qt.KeyboardModifier.AltModifier) or bool(
            QGuiApplication.queryKeyboardModifiers() & Qt.KeyboardModifier.AltModifier)
        return not (alt or d.alt)

    # ------------------------------------------------------------ press
    def press(self, pos: QPointF, button, mods) -> bool:
        """Start a gesture; False when the press is not the timeline's (it then goes elsewhere)."""
        tl = self.tl
        if button == Qt.MouseButton.MiddleButton:
            self.drag = Drag("pan", pos.x(), tl.x2t(pos.x()), range0=tl.visible_range())
            tl.vb.setCursor(Qt.CursorShape.ClosedHandCursor)
            return True
        if button != Qt.MouseButton.LeftButton:
            return False
        t = tl.x2t(pos.x())
        level = tl.level_control_at(pos)
        if level is not None:
            # a vertical drag on a gain/duck readout changes it; the whole drag is one undo step
            d = Drag("level", pos.x(), t, track_id=level[0], drag_id=cmd.new_drag_id())
            d.extra.update(prop=level[1], y=pos.y(), residual=0.0, value=tl.track_level(*level))
            self.drag = d
            tl.set_level_active(level)
            tl.vb.setCursor(Qt.CursorShape.SizeVerCursor)
            return True
        hit = tl.hit_test(pos)
        d = Drag("none", pos.x(), t, alt=bool(mods & Qt.KeyboardModifier.AltModifier))
        if hit.lane in ("ruler", "waveform") or (hit.lane == "markers" and not hit.marker_id):
            d.kind = "seek"
            self._seek_to(t, mods)
        elif hit.lane == "markers":
            m = self.doc.project.marker(hit.marker_id)
            self.doc.current_marker_id = hit.marker_id
            tl.markers.update()
            d.kind, d.marker_id, d.offset = "marker", hit.marker_id, t - m.time
            d.drag_id = cmd.new_drag_id()
        elif hit.lane == "track":
            d.track_id = hit.track_id
            if hit.region_id:
                self._press_region(d, hit, pos, t, mods)
            else:
                d.kind = "create"
                d.gap = self._gap_at(hit.track_id, t)
        else:
            return False
        self.drag = d
        return True

    def _press_region(self, d: Drag, hit, pos: QPointF, t: float, mods) -> None:
        tl = self.tl
        region = self.doc.region(hit.region_id)
        self._select_on_press(hit.region_id, mods)
        word = None if hit.edge else tl.word_boundary_at(hit.region_id, pos)
        if mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier):
            d.kind = "none"
        elif word is not None:
            # dragging a word boundary pins that word where it is dropped
            d.kind, d.region_id, d.extra["unit"] = "word", hit.region_id, word
            d.extra["t"] = region.start + word.start_seconds
            tl.vb.setCursor(Qt.CursorShape.SplitHCursor)
        elif hit.edge is None and len(self.doc.selected_ids) > 1 and hit.region_id in self.doc.selected_ids:
            # a multi-selection moves as a group, across tracks too (one undo step)
            d.kind, d.region_id = "group", hit.region_id
            d.offset = t - region.start
            d.orig = (region.start, region.end)
            d.drag_id = cmd.new_drag_id()
            d.extra["ids"] = list(self.doc.selected_ids)
            d.extra["lane"] = tl.track_lanes.index(tl.lane_for_track(hit.track_id))
            tl.vb.setCursor(Qt.CursorShape.ClosedHandCursor)
        else:
            d.kind = hit.edge or "move"
            d.region_id = hit.region_id
            d.offset = t - region.start
            d.orig = (region.start, region.end)
            d.drag_id = cmd.new_drag_id()
            if d.kind == "move":
                tl.vb.setCursor(Qt.CursorShape.ClosedHandCursor)

    def _gap_at(self, track_id: str, t: float) -> tuple[float, float]:
        """The free span around ``t`` on the track: a new region is drawn inside it."""
        prev_end = 0.0
        next_start = math.inf
        track = self.doc.track(track_id)
        for r in track.regions if track else []:
            if r.end <= t + 1e-9:
                prev_end = max(prev_end, r.end)
            elif r.start >= t - 1e-9:
                next_start = min(next_start, r.start)
        return prev_end, next_start

    def _select_on_press(self, rid: str, mods) -> None:
        sel = list(self.doc.selected_ids)
        if mods & Qt.KeyboardModifier.ControlModifier:
            if rid in sel:
                sel.remove(rid)
                self.doc.select(sel)
            else:
                self.doc.select(sel + [rid], rid)
        elif mods & Qt.KeyboardModifier.ShiftModifier:
            self.doc.select(sel + [rid], rid)
        elif rid not in sel:
            self.doc.select([rid], rid)
        else:
            self.doc.select(sel, rid)
        self.doc.current_marker_id = None

    def _seek_to(self, t: float, mods) -> None:
        tl = self.tl
        t = max(0.0, t)
        if not (mods & Qt.KeyboardModifier.AltModifier):
            t = snap_time(t, self.targets(), tl.seconds_per_pixel(), tl.fps).time
        tl.set_playhead(t)
        tl.seekRequested.emit(t)

    # ------------------------------------------------------------ move
    def move(self, pos: QPointF, mods) -> None:
        d = self.drag
        if d is None:
            self.hover(pos, mods)
            return
        if d.kind == "level":
            self._level_drag(d, pos, mods)
            return
        if not d.started:
            if abs(pos.x() - d.press_x) < DRAG_START_PX and d.kind not in ("seek", "pan"):
                return
            self._start(d)
        t = self.tl.x2t(pos.x())
        snapping = self._snapping(d, mods)
        handler = {"pan": self._pan, "seek": self._scrub, "create": self._drag_create, "move": self._drag_region,
                   "start": self._drag_region, "end": self._drag_region, "group": self._drag_group,
                   "word": self._drag_word, "marker": self._drag_marker}.get(d.kind)
        if handler is not None:
            handler(d, pos, t, snapping)

    def _start(self, d: Drag) -> None:
        """The pointer moved far enough: the drag starts, with the snap targets of the state at press."""
        d.started = True
        if d.kind == "group":
            d.extra["project"] = copy.deepcopy(self.doc.project)  # plans start from the state at press
            moving = set(d.extra["ids"])
            d.targets = SnapTargets([(self.tl.playhead, "playhead")] + [
                (x, "edge") for _, r in self.doc.project.all_regions() if r.id not in moving
                for x in (r.start, r.end)] + [(m.time, "marker") for m in self.doc.project.markers])
        elif d.kind in ("move", "start", "end"):
            d.targets = self.targets(exclude_region=d.region_id)
        elif d.kind == "marker":
            d.targets = self.targets(exclude_marker=d.marker_id)
        elif d.kind in ("create", "word"):
            d.targets = self.targets()

    def _pan(self, d: Drag, pos: QPointF, t: float, snapping: bool) -> None:
        t0, t1 = d.range0
        dt = (d.press_x - pos.x()) * (t1 - t0) / self.tl.width_px()
        self.tl.set_range(t0 + dt, t1 + dt)

    def _scrub(self, d: Drag, pos: QPointF, t: float, snapping: bool) -> None:
        self._seek_to(t, Qt.KeyboardModifier.AltModifier if not snapping else Qt.KeyboardModifier.NoModifier)
        self.tl.scrubbed.emit(self.tl.playhead)

    def _drag_create(self, d: Drag, pos: QPointF, t: float, snapping: bool) -> None:
        tl = self.tl
        spp = tl.seconds_per_pixel()
        a = snap_time(d.press_t, d.targets, spp, tl.fps, snapping)
        b = snap_time(t, d.targets, spp, tl.fps, snapping)
        lo, hi = d.gap
        ta = min(max(a.time, lo), hi)
        tb = min(max(b.time, lo, 0.0), hi)
        clamped = tb != b.time
        tl.ghost = (d.track_id, min(ta, tb), max(ta, tb))
        tl.snap_line = b.target
        tl.blocked = (tl.track_rect(d.track_id), tb) if clamped else None
        lane = tl.lane_for_track(d.track_id)
        if lane:
            lane.update()
        tl.guides.update()

    def _drag_region(self, d: Drag, pos: QPointF, t: float, snapping: bool) -> None:
        """Move (the whole region), or resize from its start or end; clamped against the neighbours."""
        tl = self.tl
        spp = tl.seconds_per_pixel()
        region = self.doc.region(d.region_id)
        if region is None:
            self.drag = None
            return
        if d.kind == "move":
            want = t - d.offset
            start, snap = snap_span(want, want + (d.orig[1] - d.orig[0]), d.targets, spp, tl.fps, snapping)
            c = cmd.MoveResizeRegion(self.doc, d.region_id, start, start + (d.orig[1] - d.orig[0]), "move",
                                     drag_id=d.drag_id)
            blocked_t = None
            if c.clamped:
                blocked_t = c.after[0] if c.after[0] > start else c.after[1]
        elif d.kind == "start":
            snap = snap_time(t, d.targets, spp, tl.fps, snapping)
            c = cmd.MoveResizeRegion(self.doc, d.region_id, snap.time, region.end, "start", drag_id=d.drag_id)
            blocked_t = c.after[0] if c.clamped else None
        else:
            snap = snap_time(t, d.targets, spp, tl.fps, snapping)
            c = cmd.MoveResizeRegion(self.doc, d.region_id, region.start, snap.time, "end", drag_id=d.drag_id)
            blocked_t = c.after[1] if c.clamped else None
        if c.after != (region.start, region.end):
            self.doc.push(c)
        tl.snap_line = snap.target if snap.target is not None and not c.clamped else None
        if blocked_t is not None:
            tl.blocked = (tl.track_rect(d.track_id), blocked_t)
            d.extra["blocked"] = True
        else:
            tl.blocked = None
        tl.guides.update()

    def _drag_group(self, d: Drag, pos: QPointF, t: float, snapping: bool) -> None:
        from editor.edit_commands import TrackRegionsEdit
        from project.region_edits import EditError, plan_move

        tl = self.tl
        want = t - d.offset
        start, snap = snap_span(want, want + (d.orig[1] - d.orig[0]), d.targets, tl.seconds_per_pixel(), tl.fps,
                                snapping)
        lane_now = next((i for i, lane in enumerate(tl.track_lanes)
                         if lane.rect.top() <= pos.y() < lane.rect.bottom()), d.extra.get("last_lane", d.extra["lane"]))
        d.extra["last_lane"] = lane_now
        key = (round(start - d.orig[0], 9), lane_now - d.extra["lane"])
        if key == d.extra.get("applied"):
            return
        try:
            plan = plan_move(d.extra["project"], d.extra["ids"], key[0], key[1])
        except EditError:
            tl.blocked = (tl.track_rect(self.doc.track_of(d.region_id).id), tl.x2t(pos.x()))
            d.extra["blocked"] = True
            tl.guides.update()
            return
        n = len(d.extra["ids"])
        self.doc.push(TrackRegionsEdit(self.doc, plan, f"Move {n} regions", list(d.extra["ids"]), d.drag_id))
        d.extra["applied"] = key
        tl.blocked = None
        tl.snap_line = snap.target
        tl.guides.update()

    def _drag_word(self, d: Drag, pos: QPointF, t: float, snapping: bool) -> None:
        tl = self.tl
        region = self.doc.region(d.region_id)
        if region is None:
            self.drag = None
            return
        snap = snap_time(t, d.targets, tl.seconds_per_pixel(), tl.fps, snapping)
        lo, hi = region.start + 0.05, region.end - 0.05
        d.extra["t"] = min(max(snap.time, lo), hi)
        tl.snap_line = d.extra["t"]
        tl.guides.update()

    def _drag_marker(self, d: Drag, pos: QPointF, t: float, snapping: bool) -> None:
        tl = self.tl
        snap = snap_time(t - d.offset, d.targets, tl.seconds_per_pixel(), tl.fps, snapping)
        m = self.doc.project.marker(d.marker_id)
        if m is not None and abs(m.time - max(0.0, snap.time)) > 1e-12:
            self.doc.push(cmd.MoveMarker(self.doc, d.marker_id, snap.time, drag_id=d.drag_id))
        tl.snap_line = snap.target
        tl.guides.update()

    def _level_drag(self, d: Drag, pos: QPointF, mods) -> None:
        # up raises the level: every LEVEL_DRAG_PX is one step, of the size the modifiers ask for now
        d.extra["residual"] += d.extra["y"] - pos.y()
        d.extra["y"] = pos.y()
        n = math.trunc(d.extra["residual"] / LEVEL_DRAG_PX)
        if n == 0:
            return
        d.extra["residual"] -= n * LEVEL_DRAG_PX
        d.started = True
        lo, hi = LEVEL_RANGES[d.extra["prop"]]
        d.extra["value"] = min(hi, max(lo, d.extra["value"] + n * level_step(mods)))
        self.tl.set_track_level(d.track_id, d.extra["prop"], d.extra["value"], merge_key=d.drag_id)
        self._tooltip = ""
        self.tl.vb.setToolTip(self.tl.level_tooltip(d.track_id, d.extra["prop"]))

    # ------------------------------------------------------------ release
    def release(self, pos: QPointF, mods) -> None:
        tl = self.tl
        d = self.drag
        self.drag = None
        tl.snap_line = None
        was_blocked = tl.blocked is not None or (d is not None and d.extra.get("blocked"))
        tl.blocked = None
        tl.guides.update()
        tl.vb.unsetCursor()
        if d is None:
            return
        if d.kind == "create":
            self._finish_create(d)
        elif d.kind == "word" and d.started:
            region = self.doc.region(d.region_id)
            if region is not None:
                u = d.extra["unit"]
                tl.pin_unit(d.region_id, u.src_start, d.extra["t"] - region.start, u.text)
        elif d.kind in ("move", "start", "end", "group") and d.started and was_blocked:
            tl.message.emit("Regions on a track cannot overlap: stopped at the neighbour")
        self.hover(pos, mods)

    def _finish_create(self, d: Drag) -> None:
        """The ghost becomes a region (one undo step); a click without a drag clears the selection."""
        tl = self.tl
        ghost, tl.ghost = tl.ghost, None
        lane = tl.lane_for_track(d.track_id)
        if lane:
            lane.update()
        if d.started and ghost is not None and ghost[2] - ghost[1] >= MIN_REGION_SECONDS - 1e-9:
            region = Region(start=ghost[1], end=ghost[2])
            self.doc.push(cmd.AddRegion(self.doc, d.track_id, region))
        elif d.started:
            tl.message.emit("Too short for a region: drag a little further")
        else:
            self.doc.clear_selection()
            if self.doc.current_marker_id:
                self.doc.current_marker_id = None
                tl.markers.update()

    # ------------------------------------------------------------ double-click, hover, wheel
    def double_click(self, pos: QPointF) -> bool:
        tl = self.tl
        level = tl.level_control_at(pos)
        if level is not None:
            tl.reset_track_level(*level)
            return True
        hit = tl.hit_test(pos)
        if hit.lane == "track" and hit.region_id:
            tl.regionActivated.emit(hit.region_id)
            return True
        if hit.lane == "markers":
            if hit.marker_id:
                tl.rename_marker(hit.marker_id)
            else:
                tl.add_marker(tl.x2t(pos.x()))
            return True
        return False

    def hover(self, pos: QPointF, mods) -> None:
        """The cursor and tooltip for what is under the pointer."""
        tl = self.tl
        hit = tl.hit_test(pos)
        tip = ""
        level = tl.level_control_at(pos)
        tl.set_level_active(level)
        shape = None
        if level is not None:
            shape = Qt.CursorShape.SizeVerCursor
            tip = tl.level_tooltip(*level)
        elif hit.lane == "track" and hit.region_id:
            if hit.edge:
                shape = Qt.CursorShape.SizeHorCursor
            elif tl.word_boundary_at(hit.region_id, pos) is not None:
                shape = Qt.CursorShape.SplitHCursor
            else:
                shape = Qt.CursorShape.OpenHandCursor
            tip = tl.region_tooltip(hit.region_id)
        elif hit.lane == "markers" and hit.marker_id:
            shape = Qt.CursorShape.SizeHorCursor
            m = self.doc.project.marker(hit.marker_id)
            tip = f"{m.name or 'Marker'} — {format_tc(m.time, tl.fps)}" if m else ""
        elif hit.lane in ("ruler", "markers", "waveform"):
            shape = Qt.CursorShape.PointingHandCursor
        elif hit.lane == "track":
            shape = Qt.CursorShape.CrossCursor
        if shape is None:
            tl.vb.unsetCursor()
        else:
            tl.vb.setCursor(shape)
        if tip != self._tooltip:
            self._tooltip = tip
            tl.vb.setToolTip(tip)

    def wheel(self, delta: int, orientation, mods, pos: QPointF) -> None:
        """Ctrl on a track's name strip: its height; on a level readout: the level; Ctrl: zoom; over the
        dub lanes when they do not all fit: scroll them; otherwise (or Shift) scroll time."""
        tl = self.tl
        steps = delta / 120.0
        hit = tl.hit_test(pos)
        ctrl = bool(mods & Qt.KeyboardModifier.ControlModifier)
        header = tl.header_at(pos) if ctrl else None
        if header is not None:
            lane = tl.lane_for_track(header)
            tl.set_lane_height(header, lane.rect.height() * 1.15 ** steps)
            return
        level = None if ctrl else tl.level_control_at(pos)
        if level is not None:
            self._wheel_on_level(level, steps, mods)
            return
        if ctrl:
            tl.zoom_by(1.25 ** steps, anchor=tl.x2t(pos.x()))
            return
        shift = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if not shift and hit.lane == "track" and tl.vscrollbar.maximum() > 0:
            # over the dub lanes, when they do not all fit, the wheel scrolls them (Shift+wheel: time)
            tl.scroll_tracks_to(tl.track_scroll - steps * 40.0)
            return
        t0, t1 = tl.visible_range()
        tl.scroll_by(-steps * 0.1 * (t1 - t0))

    def _wheel_on_level(self, level: tuple[str, str], steps: float, mods) -> None:
        now = time.monotonic()
        w = self._wheel_level
        if w is None or w[:2] != level or now - w[3] > LEVEL_WHEEL_MERGE_S:
            w = (level[0], level[1], cmd.new_drag_id(), now)
        self._wheel_level = (w[0], w[1], w[2], now)
        notches = round(steps) or (1 if steps > 0 else -1)
        self.tl.set_track_level(level[0], level[1], self.tl.track_level(*level) + notches * level_step(mods),
                                merge_key=w[2])
