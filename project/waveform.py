"""Min/max envelopes of long audio for drawing waveforms at any zoom.

:class:`WaveformPyramid` computes, once, the minimum and maximum of every
block of 256 samples, then of every 4 such blocks, and so on (256, 1024,
4096, ... samples).  :meth:`WaveformPyramid.envelope` answers "one min/max
pair per pixel column for this time range" from the coarsest level that still
has at least one block per column, so a call costs a few blocks per column
whatever the zoom, and reads raw samples only when zoomed in so far that a
column spans fewer than 256 of them.

Every column's pair brackets the true signal in that column's time span
(blocks that straddle a column edge count for both neighbours).

Pure numpy, no Qt.
"""

from __future__ import annotations

import numpy as np

BASE_BLOCK = 256
LEVEL_FACTOR = 4
MIN_BLOCKS = 64  # stop adding coarser levels once a level has fewer blocks than this
_CHUNK = 1 << 20  # samples per build chunk: min and max of a chunk read it while it is in cache


class WaveformPyramid:
    """Multi-resolution min/max envelope of a mono signal.

    ``audio`` is kept by reference when it is already float32 and contiguous
    (the raw samples are needed when zoomed far in); ``levels`` holds
    ``(block_size, mins, maxs)`` from finest to coarsest.
    """

    def __init__(self, audio: np.ndarray, sample_rate: int):
        a = np.asarray(audio)
        if a.ndim == 2:  # (samples, channels): envelope of the mix
            a = a.mean(axis=1, dtype=np.float32)
        if a.ndim != 1:
            raise ValueError("audio must be one-dimensional (mono)")
        self.audio = np.ascontiguousarray(a, dtype=np.float32)
        self.sample_rate = int(sample_rate)
        if self.sample_rate <= 0:
            raise ValueError("sample_rate must be positive")
        self.levels: list[tuple[int, np.ndarray, np.ndarray]] = []
        self._build()

    # ------------------------------------------------------------ building
    def _build(self) -> None:
        x = self.audio
        n = len(x)
        nblocks = -(-n // BASE_BLOCK)
        if nblocks == 0:
            return
        mins = np.empty(nblocks, np.float32)
        maxs = np.empty(nblocks, np.float32)
        full = n // BASE_BLOCK
        for b0 in range(0, full, _CHUNK // BASE_BLOCK):
            b1 = min(full, b0 + _CHUNK // BASE_BLOCK)
            view = x[b0 * BASE_BLOCK: b1 * BASE_BLOCK].reshape(b1 - b0, BASE_BLOCK)
            np.min(view, axis=1, out=mins[b0:b1])
            np.max(view, axis=1, out=maxs[b0:b1])
        if full < nblocks:  # the partial last block
            tail = x[full * BASE_BLOCK:]
            mins[full] = tail.min()
            maxs[full] = tail.max()
        block = BASE_BLOCK
        self.levels.append((block, mins, maxs))
        while len(mins) >= MIN_BLOCKS * LEVEL_FACTOR:
            mins = _reduce(mins, np.minimum)
            maxs = _reduce(maxs, np.maximum)
            block *= LEVEL_FACTOR
            self.levels.append((block, mins, maxs))

    # ------------------------------------------------------------ queries
    @property
    def num_samples(self) -> int:
        return len(self.audio)

    @property
    def duration(self) -> float:
        return len(self.audio) / self.sample_rate

    @property
    def nbytes(self) -> int:
        """Memory held by the envelopes (not counting the referenced audio)."""
        return sum(m.nbytes + M.nbytes for _, m, M in self.levels)

    def envelope(self, t0: float, t1: float, n_columns: int) -> tuple[np.ndarray, np.ndarray]:
        """``(mins, maxs)``, float32 arrays of exactly ``n_columns``, for the time span ``[t0, t1)``.

        Column ``c`` covers ``[t0 + c*w, t0 + (c+1)*w)`` with ``w = (t1 - t0) / n_columns``.
        Columns outside the audio are 0.  When a column spans less than one
        sample, the pair is the range of the linearly interpolated signal over
        the column, so the drawing stays a connected line.
        """
        n = int(n_columns)
        if n <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.float32)
        mins = np.zeros(n, np.float32)
        maxs = np.zeros(n, np.float32)
        total = len(self.audio)
        if total == 0 or not (t1 > t0):
            return mins, maxs
        sr = self.sample_rate
        # Column edges in samples (fractional), n + 1 of them.
        edges = (t0 + (t1 - t0) * (np.arange(n + 1, dtype=np.float64) / n)) * sr
        per_column = (t1 - t0) * sr / n
        inside = (edges[1:] > 0) & (edges[:-1] < total)
        if not inside.any():
            return mins, maxs
        if per_column < 1.0:
            self._interpolated(edges, inside, mins, maxs)
            return mins, maxs
        block, lo, hi = 1, self.audio, self.audio
        for b, m, M in self.levels:
            if b <= per_column:
                block, lo, hi = b, m, M
            else:
                break
        nb = len(lo)
        # Column c reads blocks [first_c, last_c]: every block it overlaps.
        first = np.floor(edges[:-1] / block).astype(np.int64)
        last = np.ceil(edges[1:] / block).astype(np.int64) - 1
        first = np.clip(first, 0, nb - 1)
        last = np.clip(np.maximum(last, first), 0, nb - 1)
        cols = np.flatnonzero(inside)
        f, la = first[cols], last[cols]
        # reduceat gives min over [f_c, f_(c+1)); the block that straddles the edge
        # between columns c and c+1 belongs to both, so fold [f_(c+1), la_c] in
        # afterwards (one block, as blocks are never wider than a column).
        # Work on the visible slice only: reduceat's last span runs to the end of its input.
        base, stop = int(f[0]), int(la.max()) + 1
        cmin = np.minimum.reduceat(lo[base:stop], f - base)
        cmax = np.maximum.reduceat(hi[base:stop], f - base)
        if len(cols) > 1:
            a = np.maximum(f[1:], f[:-1])
            bnd = la[:-1]
            idx = np.flatnonzero(bnd >= a)
            if len(idx):
                a, bnd = a[idx], bnd[idx]
                for k in range(int((bnd - a).max()) + 1):
                    j = np.minimum(a + k, bnd)
                    cmin[idx] = np.minimum(cmin[idx], lo[j])
                    cmax[idx] = np.maximum(cmax[idx], hi[j])
        mins[cols] = cmin
        maxs[cols] = cmax
        return mins, maxs

    def _interpolated(self, edges: np.ndarray, inside: np.ndarray, mins: np.ndarray, maxs: np.ndarray) -> None:
        """Columns narrower than a sample: the range of the straight lines between samples."""
        x = self.audio
        total = len(x)
        e = np.clip(edges, 0.0, total - 1)
        k = np.minimum(np.floor(e).astype(np.int64), max(total - 2, 0))
        frac = (e - k).astype(np.float32)
        nxt = np.minimum(k + 1, total - 1)
        y = x[k] * (1 - frac) + x[nxt] * frac  # only the samples next to the edges are read
        lo = np.minimum(y[:-1], y[1:])
        hi = np.maximum(y[:-1], y[1:])
        # a sample inside the column (between two edges) is an extreme too
        s = np.ceil(edges[:-1])
        has_sample = (s < edges[1:]) & (s >= 0) & (s < total)
        if has_sample.any():
            v = x[s[has_sample].astype(np.int64)]
            lo[has_sample] = np.minimum(lo[has_sample], v)
            hi[has_sample] = np.maximum(hi[has_sample], v)
        mins[inside] = lo[inside]
        maxs[inside] = hi[inside]


def _reduce(a: np.ndarray, op) -> np.ndarray:
    """Combine groups of LEVEL_FACTOR neighbours with ``op`` (the last group may be short)."""
    full = len(a) // LEVEL_FACTOR
    out = op.reduce(a[: full * LEVEL_FACTOR].reshape(full, LEVEL_FACTOR), axis=1)
    if full * LEVEL_FACTOR < len(a):
        out = np.append(out, op.reduce(a[full * LEVEL_FACTOR:]))
    return out.astype(np.float32, copy=False)
