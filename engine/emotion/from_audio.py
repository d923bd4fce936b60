"""Emotion from a reference clip: its prosody, measured and carried onto the line.

Only prosody crosses over (F0 level and range, final contour, speaking rate,
pauses, loudness dynamics); nothing of the clip's timbre does, by construction.

The clip's speaker is unknown, so levels are measured against that speaker's
own floor: F0 level is the median's distance above the 10th percentile, range
the 10th-90th percentile span, both in semitones.  The mapping is centred on
neutral read speech as this analysis measures it (``NEUTRAL``); the measured
deviations become a :class:`Prosody`.  Without a neutral recording of the
clip's speaker a global shift of F0 cannot be told from a higher-pitched
speaker, so level carries less than range, contour, rate and pauses do.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from engine.emotion.profiles import Prosody
from engine.errors import RequestError

SR = 16000
HOP = 160  # 10 ms
WIN = 640  # 40 ms
# Neutral read speech, measured with this analysis on the engine's neutral renders (3 voices x 3 zh/en lines).
NEUTRAL = {"level_st": 3.8, "range_st": 7.2, "rate": 4.5, "pause": 0.06, "dyn_db": 8.0}


@dataclass(frozen=True)
class ClipProsody:
    level_st: float
    range_st: float
    final_st: float
    rate: float  # syllable nuclei per second of speech
    pause: float  # share of silence between the first and last speech frame
    dyn_db: float
    voiced_seconds: float

    def to_prosody(self) -> Prosody:
        c = np.clip
        return Prosody(
            rate=float(c(self.rate / NEUTRAL["rate"], 0.7, 1.35)),
            pause=float(c((self.pause + 0.05) / (NEUTRAL["pause"] + 0.05), 0.6, 1.8)),
            f0_shift=float(c(self.level_st - NEUTRAL["level_st"], -4.0, 5.0)),
            f0_range=float(c(self.range_st / NEUTRAL["range_st"], 0.5, 1.8)),
            final=float(c(self.final_st, -4.0, 4.0)),
            gain_db=float(c((self.dyn_db - NEUTRAL["dyn_db"]) * 0.8, -4.0, 4.0)),
        )


def load_clip(path: str | Path) -> np.ndarray:
    import soundfile as sf
    import soxr

    p = Path(path)
    if not p.is_file():
        raise RequestError(f"emotion clip not found: {p}")
    try:
        audio, sr = sf.read(str(p), dtype="float32", always_2d=True)
    except Exception:
        try:  # a video or a format libsndfile does not read
            from engine.audio_decode import load_audio

            audio, sr = load_audio(p, SR), SR
        except Exception:
            audio = None
        if audio is None:
            raise RequestError(f"cannot read the emotion clip {p.name}: not an audio file") from None
        audio = np.asarray(audio, np.float32)[:, None]
    mono = audio.mean(axis=1)
    if sr != SR:
        mono = soxr.resample(mono, sr, SR)
    return np.asarray(mono, np.float32)


def _f0_track(x: np.ndarray) -> np.ndarray:
    """F0 per 10 ms frame (0 = unvoiced), normalised autocorrelation, 70-500 Hz."""
    n = 1 + max(0, (len(x) - WIN) // HOP)
    if n <= 1:
        return np.zeros(0)
    frames = np.lib.stride_tricks.sliding_window_view(x, WIN)[::HOP][:n].astype(np.float64)
    frames = frames - frames.mean(axis=1, keepdims=True)
    spec = np.fft.rfft(frames * np.hanning(WIN), 2 * WIN, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :WIN]
    ac /= np.maximum(ac[:, :1], 1e-12)
    lo, hi = SR // 500, SR // 70
    lag = lo + np.argmax(ac[:, lo:hi], axis=1)
    peak = ac[np.arange(len(ac)), lag]
    f0 = np.where(peak > 0.45, SR / lag, 0.0)
    # octave errors: a voiced frame more than 7 semitones off the running median is dropped
    v = f0 > 0
    if v.sum() >= 5:
        st = np.where(v, 12 * np.log2(np.maximum(f0, 1.0)), np.nan)
        pad = np.pad(st, 3, constant_values=np.nan)
        win = np.lib.stride_tricks.sliding_window_view(pad, 7)
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                med = np.nanmedian(win, axis=1)
        f0 = np.where(v & (np.abs(st - med) <= 7), f0, 0.0)
    return f0


def analyse(x: np.ndarray, name: str = "the emotion clip") -> ClipProsody:
    if len(x) < SR // 2:
        raise RequestError(f"{name} is too short: use 1-20 s of speech")
    rms = np.sqrt(np.mean(x.astype(np.float64) ** 2))
    if rms < 1e-4:
        raise RequestError(f"{name} is silent")
    n = 1 + (len(x) - WIN) // HOP
    frames = np.lib.stride_tricks.sliding_window_view(x, WIN)[::HOP][:n]
    db = 10 * np.log10(np.mean(frames.astype(np.float64) ** 2, axis=1) + 1e-12)
    speech = db > db.max() - 35
    idx = np.flatnonzero(speech)
    span = speech[idx[0]: idx[-1] + 1] if len(idx) else speech[:0]
    f0 = _f0_track(x)[: len(db)]
    voiced = f0[(f0 > 0) & speech[: len(f0)]]
    if len(voiced) < 30:
        raise RequestError(f"{name} has too little voiced speech to read an emotion from (need about 1 s)")
    p10, p50, p90 = np.percentile(voiced, [10, 50, 90])
    level = 12 * np.log2(p50 / p10)
    rng = 12 * np.log2(p90 / p10)
    # final contour: slope over the last 300 ms of voiced frames
    vidx = np.flatnonzero(f0 > 0)
    tail = vidx[vidx >= vidx[-1] - 30]
    final = 0.0
    if len(tail) >= 8:
        st = 12 * np.log2(f0[tail] / p50)
        final = float(np.polyfit(tail - tail[0], st, 1)[0] * (tail[-1] - tail[0]))
    # syllable nuclei: peaks of the smoothed energy envelope inside speech
    env = np.convolve(db, np.ones(5) / 5, mode="same")
    peaks = [i for i in range(8, len(env) - 8) if speech[i] and env[i] == env[i - 8:i + 9].max()
             and env[i] > env[max(0, i - 15):i + 16].min() + 2]
    speech_s = max(0.1, float(speech.sum()) * HOP / SR)
    pause = float(1.0 - span.mean()) if len(span) else 0.0
    return ClipProsody(level_st=float(level), range_st=float(rng), final_st=final, rate=len(peaks) / speech_s,
                       pause=pause, dyn_db=float(np.std(db[speech])), voiced_seconds=len(voiced) * HOP / SR)


@lru_cache(maxsize=64)
def _analyse_cached(digest: str, path: str) -> ClipProsody:
    return analyse(load_clip(path), Path(path).name)


def clip_prosody(path: str | Path) -> ClipProsody:
    """Measured prosody of a clip, cached by the clip's content hash."""
    p = Path(path)
    try:
        digest = hashlib.sha256(p.read_bytes()).hexdigest()
    except OSError as e:
        raise RequestError(f"cannot read the emotion clip {p.name}: {e.strerror or e}") from None
    return _analyse_cached(digest, str(p))
