"""Keyframe dubbing figures: anchor error, intelligibility with anchors, cut detection speed and accuracy.

    python3 benchmarks/bench_keyframes.py                 # everything (app venv + bench venv)
    .venv/bin/python benchmarks/bench_keyframes.py synth  # anchors + detection (app venv)
    .venv-bench/bin/python benchmarks/bench_keyframes.py score   # intelligibility (bench venv)

* Anchor error: held-out lines (zh and en) with 1-3 word anchors each, placed on
  a 25 fps keyframe grid at 0.7-1.4x the word's natural position, each line an
  exact-duration request; the distance in samples between where each anchored
  unit starts and its keyframe (the engine's timings and anchors_achieved).
  Goal: 0 samples.
* Intelligibility with anchors: the same lines with and without the anchors,
  Whisper base (bench venv), CER zh / WER en; medians side by side.
* Detection: a generated 1080p H.264 video with known cuts and in-shot motion
  (a moving ball, a slow pan); wall time per minute of video (goal: faster
  than real time, i.e. < 60 s per minute) and precision / recall (+-1 frame).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "project"))

SR = 24000
FPS = 25
OUT = Path(tempfile.gettempdir()) / "dubline_bench_keyframes"


def anchored_requests(n_lines: int):
    """(lang, text, DurationSpec without anchors, DurationSpec with anchors) per line."""
    import random

    from lines import EN_HELDOUT, ZH_HELDOUT

    from engine import DurationSpec, SynthesisRequest
    from engine.api import get_engine

    eng = get_engine()
    rng = random.Random(7)
    out = []
    for lang, lines in (("zh", ZH_HELDOUT[:n_lines]), ("en", EN_HELDOUT[:n_lines])):
        for k, text in enumerate(lines):
            natural = eng.generate(SynthesisRequest(text))
            words = [u for u in natural.units if u.kind in ("zh", "en") and u.start_seconds > 0.2]
            if len(words) < 3:
                continue
            total = natural.seconds * rng.uniform(0.9, 1.2)
            total = round(total * FPS) / FPS
            n_anchor = 1 + k % 3
            picks = sorted(rng.sample(range(len(words)), min(n_anchor, len(words))))
            anchors = []
            last = 0.0
            for i in picks:
                u = words[i]
                want = u.start_seconds * total / natural.seconds * rng.uniform(0.92, 1.08)
                t = round(want * FPS) / FPS  # on the keyframe grid
                if t <= last + 0.2 or t >= total - 0.2:
                    continue
                anchors.append((u.src_start, t))
                last = t
            if anchors:
                out.append((lang, text, DurationSpec.exact(total), DurationSpec.exact(total, tuple(anchors))))
    return out


def bench_anchors(n_lines: int, out: Path):
    import soundfile as sf

    from engine import SynthesisRequest
    from engine.api import get_engine
    from engine.errors import DurationError

    eng = get_engine()
    errors, refused, items = [], [], []
    out.mkdir(parents=True, exist_ok=True)
    for i, (lang, text, plain, anch) in enumerate(anchored_requests(n_lines)):
        try:
            res = eng.generate(SynthesisRequest(text, duration=anch))
        except DurationError as e:
            refused.append(str(e))
            continue
        base = eng.generate(SynthesisRequest(text, duration=plain))
        starts = {u.src_start: u.start_seconds for u in res.units}
        for ci, t in anch.anchors:
            errors.append(abs(round(starts[ci] * SR) - round(t * SR)))
        assert res.num_samples == round(anch.seconds * SR)
        for variant, r in (("anchored", res), ("plain", base)):
            name = f"{variant}_{lang}_{i:02d}.wav"
            sf.write(str(out / name), r.audio, SR, subtype="PCM_16")
            items.append({"variant": variant, "lang": lang, "text": text, "wav": name})
    (out / "manifest.json").write_text(json.dumps({"items": items}, ensure_ascii=False, indent=1), encoding="utf-8")
    n = len(errors)
    print(f"anchor error over {n} anchors on {len(items) // 2} lines (25 fps keyframe grid): "
          f"max {max(errors) if errors else 0} samples, median {statistics.median(errors) if errors else 0}; "
          f"refused as impossible: {len(refused)}")


def bench_detection(seconds: float):
    import av
    import numpy as np
    from cutvideo import make_cut_video

    from project.keyframes import detect_keyframes

    n = int(seconds * FPS)
    rng = np.random.default_rng(11)
    cuts = sorted(int(x) for x in rng.choice(np.arange(20, n - 20), size=max(2, int(seconds / 4)), replace=False))
    cuts = [c for i, c in enumerate(cuts) if i == 0 or c - cuts[i - 1] > 12]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cuts1080.mp4"
        t = time.perf_counter()
        codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
        make_cut_video(path, cuts=tuple(cuts), n_frames=n, fps=FPS, size=(1920, 1080), codec=codec)
        print(f"generated {seconds:g} s of 1080p{FPS} ({codec}) with {len(cuts)} cuts in {time.perf_counter() - t:.0f} s")
        runs = []
        found = []
        for _ in range(3):
            t = time.perf_counter()
            found = detect_keyframes(path)
            runs.append(time.perf_counter() - t)
    med = statistics.median(runs)
    got = [c.frame for c in found]
    tp = sum(1 for c in cuts if any(abs(g - c) <= 1 for g in got))
    precision = sum(1 for g in got if any(abs(g - c) <= 1 for c in cuts)) / max(1, len(got))
    print(f"detection: median {med:.2f} s for {seconds:g} s = {med / seconds * 60:.1f} s per minute of 1080p "
          f"({seconds / med:.1f}x real time); precision {precision:.2f}, recall {tp / len(cuts):.2f} "
          f"({len(got)} found, {len(cuts)} true)")


def score(out: Path) -> None:
    import asr
    import numpy as np
    import soundfile as sf

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    asr.load_model(cpu_threads=2)
    errs: dict = {}
    for it in manifest["items"]:
        audio, sr = sf.read(str(out / it["wav"]), dtype="float32")
        pad = np.zeros(sr // 2, dtype=np.float32)
        hyp = asr.transcribe(np.concatenate([pad, audio, pad]), sr, it["lang"])
        errs.setdefault((it["variant"], it["lang"]), []).append(asr.error_rate(it["text"], hyp, it["lang"]))
    for lang in ("zh", "en"):
        a, p = errs.get(("anchored", lang), []), errs.get(("plain", lang), [])
        if a:
            print(f"intelligibility {lang} ({'CER' if lang == 'zh' else 'WER'}, {len(a)} lines): with anchors median "
                  f"{statistics.median(a):.3f} (mean {statistics.fmean(a):.3f}), without {statistics.median(p):.3f} "
                  f"(mean {statistics.fmean(p):.3f})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("phase", nargs="?", choices=("synth", "score"))
    ap.add_argument("--lines", type=int, default=10)
    ap.add_argument("--video-seconds", type=float, default=20.0)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    if args.phase == "synth":
        bench_anchors(args.lines, args.out)
        bench_detection(args.video_seconds)
    elif args.phase == "score":
        score(args.out)
    else:
        app, bench = ROOT / ".venv" / "bin" / "python", ROOT / ".venv-bench" / "bin" / "python"
        common = ["--lines", str(args.lines), "--video-seconds", str(args.video_seconds), "--out", str(args.out)]
        subprocess.run([str(app), __file__, "synth", *common], check=True)
        if bench.exists():
            subprocess.run([str(bench), __file__, "score", *common], check=True)
        else:
            print("(no .venv-bench: intelligibility skipped; see benchmarks/README.md)")


if __name__ == "__main__":
    main()
