"""Snapping while dragging: pure functions so they are easy to test.

A drag asks :func:`snap_time` for the nearest *target* (playhead, region
edges, markers) within a pixel tolerance; when none is near, the time is
quantised to the frame grid (silently: frames are the editor's resolution).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

SNAP_PIXELS = 8.0


@dataclass(frozen=True)
class Snap:
    time: float  # the snapped time
    target: float | None  # the target time snapped to (None: frame grid only / no snap)
    kind: str  # "playhead" | "edge" | "marker" | "frame" | "none"


class SnapTargets:
    """Sorted candidate times with their kind, searched by bisection."""

    def __init__(self, items: list[tuple[float, str]]):
        items = sorted(items)
        self.times = [t for t, _ in items]
        self.kinds = [k for _, k in items]

    def nearest(self, t: float) -> tuple[float, str] | None:
        if not self.times:
            return None
        i = bisect.bisect_left(self.times, t)
        best = None
        for j in (i - 1, i):
            if 0 <= j < len(self.times):
                d = abs(self.times[j] - t)
                if best is None or d < best[0] or (d == best[0] and self.kinds[j] == "playhead"):
                    best = (d, j)
        assert best is not None
        return self.times[best[1]], self.kinds[best[1]]


def quantise_to_frame(t: float, fps: float) -> float:
    return round(t * fps) / fps if fps > 0 else t


def snap_time(t: float, targets: SnapTargets, seconds_per_pixel: float, fps: float,
              enabled: bool = True, tolerance_px: float = SNAP_PIXELS) -> Snap:
    """Snap ``t`` to the nearest target within ``tolerance_px``, else to the frame grid."""
    if not enabled:
        return Snap(t, None, "none")
    near = targets.nearest(t)
    if near is not None and abs(near[0] - t) <= tolerance_px * seconds_per_pixel:
        return Snap(near[0], near[0], near[1])
    q = quantise_to_frame(t, fps)
    return Snap(q, None, "frame")


def snap_span(start: float, end: float, targets: SnapTargets, seconds_per_pixel: float, fps: float,
              enabled: bool = True, tolerance_px: float = SNAP_PIXELS) -> tuple[float, Snap]:
    """Snap a moving span by whichever edge is nearer a target; returns (new start, snap)."""
    if not enabled:
        return start, Snap(start, None, "none")
    a = snap_time(start, targets, seconds_per_pixel, fps, True, tolerance_px)
    b = snap_time(end, targets, seconds_per_pixel, fps, True, tolerance_px)
    da = abs(a.time - start) if a.target is not None else math.inf
    db = abs(b.time - end) if b.target is not None else math.inf
    if da == math.inf and db == math.inf:
        return a.time, a  # frame-quantised start
    if da <= db:
        return a.time, a
    return start + (b.time - end), b
