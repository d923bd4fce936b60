#!/usr/bin/env python3
"""Random-frame seeks in a 1080p H.264 file: latency and exactness, against OpenCV's own seek.

Generates (in a temporary folder) a 1080p H.264 file whose frames carry their
number as a 16-bit barcode of big black/white squares, on a moving textured
background so the bitrate is realistic; GOP and B-frames are configurable.
Then, for the same random set of distinct frames:

* ``VideoReader`` (PyAV: keyframe seek + decode forward): latency per seek,
  exactness (the barcode read back from the returned picture);
* ``VideoReader(backend="opencv")``, the fallback;
* baseline: ``cv2.VideoCapture`` with ``set(CAP_PROP_POS_FRAMES, i)`` + ``read()``;

plus stepping forward (playback) and backward one frame at a time.  Prints a
table of median / p95 latency and the share of exact frames, for the MP4 and
for the same stream copied into MPEG-TS (no index, non-zero start time: where
OpenCV's frame seek goes wrong).

    python benchmarks/bench_seek.py [--seconds 60] [--gop 50] [--seeks 200] [--keep FILE]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # no decoder chatter from OpenCV's ffmpeg

import av  # noqa: E402
import cv2  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from project.media import VideoReader, ffmpeg_exe  # noqa: E402
from project.proxy import PROXY_GOP, PROXY_HEIGHT, build_proxy  # noqa: E402

W, H, FPS = 1920, 1080, 25
CELL = 64  # barcode squares: 8 x 2 of them, 16 bits, top-left
GRAIN = 8  # grain amplitude: with CRF 20 about 5-8 Mbit/s, like web or camera 1080p


def draw(n: int, texture: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    img = np.roll(texture, shift=(n * 3) % W, axis=1)  # a panning background
    # fresh film grain every frame, so the bitrate (and decoding work) is that of real footage
    g = cv2.resize(rng.integers(0, GRAIN, (H // 2, W // 2), dtype=np.uint8), (W, H), interpolation=cv2.INTER_NEAREST)
    img = cv2.add(img, cv2.merge([g, g, g]))
    y = 300 + int(200 * np.sin(n / 20))
    x = (n * 11) % (W - 200)
    img[y:y + 160, x:x + 160] = (230, 80, 40)  # a moving square
    img[:2 * CELL + 32, :8 * CELL + 32] = 128
    for b in range(16):
        r, c = divmod(b, 8)
        img[16 + r * CELL:16 + (r + 1) * CELL, 16 + c * CELL:16 + (c + 1) * CELL] = 255 if (n >> b) & 1 else 0
    return img


def read_number(img: np.ndarray) -> int:
    n, q = 0, CELL // 4
    for b in range(16):
        r, c = divmod(b, 8)
        y, x = 16 + r * CELL, 16 + c * CELL
        if img[y + q:y + CELL - q, x + q:x + CELL - q].mean() > 128:
            n |= 1 << b
    return n


def make_video(path: Path, seconds: float, gop: int, bframes: int, preset: str, crf: int) -> int:
    rng = np.random.default_rng(5)
    small = rng.integers(0, 255, (H // 8, W // 8, 3), dtype=np.uint8)
    texture = cv2.resize(small, (W, H), interpolation=cv2.INTER_CUBIC)
    texture = cv2.GaussianBlur(texture, (0, 0), 2)
    n = int(seconds * FPS)
    c = av.open(str(path), "w")
    s = c.add_stream("libx264", rate=FPS)
    s.width, s.height, s.pix_fmt = W, H, "yuv420p"
    s.codec_context.gop_size = gop
    # Frame-threaded encoding: one slice per frame, like most camera and web files
    # (PyAV's default slice threading would make x264 cut each frame into slices,
    # which decoders can spread over cores and so flatters seek times).
    s.codec_context.thread_type = "FRAME"
    s.options = {"preset": preset, "crf": str(crf), "bf": str(bframes), "sc_threshold": "0"}
    t = time.perf_counter()
    for i in range(n):
        f = av.VideoFrame.from_ndarray(draw(i, texture, rng), format="rgb24")
        f.pts, f.time_base = i, Fraction(1, FPS)
        for p in s.encode(f):
            c.mux(p)
        if i % 250 == 0:
            print(f"\r  encoding {i}/{n} frames ({time.perf_counter() - t:.0f} s)", end="", flush=True)
    for p in s.encode():
        c.mux(p)
    c.close()
    print(f"\r  encoded {n} frames in {time.perf_counter() - t:.0f} s" + " " * 20)
    return n


class Tally:
    """Wall and CPU latencies of one method, and how many frames were exact."""

    def __init__(self, name: str):
        self.name, self.wall, self.cpu, self.exact, self.off = name, [], [], 0, {}

    def run(self, read, i: int) -> None:
        c, t = time.process_time(), time.perf_counter()
        img = read(i)
        self.wall.append(time.perf_counter() - t)
        self.cpu.append(time.process_time() - c)  # all threads of this process
        got = read_number(img) if img is not None else None
        if got == i:
            self.exact += 1
        else:
            d = 10**9 if got is None else got - i
            self.off[d] = self.off.get(d, 0) + 1

    def row(self, base: float | None) -> str:
        med = statistics.median(self.wall) * 1000
        p95 = float(np.percentile(self.wall, 95)) * 1000
        cpu = statistics.median(self.cpu) * 1000
        ratio = f"{med / base:.2f}x" if base else "-"
        return (f"{self.name:<42} {med:>9.1f} {p95:>8.1f} {cpu:>8.1f} "
                f"{100 * self.exact / len(self.wall):>7.1f}% {ratio:>7}")


def opencv_baseline(path: Path):
    cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)

    def read(i: int):
        cap.set(cv2.CAP_PROP_POS_FRAMES, i)
        ok, bgr = cap.read()
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB) if ok else None

    return read, cap.release


def bench_file(path: Path, args, rng_seed: int = 2024) -> None:
    size = path.stat().st_size
    t = time.perf_counter()
    reader = VideoReader(path)
    opened = time.perf_counter() - t
    n = reader.frame_count
    print(f"\n== {path.suffix[1:].upper()}: {n} frames, {size / 2**20:.1f} MiB "
          f"({size * 8 / (n / FPS) / 1e6:.1f} Mbit/s); VideoReader opens in {opened * 1000:.0f} ms")
    rng = random.Random(rng_seed)
    frames = rng.sample(range(n), min(args.seeks, n))

    # The preview proxy (project/proxy.py), built the way the editor builds it.
    t = time.perf_counter()
    proxy_path = build_proxy(path, dst=Path(tempfile.mkdtemp(prefix="dubline-proxy-")) / "proxy.mkv")
    build_s = time.perf_counter() - t
    psize = proxy_path.stat().st_size
    print(f"proxy ({PROXY_HEIGHT}p MPEG-4, GOP {PROXY_GOP}): built in {build_s:.1f} s = "
          f"{n / FPS / build_s:.1f}x real time, {psize * 8 / (n / FPS) / 1e6:.1f} Mbit/s")
    proxy = VideoReader(proxy_path)

    def proxy_read(i: int):  # scaled back up so the barcode reader finds its squares
        return cv2.resize(proxy.read_frame(i), (W, H), interpolation=cv2.INTER_NEAREST)

    def proxy_read_raw(i: int):
        return proxy.read_frame(i)

    # The methods take turns on each frame, so a machine whose load changes
    # during the run slows them alike and the ratios stay fair.
    cvr = VideoReader(path, backend="opencv")
    cv_read, cv_release = opencv_baseline(path)
    ours, prox, fallback, base = (Tally("VideoReader (PyAV, keyframe seek + decode)"),
                                  Tally(f"preview proxy ({PROXY_HEIGHT}p, what the editor shows)"),
                                  Tally("VideoReader (OpenCV fallback, verified)"),
                                  Tally("baseline: OpenCV CAP_PROP_POS_FRAMES"))
    prox_raw = []
    for i in frames:
        ours.run(reader.read_frame, i)
        prox.run(proxy_read, i)
        t = time.perf_counter()
        proxy_read_raw(rng.randrange(n))
        prox_raw.append(time.perf_counter() - t)
        fallback.run(cvr.read_frame, i)
        base.run(cv_read, i)
    cvr.close()
    cv_release()
    proxy.close()
    proxy_path.unlink()

    fwd, back = Tally("  step forward 1 frame (playback)"), Tally("  step backward 1 frame")
    start = rng.randrange(1, n - args.steps - 1)
    reader.read_frame(start - 1)
    for i in range(start, start + args.steps):
        fwd.run(reader.read_frame, i)
    back_start = rng.randrange(args.steps + 1, n)
    reader.read_frame(back_start)
    for i in range(back_start - 1, back_start - 1 - args.steps, -1):
        back.run(reader.read_frame, i)
    reader.close()

    b = statistics.median(base.wall) * 1000
    print(f"{len(frames)} random distinct frames, methods interleaved; steps: {args.steps} frames; RGB array out")
    print(f"{'method':<42} {'median ms':>9} {'p95 ms':>8} {'CPU ms':>8} {'exact':>8} {'vs cv2':>7}")
    for tally in (ours, fwd, back, prox, fallback, base):
        print(tally.row(b))
    print(f"  proxy seek without the test's upscaling: median {statistics.median(prox_raw) * 1000:.1f} ms")
    for tally in (ours, prox, fallback, base):
        if tally.off:
            shown = ", ".join(f"{k:+d}: {v}" if k != 10**9 else f"unreadable: {v}" for k, v in sorted(tally.off.items()))
            print(f"  {tally.name}: frames off by (got - wanted) {shown}")
    print("  (CPU ms: median CPU time of the process, all decoder threads, per call)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--gop", type=int, default=50)
    ap.add_argument("--bframes", type=int, default=3)
    ap.add_argument("--preset", default="veryfast")
    ap.add_argument("--crf", type=int, default=20)
    ap.add_argument("--seeks", type=int, default=200)
    ap.add_argument("--steps", type=int, default=100, help="frames stepped forward / backward")
    ap.add_argument("--containers", default="mp4,ts", help="the same stream remuxed (copied) into these")
    ap.add_argument("--video", type=Path, help="use this file (made by an earlier --keep) instead of encoding")
    ap.add_argument("--keep", type=Path, help="also save the generated file here")
    args = ap.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="dubline-bench-seek-") as tmp:
        path = args.video
        if path is None:
            path = Path(tmp) / "seek_1080p.mp4"
            print(f"generating {args.seconds:g} s of 1080p{FPS} H.264 (GOP {args.gop}, {args.bframes} B-frames, "
                  f"{args.preset}, CRF {args.crf}) ...")
            make_video(path, args.seconds, args.gop, args.bframes, args.preset, args.crf)
            if args.keep:
                args.keep.write_bytes(path.read_bytes())
        print(f"CPU cores: {os.cpu_count()}, load average {os.getloadavg()[0]:.1f} (timings scale with free cores)")
        for ext in [e.strip().lstrip(".") for e in args.containers.split(",") if e.strip()]:
            target = path if path.suffix == f".{ext}" else Path(tmp) / f"seek_1080p.{ext}"
            if target != path:
                subprocess.run([ffmpeg_exe(), "-v", "error", "-y", "-i", str(path), "-map", "0:v", "-c", "copy",
                                str(target)], check=True)
            bench_file(target, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
