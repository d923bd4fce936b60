"""IndexTTS2 on a GPU through Dubline: speed, memory and exactness (figures printed, not asserted).

    python benchmarks/indextts2_gpu.py --checkpoints DIR --hf-cache DIR [--runs 3] [--no-fp16]
    python benchmarks/indextts2_gpu.py --tiny       # plumbing check on the tiny random model (CPU)

Run it with the editor's Python (``.venv/bin/python``); the model runs in the
IndexTTS2 environment's worker like in the editor (``scripts/setup-env.sh
--indextts2`` makes it).  Reports, medians over ``--runs`` runs of the fixed
10 zh + 10 en lines (benchmarks/lines.py):

* RTF (synthesis seconds / audio seconds) at natural length, and with an exact
  target of 1.0x / 0.8x / 1.25x the natural length (the duration control's
  cost, as a ratio to natural in the same run).  IndexTTS2's README gives RTF
  0.33 on an RTX 4090 at fp16 for the released code.
* Exactness: the share of exact requests (the three ratios, plus 3.0 / 5.0 /
  7.25 s) whose sample count equals round(seconds x 22050).
* Word anchors: two anchors per line; the share landing on their exact sample.
* Load time, GPU memory (peak allocated and reserved while rendering).

With ``--tiny`` the weights are random and tiny: the RTF means nothing, the
exactness and anchor figures are real.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from lines import EN_LINES, ZH_LINES  # noqa: E402

from engine import DurationSpec, SynthesisRequest  # noqa: E402
from engine.errors import EngineError  # noqa: E402
from engine.indextts2 import IndexTTS2Backend  # noqa: E402
from engine.indextts2.setup import IndexTTS2Settings, find_python  # noqa: E402

SR = 22050


def tiny_model() -> IndexTTS2Settings:
    out = Path(tempfile.gettempdir()) / "dubline-indextts2-tiny"
    if not (out / "fixture.json").is_file():
        subprocess.run([find_python(), str(ROOT / "tests" / "indextts2_fixture.py"), str(out)], check=True,
                       stdout=subprocess.DEVNULL)
    return IndexTTS2Settings(checkpoints=str(out / "checkpoints"), hf_cache=str(out / "hf_cache"), fp16=False)


def timed(eng, req) -> tuple[float, object]:
    t0 = time.perf_counter()
    res = eng.generate(req)
    return time.perf_counter() - t0, res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkpoints", default=os.environ.get("DUBLINE_INDEXTTS2_CHECKPOINTS", ""))
    ap.add_argument("--hf-cache", default=os.environ.get("DUBLINE_INDEXTTS2_HF_CACHE", ""))
    ap.add_argument("--fp16", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--device", default="auto", choices=("auto", "cuda", "cpu"))
    ap.add_argument("--voice", default="jf_alpha", help="speaker: a stock or library voice, or a recording")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--lines", type=int, default=20, help="how many of the 20 fixed lines")
    ap.add_argument("--tiny", action="store_true", help="the tiny random-weight model (plumbing check)")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()

    if args.tiny:
        settings = tiny_model()
    else:
        settings = IndexTTS2Settings(checkpoints=args.checkpoints, hf_cache=args.hf_cache, fp16=args.fp16)
    t0 = time.perf_counter()
    try:
        eng = IndexTTS2Backend(settings, device=args.device)
    except EngineError as e:
        print(f"cannot start IndexTTS2: {e}", file=sys.stderr)
        return 2
    load_s = time.perf_counter() - t0
    info = eng.info
    print(f"IndexTTS2 {info.get('indextts')} on {info.get('device')} {info.get('gpu') or ''} "
          f"fp16={info.get('fp16')} torch {info.get('torch')} transformers {info.get('transformers')}")
    print(f"load: {load_s:.1f} s (model {info.get('load_seconds')} s)")
    lines = (ZH_LINES + EN_LINES)[: args.lines]
    eng.generate(SynthesisRequest(lines[0], voice=args.voice))  # warm: speaker prompt, kernels
    eng.memory()

    rtf = {"natural": [], "1.0x": [], "0.8x": [], "1.25x": []}
    exact_ok = exact_n = 0
    anchors_ok = anchors_n = 0
    for run in range(args.runs):
        for i, text in enumerate(lines):
            secs, res = timed(eng, SynthesisRequest(text, voice=args.voice, seed=run))
            rtf["natural"].append(secs / res.seconds)
            nat = res.seconds
            for label, r in (("1.0x", 1.0), ("0.8x", 0.8), ("1.25x", 1.25)):
                target = round(nat * r, 3)
                secs, res2 = timed(eng, SynthesisRequest(text, voice=args.voice, seed=run,
                                                         duration=DurationSpec.exact(target)))
                rtf[label].append(secs / res2.seconds)
                exact_n += 1
                exact_ok += res2.num_samples == round(target * SR)
            if run == 0:
                for target in (3.0, 5.0, 7.25):
                    res3 = eng.generate(SynthesisRequest(text, voice=args.voice, duration=DurationSpec.exact(target)))
                    exact_n += 1
                    exact_ok += res3.num_samples == round(target * SR)
                # two anchors: a third and two thirds into the text, at a third and 60 % of the time
                n = len(text)
                pins = ((n // 3, round(nat / 3, 3)), (2 * n // 3, round(nat * 0.6, 3)))
                res4 = eng.generate(SynthesisRequest(text, voice=args.voice,
                                                     duration=DurationSpec.exact(round(nat, 3), pins)))
                got = dict(res4.anchors_achieved)
                for c, s in pins:
                    anchors_n += 1
                    anchors_ok += c in got and round(got[c] * SR) == round(s * SR)
            print(f"  run {run + 1} line {i + 1}/{len(lines)}: natural {nat:.2f} s, RTF {rtf['natural'][-1]:.3f}",
                  flush=True)
    mem = eng.memory()
    eng.close()

    med = {k: statistics.median(v) for k, v in rtf.items()}
    print()
    print(f"RTF natural (median of {len(rtf['natural'])}): {med['natural']:.3f}   "
          f"(IndexTTS2 README, RTX 4090 fp16: 0.33)")
    for k in ("1.0x", "0.8x", "1.25x"):
        print(f"RTF exact {k:>5}: {med[k]:.3f}   ({med[k] / med['natural']:.2f}x natural)")
    print(f"exact lengths: {exact_ok}/{exact_n} to the sample")
    print(f"word anchors:  {anchors_ok}/{anchors_n} on their sample")
    if mem.get("cuda"):
        print(f"GPU memory: peak allocated {mem['peak_mb']:.0f} MB, reserved {mem['reserved_mb']:.0f} MB")
    else:
        print("GPU memory: (not on a GPU)")
    if args.tiny:
        print("note: tiny random weights; the RTF figures say nothing about the real model")
    if args.json:
        Path(args.json).write_text(json.dumps({"info": info, "load_seconds": load_s, "rtf_median": med,
                                               "exact": [exact_ok, exact_n], "anchors": [anchors_ok, anchors_n],
                                               "memory": mem}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
