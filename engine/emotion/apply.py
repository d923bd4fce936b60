"""Prosody applied inside the engine: durations before planning, F0 after tone shaping, loudness last."""

from __future__ import annotations

import numpy as np

from engine import duration as dur
from engine.emotion.profiles import Prosody

VOICED_HZ = 50.0


def scale_durations(pred: np.ndarray, classes: np.ndarray, p: Prosody) -> np.ndarray:
    """Natural token durations as this emotion would speak them (the plan then meets any target exactly)."""
    if p.is_neutral():
        return pred
    out = pred.astype(np.float64).copy()
    pauses = (classes == dur.PAUSE) | (classes == dur.SPACE)
    speech = ~pauses & (classes != dur.BOUNDARY_START) & (classes != dur.BOUNDARY_END)
    out[pauses] *= p.pause
    out[speech] /= p.rate
    return out.astype(pred.dtype)


def shape_f0(f0: np.ndarray, p: Prosody, final_frames: int = 24) -> np.ndarray:
    """Level, range and final contour of an F0 curve (Hz per half-frame); unvoiced stays as it is."""
    if p.f0_shift == 0 and p.f0_range == 1 and p.final == 0:
        return f0
    f = np.asarray(f0, np.float64).copy()
    voiced = f > VOICED_HZ
    if voiced.sum() < 4:
        return f0
    st = 12 * np.log2(f[voiced])
    centre = np.median(st)
    st = centre + (st - centre) * p.f0_range + p.f0_shift
    f[voiced] = 2 ** (st / 12)
    if p.final:
        idx = np.flatnonzero(voiced)
        tail = idx[idx >= idx[-1] - final_frames]
        ramp = np.linspace(0.0, 1.0, len(tail)) ** 1.5 * p.final
        f[tail] *= 2 ** (ramp / 12)
    return f.astype(np.asarray(f0).dtype)


def apply_gain(audio: np.ndarray, p: Prosody, ceiling: float = 0.97) -> np.ndarray:
    if p.gain_db == 0 or not len(audio):
        return audio
    out = audio * np.float32(10 ** (p.gain_db / 20))
    peak = float(np.max(np.abs(out)))
    if peak > ceiling:  # louder, not clipped: effort stops at full scale
        out *= np.float32(ceiling / peak)
    return out
