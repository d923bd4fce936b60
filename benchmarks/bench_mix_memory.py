"""Peak memory of exporting a long project to WAV: the streaming mixer against the old whole-timeline mix.

A synthetic programme: MINUTES of media (a 16-bit stereo WAV of noise and tones at 48 kHz) and about
one cached dub line every 7 s (~1,000 lines for 2 hours, 2-4 s each at the engine's 24 kHz, on two
tracks with pans, so ducking and resampling run), exported as a 24-bit stereo WAV at 48 kHz.  Each run
is a fresh subprocess (``resource.getrusage(RUSAGE_SELF).ru_maxrss``: peak resident memory); the figure
is the median of the runs.  ``--old PATH`` also runs a checkout whose ``project.export.export_mix``
still mixes the whole timeline in memory (main before the streaming mixer), in the same run.

    python benchmarks/bench_mix_memory.py                     # 2 hours, 3 runs
    python benchmarks/bench_mix_memory.py --minutes 20 --runs 1 --old /work/main

Measured 2026-12-04 (2 shared cores, heavily loaded; 24-bit stereo 48 kHz, no loudness target):
  120 min, 1,028 lines, 1 run each: streaming 866 MB peak RSS (651 s); whole timeline 13,549 MB (713 s)
  10 min, 85 lines, median of 3:    streaming 348 MB (19.5 s);          whole timeline 1,184 MB (18.9 s)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
from pathlib import Path
import numpy as np
sys.path.insert(0, sys.argv[1])
folder, minutes, streaming = Path(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "new"
from project import model as pj
from project.render_core import Clip
from project.export import ExportOptions, export_mix

sr_clip = 24000
p = pj.Project(sample_rate=48000)
p.media = pj.MediaRef(path=str(folder / "media.wav"), abs_path=str(folder / "media.wav"), has_video=False,
                      duration=minutes * 60)
a, b = pj.Track(name="A", pan=-0.3), pj.Track(name="B", pan=0.4, gain_db=-2.0)
p.tracks = [a, b]
rng = np.random.default_rng(3)
clips = {}
t, i = 1.0, 0
while t < minutes * 60 - 5:
    dur = 2.0 + 2.0 * rng.random()
    r = pj.Region(start=t, end=t + dur, text=f"line {i}")
    (a if i % 2 else b).regions.append(r)
    n = int(dur * sr_clip)
    audio = (0.2 * np.sin(2 * np.pi * (180 + i % 50) * np.arange(n) / sr_clip)).astype(np.float32)
    clips[r.id] = Clip(f"{i:032x}", audio, sr_clip, dur, 1.0, [], [])
    t += 7.0
    i += 1
opts = ExportOptions(bit_depth=24, channels=2)
t0 = time.perf_counter()
if streaming:
    from project.headless import open_source
    source = open_source(p, folder / "p.dubline", None, 2, 48000)
    export_mix(p, clips, folder / "out.wav", source, None, opts)
    source.close()
else:
    from project.headless import load_source_audio
    src, ssr = load_source_audio(p, folder / "p.dubline", None, 2, 48000)
    export_mix(p, clips, folder / "out.wav", src, ssr, opts)
secs = time.perf_counter() - t0
print(json.dumps({"lines": i, "seconds": secs, "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def make_media(path: Path, minutes: float) -> None:
    import numpy as np
    import soundfile as sf

    sr = 48000
    rng = np.random.default_rng(0)
    with sf.SoundFile(path, "w", samplerate=sr, channels=2, subtype="PCM_16") as f:
        for s in range(0, int(minutes * 60 * sr), 60 * sr):
            n = min(60 * sr, int(minutes * 60 * sr) - s)
            x = 0.05 * rng.standard_normal((n, 2)) + 0.1 * np.sin(2 * np.pi * 330 * np.arange(s, s + n) / sr)[:, None]
            f.write(x.astype(np.float32))


def run(checkout: Path, folder: Path, minutes: float, mode: str) -> dict:
    env = dict(os.environ, PYTHONPATH=str(checkout))
    proc = subprocess.run([sys.executable, "-c", CHILD, str(checkout), str(folder), str(minutes), mode],
                          capture_output=True, text=True, cwd=str(checkout), env=env)
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1], "rc": proc.returncode}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=120.0)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--old", type=Path, default=None, help="a checkout with the whole-timeline export mix")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="dubline-bench-mix-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        make_media(folder / "media.wav", args.minutes)
        print(f"media: {args.minutes:g} min stereo 48 kHz ({(folder / 'media.wav').stat().st_size / 2**20:.0f} MiB) "
              f"in {time.perf_counter() - t0:.0f} s")
        paths = [("streaming (this checkout)", ROOT, "new")]
        if args.old is not None:
            paths.append((f"whole timeline ({args.old})", args.old.resolve(), "old"))
        for name, checkout, mode in paths:
            results = [run(checkout, folder, args.minutes, mode) for _ in range(args.runs)]
            ok = [r for r in results if "error" not in r]
            if not ok:
                print(f"{name}: failed ({results[0]})")
                continue
            peaks = ", ".join(f"{r['peak_rss_mb']:.0f}" for r in ok)
            print(f"{name}: {ok[0]['lines']} lines, peak RSS median {statistics.median(r['peak_rss_mb'] for r in ok):.0f} MB "
                  f"(runs {peaks}), time median {statistics.median(r['seconds'] for r in ok):.1f} s")


if __name__ == "__main__":
    main()
