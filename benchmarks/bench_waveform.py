#!/usr/bin/env python3
"""Waveform pyramid over a long source: build time, memory, envelope() time per zoom.

Synthetic 48 kHz mono audio (2 h by default: noise under a slow swell with
silent gaps) stands in for a feature film's soundtrack.  Prints:

* build time of :class:`project.waveform.WaveformPyramid` (median of a few runs),
* memory: the envelopes' size, and the peak extra memory the build allocates
  (tracemalloc sees numpy's allocations), next to the audio's own size,
* median and p95 ``envelope(t0, t1, 2000)`` time at zooms from the whole file
  down to 1 ms on screen (random positions), with the level it reads.

    python benchmarks/bench_waveform.py [--hours 2] [--columns 2000] [--calls 200]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from project.waveform import WaveformPyramid  # noqa: E402


def synth(seconds: float, sr: int, seed: int = 1) -> np.ndarray:
    n = int(seconds * sr)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(n, dtype=np.float32)
    chunk = 1 << 22
    for i in range(0, n, chunk):  # in place, chunk by chunk: keep the peak at one copy of the audio
        t = np.arange(i, min(n, i + chunk), dtype=np.float64) / sr
        env = 0.05 + 0.25 * (0.5 + 0.5 * np.sin(2 * np.pi * t / 37.0))
        env *= (t % 60.0) > 3.0  # three seconds of silence every minute
        x[i:i + chunk] *= env.astype(np.float32)
    return x


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(values, q))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=2.0)
    ap.add_argument("--sample-rate", type=int, default=48000)
    ap.add_argument("--columns", type=int, default=2000)
    ap.add_argument("--calls", type=int, default=200, help="envelope() calls per zoom")
    ap.add_argument("--builds", type=int, default=3)
    args = ap.parse_args(argv)
    sr = args.sample_rate
    seconds = args.hours * 3600

    t = time.perf_counter()
    audio = synth(seconds, sr)
    print(f"audio: {seconds / 3600:g} h at {sr} Hz mono float32 = {audio.nbytes / 2**20:,.0f} MiB "
          f"(synthesised in {time.perf_counter() - t:.1f} s)")

    builds = []
    for _ in range(args.builds):
        t = time.perf_counter()
        pyr = WaveformPyramid(audio, sr)
        builds.append(time.perf_counter() - t)
    tracemalloc.start()
    pyr = WaveformPyramid(audio, sr)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"build: median {statistics.median(builds) * 1000:,.0f} ms over {args.builds} runs "
          f"(min {min(builds) * 1000:,.0f} ms)")
    print(f"memory: envelopes {pyr.nbytes / 2**20:.1f} MiB; peak allocated while building "
          f"{peak / 2**20:.1f} MiB; the audio is referenced, not copied "
          f"({'shared' if np.shares_memory(pyr.audio, audio) else 'copied'})")
    print("levels: " + ", ".join(f"{b}x{len(m):,}" for b, m, _ in pyr.levels))
    print()

    zooms = sorted({min(z, seconds) for z in (seconds, 3600, 600, 60, 10, 1, 0.1, 0.01, 0.001)}, reverse=True)
    rng = np.random.default_rng(7)
    print(f"envelope(t0, t1, {args.columns}) over {args.calls} random positions per zoom")
    print(f"{'visible span':>14} {'samples/col':>12} {'reads':>10} {'median ms':>10} {'p95 ms':>8}")
    for span in zooms:
        per_col = span * sr / args.columns
        if per_col < 1:
            level = "interp"
        else:
            fitting = [b for b, _, _ in pyr.levels if b <= per_col]
            level = f"{fitting[-1]}-blk" if fitting else "raw"
        times = []
        for _ in range(args.calls):
            t0 = float(rng.uniform(0, seconds - span)) if span < seconds else 0.0
            t = time.perf_counter()
            mins, maxs = pyr.envelope(t0, t0 + span, args.columns)
            times.append(time.perf_counter() - t)
            assert len(mins) == args.columns
        label = f"{span:g} s" if span < 60 else f"{span / 60:g} min"
        print(f"{label:>14} {per_col:>12,.1f} {level:>10} {statistics.median(times) * 1000:>10.3f} "
              f"{pct(times, 95) * 1000:>8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
