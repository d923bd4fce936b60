"""The timeline's painted lanes: ruler, markers, source waveform, dub tracks, overlays.

Every lane is one ``pg.GraphicsObject`` child of the timeline's ViewBox and
paints in that ViewBox's pixel coordinates, mapping seconds to pixels itself
(``TimelineWidget.t2x``).  One item per lane, drawing only what is visible
(bisection on sorted region starts, level of detail for narrow regions),
is what keeps 2,000 regions over two hours of audio within a frame budget;
thousands of separate QGraphicsItems would not.
"""

from __future__ import annotations

import bisect
import math
from typing import TYPE_CHECKING

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetrics, QImage, QPainter, QPainterPath, QPen, QPolygonF
from PySide6.QtWidgets import QGraphicsItem

from project.timecode import format_short

if TYPE_CHECKING:
    from editor.timeline.view import TimelineWidget

# ---- palette (the timeline is dark whatever the desktop theme, like most NLEs) ----
BG = QColor("#1b1e23")
BG_ALT = QColor("#20242a")
RULER_BG = QColor("#2a2e35")
TEXT = QColor("#d4d8de")
TEXT_DIM = QColor("#8b929c")
GRID = QColor(255, 255, 255, 18)
GRID_STRONG = QColor(255, 255, 255, 40)
PLAYHEAD = QColor("#ff4d4d")
SNAP = QColor("#3fd0ff")
BLOCKED = QColor("#ff3b30")
WAVE = QColor("#5aa6d6")
WAVE_BG = QColor("#171a1e")
SELECT = QColor("#ffffff")

STATUS_COLORS = {
    "empty": QColor("#4a515c"),
    "queued": QColor("#3a659c"),
    "rendering": QColor("#b98322"),
    "ready": QColor("#2e8557"),
    "stale": QColor("#7d6a3a"),
    "failed": QColor("#a83838"),
}
STATUS_LABELS = {
    "empty": "no text",
    "queued": "queued",
    "rendering": "rendering…",
    "ready": "ready",
    "stale": "out of date",
    "failed": "failed",
}

TRACK_HEADER_H = 15.0  # the strip at the top of a dub lane with the track's name
LEVEL_MIN_LANE_H = 30.0  # lanes shorter than this show levels as text, without the controls
TITLE_MAX_PX = 200.0  # the track name and voice are elided to this before the level controls
NARROW_PX = 3.0  # regions narrower than this are drawn as merged pixel columns
LABEL_PX = 28.0  # draw labels only in regions at least this wide
WAVE_PX = 20.0  # draw the clip waveform only in regions at least this wide


def premultiplied(c: QColor) -> int:
    """A colour as a premultiplied ARGB32 pixel value."""
    a = c.alpha()
    return (a << 24) | ((c.red() * a // 255) << 16) | ((c.green() * a // 255) << 8) | (c.blue() * a // 255)


def draw_envelope(p: QPainter, x0: float, y0: float, top: np.ndarray, bot: np.ndarray, height: float,
                  pixel: int) -> None:
    """Fill each pixel column between ``top`` and ``bot`` (rows relative to ``y0``).

    Rasterising the columns in numpy and drawing one image is several times
    faster than filling a polygon of thousands of vertices with QPainter.
    """
    w = len(top)
    h = int(math.ceil(height))
    if w == 0 or h <= 0:
        return
    rows = np.arange(h, dtype=np.float32)[:, None]
    mask = (rows >= np.floor(top).astype(np.float32)[None, :]) & (rows <= np.ceil(bot).astype(np.float32)[None, :])
    buf = np.ascontiguousarray(np.where(mask, np.uint32(pixel), np.uint32(0)))
    img = QImage(buf.data, w, h, 4 * w, QImage.Format.Format_ARGB32_Premultiplied)
    p.drawImage(QPointF(x0, y0), img)
    del buf


def _font(size: float, bold: bool = False) -> QFont:
    f = QFont()
    f.setPointSizeF(size)
    f.setBold(bold)
    return f


class LaneItem(pg.GraphicsObject):
    """Base: a lane occupying ``rect`` of the ViewBox, painted in pixels."""

    def __init__(self, tl: TimelineWidget):
        super().__init__()
        self.tl = tl
        self.rect = QRectF()
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemUsesExtendedStyleOption, True)

    def set_rect(self, rect: QRectF) -> None:
        if rect != self.rect:
            self.prepareGeometryChange()
            self.rect = QRectF(rect)
        self.update()

    def boundingRect(self) -> QRectF:
        return QRectF(self.rect)

    def visible_times(self, option) -> tuple[float, float, float, float]:
        """(t0, t1, x0, x1): the exposed part of the lane, in seconds and pixels."""
        r = option.exposedRect.intersected(self.rect) if option is not None else self.rect
        if r.isEmpty():
            r = self.rect
        x0, x1 = r.left(), r.right()
        return self.tl.x2t(x0), self.tl.x2t(x1), x0, x1


# ------------------------------------------------------------------ ruler
class RulerItem(LaneItem):
    """Timecode labels with nice steps; frame ticks when zoomed in enough."""

    STEPS_S = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200)
    STEPS_F = (1, 2, 5, 10)

    def tick_step(self) -> float:
        fps = self.tl.fps
        pps = self.tl.pixels_per_second()
        steps = sorted({f / fps for f in self.STEPS_F} | set(self.STEPS_S))
        for s in steps:
            if s * pps >= 90:
                return s
        return steps[-1]

    def labels(self, fm: QFontMetrics) -> list[tuple[float, float, str]]:
        """(tick x, label x, text) of every labelled tick in the view (not just the exposed part, so a
        partial repaint draws the same labels); a label that would run off the right edge goes left
        of its tick, whole."""
        r = self.rect
        t0, t1 = self.tl.x2t(r.left()), self.tl.x2t(r.right())
        fps = self.tl.fps
        step = self.tick_step()
        out = []
        for k in range(math.floor(t0 / step) - 1, math.ceil(t1 / step) + 1):
            t = k * step
            if t < 0:
                continue
            x = self.tl.t2x(t)
            if x > r.right():
                break
            label = format_short(t, fps, step)
            tw = fm.horizontalAdvance(label)
            lx = x + 3 if x + 3 + tw <= r.right() - 2 else x - 3 - tw
            if lx + tw >= r.left() and lx <= r.right():
                out.append((x, lx, label))
        return out

    def paint(self, p: QPainter, option, widget=None) -> None:
        r = self.rect
        p.fillRect(r, RULER_BG)
        t0, t1, x0, x1 = self.visible_times(option)
        a, b = self.tl.in_point, self.tl.out_point
        if a is not None or b is not None:  # the in/out range: a band with brackets at its ends
            xa = self.tl.t2x(a) if a is not None else r.left()
            xb = self.tl.t2x(b) if b is not None else r.right()
            p.fillRect(QRectF(xa, r.top(), max(0.0, xb - xa), r.height()), QColor(63, 208, 255, 45))
            p.setPen(QPen(SNAP, 2))
            for x, sign in ((xa, 1) if a is not None else (None, 0), (xb, -1) if b is not None else (None, 0)):
                if x is not None:
                    p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
                    p.drawLine(QPointF(x, r.top() + 1), QPointF(x + 5 * sign, r.top() + 1))
                    p.drawLine(QPointF(x, r.bottom() - 1), QPointF(x + 5 * sign, r.bottom() - 1))
        fps = self.tl.fps
        pps = self.tl.pixels_per_second()
        step = self.tick_step()
        # minor ticks: every frame when frames are >= 6 px apart, else a fifth of the step
        minor = 1.0 / fps if pps / fps >= 6 else step / 5.0
        p.setPen(QPen(GRID_STRONG, 1))
        n0, n1 = math.floor(t0 / minor), math.ceil(t1 / minor)
        if n1 - n0 < 4000:
            lines = []
            for n in range(n0, n1 + 1):
                x = self.tl.t2x(n * minor)
                lines.append(QPointF(x, r.bottom() - 5))
                lines.append(QPointF(x, r.bottom()))
            p.drawLines(lines)
        p.setFont(_font(8.0))
        fm = QFontMetrics(p.font())
        p.setPen(QPen(TEXT, 1))
        for x, lx, label in self.labels(fm):
            p.drawLine(QPointF(x, r.top() + 10), QPointF(x, r.bottom()))
            p.drawText(QPointF(lx, r.top() + 11), label)
        p.setPen(QPen(QColor(0, 0, 0, 120), 1))
        p.drawLine(QPointF(x0, r.bottom()), QPointF(x1, r.bottom()))


# ------------------------------------------------------------------ markers
class MarkerLaneItem(LaneItem):
    def paint(self, p: QPainter, option, widget=None) -> None:
        r = self.rect
        p.fillRect(r, BG_ALT)
        t0, t1, _, _ = self.visible_times(option)
        margin = 80 * self.tl.seconds_per_pixel()  # a name can stick out to the right
        p.setFont(_font(8.0))
        fm = QFontMetrics(p.font())
        markers = sorted(self.tl.doc.project.markers, key=lambda m: m.time)
        for k, m in enumerate(markers):
            if not (t0 - margin <= m.time <= t1 + 2):
                continue
            x = self.tl.t2x(m.time)
            # a name stops before the next marker's flag instead of running into its name
            room = (self.tl.t2x(markers[k + 1].time) - x - 14) if k + 1 < len(markers) else 1e6
            col = QColor(m.color) if QColor(m.color).isValid() else QColor("#f5a623")
            selected = m.id == self.tl.doc.current_marker_id
            poly = QPolygonF([QPointF(x, r.top() + 3), QPointF(x + 7, r.top() + 3), QPointF(x + 7, r.top() + 10),
                              QPointF(x, r.top() + 14)])
            p.setPen(QPen(SELECT if selected else col.darker(140), 1.5 if selected else 1))
            p.setBrush(QBrush(col))
            p.drawPolygon(poly)
            p.drawLine(QPointF(x, r.top() + 3), QPointF(x, r.bottom()))
            if m.name and room > 8:
                p.setPen(QPen(TEXT if selected else TEXT_DIM, 1))
                p.drawText(QPointF(x + 10, r.top() + 4 + fm.ascent()),
                           fm.elidedText(m.name, Qt.TextElideMode.ElideRight, int(min(room, 1e6))))


# ------------------------------------------------------------------ waveform
class WaveformLaneItem(LaneItem):
    """The source audio as a min/max envelope, recomputed for the visible range."""

    def __init__(self, tl: TimelineWidget):
        super().__init__(tl)
        self.pyramid = None
        self.duration = 0.0
        self.note = "no source audio"
        self.title = ""

    def set_source(self, pyramid, duration: float, title: str = "", note: str = "") -> None:
        self.pyramid = pyramid
        self.duration = float(duration)
        self.title = title
        self.note = note
        self.update()

    def paint(self, p: QPainter, option, widget=None) -> None:
        r = self.rect
        p.fillRect(r, WAVE_BG)
        t0, t1, x0, x1 = self.visible_times(option)
        mid = r.center().y()
        half = r.height() * 0.45
        p.setPen(QPen(GRID, 1))
        p.drawLine(QPointF(x0, mid), QPointF(x1, mid))
        if self.pyramid is not None and self.duration > 0:
            a, b = max(t0, 0.0), min(t1, self.duration)
            if b > a:
                ts, scale = self.tl.mapping()
                xa = math.floor((a - ts) * scale)
                xb = math.ceil((b - ts) * scale)
                ncol = max(1, int(xb - xa))
                # whole pixel columns, so the envelope never shimmers while scrolling
                mins, maxs = self.pyramid.envelope(ts + xa / scale, ts + xb / scale, ncol)
                top = (r.height() / 2) - np.clip(np.asarray(maxs, np.float32), -1.0, 1.0) * half
                bot = (r.height() / 2) - np.clip(np.asarray(mins, np.float32), -1.0, 1.0) * half
                draw_envelope(p, xa, r.top(), top, np.maximum(bot, top), r.height(), premultiplied(WAVE))
        p.setFont(_font(8.0))
        p.setPen(QPen(TEXT_DIM, 1))
        label = self.title or "Source audio"
        if self.note:
            label += f" — {self.note}"
        p.drawText(QPointF(r.left() + 6, r.top() + 13), label)


# ------------------------------------------------------------------ dub tracks
def clip_envelope(audio: np.ndarray, sample_rate: int, block_seconds: float = 0.001) -> tuple[np.ndarray, np.ndarray]:
    """(mins, maxs) per ~1 ms block of a clip, computed once per clip."""
    a = np.asarray(audio, np.float32)
    blk = max(1, int(round(block_seconds * sample_rate)))
    n = len(a) // blk
    if n == 0:
        return np.zeros(1, np.float32), np.zeros(1, np.float32)
    a = a[: n * blk].reshape(n, blk)
    return a.min(axis=1), a.max(axis=1)


class TrackLaneItem(LaneItem):
    """One dub track: its regions, coloured by render status, with clip waveforms and word marks."""

    def __init__(self, tl: TimelineWidget, track_id: str):
        super().__init__(tl)
        self.track_id = track_id
        self.index = 0
        self._starts: list[float] = []
        self._ends: list[float] = []
        self._env_cache: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.refresh()

    def refresh(self) -> None:
        t = self.tl.doc.track(self.track_id)
        regions = t.regions if t else []
        self._starts = [r.start for r in regions]
        self._ends = [r.end for r in regions]
        self._np_starts = np.asarray(self._starts, np.float64)
        self._np_ends = np.asarray(self._ends, np.float64)
        self.update()

    def visible_slice(self, t0: float, t1: float) -> tuple[int, int]:
        return bisect.bisect_left(self._ends, t0), bisect.bisect_right(self._starts, t1)

    def _envelope(self, clip) -> tuple[np.ndarray, np.ndarray]:
        env = self._env_cache.get(clip.key)
        if env is None:
            env = clip_envelope(clip.audio, clip.sample_rate)
            if len(self._env_cache) > 512:
                self._env_cache.clear()
            self._env_cache[clip.key] = env
        return env

    def paint(self, p: QPainter, option, widget=None) -> None:
        tl = self.tl
        r = self.rect
        track = tl.doc.track(self.track_id)
        p.fillRect(r, BG if self.index % 2 == 0 else BG_ALT)
        t0, t1, x0, x1 = self.visible_times(option)
        ts, scale = tl.mapping()
        # frame grid when frames are far enough apart to be worth seeing
        if scale / tl.fps >= 6:
            f0, f1 = math.floor(t0 * tl.fps), math.ceil(t1 * tl.fps)
            if f1 - f0 < 3000:
                p.setPen(QPen(GRID, 1))
                xs = [(f / tl.fps - ts) * scale for f in range(f0, f1 + 1)]
                p.drawLines([pt for x in xs for pt in (QPointF(x, r.top()), QPointF(x, r.bottom()))])
        if track is None:
            return
        self._paint_header(p, track, r, x0, x1)
        regions = track.regions
        i0, i1 = self.visible_slice(t0, t1)
        i1 = min(i1, len(regions))
        top, h = self.region_band()
        selected = set(tl.doc.selected_ids)
        status_of = tl.status_of
        xas = (self._np_starts[i0:i1] - ts) * scale
        xbs = (self._np_ends[i0:i1] - ts) * scale
        is_narrow = (xbs - xas) < NARROW_PX
        p.setPen(Qt.PenStyle.NoPen)
        if is_narrow.any():
            # narrow regions: one pixel column per status, however many regions share it
            idx = np.flatnonzero(is_narrow)
            cols = np.floor(xas[idx]).astype(np.int64)
            by_status: dict[str, list[int]] = {}
            for k, c in zip(idx.tolist(), cols.tolist(), strict=True):
                by_status.setdefault(status_of(regions[i0 + k].id), []).append(c)
            for status, cs in by_status.items():
                p.setBrush(QBrush(STATUS_COLORS[status]))
                p.drawRects([QRectF(c, top, 2.0, h) for c in sorted(set(cs))])
        label_font = _font(8.5)
        small_font = _font(7.5)
        fm = QFontMetrics(label_font)
        for k in np.flatnonzero(~is_narrow).tolist():
            reg = regions[i0 + k]
            self._paint_region(p, reg, float(xas[k]), float(xbs[k]), top, h, reg.id in selected, status_of(reg.id),
                               fm, label_font, small_font, x0, x1)
        ghost = tl.ghost
        if ghost is not None and ghost[0] == self.track_id:
            xa, xb = tl.t2x(ghost[1]), tl.t2x(ghost[2])
            p.setPen(QPen(SELECT, 1, Qt.PenStyle.DashLine))
            p.setBrush(QBrush(QColor(255, 255, 255, 40)))
            p.drawRect(QRectF(xa, top, max(1.0, xb - xa), h))

    def region_band(self) -> tuple[float, float]:
        """(top, height) of the region boxes inside the lane."""
        top = self.rect.top() + TRACK_HEADER_H + 2
        return top, max(4.0, self.rect.bottom() - 3 - top)

    def _paint_region(self, p: QPainter, reg, xa: float, xb: float, top: float, h: float, selected: bool,
                      status: str, fm: QFontMetrics, label_font: QFont, small_font: QFont, vx0: float,
                      vx1: float) -> None:
        w = xb - xa
        rect = QRectF(xa, top, w, h)
        base = STATUS_COLORS[status]
        p.setPen(QPen(base.lighter(135), 1))
        p.setBrush(QBrush(base))
        if w > 8:
            p.drawRoundedRect(rect, 3, 3)
        else:
            p.drawRect(rect)
        if status == "rendering":
            p.setBrush(QBrush(QColor(255, 255, 255, 45), Qt.BrushStyle.BDiagPattern))
            p.setPen(Qt.PenStyle.NoPen)
            p.drawRect(rect)
        elif status == "stale":
            p.setBrush(QBrush(QColor(0, 0, 0, 70), Qt.BrushStyle.FDiagPattern))
            p.setPen(Qt.PenStyle.NoPen)
            p.drawRect(rect)
        clip = self.tl.clip_of(reg.id)
        label_h = fm.height() + 2
        if clip is not None and w >= WAVE_PX:
            self._paint_clip(p, clip, reg, xa, xb, top + label_h, h - label_h, vx0, vx1, small_font, status)
        if w >= LABEL_PX:
            p.setFont(label_font)
            text = " ".join(reg.text.split())
            if status == "failed":
                text = "⚠ " + (text or "(no text)")
            if text:
                p.setPen(QPen(TEXT, 1))
            else:
                p.setPen(QPen(TEXT_DIM, 1))
                text = "(type the line in the inspector)"
            # keep the label readable when the region starts left of the view: the view's edge
            # (the lane's rect), never the exposed rect, or a partial repaint (the playhead
            # moving) draws the label at another x over the old one
            lx = max(xa, self.rect.left()) + 4
            avail = xb - lx - 4
            if avail > 10:
                p.drawText(QPointF(lx, top + fm.ascent() + 1), fm.elidedText(text, Qt.TextElideMode.ElideRight,
                                                                             int(avail)))
        self._paint_pins(p, reg, top, h, xa, xb)
        if selected:
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.setPen(QPen(SELECT, 2))
            p.drawRoundedRect(rect.adjusted(1, 1, -1, -1), 3, 3)

    def _paint_pins(self, p: QPainter, reg, top: float, h: float, xa: float, xb: float) -> None:
        """Word pins (anchors) as small downward triangles; a chain mark when bound to keyframes."""
        tl = self.tl
        if reg.anchors:
            p.setPen(QPen(QColor(20, 20, 20, 200), 1))
            p.setBrush(QBrush(QColor(255, 214, 64)))
            for _ci, sec in reg.anchors:
                x = tl.t2x(reg.start + float(sec))
                if xa <= x <= xb:
                    p.drawPolygon(QPolygonF([QPointF(x - 4, top), QPointF(x + 4, top), QPointF(x, top + 7)]))
                    p.drawLine(QPointF(x, top + 7), QPointF(x, top + h))
        if reg.bound_markers and xb - xa > 16:
            p.setPen(QPen(QColor(52, 152, 219), 2))
            p.drawLine(QPointF(xa + 2, top + h - 2), QPointF(xb - 2, top + h - 2))

    def _paint_clip(self, p: QPainter, clip, reg, xa: float, xb: float, top: float, h: float, vx0: float,
                    vx1: float, small_font: QFont, status: str) -> None:
        if h < 8:
            return
        tl = self.tl
        mins, maxs = self._envelope(clip)
        nblk = len(maxs)
        clip_seconds = len(clip.audio) / clip.sample_rate
        blk_s = clip_seconds / max(1, nblk)
        # visible pixel span of the clip, clipped to the region and the view
        ca = max(xa, vx0)
        cb = min(xb, tl.t2x(reg.start + clip_seconds), vx1)
        if cb - ca < 1:
            return
        ca, cb = math.floor(ca), math.ceil(cb)
        ncol = int(cb - ca)
        ts, scale = tl.mapping()
        t_edges = ts + (ca + np.arange(ncol + 1)) / scale - reg.start
        edges = np.clip((t_edges / blk_s).astype(np.int64), 0, nblk - 1)
        cmax = np.maximum.reduceat(maxs, edges)[:ncol]
        cmin = np.minimum.reduceat(mins, edges)[:ncol]
        half = h * 0.48
        yt = h / 2 - np.clip(cmax, -1, 1) * half
        yb = np.maximum(h / 2 - np.clip(cmin, -1, 1) * half, yt)
        alpha = 200 if status == "ready" else 110
        draw_envelope(p, ca, top, yt, yb, h, premultiplied(QColor(230, 240, 235, alpha)))
        # word / character boundaries from the engine's timings
        units = [u for u in clip.units if u.kind not in ("space", "pause")]
        if not units:
            return
        span_px = (xb - xa) / max(1, len(units))
        if span_px < 6:
            return
        p.setFont(small_font)
        fm = QFontMetrics(small_font)
        pen = QPen(QColor(255, 255, 255, 120), 1)
        path_lines = QPainterPath()
        ts, scale = tl.mapping()
        for x, _text in self.word_labels(reg, units, xa, xb, fm, ts, scale, with_hidden=True):
            if vx0 - 2 <= x <= vx1 + 2:
                path_lines.moveTo(x, top)
                path_lines.lineTo(x, top + h)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path_lines)
        p.setPen(QPen(QColor(255, 255, 255, 220), 1))
        for x, text in self.word_labels(reg, units, xa, xb, fm, ts, scale):
            if x + 2 + fm.horizontalAdvance(text) >= vx0 and x <= vx1:
                p.drawText(QPointF(x + 2, top + h - 2), text)

    @staticmethod
    def word_labels(reg, units, xa: float, xb: float, fm: QFontMetrics, ts: float, scale: float,
                    with_hidden: bool = False) -> list[tuple[float, str]]:
        """Where word labels go in a region: left to right, each after the end of the last one.

        Depends only on the region and the zoom, never on the exposed rect, so a
        partial repaint draws the same labels at the same places.  With
        ``with_hidden`` every boundary inside the region is returned (the lines).
        """
        out: list[tuple[float, str]] = []
        last_end = -1e9
        for u in units:
            x = (reg.start + u.start_seconds - ts) * scale
            if x < xa or x > xb:
                continue
            if with_hidden:
                out.append((x, u.text))
                continue
            tw = fm.horizontalAdvance(u.text)
            if x >= last_end + 4 and x + 2 + tw <= xb - 2:
                out.append((x, u.text))
                last_end = x + 2 + tw
        return out

    def header_title(self, track) -> str:
        return f"{track.name or 'Track'}  ·  voice {track.default_voice}"

    def level_controls(self) -> dict[str, QRectF]:
        """Where the gain and duck-level readouts sit in the header strip (prop -> rect, in view pixels);
        empty when the lane is too short or the view too narrow to show them whole."""
        track = self.tl.doc.track(self.track_id)
        r = self.rect
        if track is None or r.height() < LEVEL_MIN_LANE_H:
            return {}
        fm = QFontMetrics(_font(7.5, bold=True))
        # one column for every lane, like an NLE's track headers: after the longest name (up to a limit)
        title_w = min(max(fm.horizontalAdvance(self.header_title(t)) for t in self.tl.doc.project.tracks), TITLE_MAX_PX)
        x = r.left() + 6 + title_w + 12
        out = {}
        for prop, widest in (("gain_db", "Gain -96.0 dB"), ("duck_db", "Duck -96.0 dB (project)")):
            w = fm.horizontalAdvance(widest) + 12
            out[prop] = QRectF(x, r.top() + 1, w, TRACK_HEADER_H - 2)
            x += w + 6
        if x > r.right() - 4:
            return {}
        return out

    def level_text(self, track, prop: str) -> str:
        if prop == "gain_db":
            return f"Gain {track.gain_db:+.1f} dB"
        if track.duck_db is None:
            return f"Duck {self.tl.doc.project.mix.duck_db:.1f} dB (project)"
        return f"Duck {track.duck_db:.1f} dB"

    def _paint_header(self, p: QPainter, track, r: QRectF, x0: float, x1: float) -> None:
        """The strip with the track's name and default voice, its gain and duck-level controls (drag,
        wheel, double-click; see the timeline) and mute/solo state."""
        strip = QRectF(x0, r.top(), x1 - x0, TRACK_HEADER_H)
        p.fillRect(strip, QColor(0, 0, 0, 70))
        font = _font(7.5, bold=True)
        p.setFont(font)
        fm = QFontMetrics(font)
        base = 2 + fm.ascent()
        controls = self.level_controls()
        # the name stays at the left edge of the view however far it is scrolled
        p.setPen(QPen(TEXT_DIM if track.mute else TEXT, 1))
        title = self.header_title(track)
        x = self.rect.left() + 6
        if controls:
            p.drawText(QPointF(x, r.top() + base), fm.elidedText(title, Qt.TextElideMode.ElideRight, int(TITLE_MAX_PX)))
            active = self.tl.level_active
            for prop, c in controls.items():
                hot = active == (self.track_id, prop)
                is_default = (track.gain_db == 0.0) if prop == "gain_db" else track.duck_db is None
                p.setPen(QPen(QColor(255, 255, 255, 110 if hot else 55), 1))
                p.setBrush(QBrush(QColor(255, 255, 255, 45 if hot else 18)))
                p.drawRoundedRect(c.adjusted(0.5, 0.5, -0.5, -0.5), 3, 3)
                p.setPen(QPen(TEXT_DIM if is_default and not hot else TEXT, 1))
                p.drawText(QPointF(c.left() + 6, r.top() + base), self.level_text(track, prop))
            x = max(c.right() for c in controls.values()) + 10
            bits = []
        else:
            bits = [title]
            if track.gain_db:
                bits.append(f"gain {track.gain_db:+.1f} dB")
            if track.duck_db is not None:
                bits.append(f"duck {track.duck_db:.1f} dB")
        if track.mute:
            bits.append("MUTED")
        if track.solo:
            bits.append("SOLO")
        if bits:
            p.setPen(QPen(TEXT_DIM if track.mute else TEXT, 1))
            p.drawText(QPointF(x, r.top() + base), "  ·  ".join(bits))


# ------------------------------------------------------------------ overlays
class GuideItem(LaneItem):
    """Full-height guides: marker lines, the snap line, blocked-edge feedback."""

    def paint(self, p: QPainter, option, widget=None) -> None:
        tl = self.tl
        r = self.rect
        t0, t1, _, _ = self.visible_times(option)
        top = tl.lane_top_of_tracks()
        pen = QPen(QColor(245, 166, 35, 70), 1, Qt.PenStyle.DashLine)
        p.setPen(pen)
        for m in tl.doc.project.markers:
            if t0 <= m.time <= t1:
                x = tl.t2x(m.time)
                p.drawLine(QPointF(x, top), QPointF(x, r.bottom()))
        if tl.snap_line is not None:
            x = tl.t2x(tl.snap_line)
            p.setPen(QPen(SNAP, 1.5))
            p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
        if tl.blocked is not None:
            track_rect, t = tl.blocked
            x = tl.t2x(t)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QBrush(BLOCKED))
            p.drawRect(QRectF(x - 2, track_rect.top() + 2, 4, track_rect.height() - 4))


class PlayheadItem(LaneItem):
    """A thin item, so moving the playhead repaints a strip and not the timeline."""

    def __init__(self, tl: TimelineWidget):
        super().__init__(tl)
        self.time = 0.0
        self.setZValue(100)

    def boundingRect(self) -> QRectF:
        x = self.tl.t2x(self.time)
        return QRectF(x - 6, self.rect.top(), 12, self.rect.height())

    def set_time(self, t: float) -> None:
        self.prepareGeometryChange()
        self.time = t
        self.update()

    def paint(self, p: QPainter, option, widget=None) -> None:
        x = self.tl.t2x(self.time)
        r = self.rect
        p.setPen(QPen(PLAYHEAD, 1.5))
        p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QBrush(PLAYHEAD))
        p.drawPolygon(QPolygonF([QPointF(x - 5, r.top()), QPointF(x + 5, r.top()), QPointF(x, r.top() + 7)]))
