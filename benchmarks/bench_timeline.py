"""Timeline repaint time: 2,000 regions over a 2 h source waveform, zooming and scrolling.

Prints the median / p95 / max time of a full synchronous repaint of the
timeline's viewport after each zoom or scroll step (goal: median <= 16 ms),
and memory: the process's peak RSS and the waveform pyramid's size.

    python benchmarks/bench_timeline.py [--sample-rate 16000] [--width 1600]

Runs offscreen (QT_QPA_PLATFORM=offscreen) unless a display is set.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

HOURS = 2.0
N_REGIONS = 2000
TEXTS = ["雨停了，我们出发吧！", "Wait for me, I'm almost ready.", "重新检查一下银行的地址。",
         "The bank closes at 5 pm.", "嗯？你听到音乐了吗？", ""]


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def synth_source(seconds: float, sr: int) -> np.ndarray:
    """Speech-like noise bursts: enough structure that the envelope is not flat."""
    rng = np.random.default_rng(1)
    n = int(seconds * sr)
    out = np.empty(n, np.float32)
    chunk = sr * 60
    t = np.arange(chunk, dtype=np.float32) / sr
    for i in range(0, n, chunk):
        m = min(chunk, n - i)
        env = 0.5 + 0.5 * np.sin(2 * np.pi * 0.4 * (t[:m] + i / sr))
        out[i:i + m] = (rng.standard_normal(m).astype(np.float32) * 0.25) * env
    return out


def build_project(seconds: float):
    from project.model import Marker, Project, Region

    p = Project(fps=25.0)
    rng = np.random.default_rng(2)
    slot = seconds / N_REGIONS
    for i in range(N_REGIONS):
        start = i * slot + rng.uniform(0, slot * 0.2)
        dur = slot * rng.uniform(0.4, 0.75)
        p.tracks[0].regions.append(Region(start=round(start, 3), end=round(start + dur, 3), text=TEXTS[i % len(TEXTS)]))
    for k in range(40):
        p.markers.append(Marker(time=k * seconds / 40, name=f"scene {k + 1}"))
    return p


class TimedPyramid:
    """Forwards to the pyramid and adds up the time spent in envelope()."""

    def __init__(self, pyramid):
        self.pyramid = pyramid
        self.seconds = 0.0

    def envelope(self, t0, t1, n):
        t = time.perf_counter()
        try:
            return self.pyramid.envelope(t0, t1, n)
        finally:
            self.seconds += time.perf_counter() - t


class FakeStatus:
    """Statuses and clips as a render controller would give them (most regions rendered)."""

    def __init__(self, project):
        from engine.types import UnitTiming
        from project.render_core import Clip

        statuses = ["ready", "ready", "ready", "stale", "queued", "failed", "rendering"]
        self._status = {}
        self._clips = {}
        rng = np.random.default_rng(3)
        for i, (_, r) in enumerate(project.all_regions()):
            st = "empty" if not r.text else statuses[i % len(statuses)]
            self._status[r.id] = st
            if st in ("ready", "stale"):
                n = int(round(r.duration * 24000))
                audio = (rng.standard_normal(n) * 0.2).astype(np.float32)
                chars = [c for c in r.text if not c.isspace()]
                step = r.duration / max(1, len(chars))
                units = [UnitTiming(c, "zh", j, j + 1, j * step, (j + 1) * step, c) for j, c in enumerate(chars)]
                self._clips[r.id] = Clip(f"k{i}", audio, 24000, r.duration, 1.0, units, [])

    def status(self, rid):
        return self._status.get(rid, "empty")

    def error(self, rid):
        return "too short" if self._status.get(rid) == "failed" else ""

    def clip(self, rid):
        return self._clips.get(rid)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sample-rate", type=int, default=16000, help="source audio rate (default 16000)")
    ap.add_argument("--width", type=int, default=1600)
    ap.add_argument("--height", type=int, default=420)
    ap.add_argument("--steps", type=int, default=150, help="zoom steps and scroll steps each")
    args = ap.parse_args()

    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    from editor.document import Document
    from editor.timeline import TimelineWidget
    from project.waveform import WaveformPyramid

    seconds = HOURS * 3600
    rss0 = rss_mb()
    t = time.perf_counter()
    audio = synth_source(seconds, args.sample_rate)
    t_audio = time.perf_counter() - t
    t = time.perf_counter()
    pyramid = WaveformPyramid(audio, args.sample_rate)
    t_pyr = time.perf_counter() - t
    rss_audio = rss_mb()

    project = build_project(seconds)
    doc = Document(project)
    tl = TimelineWidget(doc)
    fake = FakeStatus(project)
    tl.status_of, tl.error_of, tl.clip_of = fake.status, fake.error, fake.clip
    timed = TimedPyramid(pyramid)
    tl.set_source(timed, seconds, "2 h source", "")
    tl.resize(args.width, args.height)
    tl.show()
    app.processEvents()
    vp = tl.view.viewport()

    envelope_ms: list[float] = []

    def paint_ms() -> float:
        timed.seconds = 0.0
        t0 = time.perf_counter()
        vp.repaint()
        envelope_ms.append(timed.seconds * 1000.0)
        return (time.perf_counter() - t0) * 1000.0

    for _ in range(5):  # warm caches (fonts, clip envelopes)
        tl.zoom_fit()
        paint_ms()

    # zoom from the whole 2 h down to ~4 s around a point in the middle, and back out
    zoom_ms = []
    centre = seconds * 0.37
    spans = np.geomspace(seconds * 1.02, 4.0, args.steps)
    for span in list(spans) + list(spans[::-1]):
        tl.vb.setXRange(centre - span * 0.4, centre + span * 0.6, padding=0)
        zoom_ms.append(paint_ms())

    # scroll at three zoom levels: 30 s, 5 min, 1 h visible
    scroll_ms = {}
    for span in (30.0, 300.0, 3600.0):
        times = []
        start = seconds * 0.1
        step = span * 0.05
        for i in range(args.steps):
            s = start + i * step
            tl.vb.setXRange(s, s + span, padding=0)
            times.append(paint_ms())
        scroll_ms[span] = times

    allp = zoom_ms + [x for v in scroll_ms.values() for x in v]

    def stats(v):
        v = sorted(v)
        return f"median {statistics.median(v):6.2f} ms   p95 {v[int(0.95 * (len(v) - 1))]:6.2f} ms   max {v[-1]:6.2f} ms"

    print(f"timeline: {N_REGIONS} regions over {HOURS:g} h, source at {args.sample_rate} Hz, "
          f"viewport {args.width}x{args.height}, {os.environ.get('QT_QPA_PLATFORM', 'native')} platform")
    print(f"  build: source synthesis {t_audio:.2f} s, waveform pyramid {t_pyr:.2f} s "
          f"({pyramid.nbytes / 1e6:.1f} MB of envelopes; raw audio {audio.nbytes / 1e6:.0f} MB)")
    print(f"  zoom   ({len(zoom_ms)} steps, 2 h <-> 4 s): {stats(zoom_ms)}")
    for span, v in scroll_ms.items():
        print(f"  scroll ({len(v)} steps, {span:>6g} s visible): {stats(v)}")
    print(f"  all repaints: {stats(allp)}   goal: median <= 16 ms -> "
          f"{'met' if statistics.median(allp) <= 16 else 'NOT met'}")
    env = envelope_ms[-len(allp):]
    rest = [a - e for a, e in zip(allp, env, strict=True)]
    print(f"    of which WaveformPyramid.envelope: {stats(env)}")
    print(f"    everything else (lanes, regions, text): {stats(rest)}")
    print(f"  memory: peak RSS {rss_mb():.0f} MB (before audio {rss0:.0f} MB, after audio + pyramid "
          f"{rss_audio:.0f} MB)")
    tl.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
