"""Transcribing the source: boundaries, text, actors and speed on generated dialogue with a known answer.

A "video" per language is built from the engine's stock voices (3 speakers: jf_alpha, jm_kumo,
jf_gongitsune) speaking DEV lines of ``benchmarks/lines_unseen.py`` (never the TEST halves), in a random
speaker order with random pauses (0.35-2.0 s) and a faint noise floor (-60 dBFS).  Each line's true span is
where its clip's 10 ms energy is within 40 dB of the clip's peak.  Then ``dub_from_source.transcribe_source``
runs on it (VAD + Whisper base + GE2E actors, 2 threads) and the benchmark prints:

* boundaries: share of true lines whose best-overlapping transcribed line starts and ends within 100 ms of
  the true span (goal >= 95 %), and the median / 95th percentile edge error;
* CER (zh) / WER (en) of the transcribed text under each true line (benchmarks/asr.py's normalisation);
* clustering purity against the true speaker (goal >= 0.9) and the number of actors found;
* speed: seconds of transcription per minute of speech and the time 10 minutes would take (goal <= 3 min on
  2 cores), with the machine's load average before and after (it is shared).

    python benchmarks/bench_transcribe.py [--minutes 10] [--lang zh,en] [--keep DIR]

Figures go to stdout; ``--json FILE`` also writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

SR = 16000
VOICES = ("jf_alpha", "jm_kumo", "jf_gongitsune")


def true_span(clip: np.ndarray, floor_db: float = 40.0) -> tuple[float, float]:
    n = len(clip) // 160
    db = 10 * np.log10(np.mean(clip[: n * 160].reshape(n, 160).astype(np.float64) ** 2, axis=1) + 1e-12)
    idx = np.flatnonzero(db > db.max() - floor_db)
    return idx[0] * 0.01, (idx[-1] + 1) * 0.01


def make_dialogue(lines: list[str], seconds: float, seed: int = 0, progress=print):
    """Audio (16 kHz) and truth [(start, end, voice, text)] of about ``seconds`` of speech."""
    import soxr

    from engine import SynthesisRequest
    from engine.api import get_engine

    eng = get_engine("embedded")
    rng = np.random.default_rng(seed)
    pieces, truth = [], []
    t, speech, k = 0.8, 0.0, 0
    voice_next = [VOICES[int(rng.integers(len(VOICES)))]]
    while speech < seconds:
        text = lines[k % len(lines)]
        voice = voice_next[0]
        res = eng.generate(SynthesisRequest(text, voice=voice))
        a = soxr.resample(np.asarray(res.audio, np.float32), res.sample_rate, SR).astype(np.float32)
        s0, s1 = true_span(a)
        a = a[int(s0 * SR): int(s1 * SR)]  # the clip is its speech: the pause is exactly the gap drawn
        pieces.append((t, a))
        truth.append((t, t + len(a) / SR, voice, text))
        speech += len(a) / SR
        k += 1
        nxt = VOICES[int(rng.integers(len(VOICES)))]
        # a speaker change may follow quickly; the same speaker's next line comes after a pause longer than the
        # pauses inside their lines (up to 0.75 s in the stock voices' renders), else nothing marks it as a new line
        t += len(a) / SR + float(rng.uniform(0.35 if nxt != voice else 0.9, 2.0))
        voice_next[0] = nxt
        if k % 20 == 0:
            progress(f"  generated {k} lines, {speech:.0f} s of speech")
    audio = np.zeros(int((t + 0.5) * SR), np.float32)
    for st, a in pieces:
        audio[int(st * SR): int(st * SR) + len(a)] += a
    audio += rng.normal(0, 10 ** (-60 / 20), len(audio)).astype(np.float32)
    return audio, truth


def score(truth, result, lang: str) -> dict:
    import asr

    from project.actors import purity
    from project.transcribe import to_simplified

    asr.to_simplified = to_simplified  # the harness's converter is GPL (zhconv); the app's is Apache-2.0 OpenCC
    lines = result.transcript.lines
    ok, errs_start, errs_end = 0, [], []
    hyp_for_truth: list[list[int]] = [[] for _ in truth]
    for hi, ln in enumerate(lines):
        ov = [min(ln.end, b) - max(ln.start, a) for a, b, _v, _t in truth]
        k = int(np.argmax(ov)) if ov else -1
        if k >= 0 and ov[k] > 0:
            hyp_for_truth[k].append(hi)
    for (a, b, _v, _t), hs in zip(truth, hyp_for_truth, strict=True):
        best = max(hs, key=lambda h: min(lines[h].end, b) - max(lines[h].start, a)) if hs else None
        if best is None:
            errs_start.append(9.9)
            errs_end.append(9.9)
            continue
        es, ee = abs(lines[best].start - a), abs(lines[best].end - b)
        errs_start.append(es)
        errs_end.append(ee)
        ok += es <= 0.1 and ee <= 0.1
    edge = np.array(errs_start + errs_end)
    rates = []
    for (_a, _b, _v, text), hs in zip(truth, hyp_for_truth, strict=True):
        hyp = ("" if lang == "zh" else " ").join(lines[h].text for h in hs)
        rates.append(asr.error_rate(text, hyp, lang))
    speakers = {v: i for i, v in enumerate(VOICES)}
    # purity over transcribed lines: each line's true speaker is that of the truth line it overlaps most
    labels, true_sp = [], []
    for hi, ln in enumerate(lines):
        ov = [min(ln.end, b) - max(ln.start, a) for a, b, _v, _t in truth]
        k = int(np.argmax(ov))
        if ov[k] > 0:
            labels.append(result.actors[hi])
            true_sp.append(speakers[truth[k][2]])
    return {
        "lines_true": len(truth), "lines_found": len(lines),
        "boundary_ok_share": ok / len(truth),
        "edge_error_median_ms": float(np.median(edge) * 1000), "edge_error_p95_ms": float(np.percentile(edge, 95) * 1000),
        ("cer" if lang == "zh" else "wer"): float(np.mean(rates)),
        "purity": purity(labels, true_sp) if labels else 0.0, "actors_found": len(set(result.actors)),
        "languages_found": sorted({ln.language for ln in lines}),
    }


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=10.0, help="minutes of speech in all (split over languages)")
    ap.add_argument("--lang", default="zh,en")
    ap.add_argument("--language-mode", default="auto", choices=("auto", "given"),
                    help="auto: let the transcriber find the language; given: pass it")
    ap.add_argument("--keep", metavar="DIR", help="write each generated dialogue (WAV) and its truth here")
    ap.add_argument("--reuse", metavar="DIR", help="read the dialogues --keep wrote instead of generating them")
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    from lines_unseen import EN_DEV, ZH_DEV

    from project.dub_from_source import transcribe_source
    from project.transcribe import Options, load_model

    langs = args.lang.split(",")
    out = {"cpu_count": os.cpu_count(), "threads": 2, "language_mode": args.language_mode, "languages": {}}
    load_model(2)  # loading is not transcribing
    for lang in langs:
        src = ZH_DEV if lang == "zh" else EN_DEV
        print(f"[{lang}] generating {60 * args.minutes / len(langs):.0f} s of dialogue", flush=True)
        if args.reuse:
            import soundfile as sf

            audio = sf.read(str(Path(args.reuse) / f"dialogue_{lang}.wav"), dtype="float32")[0]
            truth = [tuple(t) for t in json.loads((Path(args.reuse) / f"dialogue_{lang}.json").read_text())]
        else:
            audio, truth = make_dialogue(src, 60 * args.minutes / len(langs), seed=7 if lang == "zh" else 11)
        if args.keep:
            import soundfile as sf

            Path(args.keep).mkdir(parents=True, exist_ok=True)
            sf.write(str(Path(args.keep) / f"dialogue_{lang}.wav"), audio, SR)
            (Path(args.keep) / f"dialogue_{lang}.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1))
        speech = sum(b - a for a, b, _v, _t in truth)
        load0 = os.getloadavg()
        t0 = time.perf_counter()
        cpu0 = time.process_time()
        result = transcribe_source(audio, 25.0, Options(language="auto" if args.language_mode == "auto" else lang))
        wall = time.perf_counter() - t0
        cpu = time.process_time() - cpu0
        load1 = os.getloadavg()
        fig = score(truth, result, lang)
        fig.update({"speech_seconds": round(speech, 1), "audio_seconds": round(len(audio) / SR, 1),
                    "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
                    "wall_per_10min_speech": round(wall * 600 / speech, 1),
                    "loadavg_1min_before_after": [round(load0[0], 2), round(load1[0], 2)]})
        out["languages"][lang] = fig
        print(json.dumps({lang: fig}, ensure_ascii=False, indent=1), flush=True)
    total_speech = sum(f["speech_seconds"] for f in out["languages"].values())
    total_wall = sum(f["wall_seconds"] for f in out["languages"].values())
    out["total"] = {"speech_seconds": total_speech, "wall_seconds": total_wall,
                    "wall_per_10min_speech": round(total_wall * 600 / max(total_speech, 1e-9), 1)}
    print(json.dumps({"total": out["total"]}, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
