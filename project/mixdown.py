"""Delivering a mix a block at a time: loudness normalisation, the true-peak limiter, writing (no Qt).

A 2-hour programme is never held: every pass reads :class:`project.mixer.MixPlan` a block at a time.

- No loudness target: one pass (mix, limiter at the ceiling, meter, write).
- A target: a measuring pass first (BS.1770 meter over the mix), then the gain; when the measured true
  peak plus that gain could reach the ceiling, the limiter lowers the loudness a little, so the gain is
  corrected from fresh measuring passes exactly as :func:`engine.loudness.normalize` does for an array;
  then the writing pass.  A speech mix usually needs two passes.

The readings in the report are those of what was written (metered in the writing pass).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np

from engine.loudness import CEILING_MARGIN_DB, LimiterReport, Loudness, LoudnessMeter, limit_true_peak_blocks
from project.mixer import MixPlan


class ExportCancelled(Exception):
    """An export (or a delivery pass) was cancelled; nothing was written."""


#: Seconds per block of a delivery pass.
BLOCK_SECONDS = 30.0


class Delivery:
    """The delivered audio of ``plan``: gain (to the target, or ``gain_db``), limiter, readings.

    ``blocks()`` yields the finished blocks (float32); after it has run to the end, ``loudness``,
    ``limiter`` and ``warnings`` describe them and :meth:`finished` gives the report fields."""

    def __init__(self, plan: MixPlan, target_lufs: float | None, ceiling_dbtp: float, gain_db: float | None = None,
                 cancelled: Callable[[], bool] | None = None):
        self.plan = plan
        self.target = target_lufs
        self.ceiling = ceiling_dbtp
        self.cancelled = cancelled
        self.block = max(1, int(BLOCK_SECONDS * plan.sample_rate))
        self.warnings: list[str] = []
        self.loudness: Loudness | None = None
        self.limiter = LimiterReport()
        self.gain_db = float(gain_db) if gain_db is not None else self._find_gain()

    # ---- passes
    def _check(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise ExportCancelled("export cancelled")

    def _read(self, gain_db: float):
        scale = np.float32(10.0 ** (gain_db / 20.0))

        def read(start: int, n: int) -> np.ndarray:
            x = self.plan.render(start, n)
            return x * scale if gain_db else x
        return read

    def _pass(self, gain_db: float, report: LimiterReport, meter: LoudnessMeter | None) -> Iterator[np.ndarray]:
        for _, blk in limit_true_peak_blocks(self._read(gain_db), self.plan.length, self.plan.sample_rate,
                                             self.ceiling, self.block, report):
            self._check()
            if meter is not None:
                meter.add(blk)
            yield blk

    def _measure(self, gain_db: float, limited: bool) -> tuple[Loudness, LimiterReport]:
        meter = LoudnessMeter(self.plan.sample_rate, self.plan.channels)
        rep = LimiterReport()
        if limited:
            for _ in self._pass(gain_db, rep, meter):
                pass
        else:
            read = self._read(gain_db)
            for s in range(0, self.plan.length, self.block):
                self._check()
                meter.add(read(s, min(self.block, self.plan.length - s)))
        return meter.result(), rep

    def _find_gain(self) -> float:
        if self.target is None:
            return 0.0
        m0, _ = self._measure(0.0, limited=False)
        if not math.isfinite(m0.integrated_lufs):
            self.warnings.append("the mix is silent (or shorter than 0.4 s): no loudness to normalise")
            return 0.0
        gain = self.target - m0.integrated_lufs
        best = None
        for _ in range(5):
            if m0.true_peak_dbtp + gain <= self.ceiling - CEILING_MARGIN_DB - 0.05:
                return gain  # the limiter will not act: every reading moves with the gain
            m, rep = self._measure(gain, limited=True)
            miss = self.target - m.integrated_lufs if math.isfinite(m.integrated_lufs) else 0.0
            if best is not None and abs(miss) >= abs(best[0]):
                break  # limiting harder no longer brings it closer: keep the closest
            best = (miss, gain)
            if abs(miss) <= 0.05 or rep.passes == 0:
                break
            gain += miss
        return best[1] if best is not None else gain

    def blocks(self) -> Iterator[np.ndarray]:
        meter = LoudnessMeter(self.plan.sample_rate, self.plan.channels)
        self.limiter = LimiterReport()
        yield from self._pass(self.gain_db, self.limiter, meter)
        self.loudness = meter.result()
        w = self.limiter.warning()
        if w:
            self.warnings.append(w)
        m = self.loudness
        if self.target is not None and math.isfinite(m.integrated_lufs) and abs(self.target - m.integrated_lufs) > 0.3:
            self.warnings.append(f"the mix reaches {m.integrated_lufs:.1f} LUFS, not the {self.target:g} LUFS asked "
                                 f"for (its peaks cannot go higher under {self.ceiling:g} dBTP)")

    def finished(self):
        """(None, loudness, gain dB, limiter report, warnings): what export._report reads."""
        return None, self.loudness, self.gain_db, self.limiter, list(self.warnings)


def write_delivery(delivery: Delivery, path, comment: str, subtype: str):
    """Stream ``delivery`` into an audio file (atomic); returns the path."""
    from engine.audio_io import AudioWriter

    with AudioWriter(path, delivery.plan.sample_rate, delivery.plan.channels, comment, subtype) as w:
        for blk in delivery.blocks():
            w.write(blk)
    return w.path
