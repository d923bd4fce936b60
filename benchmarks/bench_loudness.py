"""Exports on a loudness target: the demo and a 20-minute generated project, checked by ffmpeg.

    python benchmarks/bench_loudness.py [--minutes 20] [--targets ebu,atsc,web] [--runs 1]

For each project and target, ``export_project`` writes a 24-bit stereo WAV
normalised to the target; ffmpeg's ``ebur128`` filter (an independent meter)
then reads it.  Goals: integrated loudness within 0.3 LU of the target and true
peak at or under the ceiling.  Prints, per project, the medians over targets
and runs: |I - target| by ffmpeg, ffmpeg's true peak minus the ceiling, our
reading minus ffmpeg's, the export time and the time our meter takes alone.

The 20-minute project is four tracks of lines from a few distinct texts
(rendered once, then served from the render cache, so the run stays short on
two cores) over a generated stereo "source" bed (pink-ish noise and tones with
a slow level ride, 12 dB under the dub when ducked).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import loudness as ld  # noqa: E402
from project import model as pj  # noqa: E402
from project.export import ExportOptions, export_project  # noqa: E402
from tests.engine.ffmpeg_meter import ffmpeg_ebur128  # noqa: E402

LINES = [
    ("雨停了，我们出发[fā]吧！", "jf_alpha", 2.4),
    ("Wait for me, I'm almost ready.", "jm_kumo", 2.2),
    ("重新检查一下银行的地址。", "jf_nezumi", 2.6),
    ("The bank closes at five.", "jf_alpha", 1.8),
    ("嗯？你听到音乐了吗？", "jf_tebukuro", 2.0),
    ("I'll be right there!", "jm_kumo", 1.4),
]


def source_bed(seconds: float, sr: int, seed: int = 7) -> np.ndarray:
    """A stereo bed: noise tilted towards the lows, two drifting tones, a slow level ride (-30..-15 dBFS)."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    out = np.empty((n, 2), np.float32)
    step = sr * 30
    phase = 0.0
    for i in range(0, n, step):
        m = min(step, n - i)
        t = (i + np.arange(m)) / sr
        white = rng.normal(0, 1, (m, 2))
        spec = np.fft.rfft(white, axis=0)
        f = np.fft.rfftfreq(m, 1 / sr)
        spec /= np.sqrt(np.maximum(f, 20.0))[:, None] / np.sqrt(20.0)
        noise = np.fft.irfft(spec, m, axis=0)
        noise /= noise.std() + 1e-12
        tones = 0.5 * np.sin(2 * np.pi * 220 * t + phase)[:, None] + 0.3 * np.sin(2 * np.pi * 330.5 * t)[:, None]
        level = 10 ** ((-22.5 + 7.5 * np.sin(2 * np.pi * t / 95.0)) / 20)[:, None]
        out[i: i + m] = (level * (0.3 * noise + tones * np.array([0.8, 0.6]))).astype(np.float32)
        phase += 2 * np.pi * 220 * m / sr
    return out


def long_project(folder: Path, minutes: float) -> Path:
    import soundfile as sf

    sr = 48000
    seconds = minutes * 60.0
    sf.write(folder / "bed.wav", source_bed(seconds, sr), sr, subtype="PCM_24")
    p = pj.Project(fps=25.0, media=pj.MediaRef(abs_path=str(folder / "bed.wav"), has_video=False, duration=seconds))
    p.tracks = [pj.Track(name=f"Dub {k + 1}", pan=(-0.3, 0.3, 0.0, 0.0)[k], gain_db=(0.0, -2.0, 1.5, -4.0)[k])
                for k in range(4)]
    t, i = 0.5, 0
    while t + 3.0 < seconds:
        text, voice, dur = LINES[i % len(LINES)]
        p.tracks[i % 4].regions.append(pj.Region(start=t, end=t + dur, text=text, voice=voice))
        t += dur + 0.6 + (i % 5) * 0.35
        i += 1
    path = folder / "long.dubline"
    pj.save(p, path, backup=False)
    return path


def run(project: Path, target: str, out: Path) -> dict:
    options = ExportOptions.make(target)
    t0 = time.perf_counter()
    report = export_project(project, "wav", out, options=options)
    export_s = time.perf_counter() - t0
    ff = ffmpeg_ebur128(out)
    import soundfile as sf

    audio, sr = sf.read(out, dtype="float32")
    t0 = time.perf_counter()
    ours = ld.measure(audio, sr)
    meter_s = time.perf_counter() - t0
    return {"target": options.loudness_target, "ceiling": options.ceiling_dbtp, "ff": ff, "ours": ours,
            "export_s": export_s, "meter_s": meter_s, "seconds": len(audio) / sr, "report": report}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=20.0)
    ap.add_argument("--targets", default="ebu,atsc,web")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    targets = [t for t in args.targets.split(",") if t]
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        shutil.copy(ROOT / "resources/demo/demo.dubline", d / "demo.dubline")
        shutil.copy(ROOT / "resources/demo/demo.mp4", d / "demo.mp4")
        projects = {"demo": d / "demo.dubline", f"{args.minutes:g}-minute": long_project(d, args.minutes)}
        # render every distinct line once, so the timings below are exports, not speech synthesis
        for path in projects.values():
            export_project(path, "srt", d / "warm.srt")
        ok = True
        for name, path in projects.items():
            rows = []
            for _ in range(args.runs):
                for target in targets:
                    r = run(path, target, d / f"{name}_{target}.wav")
                    rows.append(r)
                    miss = r["ff"]["I"] - r["target"]
                    over = r["ff"]["TP"] - r["ceiling"]
                    good = abs(miss) <= 0.3 and over <= 0.0
                    ok &= good
                    rep = r["report"]
                    print(f"{name:>10} {target:>5}: ffmpeg I {r['ff']['I']:7.2f} LUFS (target {r['target']:g}, "
                          f"{miss:+.2f}), TP {r['ff']['TP']:6.2f} dBTP (ceiling {r['ceiling']:g}), "
                          f"ours I {r['ours'].integrated_lufs:7.2f} TP {r['ours'].true_peak_dbtp:6.2f}; "
                          f"gain {rep.gain_db:+.1f} dB, limiter {rep.limiter.max_reduction_db:.1f} dB; "
                          f"export {r['export_s']:.1f} s, meter {r['meter_s']:.1f} s "
                          f"({r['seconds'] / 60:.1f} min) {'ok' if good else 'MISSED'}")
            med = statistics.median
            print(f"{name:>10} medians: |I - target| {med(abs(r['ff']['I'] - r['target']) for r in rows):.2f} LU, "
                  f"TP - ceiling {med(r['ff']['TP'] - r['ceiling'] for r in rows):+.2f} dB, "
                  f"ours - ffmpeg: I {med(r['ours'].integrated_lufs - r['ff']['I'] for r in rows):+.3f} LU, "
                  f"TP {med(r['ours'].true_peak_dbtp - r['ff']['TP'] for r in rows):+.2f} dB; "
                  f"export {med(r['export_s'] for r in rows):.1f} s, meter {med(r['meter_s'] for r in rows):.1f} s")
        print("goals met" if ok else "GOALS MISSED")


if __name__ == "__main__":
    main()
