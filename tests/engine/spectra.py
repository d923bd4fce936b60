"""Spectral measures shared by the engine tests."""
from __future__ import annotations

import numpy as np


def log_mel(a, n_fft=1024, hop=256, n_mels=80, sr=24000):
    """Log-mel power spectrogram (dB), frames x mel bands."""
    a = np.asarray(a, np.float64).ravel()
    idx = np.arange(n_fft)[None] + hop * np.arange(1 + (len(a) - n_fft) // hop)[:, None]
    spec = np.abs(np.fft.rfft(a[idx] * np.hanning(n_fft), axis=1)) ** 2
    f = np.linspace(0, sr / 2, n_fft // 2 + 1)
    m = np.linspace(0, 2595 * np.log10(1 + sr / 2 / 700), n_mels + 2)
    pts = 700 * (10 ** (m / 2595) - 1)
    lo, mid, hi = pts[:-2, None], pts[1:-1, None], pts[2:, None]
    fb = np.maximum(0, np.minimum((f[None] - lo) / (mid - lo), (hi - f[None]) / (hi - mid)))
    return 10 * np.log10(spec @ fb.T + 1e-10)
