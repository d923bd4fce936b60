"""The master level meter: sample peak and short-term loudness of what is playing.

:class:`ShortTermMeter` (no Qt) takes the mix block by block: sample peak with
a 20 dB/s fall, and short-term loudness (BS.1770 K-weighting, the mean
square of the last 3 s, LUFS) from 100 ms energy steps.  :class:`MasterMeter`
is the small widget in the status bar that asks the mixer for the blocks
between two clock ticks (speed 1 only: shuttling shows no reading).
"""

from __future__ import annotations

import math
from collections import deque

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QWidget

FLOOR_DB = -60.0


class ShortTermMeter:
    """Peak (dBFS) and short-term loudness (LUFS, 3 s) of a stream fed in blocks: mono ``(n,)`` or
    ``(n, channels)`` (BS.1770: the channels' K-weighted mean squares add, weight 1 for L/R)."""

    def __init__(self, sample_rate: int, window_seconds: float = 3.0, fall_db_per_s: float = 20.0):
        from engine.loudness import BlockIIR, k_weighting_coefficients

        self.sample_rate = int(sample_rate)
        self._coeffs = k_weighting_coefficients(self.sample_rate)
        self._make_filter = BlockIIR
        self._filter = BlockIIR(*self._coeffs, channels=1)
        self._channels = 1
        self._step = max(1, self.sample_rate // 10)
        self._steps: deque[float] = deque(maxlen=int(round(window_seconds * 10)))
        self._acc, self._acc_n = 0.0, 0
        self._fall = fall_db_per_s
        self.peak_db = -math.inf

    def reset(self) -> None:
        self._steps.clear()
        self._acc, self._acc_n = 0.0, 0
        self.peak_db = -math.inf

    def add(self, block: np.ndarray) -> None:
        x = np.asarray(block, np.float64)
        x = x[:, None] if x.ndim == 1 else x.reshape(len(x), -1)
        if not len(x):
            return
        if x.shape[1] != self._channels:  # the mix went mono <-> stereo: a new filter state
            self._channels = x.shape[1]
            self._filter = self._make_filter(*self._coeffs, channels=self._channels)
        p = float(np.max(np.abs(x)))
        now = 20 * math.log10(p) if p > 0 else -math.inf
        fallen = self.peak_db - self._fall * len(x) / self.sample_rate
        self.peak_db = max(now, fallen)
        y = self._filter.process(x)
        sq = (y * y).sum(axis=1)
        i = 0
        while i < len(sq):
            take = min(self._step - self._acc_n, len(sq) - i)
            self._acc += float(sq[i:i + take].sum())
            self._acc_n += take
            i += take
            if self._acc_n == self._step:
                self._steps.append(self._acc / self._step)
                self._acc, self._acc_n = 0.0, 0

    @property
    def short_term_lufs(self) -> float:
        if not self._steps:
            return -math.inf
        ms = sum(self._steps) / len(self._steps)
        return -0.691 + 10 * math.log10(ms) if ms > 0 else -math.inf


class MasterMeter(QWidget):
    """Two horizontal bars (peak, short-term loudness) with their readings."""

    def __init__(self, playback, parent=None):
        super().__init__(parent)
        self.playback = playback
        self.meter = ShortTermMeter(playback.mixer.sample_rate)
        self._last: float | None = None
        self.setToolTip("Master level of what is playing: sample peak (dBFS) and short-term loudness "
                        "(LUFS, last 3 s)")
        self.timer = QTimer(self)
        self.timer.setInterval(50)
        self.timer.timeout.connect(self.tick)
        playback.playingChanged.connect(self._on_playing)
        self.setMinimumWidth(150)

    def sizeHint(self) -> QSize:
        return QSize(170, 18)

    def _on_playing(self, playing: bool) -> None:
        if playing:
            if self.meter.sample_rate != self.playback.mixer.sample_rate:
                self.meter = ShortTermMeter(self.playback.mixer.sample_rate)
            self.meter.reset()
            self._last = None
            self.timer.start()
        else:
            self.timer.stop()
            self.meter.reset()
            self.update()

    def tick(self) -> None:
        pb = self.playback
        pos = pb.position
        if self._last is None or pb.speed != 1.0 or pos < self._last or pos - self._last > 1.0:
            self._last = pos
            return
        sr = pb.mixer.sample_rate
        a, b = int(round(self._last * sr)), int(round(pos * sr))
        if b > a:
            self.meter.add(pb.mixer.render(a, b - a))
        self._last = pos
        self.update()

    def readings(self) -> tuple[float, float]:
        return self.meter.peak_db, self.meter.short_term_lufs

    def paintEvent(self, _ev) -> None:
        p = QPainter(self)
        w, h = self.width(), self.height()
        peak, lufs = self.readings()
        bar_w = max(10, w - 96)
        for row, (value, label, colour) in enumerate(((peak, "dBFS", QColor("#2ecc71")),
                                                      (lufs, "LUFS", QColor("#3498db")))):
            y = row * h / 2 + 1
            bh = h / 2 - 2
            p.fillRect(QRectF(0, y, bar_w, bh), QColor("#20242a"))
            if math.isfinite(value):
                f = min(1.0, max(0.0, (value - FLOOR_DB) / -FLOOR_DB))
                c = QColor("#e74c3c") if value > -1.0 else QColor("#e8a33d") if value > -9.0 and row == 0 else colour
                p.fillRect(QRectF(0, y, bar_w * f, bh), c)
            p.setPen(self.palette().windowText().color())
            text = f"{value:5.1f} {label}" if math.isfinite(value) else f"  -∞ {label}"
            f = p.font()
            f.setPointSizeF(7.0)
            p.setFont(f)
            p.drawText(QRectF(bar_w + 4, y - 1, 92, bh + 2), Qt.AlignmentFlag.AlignVCenter, text)
        p.end()
