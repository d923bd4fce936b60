"""Line list responsiveness with 2,000 regions on 4 tracks, in the real main window.

Prints medians (and p95) of:

* selection to playhead: Down pressed in the list until the region is
  selected, the playhead moved and the events that follow are processed
  (inspector, timeline, line list) (goal: median <= 16 ms);
* filter: typing a filter word / choosing a track until the list shows the
  result (goal: median <= 50 ms);
* a full recheck of the issues column (overlaps, reading speed).

    python benchmarks/bench_line_list.py [--regions 2000]

Runs offscreen unless a display is set; the speech engine is a stub (no
rendering): this measures the editor, not the voice.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

TEXTS = ["雨停了，我们出发吧！", "Wait for me, I'm almost ready.", "重新检查一下银行的地址。",
         "The bank closes at 5 pm.", "嗯？你听到音乐了吗？", "cat and dog"]


class StubEngine:
    sample_rate = 24000
    name = "stub"
    device = "cpu"

    def voices(self):
        return ["jf_alpha"]

    def model_version(self):
        return "stub"

    def natural_seconds(self, text, voice, glossary=()):
        return 0.15 * max(1, len(text))

    def length_bounds(self, text, voice, glossary=(), emotion=None):
        n = self.natural_seconds(text, voice)
        return n, 0.3 * n

    def generate(self, req):  # never asked: auto-render is off
        raise RuntimeError("stub")


def project(n: int):
    from project.model import Project, Region, Track

    p = Project(fps=25.0)
    p.tracks = [Track(name=f"Actor {k + 1}") for k in range(4)]
    for i in range(n):
        t = p.tracks[i % 4]
        start = 1.5 * i
        t.regions.append(Region(start=start, end=start + 1.2, text=TEXTS[i % len(TEXTS)]))
    return p


def stats(xs: list[float]) -> str:
    xs = sorted(xs)
    return f"median {statistics.median(xs):.2f} ms, p95 {xs[int(0.95 * (len(xs) - 1))]:.2f} ms, max {xs[-1]:.2f} ms"


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--regions", type=int, default=2000)
    ap.add_argument("--presses", type=int, default=200)
    args = ap.parse_args()

    from PySide6.QtCore import QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([])
    import tempfile

    from editor.mainwindow import MainWindow

    tmp = tempfile.mkdtemp(prefix="dubline-bench-")
    settings = QSettings(os.path.join(tmp, "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(engine_factory=lambda progress: StubEngine(), use_audio=False, settings=settings)
    w.renderer.auto_render = False
    w.resize(1366, 768)
    w.show()
    t0 = time.perf_counter()
    w.doc.replace(project(args.regions), None)
    app.processEvents()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs (a busy machine inflates every figure)")
    print(f"{args.regions} regions loaded into the window in {1000 * (time.perf_counter() - t0):.0f} ms")
    ll = w.line_list
    table = ll.table
    table.setFocus()
    table.setCurrentIndex(ll.proxy.index(0, 1))
    for _ in range(5):
        app.processEvents()

    times, handlers = [], []
    for _ in range(args.presses):
        before = w.doc.current_region_id
        t0 = time.perf_counter()
        QTest.keyClick(table, Qt.Key.Key_Down)
        t1 = time.perf_counter()
        app.processEvents()
        times.append(1000 * (time.perf_counter() - t0))
        handlers.append(1000 * (t1 - t0))
        r = w.doc.current_region()
        assert w.doc.current_region_id != before and abs(w.playback.position - r.start) < 1e-6
    print(f"selection to playhead (Down in the list, {args.presses} presses): {stats(times)}  (goal: median <= 16 ms)")
    print(f"  of which the key press and its signal handlers: {stats(handlers)}; the rest is repainting")

    words = ["cat", "银行", "ready", "", "雨", "bank", "", "zzz", "的", ""]
    ft = []
    for word in words * 3:
        t0 = time.perf_counter()
        ll.search.setText(word)
        app.processEvents()
        ft.append(1000 * (time.perf_counter() - t0))
    tt = []
    for k in list(range(1, 5)) * 3 + [0]:
        t0 = time.perf_counter()
        ll.track_filter.setCurrentIndex(k)
        app.processEvents()
        tt.append(1000 * (time.perf_counter() - t0))
    print(f"filter by text ({len(ft)} changes): {stats(ft)}  (goal: median <= 50 ms)")
    print(f"filter by track ({len(tt)} changes): {stats(tt)}")
    rc = []
    for _ in range(10):
        t0 = time.perf_counter()
        ll.model.recheck()
        rc.append(1000 * (time.perf_counter() - t0))
    print(f"recheck of every line's issues: {stats(rc)}")
    w.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
