"""Batch rendering on Ray: a 3-project batch on 1 worker and on 2 workers in the same run, and the re-run of an
unchanged batch against its first run.

    python benchmarks/bench_batch.py [--runs 3] [--lines 6] [--single-node]

A Ray cluster of two nodes on this machine (two `ray start`, one CPU each, each in its own session: two
one-CPU machines) serves every run; ``--single-node`` uses one local Ray instance of 2 CPUs instead (what
``--ray local`` starts).  The difference matters on a shared Linux machine: the scheduler shares the CPUs
fairly between sessions (autogroup), so the workers of one node, like any one program, get one session's
slice however many they are.  Each run starts its own workers (one CPU, one engine thread each) on fresh
copies of the projects (no cache), so its wall time includes loading the engine.
Prints per run: wall seconds, the render phase (first job sent to last result), lines per minute of both;
then medians and the ratios (goals: 2 workers >= 1.6x the lines/min of 1; a re-run <= 5 % of the first
run's time).  Quote the machine's load (`uptime`) with the figures: on a shared machine they are noisy.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SENTENCES = [
    "雨停了，我们出发吧。", "Wait for me, I am coming.", "重新检查一下设备。", "Thank you for coming tonight.",
    "今天的天气很好。", "Where did you put the keys?", "我们明天早上见。", "That is not what I meant.",
    "这个问题很简单。", "Let us try again tomorrow.", "你听到那个声音了吗？", "I will call you later.",
    "快点，时间不多了。", "Nobody told me about this.", "请把门关上。", "We should have left earlier.",
    "他已经走了。", "Keep your voice down.", "我不知道该怎么办。", "See you on the other side.",
]


def make_batch(folder: Path, lines: int) -> list[Path]:
    from project import model as pj

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(3):
        p = pj.Project()
        for j in range(lines):
            text = SENTENCES[(i * lines + j) % len(SENTENCES)]
            p.tracks[0].regions.append(pj.Region(start=0.5 + 2.6 * j, end=2.5 + 2.6 * j, text=text))
        path = folder / f"ep{i + 1}.dubline"
        pj.save(p, path, backup=False)
        paths.append(path)
    return paths


def fresh(paths: list[Path], folder: Path) -> list[Path]:
    folder.mkdir(parents=True)
    return [Path(shutil.copy(p, folder / p.name)) for p in paths]


def run(paths, out, workers, address):
    from project.batch import run_batch
    from project.cluster import RayRunner

    s = run_batch(paths, out, ["wav"], lambda backend: RayRunner(backend, address, workers=workers))
    assert not s.failed, s.failed
    return s


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--lines", type=int, default=6, help="lines per project (3 projects)")
    ap.add_argument("--single-node", action="store_true", help="one local Ray instance with 2 CPUs")
    args = ap.parse_args()
    os.environ["DUBLINE_THREADS"] = "1"
    # Ray runs its workers at nice 15 (the raylet first); on a machine shared with other work that starves
    # them, and the figures would measure the neighbours
    os.environ.setdefault("RAY_worker_niceness", "0")
    import ray

    cluster = None
    if args.single_node:
        ray.init(num_cpus=2, include_dashboard=False, logging_level="ERROR", log_to_driver=False)
        address = "local"
    else:
        from tests.project.ray_cluster import LocalCluster

        cluster = LocalCluster()
        os.environ.update({k: cluster.env[k] for k in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN_PATH")})
        cluster.start()
        address = cluster.address
        ray.init(address=address, logging_level="ERROR", log_to_driver=False)
    tmp = Path(tempfile.mkdtemp(prefix="bench-batch-"))
    try:
        base = make_batch(tmp / "base", args.lines)
        print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} on "
              f"{os.cpu_count()} CPUs; 3 projects x {args.lines} lines, {args.runs} run(s) each; "
              + ("one local Ray instance, 2 CPUs" if args.single_node else "2 Ray nodes of 1 CPU"))
        found: dict[int, list] = {1: [], 2: []}
        reruns = []
        for r in range(args.runs):
            for w in (1, 2):  # interleaved, so a change in the machine's load hits both alike
                paths = fresh(base, tmp / f"r{r}w{w}")
                s = run(paths, tmp / f"out{r}w{w}", w, address)
                found[w].append(s)
                print(f"run {r + 1}, {w} worker(s): {s.rendered} lines, wall {s.wall_seconds:.1f} s "
                      f"({s.lines_per_minute:.1f} lines/min), render phase {s.render_seconds:.1f} s "
                      f"({60 * s.rendered / s.render_seconds:.1f} lines/min)", flush=True)
                if w == 2:
                    t0 = time.perf_counter()
                    again = run(paths, tmp / f"out{r}w{w}", w, address)
                    assert again.rendered == 0
                    reruns.append((time.perf_counter() - t0, s.wall_seconds))
                    print(f"  re-run unchanged: {reruns[-1][0]:.2f} s ({100 * reruns[-1][0] / s.wall_seconds:.1f} % "
                          "of the first run)", flush=True)

        def med(w, f):
            return statistics.median(f(s) for s in found[w])

        wall = {w: med(w, lambda s: s.lines_per_minute) for w in (1, 2)}
        phase = {w: med(w, lambda s: 60 * s.rendered / s.render_seconds) for w in (1, 2)}
        per_line = {w: med(w, lambda s: s.render_seconds / s.rendered) for w in (1, 2)}
        print(f"median lines/min, wall (engine loading included): 1 worker {wall[1]:.1f}, 2 workers {wall[2]:.1f}: "
              f"{wall[2] / wall[1]:.2f}x")
        print(f"median lines/min, render phase: 1 worker {phase[1]:.1f}, 2 workers {phase[2]:.1f}: "
              f"{phase[2] / phase[1]:.2f}x (goal >= 1.6x)")
        print(f"seconds per line (render phase, all workers): 1 worker {per_line[1]:.2f}, 2 workers {per_line[2]:.2f}; "
              f"lines/hour: {3600 / per_line[1]:.0f} and {3600 / per_line[2]:.0f}")
        cpu = {w: med(w, lambda s: s.worker_cpu_seconds / s.rendered) for w in (1, 2)}
        share = {w: med(w, lambda s: s.worker_cpu_seconds / s.worker_seconds) for w in (1, 2)}
        print(f"CPU seconds per line in the worker: 1 worker {cpu[1]:.2f}, 2 workers {cpu[2]:.2f} (the load-free "
              f"capacity of one core: {3600 / cpu[1]:.0f} lines/hour); each worker got {100 * share[1]:.0f} % / "
              f"{100 * share[2]:.0f} % of a core while rendering")
        rr = statistics.median(a / b for a, b in reruns)
        print(f"median re-run of an unchanged batch: {100 * rr:.1f} % of its first run (goal <= 5 %)")
        print(f"load at the end: {os.getloadavg()[0]:.2f}")
    finally:
        ray.shutdown()
        if cluster is not None:
            cluster.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
