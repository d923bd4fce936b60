"""Open and save times and memory for a project with 2,000 regions.

    python benchmarks/bench_project.py [--regions 2000] [--runs 15]

Prints medians (goal: open <= 300 ms, save <= 300 ms) and, as a baseline in
the same run, a bare ``json.dumps``/``json.loads`` of the same dict, so the
ratio shows what validation and atomic writing cost on top.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from project import model as pj  # noqa: E402


def build(n: int) -> pj.Project:
    p = pj.Project(fps=25.0)
    p.tracks = [pj.Track(name=f"Dub {k + 1}") for k in range(4)]
    lines = ["雨停了，我们出发[fā]吧！", "Wait for me, I'm almost ready.", "重新检查一下银行的地址。"]
    for i in range(n):
        t = p.tracks[i % 4]
        start = (i // 4) * 3.0
        t.regions.append(pj.Region(start=start, end=start + 2.4, text=lines[i % 3], voice=None,
                                   emotion={"vector": [0.8, 0, 0, 0, 0, 0, 0.2, 0], "intensity": 0.7} if i % 7 == 0 else {},
                                   anchors=[[2, 0.8]] if i % 11 == 0 else [], render_hash=f"{i:032x}"))
    p.markers = [pj.Marker(time=i * 1.5, name=f"k{i}", kind="keyframe") for i in range(300)]
    return p


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--regions", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=15)
    args = ap.parse_args()
    p = build(args.regions)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "big.dubline"
        pj.save(p, path)
        size = path.stat().st_size
        saves, loads, raw_dump, raw_load = [], [], [], []
        for _ in range(args.runs):
            t = time.perf_counter()
            pj.save(p, path)
            saves.append(time.perf_counter() - t)
            t = time.perf_counter()
            q = pj.load(path)
            loads.append(time.perf_counter() - t)
            d_ = pj.to_dict(p)
            t = time.perf_counter()
            s = json.dumps(d_, ensure_ascii=False, indent=2, sort_keys=True)
            raw_dump.append(time.perf_counter() - t)
            t = time.perf_counter()
            json.loads(s)
            raw_load.append(time.perf_counter() - t)
        assert pj.to_dict(q) == pj.to_dict(p)
        tracemalloc.start()
        q = pj.load(path)
        cur, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    ms = lambda xs: statistics.median(xs) * 1000  # noqa: E731
    print(f"project: {args.regions} regions on 4 tracks, 300 markers, file {size / 1e6:.2f} MB")
    print(f"save (validated dict + JSON + temp file + fsync + rename + .bak): median {ms(saves):.1f} ms "
          f"(bare json.dumps {ms(raw_dump):.1f} ms, x{statistics.median(saves) / statistics.median(raw_dump):.1f})")
    print(f"open (read + JSON + validation + model): median {ms(loads):.1f} ms "
          f"(bare json.loads {ms(raw_load):.1f} ms, x{statistics.median(loads) / statistics.median(raw_load):.1f})")
    print(f"memory of the loaded model: {cur / 1e6:.1f} MB (peak while loading {peak / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
