"""Loudness to broadcast spec: ITU-R BS.1770-4 / EBU R128 measurement, a true-peak limiter, normalisation.

Numpy only (no scipy), so the exporter, the CLI and the editor's meter share one
implementation.  Checked in tests against pyloudnorm and ffmpeg's ``ebur128``
filter (integrated loudness within 0.1 LU on the same files).

Measurement (:class:`LoudnessMeter`, :func:`measure`):

- K-weighting: the BS.1770 high-shelf and high-pass biquads (the published
  48 kHz coefficients; at other rates the same analogue design through the
  bilinear transform), run as one 4th-order IIR filter.  Python cannot loop
  over samples, so the filter runs a block at a time in state-space form: the
  response to a block's own input is an FFT convolution with the exact impulse
  response over the block, and only the 4-value state is carried from block to
  block (a loop over blocks, not samples).  The result equals sample-by-sample
  filtering to float64 rounding.
- Integrated loudness: 400 ms blocks every 100 ms, channel weights (1.0 for
  L/R/C, 1.41 for surrounds), the -70 LUFS absolute gate and the -10 LU
  relative gate.
- Loudness range (EBU Tech 3342): 3 s short-term loudness every 100 ms, gated at
  -70 LUFS and -20 LU, the spread between the 10th and 95th percentiles.
- True peak (BS.1770-4 Annex 2): 4x oversampling below 96 kHz (2x below
  192 kHz) with a windowed-sinc polyphase interpolator.  Interpolating a
  stretch of audio can raise its peak by at most the interpolator's L1 gain,
  so only stretches whose sample peak times that gain could beat the current
  maximum are interpolated: a speech mix costs a fraction of a full pass.

Limiting (:func:`limit_true_peak`): a look-ahead gain computer on the true-peak
envelope (never a clip): the gain needed at each over-ceiling sample is
spread back over the look-ahead by a sliding minimum, recovers at a steady
dB/s rate, and is smoothed with a boxcar no longer than the sliding minimum, so
the smoothed gain is never above what any sample needs.  Only the stretches
around overs are touched; everything else passes bit for bit.

:func:`normalize` sets the integrated loudness to a target under a true-peak
ceiling, re-measuring after the limiter (which lowers the loudness a little
when it works) until it lands within 0.05 LU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from engine.errors import EngineError

#: Named delivery targets: (integrated loudness LUFS, true-peak ceiling dBTP).
PRESETS: dict[str, tuple[float, float]] = {
    "ebu": (-23.0, -1.0),  # EBU R128
    "atsc": (-24.0, -2.0),  # ATSC A/85 (LKFS = LUFS)
    "web": (-16.0, -1.0),  # streaming platforms / podcasts
}
#: The true-peak ceiling when no target says otherwise.
DEFAULT_CEILING_DBTP = -1.0
#: The limiter aims this far under the ceiling, so another meter's interpolator (ffmpeg's reads broadband
#: noise ~0.15 dB above an ideal one, a broadcaster's) reads at or below the ceiling too.
CEILING_MARGIN_DB = 0.2
#: "The limiter works hard": more gain reduction than this at some point, or limiting for more
#: than HARD_LIMIT_FRACTION of the programme.
HARD_LIMIT_DB = 4.0
HARD_LIMIT_FRACTION = 0.05

ABSOLUTE_GATE_LUFS = -70.0
_LOG_OFFSET = -0.691
_NEG_INF = float("-inf")


class LoudnessError(EngineError, ValueError):
    """A loudness target that cannot be used; the message says what is expected."""


def parse_target(text: str | float | None) -> tuple[float, float] | None:
    """``"ebu"``, ``"atsc"``, ``"web"``, a number of LUFS (``-20``), or None/"none"/"off" for no target.

    Returns (target LUFS, true-peak ceiling dBTP); a plain number keeps the default ceiling.
    """
    if text is None:
        return None
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        s = str(text).strip().lower()
        if s in ("", "none", "off"):
            return None
        if s in PRESETS:
            return PRESETS[s]
        try:
            value = float(s.removesuffix("lufs").removesuffix("lkfs").strip())
        except ValueError:
            raise LoudnessError(f"loudness target {text!r}: use ebu (-23 LUFS), atsc (-24 LKFS), web (-16 LUFS) "
                                "or a number of LUFS such as -20") from None
    if not math.isfinite(value) or not -60.0 <= value <= 0.0:
        raise LoudnessError(f"loudness target {value:g} LUFS is out of range (-60 to 0)")
    return value, DEFAULT_CEILING_DBTP


def check_ceiling(db: float) -> float:
    if not math.isfinite(db) or not -20.0 <= db <= 0.0:
        raise LoudnessError(f"true-peak ceiling {db:g} dBTP is out of range (-20 to 0)")
    return float(db)


@dataclass(frozen=True)
class Loudness:
    """What a loudness meter reads; ``-inf`` where there is nothing to gate (silence, too short)."""

    integrated_lufs: float
    range_lu: float
    true_peak_dbtp: float
    sample_peak_dbfs: float
    seconds: float

    def summary(self) -> str:
        return (f"{_fmt(self.integrated_lufs)} LUFS integrated, LRA {_fmt(self.range_lu, 1)} LU, "
                f"true peak {_fmt(self.true_peak_dbtp)} dBTP")

    def to_dict(self) -> dict:
        def num(v: float):
            return round(v, 2) if math.isfinite(v) else None

        return {"integrated_lufs": num(self.integrated_lufs), "loudness_range_lu": num(self.range_lu),
                "true_peak_dbtp": num(self.true_peak_dbtp), "sample_peak_dbfs": num(self.sample_peak_dbfs),
                "seconds": round(self.seconds, 3)}


def _fmt(v: float, nd: int = 1) -> str:
    return f"{v:.{nd}f}" if math.isfinite(v) else "-inf"


# ------------------------------------------------------------------ K-weighting
def k_weighting_coefficients(sample_rate: int) -> tuple[np.ndarray, np.ndarray]:
    """(b, a) of the K-weighting filter (shelf then high-pass) as one 4th-order filter."""
    if sample_rate == 48000:  # BS.1770-4, Tables 1 and 2
        b1, a1 = [1.53512485958697, -2.69169618940638, 1.19839281085285], [1.0, -1.69065929318241, 0.73248077421585]
        b2, a2 = [1.0, -2.0, 1.0], [1.0, -1.99004745483398, 0.99007225036621]
    else:
        # The analogue prototypes those coefficients come from, through the bilinear transform
        # (reproduces the 48 kHz table to ~1e-8).
        f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
        k = math.tan(math.pi * f0 / sample_rate)
        vh = 10.0 ** (gain_db / 20.0)
        vb = vh ** 0.4996667741545416
        a0 = 1.0 + k / q + k * k
        b1 = [(vh + vb * k / q + k * k) / a0, 2.0 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0]
        a1 = [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
        f0, q = 38.13547087602444, 0.5003270373238773
        k = math.tan(math.pi * f0 / sample_rate)
        a0 = 1.0 + k / q + k * k
        b2 = [1.0, -2.0, 1.0]
        a2 = [1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.convolve(b1, b2), np.convolve(a1, a2)


class BlockIIR:
    """An IIR filter run a block at a time (state-space), over several channels at once.

    ``process`` takes ``(n, channels)`` float64 and returns the filtered samples, keeping the
    filter state between calls, so a long file can be fed in chunks of any size.
    """

    def __init__(self, b: np.ndarray, a: np.ndarray, channels: int, block: int = 8192):
        b, a = np.asarray(b, np.float64), np.asarray(a, np.float64)
        b, a = b / a[0], a / a[0]
        order = max(len(a), len(b)) - 1
        b = np.pad(b, (0, order + 1 - len(b)))
        a = np.pad(a, (0, order + 1 - len(a)))
        # transposed direct form II: y = b0 u + s0;  s_i' = (b_{i+1} - a_{i+1} b0) u - a_{i+1} s0 + s_{i+1}
        A = np.zeros((order, order))
        A[:, 0] = -a[1:]
        A[:-1, 1:] += np.eye(order - 1)
        B = b[1:] - a[1:] * b[0]
        L = int(block)
        # impulse response over a block, the state's effect on the output, and each input's on the next state
        obs = np.empty((L, order))  # row j: C A^j
        row = np.zeros(order)
        row[0] = 1.0
        for j in range(L):
            obs[j] = row
            row = row @ A
        h = np.empty(L)
        h[0] = b[0]
        h[1:] = obs[: L - 1] @ B
        ctl = np.empty((L, order))  # row m: A^(L-1-m) B
        col = B.copy()
        for m in range(L - 1, -1, -1):
            ctl[m] = col
            col = A @ col
        self.L, self.order, self.channels = L, order, channels
        self._obs, self._ctl = obs, ctl
        self._AL = np.linalg.matrix_power(A, L)
        self._H = np.fft.rfft(h.astype(np.float32), 2 * L)
        self._state = np.zeros((channels, order))
        self._pending = np.zeros((0, channels))

    def process(self, x: np.ndarray) -> np.ndarray:
        """Filter ``x`` (n, channels); output lags input by whole blocks, so call :meth:`flush` at the end."""
        x = np.concatenate([self._pending, np.asarray(x, np.float64)]) if len(self._pending) else np.asarray(x, np.float64)
        nb = len(x) // self.L
        self._pending = x[nb * self.L:].copy()
        if nb == 0:
            return np.zeros((0, self.channels))
        return self._blocks(x[: nb * self.L], nb)

    def flush(self) -> np.ndarray:
        """The output for the samples still held (the partial last block)."""
        n = len(self._pending)
        if n == 0:
            return np.zeros((0, self.channels))
        padded = np.zeros((self.L, self.channels))
        padded[:n] = self._pending
        self._pending = np.zeros((0, self.channels))
        return self._blocks(padded, 1)[:n]

    def _blocks(self, x: np.ndarray, nb: int) -> np.ndarray:
        L, ch = self.L, self.channels
        u = np.ascontiguousarray(x.reshape(nb, L, ch).transpose(0, 2, 1))  # (nb, ch, L)
        # the blocks' own responses: single-precision FFTs (twice as fast; 1e-7 relative error is far
        # below what a loudness reading shows), the state carried in double precision
        zs = np.fft.irfft(np.fft.rfft(u.astype(np.float32), 2 * L, axis=-1) * self._H, 2 * L, axis=-1)[..., :L]
        drive = u @ self._ctl  # (nb, ch, order): what each block's input adds to the next state
        states = np.empty((nb, ch, self.order))
        s = self._state
        ALt = self._AL.T
        for k in range(nb):
            states[k] = s
            s = s @ ALt + drive[k]
        self._state = s
        y = states @ self._obs.T  # the carried state's response over each block (nb, ch, L)
        y += zs
        return y.transpose(0, 2, 1).reshape(nb * L, ch)


# ------------------------------------------------------------------ true peak
def oversampling(sample_rate: int) -> int:
    return 4 if sample_rate < 96000 else 2 if sample_rate < 192000 else 1


_INTERP: dict[int, np.ndarray] = {}
_TAPS_PER_PHASE = 48


def interpolator(factor: int) -> np.ndarray:
    """Polyphase windowed-sinc interpolator, ``(factor, taps)`` convolution kernels: phase p gives the
    value p/factor of a sample after each input sample.  The sinc is cut at the input's Nyquist
    frequency, so phase 0 is the sample itself and a band-limited signal's peaks between samples are
    found, not smoothed away (a lower cut-off reads white noise or a sine at fs/4 low)."""
    if factor in _INTERP:
        return _INTERP[factor]
    half = _TAPS_PER_PHASE // 2
    window = np.kaiser(2 * half + 1, 8.0)
    phases = np.zeros((factor, 2 * half))
    for p in range(factor):
        t = np.arange(-half + 1, half + 1) - p / factor  # input offsets relative to the output time
        phases[p] = np.sinc(t) * np.interp(t, np.arange(-half, half + 1), window)
        phases[p] /= phases[p].sum()
    _INTERP[factor] = phases[:, ::-1].copy()
    return _INTERP[factor]


def _interp_abs_max(x: np.ndarray, factor: int) -> np.ndarray:
    """For each sample n of ``x`` (n, ch) whose taps are all inside ``x``: the largest magnitude of the
    interpolated signal on [n, n+1) over all channels.  Length ``len(x) - taps + 1``; entry i is sample
    ``i + half - 1``."""
    k = interpolator(factor)
    taps = k.shape[1]
    n = len(x) - taps + 1
    if n <= 0:
        return np.zeros(0)
    half = taps // 2
    out = np.abs(x[half - 1: half - 1 + n]).max(axis=1)  # phase 0: the samples themselves
    for c in range(x.shape[1]):
        col = np.ascontiguousarray(x[:, c], dtype=np.float64)
        for p in range(1, factor):
            np.maximum(out, np.abs(np.convolve(col, k[p], mode="valid")), out=out)
    return out


def true_peak_envelope(x: np.ndarray, sample_rate: int) -> np.ndarray:
    """Per sample n: the largest absolute value of the oversampled signal on [n, n+1), all channels."""
    x = _as_2d(x)
    factor = oversampling(sample_rate)
    if factor == 1:
        return np.abs(x).max(axis=1)
    half = interpolator(factor).shape[1] // 2
    padded = np.pad(x, ((half - 1, half), (0, 0)))
    return _interp_abs_max(padded, factor)[: len(x)]


#: How far above a stretch's sample peak its true peak is looked for.  The interpolator's L1 gain
#: (about 2.6) bounds it in theory, but real audio stays within 3 dB (a full-scale sine at fs/4 sampled
#: 45 degrees off its peak: exactly 3 dB); 6 dB keeps a wide margin and spares most of the work.
MAX_INTERSAMPLE_GAIN = 2.0


def _l1_gain(factor: int) -> float:
    if factor == 1:
        return 1.0
    return min(MAX_INTERSAMPLE_GAIN, float(np.abs(interpolator(factor)).sum(axis=1).max()))


def _block_peaks(x: np.ndarray, block: int) -> np.ndarray:
    """Largest magnitude in each ``block`` of samples (all channels)."""
    x = _as_2d(x)
    n, ch = x.shape
    nb = -(-n // block)
    full = n // block
    out = np.empty(nb)
    if full:
        rows = np.ascontiguousarray(x[: full * block]).reshape(full, block * ch)
        out[:full] = np.maximum(rows.max(axis=1), -rows.min(axis=1))
    if nb > full:
        out[full] = np.abs(x[full * block:]).max()
    return out


def _block_envelopes(xp: np.ndarray, starts: np.ndarray, length: int, factor: int) -> np.ndarray:
    """For each start s, the interpolated envelope (largest magnitude over all phases and channels) of the
    windows s .. s+length-1 of ``xp`` (window i covers ``xp[i: i + taps]``, i.e. the interval after sample
    ``i + taps/2 - 1``); windows past the end read zeros.  Batched FFT convolution: one call for many blocks.
    Returns ``(len(starts), length)``."""
    k = interpolator(factor)
    taps = k.shape[1]
    half = taps // 2
    n, ch = xp.shape
    m = length + taps - 1
    nfft = 1 << (m - 1).bit_length()
    idx = starts[:, None] + np.arange(m)[None, :]
    inside = idx < n
    seg = np.where(inside[..., None], xp[np.minimum(idx, n - 1)], 0.0)  # (K, m, ch)
    seg = np.ascontiguousarray(seg.transpose(0, 2, 1), dtype=np.float64)  # (K, ch, m): FFTs on the last axis
    mag = np.abs(seg[:, :, half - 1: half - 1 + length])
    env = mag[:, 0]  # phase 0: the samples themselves
    for c in range(1, ch):
        np.maximum(env, mag[:, c], out=env)
    spec = np.fft.rfft(seg, nfft, axis=-1)
    kern = np.fft.rfft(k[1:], nfft, axis=-1)  # (factor-1, nfft/2+1)
    for p in range(factor - 1):
        y = np.abs(np.fft.irfft(spec * kern[p], nfft, axis=-1)[:, :, taps - 1: taps - 1 + length])
        for c in range(ch):
            np.maximum(env, y[:, c], out=env)
    return env


def true_peak(x: np.ndarray, sample_rate: int) -> float:
    """The true peak (linear) of ``x``, interpolating only the stretches that could hold it."""
    x = _as_2d(x)
    if len(x) == 0:
        return 0.0
    peak = float(np.abs(x).max())
    factor = oversampling(sample_rate)
    if factor == 1:
        return peak
    half = interpolator(factor).shape[1] // 2
    return max(peak, _true_peak_valid(np.pad(x, ((half - 1, half), (0, 0))), factor, peak))


# ------------------------------------------------------------------ the meter
_SURROUND_WEIGHT = 1.41


def channel_weights(channels: int) -> np.ndarray:
    """BS.1770 weights: L, R, C at 1.0; the LFE (4th of 6) left out; surrounds at 1.41."""
    if channels == 6:  # L R C LFE Ls Rs
        return np.array([1.0, 1.0, 1.0, 0.0, _SURROUND_WEIGHT, _SURROUND_WEIGHT])
    if channels == 5:  # L R C Ls Rs
        return np.array([1.0, 1.0, 1.0, _SURROUND_WEIGHT, _SURROUND_WEIGHT])
    return np.ones(channels)


class LoudnessMeter:
    """Feed float audio ``(n,)`` or ``(n, channels)`` in chunks; :meth:`result` gives the readings.

    Keeps only one energy value per 100 ms, so hours of audio cost a few kilobytes.
    """

    def __init__(self, sample_rate: int, channels: int = 1):
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self._filter = BlockIIR(*k_weighting_coefficients(self.sample_rate), channels=self.channels)
        self._weights = channel_weights(self.channels)
        self._step = self.sample_rate / 10.0  # samples per 100 ms (fractional rates keep their phase)
        self._energy: list[np.ndarray] = []  # weighted sum of squares per completed 100 ms step
        self._pending = np.zeros(0)  # weighted squares of the current partial step
        self._pending_start = 0  # its first sample
        self._steps = 0
        self._peak = 0.0
        self._true_peak = 0.0
        self._tail = np.zeros((0, self.channels))  # samples kept for the interpolator across chunks
        self.samples = 0

    def add(self, audio: np.ndarray) -> None:
        x = _as_2d(audio)
        if x.shape[1] != self.channels:
            raise ValueError(f"expected {self.channels} channel(s), got {x.shape[1]}")
        if len(x) == 0:
            return
        x = x.astype(np.float64, copy=False)
        self.samples += len(x)
        self._peak = max(self._peak, float(np.abs(x).max()))
        self._add_true_peak(x)
        self._add_filtered(self._filter.process(x))

    def _add_true_peak(self, x: np.ndarray) -> None:
        factor = oversampling(self.sample_rate)
        if factor == 1:
            self._true_peak = max(self._true_peak, float(np.abs(x).max()))
            return
        half = interpolator(factor).shape[1] // 2
        first = self.samples == len(x)
        joined = np.concatenate([np.zeros((half - 1, self.channels)) if first else self._tail, x])
        keep = interpolator(factor).shape[1] - 1
        # interpolate what has all its taps; the last samples wait for the next chunk (or finish())
        self._true_peak = _true_peak_valid(joined, factor, self._true_peak)
        self._tail = joined[-keep:].copy() if len(joined) >= keep else joined.copy()

    def _finish_true_peak(self) -> float:
        factor = oversampling(self.sample_rate)
        if factor == 1 or self.samples == 0:
            return self._true_peak
        half = interpolator(factor).shape[1] // 2
        joined = np.concatenate([self._tail, np.zeros((half, self.channels))])
        return _true_peak_valid(joined, factor, self._true_peak)

    def _add_filtered(self, y: np.ndarray) -> None:
        if len(y):
            sq = (y * y) @ self._weights
            done, self._pending, self._pending_start, self._steps = _split_steps(
                sq, self._pending, self._pending_start, self._steps, self._step)
            if len(done):
                self._energy.append(done)

    def result(self) -> Loudness:
        """Readings over everything fed so far (the meter can go on being fed)."""
        import copy

        # the filter holds back its last partial block: flush a copy, and count a last partial 100 ms step
        tail = copy.deepcopy(self._filter).flush()
        sq = (tail * tail) @ self._weights if len(tail) else np.zeros(0)
        done, pending, _, _ = _split_steps(sq, self._pending, self._pending_start, self._steps, self._step)
        parts = [*self._energy, done]
        steps = np.concatenate(parts) if parts else np.zeros(0)
        step_len = self._step
        integrated = _gated_loudness(_window_means(steps, 4, 4 * step_len), -10.0)
        lra = _loudness_range(_window_means(steps, 30, 30 * step_len))
        tp = self._finish_true_peak()
        return Loudness(integrated, lra, _db(tp), _db(self._peak), self.samples / self.sample_rate)


def _split_steps(sq: np.ndarray, pending: np.ndarray, start: int, steps: int, step: float):
    """Sum weighted squares into completed 100 ms steps: (energies, still pending, its start sample, steps)."""
    buf = np.concatenate([pending, sq]) if len(pending) else sq
    end = start + len(buf)
    ends = []
    k = steps + 1
    while True:  # a few hundred per chunk at most
        e = int(round(k * step))
        if e > end:
            break
        ends.append(e)
        k += 1
    if not ends:
        return np.zeros(0), buf, start, steps
    c = np.concatenate([[0.0], np.cumsum(buf)])
    bounds = np.array([int(round(steps * step)), *ends]) - start
    bounds[0] = max(bounds[0], 0)
    energies = c[bounds[1:]] - c[bounds[:-1]]
    used = bounds[-1]
    return energies, buf[used:].copy(), start + used, steps + len(ends)


def _true_peak_valid(x: np.ndarray, factor: int, best: float = 0.0) -> float:
    """Largest interpolated magnitude over the windows of ``x`` that have all their taps, or ``best`` if
    larger.  Blocks are interpolated loudest first, a batch at a time; blocks that cannot beat the best so
    far are skipped."""
    taps = interpolator(factor).shape[1]
    windows = len(x) - taps + 1
    if windows <= 0:
        return best
    block = 4096
    peaks = _block_peaks(x, block)
    near = peaks.copy()
    near[1:] = np.maximum(near[1:], peaks[:-1])
    near[:-1] = np.maximum(near[:-1], peaks[1:])
    nb = -(-windows // block)
    bound = near[:nb] * _l1_gain(factor)
    order = np.argsort(-bound)
    for i in range(0, nb, 32):
        batch = order[i: i + 32]
        batch = batch[bound[batch] > best]
        if len(batch) == 0:
            break
        env = _block_envelopes(x, batch * block, block, factor)
        valid = (batch[:, None] * block + np.arange(block)[None, :]) < windows
        best = max(best, float(np.where(valid, env, 0.0).max()))
    return best


def _window_means(steps: np.ndarray, k: int, window_samples: float) -> np.ndarray:
    """Mean square over windows of ``k`` consecutive 100 ms steps, one per step (windows inside the signal)."""
    if len(steps) < k:
        return np.zeros(0)
    c = np.concatenate([[0.0], np.cumsum(steps)])
    return (c[k:] - c[:-k]) / window_samples


def _block_loudness(z: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return _LOG_OFFSET + 10.0 * np.log10(z)


def _gated_loudness(z: np.ndarray, relative_db: float) -> float:
    if len(z) == 0:
        return _NEG_INF
    lk = _block_loudness(z)
    above = z[lk > ABSOLUTE_GATE_LUFS]
    if len(above) == 0:
        return _NEG_INF
    gate = _block_loudness(np.array([above.mean()]))[0] + relative_db
    kept = z[(lk > ABSOLUTE_GATE_LUFS) & (lk > gate)]
    if len(kept) == 0:
        return _NEG_INF
    return float(_block_loudness(np.array([kept.mean()]))[0])


def _loudness_range(z: np.ndarray) -> float:
    if len(z) == 0:
        return 0.0
    lk = _block_loudness(z)
    above = lk > ABSOLUTE_GATE_LUFS
    if not above.any():
        return 0.0
    gate = _block_loudness(np.array([z[above].mean()]))[0] - 20.0
    kept = np.sort(lk[above & (lk > gate)])
    if len(kept) == 0:
        return 0.0
    lo = kept[int(round((len(kept) - 1) * 0.10))]
    hi = kept[int(round((len(kept) - 1) * 0.95))]
    return float(hi - lo)


def _db(v: float) -> float:
    return 20.0 * math.log10(v) if v > 0 else _NEG_INF


def _as_2d(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    return x[:, None] if x.ndim == 1 else x


def measure(audio: np.ndarray, sample_rate: int, chunk_seconds: float = 30.0) -> Loudness:
    """BS.1770-4 / EBU R128 readings of ``audio`` (``(n,)`` mono or ``(n, channels)``)."""
    x = _as_2d(audio)
    meter = LoudnessMeter(sample_rate, x.shape[1])
    step = max(1, int(chunk_seconds * sample_rate))
    for i in range(0, len(x), step):
        meter.add(x[i: i + step])
    return meter.result()


# ------------------------------------------------------------------ limiting
@dataclass
class LimiterReport:
    """What the limiter did: the deepest gain reduction and for how long it reduced (>0.1 dB)."""

    max_reduction_db: float = 0.0
    limited_seconds: float = 0.0
    total_seconds: float = 0.0
    passes: int = 0

    @property
    def worked_hard(self) -> bool:
        return (self.max_reduction_db > HARD_LIMIT_DB
                or (self.total_seconds > 0 and self.limited_seconds / self.total_seconds > HARD_LIMIT_FRACTION))

    def warning(self) -> str | None:
        if not self.worked_hard:
            return None
        share = 100.0 * self.limited_seconds / self.total_seconds if self.total_seconds else 0.0
        return (f"the true-peak limiter worked hard (up to {self.max_reduction_db:.1f} dB of gain reduction, "
                f"limiting {share:.0f}% of the time): the mix has strong peaks for this target; "
                "lower the target or the loudest lines")


def _sliding_min(x: np.ndarray, width: int) -> np.ndarray:
    """Minimum over the centred window of ``width`` (odd) samples, edges padded with 0 (no reduction)."""
    half = width // 2
    n = len(x)
    padded = np.concatenate([np.zeros(half), x, np.zeros(half + width)])
    nb = -(-len(padded) // width)
    padded = np.concatenate([padded, np.zeros(nb * width - len(padded))]).reshape(nb, width)
    fwd = np.minimum.accumulate(padded, axis=1).reshape(-1)
    bwd = np.minimum.accumulate(padded[:, ::-1], axis=1)[:, ::-1].reshape(-1)
    # window [i, i + width): min(bwd[i], fwd[i + width - 1])
    return np.minimum(bwd[:n], fwd[width - 1: width - 1 + n])


def _gain_curve_db(need_db: np.ndarray, lookahead: int, release_db_per_sample: float) -> np.ndarray:
    """Gain (dB, <= 0) never above ``need_db`` at any sample: look-ahead minimum, steady release, smoothing."""
    width = 2 * lookahead + 1
    g = _sliding_min(need_db, width)
    # release: g[n] = min over k <= n of g[k] + rate * (n - k)
    ramp = release_db_per_sample * np.arange(len(g))
    g = np.minimum.accumulate(g - ramp) + ramp
    np.minimum(g, 0.0, out=g)
    # boxcar over `width` samples: every averaged value comes from minima whose windows cover this sample
    c = np.concatenate([[0.0], np.cumsum(np.concatenate([np.zeros(lookahead), g, np.zeros(lookahead)]))])
    return (c[width:] - c[:-width]) / width


def limit_true_peak(audio: np.ndarray, sample_rate: int, ceiling_dbtp: float = DEFAULT_CEILING_DBTP,
                    lookahead_seconds: float = 0.0015, release_db_per_second: float = 40.0,
                    margin_db: float = CEILING_MARGIN_DB) -> tuple[np.ndarray, LimiterReport]:
    """``audio`` with its true peak at or under ``ceiling_dbtp`` (minus ``margin_db``); never clipped.

    Returns (audio as float32 in the input's shape, report).  Audio away from overs is untouched.
    """
    x = np.asarray(audio, np.float32)
    shape = x.shape
    x2 = _as_2d(x)
    n = len(x2)
    report = LimiterReport(total_seconds=n / sample_rate)
    if n == 0:
        return x, report
    ceiling = 10.0 ** ((ceiling_dbtp - margin_db) / 20.0)
    la = max(1, int(round(lookahead_seconds * sample_rate)))
    rate = release_db_per_second / sample_rate
    gain_db = np.zeros(n)  # the gain applied so far (dB)
    out = x2
    aim = ceiling
    for _ in range(4):
        need = _needed_reduction_db(out, sample_rate, aim)
        if need is None or need[2].max() <= ceiling * (1.0 + 1e-6):
            break
        idx, db, _ = need
        report.passes += 1
        for lo, hi, where, depth in _stretches(idx, db, la, rate, n):
            seg = np.zeros(hi - lo)
            seg[where - lo] = depth
            gain_db[lo:hi] += _gain_curve_db(seg, la, rate)
        out = (x2 * (10.0 ** (gain_db / 20.0))[:, None]).astype(np.float32)
        aim = ceiling * 10.0 ** (-0.01 / 20.0)  # a peak the gain's movement shifted: aim a hair lower
    reduced = gain_db < -0.1
    report.max_reduction_db = float(-gain_db.min()) if n else 0.0
    report.limited_seconds = float(reduced.sum()) / sample_rate
    return out.reshape(shape), report


def _needed_reduction_db(x: np.ndarray, sample_rate: int, ceiling: float):
    """(sample indices, dB of reduction needed there, envelope there) for samples whose true-peak
    neighbourhood tops ``ceiling``; None when there are none.  Only blocks that could top it are
    interpolated."""
    factor = oversampling(sample_rate)
    block = 4096
    n = len(x)
    peaks = _block_peaks(x, block)
    near = peaks.copy()
    near[1:] = np.maximum(near[1:], peaks[:-1])
    near[:-1] = np.maximum(near[:-1], peaks[1:])
    cand = np.nonzero(near * _l1_gain(factor) > ceiling)[0]
    if len(cand) == 0:
        return None
    if factor == 1:
        xp, half = x, 1
    else:
        half = interpolator(factor).shape[1] // 2
        xp = np.pad(x, ((half - 1, half), (0, 0)))
    idx_parts, env_parts = [], []
    for i in range(0, len(cand), 32):
        batch = cand[i: i + 32]
        if factor == 1:
            rows = np.abs(x[np.minimum(batch[:, None] * block + np.arange(block), n - 1)]).max(axis=2)
        else:
            rows = _block_envelopes(xp, batch * block, block, factor)
        # the interval before a sample bounds it too: take the larger of both neighbours
        rows = np.maximum(rows, np.concatenate([np.zeros((len(batch), 1)), rows[:, :-1]], axis=1))
        where = batch[:, None] * block + np.arange(block)[None, :]
        hit = (rows > ceiling) & (where < n)
        if hit.any():
            idx_parts.append(where[hit])
            env_parts.append(rows[hit])
    if not idx_parts:
        return None
    idx, env = np.concatenate(idx_parts), np.concatenate(env_parts)
    return idx, 20.0 * np.log10(ceiling / env), env


def _stretches(idx: np.ndarray, db: np.ndarray, lookahead: int, rate: float, n: int):
    """Disjoint [lo, hi) ranges covering each over's look-ahead, release and smoothing, with the overs
    (sorted indices and dB) that fall in each."""
    order = np.argsort(idx, kind="stable")
    idx, db = idx[order], db[order]
    lo = np.maximum(0, idx - 2 * lookahead - 2)
    hi = np.minimum(n, idx + 3 * lookahead + 3 + np.ceil(-db / rate).astype(np.int64))
    reach = np.maximum.accumulate(hi)
    starts = np.concatenate([[0], np.nonzero(lo[1:] > reach[:-1])[0] + 1])
    ends = np.concatenate([starts[1:], [len(idx)]])
    return [(int(lo[a]), int(reach[b - 1]), idx[a:b], db[a:b]) for a, b in zip(starts, ends, strict=True)]


def _shifted(m: Loudness, gain_db: float) -> Loudness:
    return Loudness(m.integrated_lufs + gain_db, m.range_lu, m.true_peak_dbtp + gain_db,
                    m.sample_peak_dbfs + gain_db, m.seconds)


@dataclass
class Normalized:
    """The result of :func:`normalize`: the audio, the gain applied, the readings and the limiter's report."""

    audio: np.ndarray
    gain_db: float
    loudness: Loudness
    limiter: LimiterReport
    warnings: list[str] = field(default_factory=list)


def normalize(audio: np.ndarray, sample_rate: int, target_lufs: float | None,
              ceiling_dbtp: float = DEFAULT_CEILING_DBTP, before: Loudness | None = None) -> Normalized:
    """Gain to ``target_lufs`` (None: no gain) and the true-peak limiter at ``ceiling_dbtp``.

    The limiter lowers loudness when it works, so the gain is corrected from a fresh measurement
    (a few passes) until the integrated loudness is within 0.05 LU of the target.
    """
    x = np.asarray(audio, np.float32)
    m0 = m = before or measure(x, sample_rate)
    warnings: list[str] = []
    gain = 0.0
    if target_lufs is not None:
        if not math.isfinite(m.integrated_lufs):
            warnings.append("the mix is silent (or shorter than 0.4 s): no loudness to normalise")
        else:
            gain = target_lufs - m.integrated_lufs
    best = None
    for _ in range(5):
        scaled = x * np.float32(10.0 ** (gain / 20.0)) if gain else x
        out, rep = limit_true_peak(scaled, sample_rate, ceiling_dbtp)
        if rep.passes == 0:  # the limiter did nothing: the gain shifts every reading but the range
            m = _shifted(m0, gain)
        else:
            m = measure(out, sample_rate)
        miss = (target_lufs - m.integrated_lufs) if target_lufs is not None and math.isfinite(m.integrated_lufs) else 0.0
        if best is not None and abs(miss) >= abs(best[0]):
            break  # limiting harder no longer brings it closer (the gate moves with it): keep the closest
        best = (miss, out, rep, m, gain)
        if abs(miss) <= 0.05 or rep.passes == 0:
            break
        gain += miss
    _, out, rep, m, gain = best
    w = rep.warning()
    if w:
        warnings.append(w)
    if target_lufs is not None and math.isfinite(m.integrated_lufs) and abs(target_lufs - m.integrated_lufs) > 0.3:
        warnings.append(f"the mix reaches {m.integrated_lufs:.1f} LUFS, not the {target_lufs:g} LUFS asked for "
                        f"(its peaks cannot go higher under {ceiling_dbtp:g} dBTP)")
    return Normalized(out, gain, m, rep, warnings)
