"""The timeline widget: a pyqtgraph ViewBox whose x axis is seconds, with painted lanes.

Lanes from the top: the ruler (click or drag to seek), markers, the source
waveform, then one lane per dub track.  The ViewBox keeps the x range (zoom
and scroll); y is fixed and lanes are laid out in pixels.  This module holds
the view: layout, zoom and scrolling, hit testing, following the document, the
track level readouts and the editing actions the menus call.  The mouse
(drags, snapping, hover, wheel) lives in ``mouse.py``, the right-click menus in
``context_menu.py``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtWidgets import QGridLayout, QInputDialog, QScrollBar, QWidget

from editor import commands as cmd
from editor.document import Document
from editor.timeline.context_menu import MARKER_COLOURS, TimelineMenus
from editor.timeline.lanes import (
    BG,
    STATUS_LABELS,
    TRACK_HEADER_H,
    GuideItem,
    MarkerLaneItem,
    PlayheadItem,
    RulerItem,
    TrackLaneItem,
    WaveformLaneItem,
)
from editor.timeline.mouse import LEVEL_FINE_DB, LEVEL_RANGES, LEVEL_STEP_DB, TimelineMouse, TimelineViewBox
from project.model import Marker, Region, Track, new_id
from project.snapping import SNAP_PIXELS
from project.timecode import format_tc

RULER_H = 24.0
MARKERS_H = 20.0
WAVE_MIN_H = 48.0
TRACK_MIN_H = 36.0  # the smallest a lane may be made (Ctrl+wheel on its header)
TRACK_FIT_MIN_H = 64.0  # lanes never shrink below this to fit: the lanes scroll instead
TRACK_MAX_H = 120.0  # the tallest a lane grows to fill the view
TRACK_USER_MAX_H = 320.0  # the tallest a lane may be made by hand
WAVE_MAX_H = 160.0
EDGE_PX = 6.0  # a region's edge is grabbed within this many pixels
DEFAULT_REGION_SECONDS = 2.0


@dataclass
class Hit:
    lane: str  # ruler | markers | waveform | track | none
    track_id: str | None = None
    region_id: str | None = None
    edge: str | None = None  # start | end | None (body)
    marker_id: str | None = None


class TimelineWidget(QWidget):
    seekRequested = Signal(float)
    regionActivated = Signal(str)  # double-click on a region: edit its text
    playRegionRequested = Signal(str)
    renderRequested = Signal(list)
    message = Signal(str)
    rangeChanged = Signal(float, float)
    cloneActorRequested = Signal(str)  # track id
    moveToTrackRequested = Signal(str, str)  # region id, track id
    pinToOriginalRequested = Signal(str, bool)  # region id, also the pauses
    scrubbed = Signal(float)  # the playhead dragged on the ruler to this time (audio scrubbing)

    def __init__(self, doc: Document, parent: QWidget | None = None):
        super().__init__(parent)
        self.doc = doc
        self.playhead = 0.0
        self.ghost: tuple[str, float, float] | None = None
        self.snap_line: float | None = None
        self.blocked: tuple[QRectF, float] | None = None
        self.voices: list[str] = []
        self.status_of = lambda rid: "empty"
        self.error_of = lambda rid: ""
        self.clip_of = lambda rid: None
        self._renderer = None
        self._pps = 100.0
        self._sync_scroll = False
        self.level_active: tuple[str, str] | None = None  # (track id, prop) of the readout hovered or dragged
        self.in_point: float | None = None  # I / O marks (view state, drawn on the ruler)
        self.out_point: float | None = None
        self.track_scroll = 0.0  # pixels the dub lanes are scrolled up (the lanes above stay put)
        self.lane_heights: dict[str, float] = {}  # lanes the user resized (Ctrl+wheel on the header)
        self.mouse = TimelineMouse(self)  # presses, drags, hover and wheel on the lanes
        self.menus = TimelineMenus(self)  # the right-click menus

        self.view = pg.GraphicsView(background=BG)
        self.view.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.vb = TimelineViewBox(self)
        self.view.setCentralItem(self.vb)
        self.vb.setYRange(0, 1, padding=0)
        self.vb.enableAutoRange(enable=False)
        self.scrollbar = QScrollBar(Qt.Orientation.Horizontal)
        self.vscrollbar = QScrollBar(Qt.Orientation.Vertical)
        self.vscrollbar.setToolTip("Scroll the dub tracks (wheel over them; Ctrl+wheel on a track's name strip "
                                   "changes its height)")
        lay = QGridLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        lay.addWidget(self.view, 0, 0)
        lay.addWidget(self.vscrollbar, 0, 1)
        lay.addWidget(self.scrollbar, 1, 0)

        self.ruler = RulerItem(self)
        self.markers = MarkerLaneItem(self)
        self.waveform = WaveformLaneItem(self)
        self.guides = GuideItem(self)
        self.guides.setZValue(50)
        self.playhead_item = PlayheadItem(self)
        for it in (self.ruler, self.markers, self.waveform, self.guides, self.playhead_item):
            it.setParentItem(self.vb)
        for it in (self.ruler, self.markers, self.waveform):
            it.setZValue(10)  # opaque, above the dub lanes: lanes scrolled up slide under them
        self.track_lanes: list[TrackLaneItem] = []

        self.vb.sigXRangeChanged.connect(self._on_range_changed)
        self.vb.sigResized.connect(self._on_resized)
        self.scrollbar.valueChanged.connect(self._on_scrollbar)
        self.vscrollbar.valueChanged.connect(self._on_vscrollbar)
        doc.regionsChanged.connect(self._on_regions_changed)
        doc.regionChanged.connect(self._on_region_changed)
        doc.markersChanged.connect(self._on_markers_changed)
        doc.tracksChanged.connect(self._rebuild_tracks)
        doc.projectReplaced.connect(self._on_project_replaced)
        doc.selectionChanged.connect(self._on_selection_changed)
        self._shown_selection: set[str] = set()
        doc.aboutToSave.connect(self._store_view_state)
        self._on_project_replaced()

    # ------------------------------------------------------------ status source
    def set_renderer(self, controller) -> None:
        """Use a RenderController for region status, errors and clips."""
        self._renderer = controller
        self.status_of = controller.status
        self.error_of = controller.error
        self.clip_of = controller.clip
        controller.statusChanged.connect(self._on_status_changed)
        self._update_tracks()

    def set_voices(self, voices: list[str]) -> None:
        self.voices = list(voices)

    def set_source(self, pyramid, duration: float, title: str = "", note: str = "") -> None:
        self.waveform.set_source(pyramid, duration, title, note)
        self._update_scrollbar()

    # ------------------------------------------------------------ geometry
    @property
    def fps(self) -> float:
        return self.doc.project.fps

    def visible_range(self) -> tuple[float, float]:
        (t0, t1), _ = self.vb.viewRange()
        return float(t0), float(t1)

    def width_px(self) -> float:
        return max(1.0, float(self.vb.width()))

    def pixels_per_second(self) -> float:
        t0, t1 = self.visible_range()
        return self.width_px() / max(1e-9, t1 - t0)

    def seconds_per_pixel(self) -> float:
        return 1.0 / self.pixels_per_second()

    def mapping(self) -> tuple[float, float]:
        """(t0, pixels per second): ``x = (t - t0) * scale``; take it once per paint."""
        t0, t1 = self.visible_range()
        return t0, self.width_px() / max(1e-9, t1 - t0)

    def t2x(self, t):
        t0, scale = self.mapping()
        return (t - t0) * scale

    def x2t(self, x):
        t0, scale = self.mapping()
        return t0 + x / scale

    def lane_top_of_tracks(self) -> float:
        return self.track_lanes[0].rect.top() if self.track_lanes else self.waveform.rect.bottom()

    def _layout(self) -> None:
        w = self.width_px()
        h = max(1.0, float(self.vb.height()))
        n = len(self.track_lanes)
        body = h - RULER_H - MARKERS_H
        wave_h = min(WAVE_MAX_H, max(WAVE_MIN_H, body * 0.4))
        fit_h = (body - wave_h) / n if n else 0.0
        default_h = min(TRACK_MAX_H, max(TRACK_FIT_MIN_H, fit_h)) if n else 0.0
        if n and not self.lane_heights and default_h == TRACK_MAX_H:
            wave_h = min(WAVE_MAX_H, max(WAVE_MIN_H, body - n * default_h))
        y = 0.0
        self.ruler.set_rect(QRectF(0, y, w, RULER_H))
        y += RULER_H
        self.markers.set_rect(QRectF(0, y, w, MARKERS_H))
        y += MARKERS_H
        self.waveform.set_rect(QRectF(0, y, w, wave_h))
        y += wave_h
        top = y
        heights = [self.lane_heights.get(lane.track_id, default_h) for lane in self.track_lanes]
        total = sum(heights)
        visible = max(0.0, h - top)
        max_scroll = max(0.0, total - visible)
        self.track_scroll = min(max(0.0, self.track_scroll), max_scroll)
        y = top - self.track_scroll
        for i, (lane, lh) in enumerate(zip(self.track_lanes, heights, strict=True)):
            lane.index = i
            lane.set_rect(QRectF(0, y, w, lh))
            y += lh
        full = QRectF(0, 0, w, h)
        self.guides.set_rect(full)
        self.playhead_item.set_rect(full)
        self._sync_scroll = True
        try:
            self.vscrollbar.setRange(0, int(math.ceil(max_scroll)))
            self.vscrollbar.setPageStep(max(1, int(visible)))
            self.vscrollbar.setSingleStep(max(8, int(default_h / 2)))
            self.vscrollbar.setValue(int(round(self.track_scroll)))
            self.vscrollbar.setVisible(max_scroll > 0)
        finally:
            self._sync_scroll = False

    def tracks_area_top(self) -> float:
        return self.waveform.rect.bottom()

    def scroll_tracks_to(self, pixels: float) -> None:
        """Scroll the dub lanes (0 = the first track right under the source waveform)."""
        self.track_scroll = float(pixels)
        self._layout()
        for lane in self.track_lanes:
            lane.update()
        self.guides.update()

    def ensure_track_visible(self, track_id: str) -> None:
        lane = self.lane_for_track(track_id)
        if lane is None:
            return
        top, bottom = self.tracks_area_top(), float(self.vb.height())
        if lane.rect.top() < top:
            self.scroll_tracks_to(self.track_scroll - (top - lane.rect.top()))
        elif lane.rect.bottom() > bottom:
            self.scroll_tracks_to(self.track_scroll + min(lane.rect.bottom() - bottom, lane.rect.top() - top))

    def set_lane_height(self, track_id: str, height: float) -> None:
        self.lane_heights[track_id] = min(TRACK_USER_MAX_H, max(TRACK_MIN_H, float(height)))
        self._layout()
        for lane in self.track_lanes:
            lane.update()
        self.guides.update()

    def _on_vscrollbar(self, value: int) -> None:
        if not self._sync_scroll:
            self.scroll_tracks_to(value)

    def lane_for_track(self, track_id: str) -> TrackLaneItem | None:
        return next((lane for lane in self.track_lanes if lane.track_id == track_id), None)

    def track_rect(self, track_id: str) -> QRectF:
        lane = self.lane_for_track(track_id)
        return QRectF(lane.rect) if lane else QRectF()

    def region_rect(self, region_id: str) -> QRectF:
        """Where a region is drawn, in ViewBox pixels (tests and tooltips use it)."""
        track = self.doc.track_of(region_id)
        region = self.doc.region(region_id)
        if track is None or region is None:
            return QRectF()
        lane = self.lane_for_track(track.id)
        if lane is None:
            return QRectF()
        top, h = lane.region_band()
        xa, xb = self.t2x(region.start), self.t2x(region.end)
        return QRectF(xa, top, xb - xa, h)

    def map_to_viewport(self, p: QPointF):
        """ViewBox pixels -> the QGraphicsView viewport's widget pixels."""
        return self.view.mapFromScene(self.vb.mapToScene(p))

    # ------------------------------------------------------------ range
    def content_end(self) -> float:
        end = self.doc.project.end_time()
        end = max(end, self.waveform.duration)
        return max(end, 10.0)

    def _span_limits(self) -> tuple[float, float]:
        w = self.width_px()
        min_span = max(w / (200.0 * self.fps), 0.05)  # at most 200 px per frame
        max_span = max(self.content_end() * 1.5, 30.0)
        return min_span, min(max_span, 48 * 3600.0)

    def set_range(self, t0: float, t1: float) -> None:
        lo, hi = self._span_limits()
        span = min(max(t1 - t0, lo), hi)
        margin = 0.05 * span
        t0 = max(-margin, min(t0, self.content_end() + margin - span * 0.5))
        self.vb.setXRange(t0, t0 + span, padding=0)

    def zoom_by(self, factor: float, anchor: float | None = None) -> None:
        t0, t1 = self.visible_range()
        if anchor is None:
            anchor = self.playhead if t0 <= self.playhead <= t1 else (t0 + t1) / 2
        lo, hi = self._span_limits()
        span = min(max((t1 - t0) / factor, lo), hi)
        frac = (anchor - t0) / max(1e-12, t1 - t0)
        self.set_range(anchor - frac * span, anchor - frac * span + span)

    def zoom_in(self) -> None:
        self.zoom_by(1.5)

    def zoom_out(self) -> None:
        self.zoom_by(1 / 1.5)

    def zoom_fit(self) -> None:
        end = self.content_end()
        self.vb.setXRange(-0.01 * end, end * 1.02, padding=0)

    def scroll_by(self, seconds: float) -> None:
        t0, t1 = self.visible_range()
        self.set_range(t0 + seconds, t1 + seconds)

    def ensure_visible(self, t: float, page: bool = True) -> None:
        """Keep ``t`` in view (page-wise while playing)."""
        t0, t1 = self.visible_range()
        span = t1 - t0
        if t < t0 or t > t1 - 0.02 * span:
            start = t - 0.1 * span if page else t - span / 2
            self.set_range(start, start + span)

    def _on_range_changed(self, *_):
        t0, t1 = self.visible_range()
        self._pps = self.width_px() / max(1e-9, t1 - t0)
        self.playhead_item.set_time(self.playhead)
        for it in (self.ruler, self.markers, self.waveform, self.guides, *self.track_lanes):
            it.update()
        self._update_scrollbar()
        self.rangeChanged.emit(t0, t1)

    def _on_resized(self, *_):
        t0, _ = self.visible_range()
        self._layout()
        if self._pps > 0:
            self.vb.setXRange(t0, t0 + self.width_px() / self._pps, padding=0)

    def _update_scrollbar(self) -> None:
        t0, t1 = self.visible_range()
        end = self.content_end()
        self._sync_scroll = True
        try:
            page = max(1, int((t1 - t0) * 1000))
            self.scrollbar.setRange(0, max(0, int(end * 1000) - page // 2))
            self.scrollbar.setPageStep(page)
            self.scrollbar.setSingleStep(max(1, page // 20))
            self.scrollbar.setValue(int(max(0.0, t0) * 1000))
        finally:
            self._sync_scroll = False

    def _on_scrollbar(self, value: int) -> None:
        if self._sync_scroll:
            return
        t0, t1 = self.visible_range()
        start = value / 1000.0
        self.vb.setXRange(start, start + (t1 - t0), padding=0)

    # ------------------------------------------------------------ playhead
    def set_playhead(self, t: float, follow: bool = False) -> None:
        self.playhead = max(0.0, float(t))
        self.playhead_item.set_time(self.playhead)
        if follow:
            self.ensure_visible(self.playhead)

    # ------------------------------------------------------------ document signals
    def _on_project_replaced(self) -> None:
        self.mouse.cancel()
        self._rebuild_tracks()
        view = self.doc.project.view
        self.playhead = view.playhead
        w = self.width_px()
        pps = view.pixels_per_second if view.pixels_per_second > 0 else 100.0
        self.vb.setXRange(view.scroll_seconds, view.scroll_seconds + w / pps, padding=0)
        self._pps = pps
        self.playhead_item.set_time(self.playhead)

    def _store_view_state(self) -> None:
        v = self.doc.project.view
        t0, _ = self.visible_range()
        v.pixels_per_second = float(min(max(self.pixels_per_second(), 1e-3), 1e6))
        v.scroll_seconds = float(t0)
        v.playhead = float(self.playhead)

    def _rebuild_tracks(self) -> None:
        ids = [t.id for t in self.doc.project.tracks]
        if [lane.track_id for lane in self.track_lanes] != ids:
            old = {lane.track_id: lane for lane in self.track_lanes}
            lanes = []
            for tid in ids:
                lane = old.pop(tid, None) or TrackLaneItem(self, tid)
                lane.setParentItem(self.vb)
                lanes.append(lane)
            for lane in old.values():
                lane.setParentItem(None)
                if lane.scene() is not None:
                    lane.scene().removeItem(lane)
            self.track_lanes = lanes
        for lane in self.track_lanes:
            lane.refresh()
        self._layout()
        self.guides.update()
        self._update_scrollbar()

    def _on_regions_changed(self, track_id: str) -> None:
        lane = self.lane_for_track(track_id)
        if lane:
            lane.refresh()
        self.guides.update()

    def _on_region_changed(self, region_id: str) -> None:
        track = self.doc.track_of(region_id)
        lane = self.lane_for_track(track.id) if track else None
        if lane:
            lane.refresh()

    def _on_markers_changed(self) -> None:
        self.markers.update()
        self.guides.update()

    def _on_status_changed(self, region_id: str) -> None:
        track = self.doc.track_of(region_id)
        lane = self.lane_for_track(track.id) if track else None
        if lane:
            lane.update()

    def _on_selection_changed(self) -> None:
        """Repaint just the regions whose selection changed (stepping through 2,000 lines in the
        line list must not repaint every lane each time)."""
        now = set(self.doc.selected_ids)
        changed = now ^ self._shown_selection
        self._shown_selection = now
        if len(changed) > 64:
            self._update_tracks()
            return
        for rid in changed:
            track = self.doc.track_of(rid)
            lane = self.lane_for_track(track.id) if track else None
            rect = self.region_rect(rid)
            if lane is not None and not rect.isEmpty():
                lane.update(rect.adjusted(-3, -3, 3, 3).intersected(lane.rect))
        self.markers.update()

    def _update_tracks(self) -> None:
        for lane in self.track_lanes:
            lane.update()
        self.markers.update()

    # ------------------------------------------------------------ hit testing
    def hit_test(self, pos: QPointF) -> Hit:
        y, x = pos.y(), pos.x()
        if self.ruler.rect.top() <= y < self.ruler.rect.bottom():
            return Hit("ruler")
        if self.markers.rect.top() <= y < self.markers.rect.bottom():
            mid = self.marker_near(x)
            return Hit("markers", marker_id=mid)
        if self.waveform.rect.top() <= y < self.waveform.rect.bottom():
            return Hit("waveform")
        for lane in self.track_lanes:
            if lane.rect.top() <= y < lane.rect.bottom():
                rid, edge = self.region_near(lane, x)
                return Hit("track", track_id=lane.track_id, region_id=rid, edge=edge)
        return Hit("none")

    def header_at(self, pos: QPointF) -> str | None:
        """The track whose name strip (the top of its lane) is under ``pos``."""
        hit = self.hit_test(pos)
        if hit.lane != "track":
            return None
        lane = self.lane_for_track(hit.track_id)
        return hit.track_id if lane is not None and pos.y() < lane.rect.top() + TRACK_HEADER_H else None

    def marker_near(self, x: float, tol_px: float = 6.0) -> str | None:
        best = None
        for m in self.doc.project.markers:
            d = x - self.t2x(m.time)
            if -tol_px <= d <= tol_px + 4:  # the flag sticks out to the right
                if best is None or abs(d) < best[0]:
                    best = (abs(d), m.id)
        return best[1] if best else None

    def region_near(self, lane: TrackLaneItem, x: float) -> tuple[str | None, str | None]:
        track = self.doc.track(lane.track_id)
        if track is None:
            return None, None
        t = self.x2t(x)
        i0, i1 = lane.visible_slice(self.x2t(x - EDGE_PX), self.x2t(x + EDGE_PX))
        best = None
        for i in range(i0, min(i1, len(track.regions))):
            r = track.regions[i]
            xa, xb = self.t2x(r.start), self.t2x(r.end)
            zone = min(EDGE_PX, (xb - xa) / 3.0)
            if xa - 2 <= x <= xa + zone:
                cand = (abs(x - xa), r.id, "start")
            elif xb - zone <= x <= xb + 2:
                cand = (abs(x - xb), r.id, "end")
            elif r.start <= t <= r.end:
                cand = (0.0, r.id, None)
            else:
                continue
            # prefer the body of a region over the outer edge of its neighbour
            rank = (0 if cand[2] is None else 1, cand[0])
            if best is None or rank < best[0]:
                best = (rank, cand[1], cand[2])
        return (best[1], best[2]) if best else (None, None)

    def region_tooltip(self, rid: str) -> str:
        region = self.doc.region(rid)
        track = self.doc.track_of(rid)
        if region is None or track is None:
            return ""
        status = self.status_of(rid)
        lines = [f"“{region.text}”" if region.text.strip() else "(no text yet)"]
        line = f"Status: {STATUS_LABELS.get(status, status)}"
        if status == "failed" and self.error_of(rid):
            line += f" — {self.error_of(rid)}"
        lines.append(line)
        lines.append(f"{format_tc(region.start, self.fps)} – {format_tc(region.end, self.fps)} "
                     f"({region.duration:.2f} s) · voice {region.voice or track.default_voice}")
        return "\n".join(lines)

    # ------------------------------------------------------------ track gain / duck level in the header
    def level_control_at(self, pos: QPointF) -> tuple[str, str] | None:
        """(track id, "gain_db" | "duck_db") of the level readout under ``pos`` in a track header."""
        if pos.y() < self.tracks_area_top():
            return None
        for lane in self.track_lanes:
            if lane.rect.top() <= pos.y() < lane.rect.bottom():
                for prop, rect in lane.level_controls().items():
                    if rect.contains(pos):
                        return lane.track_id, prop
                return None
        return None

    def track_level(self, track_id: str, prop: str) -> float:
        """The level in effect: a track without its own duck level follows the project's."""
        track = self.doc.track(track_id)
        if track is None:
            return 0.0
        if prop == "duck_db" and track.duck_db is None:
            return float(self.doc.project.mix.duck_db)
        return float(getattr(track, prop))

    def set_track_level(self, track_id: str, prop: str, value, merge_key: int | None = None) -> None:
        """Set a track's gain or duck level (``None`` duck: the project default), clamped like the model;
        commands with the same ``merge_key`` fold into one undo step."""
        track = self.doc.track(track_id)
        if track is None:
            return
        if value is not None:
            lo, hi = LEVEL_RANGES[prop]
            value = round(min(hi, max(lo, float(value))), 2)
        if value == getattr(track, prop):
            return
        self.doc.push(cmd.SetTrackProperty(self.doc, track_id, prop, value, merge_key=merge_key))

    def reset_track_level(self, track_id: str, prop: str) -> None:
        """Double-click: gain back to 0 dB, the duck level back to the project's."""
        self.set_track_level(track_id, prop, 0.0 if prop == "gain_db" else None)

    def level_tooltip(self, track_id: str, prop: str) -> str:
        track = self.doc.track(track_id)
        if track is None:
            return ""
        if prop == "gain_db":
            head = f"Track gain: {track.gain_db:+.1f} dB (−96 to +24)"
            reset = "0 dB"
        else:
            proj = self.doc.project.mix.duck_db
            now = f"{track.duck_db:.1f} dB" if track.duck_db is not None else f"project default ({proj:.1f} dB)"
            head = f"Level of the original under this track's lines: {now} (−96 to 0)"
            reset = "the project default"
        return (f"{head}\nDrag up/down or use the wheel: {LEVEL_STEP_DB:g} dB steps "
                f"(Shift or Alt: {LEVEL_FINE_DB:g} dB)\nDouble-click: back to {reset}")

    def set_level_active(self, level: tuple[str, str] | None) -> None:
        if level == self.level_active:
            return
        for old in (self.level_active, level):
            lane = self.lane_for_track(old[0]) if old else None
            if lane is not None:
                lane.update()
        self.level_active = level

    # ------------------------------------------------------------ editing actions
    def create_region_at_playhead(self, seconds: float = DEFAULT_REGION_SECONDS) -> str | None:
        track = self.doc.active_track()
        if track is None:
            self.message.emit("Add a dub track first")
            return None
        span = self.doc.fit_new_region(track.id, self.playhead, self.playhead + seconds)
        if span is None:
            self.message.emit(f"The playhead is inside a region on {track.name}: move it to free space first")
            return None
        region = Region(start=span[0], end=span[1])
        self.doc.push(cmd.AddRegion(self.doc, track.id, region))
        if span[1] - span[0] < seconds - 1e-9:
            self.message.emit(f"Region shortened to {span[1] - span[0]:.2f} s to fit before the next one")
        return region.id

    def add_region_at(self, track_id: str, t: float, seconds: float = DEFAULT_REGION_SECONDS) -> None:
        """A region at ``t`` on the track, shortened to fit before the next one (nothing when ``t`` is inside one)."""
        span = self.doc.fit_new_region(track_id, t, t + seconds)
        if span:
            self.doc.push(cmd.AddRegion(self.doc, track_id, Region(start=span[0], end=span[1])))

    def delete_selected(self) -> bool:
        if self.doc.selected_ids:
            self.doc.push(cmd.DeleteRegions(self.doc, list(self.doc.selected_ids)))
            return True
        if self.doc.current_marker_id and self.doc.project.marker(self.doc.current_marker_id):
            self.doc.push(cmd.DeleteMarker(self.doc, self.doc.current_marker_id))
            self.doc.current_marker_id = None
            return True
        return False

    def add_marker(self, t: float | None = None) -> str:
        t = self.playhead if t is None else max(0.0, t)
        n = len(self.doc.project.markers) + 1
        m = Marker(id=new_id(), time=t, name=f"M{n}")
        self.doc.push(cmd.AddMarker(self.doc, m))
        self.doc.current_marker_id = m.id
        self.markers.update()
        return m.id

    def rename_marker(self, marker_id: str) -> None:
        m = self.doc.project.marker(marker_id)
        if m is None:
            return
        name, ok = QInputDialog.getText(self, "Rename marker", "Name:", text=m.name)
        if ok and name != m.name:
            self.doc.push(cmd.RenameMarker(self.doc, marker_id, name))

    def add_track(self) -> None:
        n = len(self.doc.project.tracks) + 1
        voice = self.doc.project.tracks[-1].default_voice if self.doc.project.tracks else "jf_alpha"
        self.doc.push(cmd.AddTrack(self.doc, Track(name=f"Dub {n}", default_voice=voice)))

    # ------------------------------------------------------------ word pins
    def word_boundary_at(self, rid: str, pos: QPointF, tol_px: float = 4.0):
        """The rendered word whose start line is under ``pos`` (lower half of the region), or None."""
        region = self.doc.region(rid)
        clip = self.clip_of(rid)
        if region is None or clip is None:
            return None
        rect = self.region_rect(rid)
        if rect.isEmpty() or pos.y() < rect.center().y():
            return None
        best, best_d = None, tol_px
        for u in clip.units:
            if u.kind in ("space", "pause"):
                continue
            x = self.t2x(region.start + u.start_seconds)
            if x - rect.left() < 6 or rect.right() - x < 6:  # the region's own edges win there
                continue
            if abs(x - pos.x()) <= best_d:
                best, best_d = u, abs(x - pos.x())
        return best

    def pin_unit(self, rid: str, char_index: int, seconds: float, label: str = "") -> None:
        """Pin the line's character ``char_index`` to ``seconds`` from the region start (re-renders)."""
        region = self.doc.region(rid)
        if region is None:
            return
        anchors = [a for a in region.anchors if int(a[0]) != int(char_index)]
        anchors.append([int(char_index), round(float(seconds), 4)])
        self.doc.push(cmd.SetRegionAnchors(self.doc, rid, anchors, f"Pin “{label}” at {seconds:.2f} s"))

__all__ = ["TimelineWidget", "TimelineViewBox", "Hit", "SNAP_PIXELS", "MARKER_COLOURS"]
