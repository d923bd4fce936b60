"""Does speech fill its region?  The audible span of rendered lines, measured
on the waveform, against the region they were asked to fill.

For every line of ``lines_unseen.FILL_LINES`` (40 development lines, 20 zh
and 20 en), every stock voice and duration ratios 0.75 / 1.0 / 1.3 (exact
mode: the region is ``ratio x`` the line's natural length, rounded to 10 ms
like a region drawn on the timeline), plus free mode:

* the audible span: first and last 10 ms frame whose RMS is within 45 dB of
  the line's peak sample (the brief's definition; the engine itself reads
  5 ms frames, so this is an independent check);
* lead = audible start - region start; trail = region end - audible end;
* last-word error = the reported end of the last word - its audible end
  (the audible end of the line);
* exact sample counts.

Prints medians, p95 and the share of lines inside the goals (exact: lead
<= 50 ms and trail <= 120 ms; free: trail <= 120 ms), per voice and ratio.

    .venv/bin/python benchmarks/bench_fill.py [--lines 40] [--voices all] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

RATIOS = [0.75, 1.0, 1.3]
HOP_SECONDS = 0.010
AUDIBLE_DB = -45.0


def audible_span(audio: np.ndarray, sr: int) -> tuple[float, float] | None:
    """First and last audible 10 ms frame (RMS within 45 dB of the peak sample), seconds."""
    hop = int(sr * HOP_SECONDS)
    n = len(audio) // hop
    peak = float(np.max(np.abs(audio))) if len(audio) else 0.0
    if n == 0 or peak <= 0:
        return None
    rms = np.sqrt(np.mean(audio[: n * hop].astype(np.float64).reshape(n, hop) ** 2, axis=1))
    idx = np.flatnonzero(20 * np.log10(rms + 1e-12) > 20 * np.log10(peak) + AUDIBLE_DB)
    if not len(idx):
        return None
    return idx[0] * HOP_SECONDS, (idx[-1] + 1) * HOP_SECONDS


def p95(xs: list[float]) -> float:
    return float(np.percentile(xs, 95)) if xs else float("nan")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=40, help="how many FILL_LINES (20 zh then 20 en; default all 40)")
    ap.add_argument("--voices", default="all", help="comma-separated stock voices (default: all)")
    ap.add_argument("--json", type=Path, help="write every measurement here")
    args = ap.parse_args()

    from lines_unseen import FILL_LINES

    from engine import DurationSpec, SynthesisRequest
    from engine.api import get_engine

    eng = get_engine("embedded", "cpu")
    voices = eng.stock_voices() if args.voices == "all" else args.voices.split(",")
    if args.lines >= len(FILL_LINES):
        lines = list(FILL_LINES)
    else:  # keep both languages in a short run
        half = max(1, args.lines // 2)
        lines = [x for x in FILL_LINES if x[0] == "zh"][:half] + [x for x in FILL_LINES if x[0] == "en"][:half]
    eng.generate(SynthesisRequest(text="预热。", voice=voices[0]))

    rows = []
    busy = audio_s = 0.0
    for voice in voices:
        for lang, text in lines:
            natural = eng.natural_seconds(text, voice)
            modes = [("free", None)] + [(f"{r:.2f}", round(natural * r, 2)) for r in RATIOS]
            for mode, seconds in modes:
                spec = DurationSpec.free() if seconds is None else DurationSpec.exact(seconds)
                t0 = time.perf_counter()
                res = eng.generate(SynthesisRequest(text=text, voice=voice, duration=spec))
                busy += time.perf_counter() - t0
                audio = np.asarray(res.audio, dtype=np.float32)
                audio_s += len(audio) / res.sample_rate
                span = audible_span(audio, res.sample_rate)
                length = len(audio) / res.sample_rate
                words = [u for u in res.units if u.kind in ("zh", "en")]
                row = {"voice": voice, "lang": lang, "text": text, "mode": mode, "seconds": length,
                       "exact_samples": seconds is None or len(audio) == int(round(seconds * res.sample_rate))}
                if span is not None:
                    row.update(lead=span[0], trail=length - span[1],
                               last_word_error=words[-1].end_seconds - span[1] if words else float("nan"))
                rows.append(row)
            print(f"  {voice} {lang} {text[:24]!r} trail " +
                  " ".join(f"{r['mode']}={r.get('trail', float('nan')) * 1000:.0f}ms" for r in rows[-4:]),
                  flush=True)

    def summary(sel: list[dict], label: str) -> None:
        if not sel:
            return
        lead = [r["lead"] * 1000 for r in sel if "lead" in r]
        trail = [r["trail"] * 1000 for r in sel if "trail" in r]
        err = [abs(r["last_word_error"]) * 1000 for r in sel if "last_word_error" in r]
        exact = sel[0]["mode"] != "free"
        ok = [r for r in sel if "trail" in r and r["trail"] <= 0.120 and (not exact or r["lead"] <= 0.050)]
        print(f"{label:<28} n={len(sel):>4}  lead med {statistics.median(lead):5.0f} p95 {p95(lead):5.0f} ms  "
              f"trail med {statistics.median(trail):5.0f} p95 {p95(trail):5.0f} ms  "
              f"last-word |err| med {statistics.median(err):4.0f} p95 {p95(err):4.0f} ms  "
              f"in goal {100 * len(ok) / len(sel):5.1f} %  exact samples "
              f"{sum(r['exact_samples'] for r in sel)}/{len(sel)}")

    print()
    for mode in ["free"] + [f"{r:.2f}" for r in RATIOS]:
        summary([r for r in rows if r["mode"] == mode], f"mode {mode}")
    summary([r for r in rows if r["mode"] != "free"], "exact, all ratios")
    print()
    for voice in voices:
        summary([r for r in rows if r["voice"] == voice and r["mode"] != "free"], f"exact {voice}")
    for lang in ("zh", "en"):
        summary([r for r in rows if r["lang"] == lang and r["mode"] != "free"], f"exact {lang}")
    print(f"\nreal-time factor over all renders: {busy / max(audio_s, 1e-9):.3f}")
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
