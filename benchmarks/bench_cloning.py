"""Voice cloning figures: speaker similarity, enrollment time, cached lookup, intelligibility.

    python3 benchmarks/bench_cloning.py [--iterations 8]

References: no permissively licensed human speech ships in the packages we
may use here, so the "speakers" are synthetic: blends of stock voices with a
random style offset (outside the blend space the enrollment searches first)
and a pitch shift.  Each speaker is recorded reading three lines (~12 s);
enrollment runs on that; similarity is the GE2E cosine between the cloned
voice reading two held-out sentences and a *different* recording of the
speaker (other sentences), median per speaker, next to the best stock voice
in the same run.  Intelligibility clips (cloned vs stock voice, same lines)
go to a folder the Whisper scorer of bench_intelligibility.py reads.
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

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

SR = 24000
OUT = Path(tempfile.gettempdir()) / "dubline_bench_cloning"
REF_LINES = ["我们下周再见面，到时候带上你的作业。", "这家餐厅的面条非常好吃，你一定要尝尝。",
             "Could you tell me the way to the museum?"]
OTHER_LINES = ["明天早上八点，我们在学校门口集合。", "I left my umbrella on the bus this morning."]
HELD_OUT = ["那本书我已经看完了，写得真好。", "The garden looks lovely after the rain."]


def speakers(stock: dict) -> dict:
    from engine import voices as vl

    rng = np.random.default_rng(42)
    means = np.stack([s.mean(axis=0) for s in stock.values()])
    spread = means - means.mean(axis=0)

    def offset(scale):
        return ((rng.normal(size=len(spread)) @ spread) * scale / np.sqrt(len(spread))).astype(np.float32)

    return {
        "A": vl.VoiceTemplate("A", {"jf_alpha": 0.7, "jf_tebukuro": 0.3}, offset(0.3), 1.5),
        "B": vl.VoiceTemplate("B", {"jm_kumo": 0.8, "jf_gongitsune": 0.2}, offset(0.3), -1.0),
        "C": vl.VoiceTemplate("C", {"jf_nezumi": 0.4, "jm_kumo": 0.6}, offset(0.5), 0.0),
        "D": vl.VoiceTemplate("D", {"jf_gongitsune": 1.0}, offset(0.5), 2.5),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("phase", nargs="?", choices=("synth",))
    ap.add_argument("--iterations", type=int, default=8)
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    if args.phase is None:
        subprocess.run([str(ROOT / ".venv" / "bin" / "python"), __file__, "synth", "--iterations",
                        str(args.iterations), "--out", str(args.out)], check=True)
        bench = ROOT / ".venv-bench" / "bin" / "python"
        if bench.exists():
            subprocess.run([str(bench), str(HERE / "bench_intelligibility.py"), "score", "--out", str(args.out)],
                           check=True)
        return

    import os

    import soundfile as sf

    os.environ["DUBLINE_DATA"] = tempfile.mkdtemp(prefix="dubline-bench-voices-")
    from engine import SynthesisRequest
    from engine import voices as vl
    from engine.api import get_engine
    from engine.speaker import embed, similarity

    eng = get_engine()
    stock = {v: eng.style_table(v) for v in eng.stock_voices()}
    args.out.mkdir(parents=True, exist_ok=True)
    items = []
    rows = []
    for key, spk in speakers(stock).items():
        ref = np.concatenate([eng.generate(SynthesisRequest(x, voice=spk)).audio for x in REF_LINES])
        ref_path = args.out / f"ref_{key}.wav"
        sf.write(str(ref_path), ref, SR)
        t0 = time.perf_counter()
        tpl = vl.enroll(eng, f"spk{key}", ref_path, consent="synthetic benchmark speaker", iterations=args.iterations)
        enroll_s = time.perf_counter() - t0
        vl.save(tpl)
        t0 = time.perf_counter()
        eng._templates.clear()
        eng._tables.clear()
        eng.style_table(f"spk{key}")
        lookup_ms = (time.perf_counter() - t0) * 1000
        other = embed(np.concatenate([eng.generate(SynthesisRequest(x, voice=spk)).audio for x in OTHER_LINES]), SR)
        ours = [similarity(embed(eng.generate(SynthesisRequest(x, voice=f"spk{key}")).audio, SR), other)
                for x in HELD_OUT]
        best_stock, best_v = max((statistics.median(
            [similarity(embed(eng.generate(SynthesisRequest(x, voice=v)).audio, SR), other) for x in HELD_OUT]), v)
            for v in stock)
        rows.append((key, statistics.median(ours), best_stock, best_v, enroll_s, lookup_ms, tpl))
        for i, x in enumerate(HELD_OUT):
            lang = "en" if x.isascii() else "zh"
            for variant, voice in (("cloned", f"spk{key}"), ("stock", best_v)):
                res = eng.generate(SynthesisRequest(x, voice=voice))
                name = f"{variant}_{key}_{i}.wav"
                sf.write(str(args.out / name), res.audio, SR, subtype="PCM_16")
                items.append({"variant": variant, "lang": lang, "voice": key, "ratio": 1.0, "index": i, "text": x,
                              "wav": name})
    (args.out / "manifest.json").write_text(json.dumps({"items": items}, ensure_ascii=False, indent=1),
                                            encoding="utf-8")
    print(f"{'speaker':<8}{'cloned':>8}{'best stock':>12}  {'(voice)':<15}{'enroll s':>9}{'lookup ms':>10}  template")
    for key, ours, stock_s, v, es, lm, tpl in rows:
        blend = "+".join(f"{w:.2f} {n}" for n, w in tpl.weights.items())
        print(f"{key:<8}{ours:>8.3f}{stock_s:>12.3f}  {v:<15}{es:>9.1f}{lm:>10.1f}  {blend}, pitch {tpl.pitch_shift:+.1f} st")
    print(f"median over speakers: cloned {statistics.median(r[1] for r in rows):.3f}, "
          f"best stock {statistics.median(r[2] for r in rows):.3f}; enrollment median "
          f"{statistics.median(r[4] for r in rows):.1f} s; cached lookup median {statistics.median(r[5] for r in rows):.1f} ms")


if __name__ == "__main__":
    main()
