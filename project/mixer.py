"""The one mixer: playback and every export read the same block-wise mix (no Qt).

A :class:`MixPlan` is an immutable description of the mix at one sample rate and channel count: the
dub lines (:class:`Line`: a clip at a start sample, with its gain, pan, fades and how far it ducks the
source) and the source (:class:`ArraySource` in memory, or :class:`FileSource` decoded to a temporary
raw file so a 2-hour programme is never held).  :meth:`MixPlan.render` gives any ``n`` samples from any
output sample; every output sample is a function of its own index only, so the samples at time t are
bit for bit the same whether they are rendered for the audio device (8192 at a time), for an export
(a minute at a time) or all at once.  That is what makes "what you hear is what you export" testable.

One behaviour for everything:

- **Placement**: a line starts at output sample ``round(start * rate)``.  Its clip is resampled to the
  mix rate with soxr (once per clip and rate, kept in a small LRU, :func:`resampled`), and is exactly
  ``round(len * rate / clip_rate)`` samples long.
- **Gains**: a line's linear gain is region gain x track gain x dub gain; pan places a mono line in a
  stereo mix at constant power (:func:`pan_gains`); fades are linear ramps over the
  line's first/last samples.  Mute/solo choose the lines (:func:`audible_tracks`).
- **Ducking**: the source is multiplied by ``1 - d(t)`` where ``d`` is the ducking depth (``1 - duck
  gain`` of the deepest line sounding at t, 0 elsewhere) averaged over a centred 20 ms window
  (:data:`DUCK_WINDOW_SECONDS`).  The average is read from the exact running integral of the depth,
  built once per plan, so it needs no look-around and is the same for any block boundaries.
- **Source**: read at the mix rate (decoded at that rate, by PyAV's resampler or soxr for an array at
  another rate, once), mono sources on both sides of a stereo mix, stereo sources averaged in a mono one.

The sum for one sample always runs in the same order (lines in track then region order, then the
source), in float32, as the old export mix did.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: The ducking envelope's smoothing: a centred moving average this long (so the source never clicks).
DUCK_WINDOW_SECONDS = 0.02
#: Exports render this many seconds per block.
EXPORT_BLOCK_SECONDS = 10.0


# ------------------------------------------------------------------ gains
def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def audible_tracks(project) -> list:
    solo = [t for t in project.tracks if t.solo]
    return [t for t in (solo or project.tracks) if not t.mute]


def pan_gains(pan: float) -> tuple[float, float]:
    """(left, right) gains for a mono line at ``pan`` (-1 left .. +1 right): constant power, and 0 dB on
    both sides at the centre, so a centred dub sits against a stereo source as it does in the mono mix
    (and a line's loudness is the same wherever it is panned)."""
    import math

    theta = (min(1.0, max(-1.0, float(pan))) + 1.0) * math.pi / 4.0
    return math.sqrt(2.0) * math.cos(theta), math.sqrt(2.0) * math.sin(theta)


# ------------------------------------------------------------------ sources
class ArraySource:
    """Source audio held in memory at the mix rate: ``(n,)`` or ``(n, channels)`` float32."""

    def __init__(self, audio: np.ndarray, shift: int = 0):
        self.audio = np.asarray(audio, np.float32)
        self.shift = int(shift)  # timeline sample of frame 0

    @property
    def channels(self) -> int:
        return 1 if self.audio.ndim == 1 else int(self.audio.shape[1])

    @property
    def frames(self) -> int:
        return len(self.audio) + self.shift

    def _frames(self, lo: int, hi: int) -> np.ndarray:
        return self.audio[lo:hi]

    def read(self, start: int, n: int) -> np.ndarray:
        """``n`` frames from timeline sample ``start`` as ``(n, channels)`` (zeros outside the audio)."""
        ch = self.channels
        out = np.zeros((n, ch), np.float32)
        lo, hi = max(start, self.shift), min(start + n, self.shift + self._length())
        if hi > lo:
            out[lo - start: hi - start] = self._frames(lo - self.shift, hi - self.shift).reshape(hi - lo, ch)
        return out

    def _length(self) -> int:
        return len(self.audio)


class FileSource(ArraySource):
    """Source audio in a raw float32 file (frames interleaved), read a block at a time (never mapped, so
    a long programme costs no memory).  The file is deleted with :meth:`close` (or when collected)."""

    def __init__(self, path: Path, frames: int, channels: int, shift: int = 0, owned: bool = True, skip: int = 0):
        self.path = Path(path)
        self._skip = int(skip)
        self._n = int(frames)
        self._ch = int(channels)
        self.shift = int(shift)
        self._owned = owned
        self._lock = threading.Lock()
        self._fh = open(self.path, "rb")  # noqa: SIM115 - kept open for reads, closed in close()

    @property
    def channels(self) -> int:
        return self._ch

    def _length(self) -> int:
        return self._n

    def _frames(self, lo: int, hi: int) -> np.ndarray:
        with self._lock:
            self._fh.seek((lo + self._skip) * self._ch * 4)
            data = np.fromfile(self._fh, dtype="<f4", count=(hi - lo) * self._ch)
        if len(data) < (hi - lo) * self._ch:  # a truncated file reads as silence past its end
            data = np.concatenate([data, np.zeros((hi - lo) * self._ch - len(data), np.float32)])
        return data.astype(np.float32, copy=False)

    def close(self) -> None:
        try:
            self._fh.close()
        finally:
            if self._owned:
                try:
                    os.unlink(self.path)
                except OSError:
                    pass

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            pass


def open_source(media_path, sample_rate: int, channels: int, max_seconds: float | None,
                folder: Path | None = None) -> FileSource | None:
    """Decode ``media_path`` to a temporary raw file at ``sample_rate`` (None: no audio track).
    Raises engine.audio_decode.AudioDecodeError when the file cannot be read."""
    import tempfile

    from engine.audio_decode import decode_audio_to_file

    fd, tmp = tempfile.mkstemp(prefix="dubline-source-", suffix=".f32", dir=folder)
    os.close(fd)
    try:
        got = decode_audio_to_file(media_path, tmp, sample_rate, max_seconds, channels)
    except BaseException:
        os.unlink(tmp)
        raise
    if got is None:
        os.unlink(tmp)
        return None
    frames, shift = got
    if shift >= 0:
        return FileSource(Path(tmp), frames, channels, shift)
    drop = min(-shift, frames)  # audio before the first video frame is dropped
    return FileSource(Path(tmp), frames - drop, channels, 0, skip=drop)


# ------------------------------------------------------------------ clips at the mix rate
_RESAMPLED: OrderedDict[tuple, np.ndarray] = OrderedDict()
_RESAMPLED_LOCK = threading.Lock()
_RESAMPLED_MAX_BYTES = 256 << 20
_resampled_bytes = 0


def mix_length(frames: int, clip_rate: int, rate: int) -> int:
    """How many mix samples a clip of ``frames`` at ``clip_rate`` fills at ``rate``."""
    return frames if clip_rate == rate else int(round(frames * rate / clip_rate))


def resampled(audio: np.ndarray, clip_rate: int, rate: int, key=None) -> np.ndarray:
    """``audio`` at ``rate`` (soxr, high quality), exactly :func:`mix_length` samples long.

    With a ``key`` (a clip's content hash) the result is kept in an LRU of 256 MB, so a line is resampled
    once for playback and exports; without one it is computed each time (the same samples: soxr is
    deterministic)."""
    global _resampled_bytes
    a = np.asarray(audio, np.float32)
    if clip_rate == rate:
        return a
    k = None if key is None else (key, int(clip_rate), int(rate), len(a))
    if k is not None:
        with _RESAMPLED_LOCK:
            hit = _RESAMPLED.get(k)
            if hit is not None:
                _RESAMPLED.move_to_end(k)
                return hit
    n = mix_length(len(a), clip_rate, rate)
    if len(a) == 0:
        out = np.zeros(0, np.float32)
    else:
        import soxr

        out = np.asarray(soxr.resample(a, clip_rate, rate), np.float32)
    if len(out) != n:
        out = np.concatenate([out, np.zeros(n - len(out), np.float32)]) if len(out) < n else out[:n]
    out.setflags(write=False)
    if k is not None:
        with _RESAMPLED_LOCK:
            if k not in _RESAMPLED:
                _RESAMPLED[k] = out
                _resampled_bytes += out.nbytes
            while _resampled_bytes > _RESAMPLED_MAX_BYTES and len(_RESAMPLED) > 1:
                _, old = _RESAMPLED.popitem(last=False)
                _resampled_bytes -= old.nbytes
    return out


# ------------------------------------------------------------------ the plan
@dataclass(frozen=True)
class Line:
    """One dub line in the mix.

    ``gain``: linear (region x track x dub gain); ``pan`` -1..1 (stereo mixes); ``fade_in``/``fade_out``:
    seconds of linear ramp at the line's ends; ``duck``: the linear gain the source gets under this line
    (1.0: this line does not duck).  ``key`` names the clip for the resampling cache."""

    start_seconds: float
    audio: np.ndarray
    sample_rate: int
    gain: float = 1.0
    pan: float = 0.0
    duck: float = 1.0
    fade_in: float = 0.0
    fade_out: float = 0.0
    key: str | None = None


@dataclass(frozen=True)
class _Placed:
    start: int
    end: int
    line: Line
    gain: np.float32
    sides: np.ndarray | None
    fade_in: int
    fade_out: int


@dataclass(frozen=True)
class MixPlan:
    """Everything a mix needs, fixed: build one with :meth:`build` (or :func:`plan_for` from a project)."""

    sample_rate: int
    channels: int
    placed: tuple[_Placed, ...]
    starts: np.ndarray
    ends: np.ndarray
    source: ArraySource | None
    source_gain: float
    duck_bounds: np.ndarray  # sample positions where the ducking depth changes (sorted)
    duck_depth: np.ndarray  # depth on [bounds[k], bounds[k+1])
    duck_integral: np.ndarray  # running integral of the depth at each bound (float64)
    duck_half: int
    length: int
    extra: dict = field(default_factory=dict, compare=False)

    @staticmethod
    def build(sample_rate: int, channels: int = 1, lines: list[Line] | tuple[Line, ...] = (),
              source: ArraySource | None = None, source_gain: float = 1.0, length: int | None = None) -> MixPlan:
        sr = int(sample_rate)
        placed = []
        for ln in lines:
            s = int(round(ln.start_seconds * sr))
            n = mix_length(len(ln.audio), int(ln.sample_rate), sr)
            if n <= 0:
                continue
            sides = None
            if channels > 1:
                sides = np.asarray(pan_gains(ln.pan), np.float32)
                if channels > 2:
                    sides = np.concatenate([sides, np.zeros(channels - 2, np.float32)])
            placed.append(_Placed(s, s + n, ln, np.float32(ln.gain), sides,
                                  min(n, int(round(max(0.0, ln.fade_in) * sr))),
                                  min(n, int(round(max(0.0, ln.fade_out) * sr)))))
        starts = np.array([p.start for p in placed], np.int64)
        ends = np.array([p.end for p in placed], np.int64)
        bounds, depth, integral = _duck_profile(placed)
        if length is None:
            length = max(int(ends.max()) if len(ends) else 0, source.frames if source is not None else 0)
        return MixPlan(sr, int(channels), tuple(placed), starts, ends, source, float(source_gain),
                       bounds, depth, integral, max(0, int(round(DUCK_WINDOW_SECONDS * sr / 2))), int(length))

    # ---- rendering
    def render(self, start: int, n: int) -> np.ndarray:
        """``n`` samples of the mix from output sample ``start``: ``(n,)`` mono or ``(n, channels)``."""
        ch = self.channels
        out = np.zeros((n, ch), np.float32)
        if n <= 0:
            return out[:, 0] if ch == 1 else out
        end = start + n
        if len(self.starts):
            for i in np.nonzero((self.starts < end) & (self.ends > start))[0]:
                self._add_line(out, self.placed[i], start, end)
        if self.source is not None and self.source_gain != 0.0:
            src = self.source.read(start, n)
            if src.shape[1] != ch:
                src = (np.repeat(src[:, :1], ch, axis=1) if src.shape[1] == 1
                       else src.mean(axis=1, keepdims=True, dtype=np.float32) if ch == 1
                       else np.repeat(src.mean(axis=1, keepdims=True, dtype=np.float32), ch, axis=1))
            level = (self.duck_envelope(start, n) * self.source_gain).astype(np.float32)
            out += src * level[:, None]
        return out[:, 0] if ch == 1 else out

    def _add_line(self, out: np.ndarray, p: _Placed, start: int, end: int) -> None:
        lo, hi = max(start, p.start), min(end, p.end)
        ln = p.line
        audio = resampled(ln.audio, int(ln.sample_rate), self.sample_rate, ln.key)
        seg = audio[lo - p.start: hi - p.start]
        if p.fade_in or p.fade_out:
            seg = seg * _fade(np.arange(lo - p.start, hi - p.start), p.end - p.start, p.fade_in, p.fade_out)
        seg = seg * p.gain
        if p.sides is None:
            out[lo - start: hi - start, 0] += seg
        else:
            out[lo - start: hi - start] += seg[:, None] * p.sides

    def duck_envelope(self, start: int, n: int) -> np.ndarray:
        """The source's ducking gain (float64, 0..1) at output samples ``start .. start + n``.

        Sample i reads the depth's running integral over its window [i - h, i + h]; a window with no
        change of depth in it reads that depth directly (the same value whichever block holds i)."""
        b = self.duck_bounds
        if len(b) == 0:
            return np.ones(n)
        h = self.duck_half
        lo_k, hi_k = np.searchsorted(b, [start - h, start + n + h], side="right") - 1
        if lo_k == hi_k:  # no change of depth near this block
            return np.full(n, 1.0 - self._depth_at(int(lo_k)))
        x = np.arange(start, start + n, dtype=np.int64)
        kl = np.searchsorted(b, x - h, side="right") - 1
        kr = np.searchsorted(b, x + h, side="right") - 1
        covered = self._integral(x + h + 1) - self._integral(x - h)
        env = 1.0 - covered / (2 * h + 1)
        flat = kl == kr
        if flat.any():
            env[flat] = 1.0 - self._depth_at(kl[flat])
        return env

    def _integral(self, x: np.ndarray) -> np.ndarray:
        """The ducking depth summed over samples < x (exact running integral, any x)."""
        b = self.duck_bounds
        k = np.searchsorted(b, x, side="right") - 1
        kc = np.clip(k, 0, len(b) - 1)
        val = self.duck_integral[kc] + self._depth_at(k) * (x - b[kc])
        return np.where(k < 0, 0.0, val)

    def _depth_at(self, k):
        """The depth on segment k (0 before the first bound and after the last)."""
        d = self.duck_depth
        k = np.asarray(k)
        inside = (k >= 0) & (k < len(d))
        return np.where(inside, d[np.clip(k, 0, max(0, len(d) - 1))], 0.0)

    def blocks(self, block: int | None = None, start: int = 0, end: int | None = None):
        """(start sample, samples) for the whole mix (or ``start .. end``), a block at a time."""
        block = int(block or EXPORT_BLOCK_SECONDS * self.sample_rate)
        end = self.length if end is None else end
        for s in range(start, end, block):
            yield s, self.render(s, min(block, end - s))

    def render_all(self) -> np.ndarray:
        return self.render(0, self.length)


def _fade(pos: np.ndarray, n: int, fade_in: int, fade_out: int) -> np.ndarray:
    """Linear ramps (float32) at positions ``pos`` of a line ``n`` samples long."""
    g = np.ones(len(pos))
    if fade_in:
        g = np.minimum(g, (pos + 0.5) / fade_in)
    if fade_out:
        g = np.minimum(g, (n - pos - 0.5) / fade_out)
    return np.clip(g, 0.0, 1.0).astype(np.float32)


def _duck_profile(placed: list[_Placed]):
    """Sorted bounds, the deepest ducking depth between them, and its running integral at each bound."""
    ducking = [p for p in placed if p.line.duck < 1.0]
    if not ducking:
        return np.zeros(0, np.int64), np.zeros(0), np.zeros(0)
    bounds = np.unique(np.array([v for p in ducking for v in (p.start, p.end)], np.int64))
    depth = np.zeros(len(bounds) - 1)
    for p in ducking:
        i0, i1 = np.searchsorted(bounds, [p.start, p.end])
        np.maximum(depth[i0:i1], 1.0 - max(0.0, float(p.line.duck)), out=depth[i0:i1])
    integral = np.concatenate([[0.0], np.cumsum(depth * np.diff(bounds))])
    return bounds, depth, integral


# ------------------------------------------------------------------ from a project
def line_for(project, track, region, clip) -> Line:
    """How ``region`` of ``track`` sounds in the mix.  Region gain and fades and a track's own duck level
    are read when the model has them (``region.gain_db``, ``region.fade_in``/``fade_out`` in seconds,
    ``track.duck_db``); the project's dub gain and duck level otherwise."""
    gain_db = float(track.gain_db) + float(project.mix.dub_gain_db) + float(getattr(region, "gain_db", 0.0) or 0.0)
    duck_db = getattr(track, "duck_db", None)
    duck_db = project.mix.duck_db if duck_db is None else duck_db
    return Line(float(region.start), clip.audio, int(clip.sample_rate), db_to_gain(gain_db), float(track.pan),
                db_to_gain(float(duck_db)), float(getattr(region, "fade_in", 0.0) or 0.0),
                float(getattr(region, "fade_out", 0.0) or 0.0), getattr(clip, "key", None))


def plan_for(project, clips: dict, source: ArraySource | None = None, *, sample_rate: int | None = None,
             channels: int = 1, tracks=None, include_source: bool = True, source_gain_scale: float = 1.0,
             length: int | None = None) -> MixPlan:
    """The plan for ``project``'s audible tracks (or ``tracks``) with the clips at hand (region id ->
    :class:`project.render_core.Clip`; missing ones are silent) and the source, for playback and export."""
    sr = int(sample_rate or project.sample_rate)
    lines = [line_for(project, t, r, clips[r.id])
             for t in (tracks if tracks is not None else audible_tracks(project))
             for r in t.regions if r.id in clips]
    src = source if include_source else None
    gain = db_to_gain(project.mix.source_gain_db) * float(source_gain_scale)
    if length is None:
        length = int(np.ceil(project.end_time() * sr)) + 1
    return MixPlan.build(sr, channels, lines, src, gain, length)


def array_source(audio: np.ndarray | None, audio_rate: int | None, sample_rate: int) -> ArraySource | None:
    """An in-memory source at ``sample_rate`` (resampled once with soxr when it is at another rate)."""
    if audio is None or len(audio) == 0:
        return None
    a = np.asarray(audio, np.float32)
    rate = int(audio_rate or sample_rate)
    if rate != sample_rate:
        import soxr

        a = np.asarray(soxr.resample(a, rate, sample_rate), np.float32)
    return ArraySource(a)
