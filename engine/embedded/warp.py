"""Sample-exact anchors: a gentle piecewise time warp of finished audio.

The model speaks in frames of 25 ms (600 samples), so a planned word start
lands on a frame boundary; a keyframe at 25 fps lies on a 40 ms grid, and
the two agree only every 200 ms.  After planning, each anchored start is at
most half a frame (12.5 ms) from its target.  This module closes that gap:
the audio between consecutive anchors is re-timed so every anchored start
falls on its exact sample, while the line's total length stays the same.

The warp is one continuous piecewise-linear time map, read with Catmull-Rom
(cubic) interpolation.  Pieces that need no change map onto whole samples and
come out bit-identical.  The rate change of a piece is at most 300 samples
over its length: 1.25 % over a second, a pitch change far below what a
listener notices in running speech.
"""

from __future__ import annotations

import numpy as np


def warp_to_boundaries(audio: np.ndarray, src: list[int], dst: list[int]) -> np.ndarray:
    """Re-time ``audio`` so that sample ``src[i]`` moves to ``dst[i]``.

    ``src`` and ``dst`` are increasing, start at 0 and end at the same length
    (``len(audio)``).  Returns float32 audio of the same length.
    """
    n = len(audio)
    if len(src) != len(dst) or src[0] != 0 or dst[0] != 0 or src[-1] != n or dst[-1] != n:
        raise ValueError("boundaries must start at 0 and end at the audio's length")
    if any(b <= a for a, b in zip(dst, dst[1:], strict=False)) or any(b <= a for a, b in zip(src, src[1:], strict=False)):
        raise ValueError("boundaries must increase")
    if list(src) == list(dst):
        return audio.astype(np.float32, copy=True)
    out_idx = np.arange(n, dtype=np.float64)
    pos = np.interp(out_idx, np.asarray(dst, np.float64), np.asarray(src, np.float64))
    return _cubic(audio.astype(np.float64), pos).astype(np.float32)


def _cubic(x: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """Catmull-Rom interpolation of ``x`` at fractional positions (edges clamped)."""
    i = np.floor(pos).astype(np.int64)
    t = pos - i
    last = len(x) - 1
    p0 = x[np.clip(i - 1, 0, last)]
    p1 = x[np.clip(i, 0, last)]
    p2 = x[np.clip(i + 1, 0, last)]
    p3 = x[np.clip(i + 2, 0, last)]
    return p1 + 0.5 * t * (p2 - p0 + t * (2 * p0 - 5 * p1 + 4 * p2 - p3 + t * (3 * (p1 - p2) + p3 - p0)))


def map_samples(x, src: list[int], dst: list[int]):
    """Where positions ``x`` (in samples of the unwarped audio) end up after the warp."""
    return np.interp(x, np.asarray(src, np.float64), np.asarray(dst, np.float64))
