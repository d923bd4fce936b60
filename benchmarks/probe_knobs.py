"""Render a Mandarin line set with engine knobs changed, for ``bench_intelligibility.py score``.

A development tool: a probe is tried on DEV lines before any code changes.

    .venv/bin/python benchmarks/probe_knobs.py /tmp/probe --set dev2 --voices jm_kumo --ratios 1.0 0.75 \\
        --module engine.embedded.tones:SMOOTH_FRAMES=3 --engine tone_weight=1.0
    .venv/bin/python benchmarks/bench_intelligibility.py score --out /tmp/probe
    .venv/bin/python benchmarks/bench_intelligibility.py summary /tmp/probe

``--module MOD:NAME=VALUE`` sets a module attribute before the engine loads (tone shapes, ranges, weights);
``--engine NAME=VALUE`` sets an attribute of the embedded backend (``tone_weight``, ``timbre_pull``,
``tempo_compress``).  Values are Python literals (numbers, dicts, tuples).  Clips and manifest are
``bench_intelligibility.py``'s own (``save_clip``, ``write_manifest``; variant ``--variant``), so ``score`` and
``summary`` work on the folder.
"""

from __future__ import annotations

import argparse
import ast
import importlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (str(ROOT), str(ROOT / "benchmarks")):
    if p not in sys.path:
        sys.path.insert(0, p)


def _assignment(text: str) -> tuple[str, object]:
    name, _, value = text.partition("=")
    if not name or not value:
        raise SystemExit(f"expected NAME=VALUE, got {text!r}")
    return name.strip(), ast.literal_eval(value.strip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--set", default="dev2", help="a Mandarin set of lines_unseen.SETS without its zh_ prefix")
    ap.add_argument("--voices", nargs="+", required=True)
    ap.add_argument("--ratios", nargs="+", type=float, default=[1.0])
    ap.add_argument("--lines", type=int, default=80)
    ap.add_argument("--start", type=int, default=0)
    ap.add_argument("--module", nargs="*", default=[], metavar="MOD:NAME=VALUE")
    ap.add_argument("--engine", nargs="*", default=[], metavar="NAME=VALUE")
    ap.add_argument("--variant", default="probe")
    args = ap.parse_args()

    from bench_intelligibility import save_clip, write_manifest
    from lines_unseen import SETS

    for item in args.module:
        mod, _, rest = item.partition(":")
        name, value = _assignment(rest)
        setattr(importlib.import_module(mod), name, value)
    from engine import DurationSpec, SynthesisRequest
    from engine.api import get_engine

    eng = get_engine("embedded", "cpu")
    for item in args.engine:
        name, value = _assignment(item)
        if not hasattr(eng, name):
            raise SystemExit(f"the embedded backend has no attribute {name!r}")
        setattr(eng, name, value)
    lines = SETS[f"zh_{args.set}"][args.start : args.start + args.lines]
    args.out.mkdir(parents=True, exist_ok=True)
    items = []
    t0 = time.perf_counter()
    for voice in args.voices:
        for ratio in args.ratios:
            for i, text in enumerate(lines, args.start):
                res = eng.generate(SynthesisRequest(text, voice=voice, duration=DurationSpec.of_ratio(ratio)))
                items.append(save_clip(args.out, args.variant, "zh", voice, ratio, i, text, res.audio,
                                       res.sample_rate))
        print(f"{voice}: {len(items)} clips, {time.perf_counter() - t0:.0f} s", flush=True)
    write_manifest(args.out, items)


if __name__ == "__main__":
    main()
