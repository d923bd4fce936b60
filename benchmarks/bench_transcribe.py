"""Transcribing the source: boundaries, text, actors and speed on generated dialogue with a known answer.

Two "videos" per language are built from the engine's stock voices (3 speakers: jf_alpha, jm_kumo,
jf_gongitsune) in a random speaker order with random pauses (0.35-2.0 s; 0.9-2.0 s before the same speaker's
next line) and a faint noise floor (-60 dBFS):

* **dev**: DEV lines of ``benchmarks/lines_unseen.py`` (seeds 7 zh / 11 en): tune on this one only;
* **test**: TEST lines of the same file, other seeds (107 zh / 111 en), same voices: held out, run once per
  candidate already fixed on dev, never tuned on.

**The truth is the engine's own word timings**, not an energy rule: each clip is placed whole, and its line's
true span is its first word's start and last word's end as the engine reports them (``SynthesisResult.units``,
whose edges next to silence are checked against the waveform: ``engine/embedded/heard.py``, #14).  The
transcriber never sees those timings.  Then ``dub_from_source.transcribe_source`` runs on the audio (VAD +
Whisper base + GE2E actors, 2 threads) and the benchmark prints, per split and language:

* boundaries: share of true lines whose best-overlapping transcribed line starts and ends within 100 ms of
  the true span (goal >= 95 %), and the median / 95th percentile edge error;
* CER (zh) / WER (en) of the transcribed text under each true line (benchmarks/asr.py's normalisation);
* clustering purity against the true speaker (goal >= 0.9) and the number of actors found;
* speed: wall and CPU seconds (all threads of this process) per 10 minutes of speech (goal <= 3 min on 2
  cores), with the load average before and after (the machine may be shared).

    python benchmarks/bench_transcribe.py [--minutes 6] [--split dev,test] [--lang zh,en] [--keep DIR]
    python benchmarks/bench_transcribe.py --reuse DIR --split dev      # the same dialogues again, no synthesis

``--minutes`` is the speech per split, shared by the languages.  ``--json FILE`` writes the figures (and, with
``--lines``, every true line's edges and text against what was found) as JSON.
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
SEEDS = {("dev", "zh"): 7, ("dev", "en"): 11, ("test", "zh"): 107, ("test", "en"): 111}
TRUTH_SOURCE = ("engine word timings: first word's start and last word's end from SynthesisResult.units "
                "(edges next to silence checked against the waveform, engine/embedded/heard.py)")


def spoken_span(res) -> tuple[float, float]:
    """(first word's start, last word's end) in seconds of the engine's result, from its own timings."""
    spoken = [u for u in res.units if u.kind in ("zh", "en")]
    if not spoken:
        raise RuntimeError("the engine reported no spoken units")
    return float(spoken[0].start_seconds), float(spoken[-1].end_seconds)


def _clip(eng, text: str, voice: str, clips: Path | None):
    """(16 kHz audio, spoken span) of one line, from ``clips`` when it was made before."""
    import hashlib

    import soxr

    from engine import SynthesisRequest

    key = hashlib.sha256(f"{voice}\n{text}".encode()).hexdigest()[:20]
    if clips is not None and (clips / f"{key}.npz").is_file():
        z = np.load(clips / f"{key}.npz")
        return z["audio"], tuple(float(v) for v in z["span"])
    res = eng.generate(SynthesisRequest(text, voice=voice))
    a = soxr.resample(np.asarray(res.audio, np.float32), res.sample_rate, SR).astype(np.float32)
    span = spoken_span(res)
    if clips is not None:
        clips.mkdir(parents=True, exist_ok=True)
        tmp = clips / f".{key}.{os.getpid()}.npz"
        np.savez(tmp, audio=a, span=np.array(span))
        os.replace(tmp, clips / f"{key}.npz")
    return a, span


def make_dialogue(lines: list[str], seconds: float, seed: int = 0, progress=print, clips: Path | None = None):
    """Audio (16 kHz) and truth [(start, end, voice, text)] of about ``seconds`` of speech.  Each clip is
    placed whole (its leading and trailing quiet included) so that its first word starts at the drawn time;
    the truth is the engine's word timings moved there, and the drawn pause runs from one line's last word's
    end to the next line's first word's start."""
    from engine.api import get_engine

    eng = get_engine("embedded")
    rng = np.random.default_rng(seed)
    pieces, truth = [], []
    t, speech, k = 0.8, 0.0, 0
    voice = VOICES[int(rng.integers(len(VOICES)))]
    while speech < seconds:
        text = lines[k % len(lines)]
        a, (w0, w1) = _clip(eng, text, voice, clips)
        at = int(round((t - w0) * SR))  # the clip's first sample
        pieces.append((at, a))
        truth.append((round(t, 4), round(t + w1 - w0, 4), voice, text))
        speech += w1 - w0
        k += 1
        nxt = VOICES[int(rng.integers(len(VOICES)))]
        # a speaker change may follow quickly; the same speaker's next line comes after a pause longer than the
        # pauses inside their lines (up to 0.75 s in the stock voices' renders), else nothing marks it as a new line
        t += (w1 - w0) + float(rng.uniform(0.35 if nxt != voice else 0.9, 2.0))
        voice = nxt
        if k % 20 == 0:
            progress(f"  generated {k} lines, {speech:.0f} s of speech")
    audio = np.zeros(max(at + len(a) for at, a in pieces) + SR // 2, np.float32)
    for at, a in pieces:
        audio[at: at + len(a)] += a
    audio += rng.normal(0, 10 ** (-60 / 20), len(audio)).astype(np.float32)
    return audio, truth


def _best_overlap(ln, truth) -> int:
    ov = [min(ln.end, b) - max(ln.start, a) for a, b, _v, _t in truth]
    k = int(np.argmax(ov)) if ov else -1
    return k if k >= 0 and ov[k] > 0 else -1


def score(truth, result, lang: str) -> tuple[dict, list[dict]]:
    """The figures, and one row per true line (its edges, the found line's edges and texts)."""
    import asr

    from project.actors import purity

    lines = result.transcript.lines
    ok, errs_start, errs_end, rows = 0, [], [], []
    hyp_for_truth: list[list[int]] = [[] for _ in truth]
    owner = [_best_overlap(ln, truth) for ln in lines]
    for hi, k in enumerate(owner):
        if k >= 0:
            hyp_for_truth[k].append(hi)
    for (a, b, v, text), hs in zip(truth, hyp_for_truth, strict=True):
        best = max(hs, key=lambda h: min(lines[h].end, b) - max(lines[h].start, a)) if hs else None
        es, ee = (9.9, 9.9) if best is None else (lines[best].start - a, lines[best].end - b)
        errs_start.append(abs(es))
        errs_end.append(abs(ee))
        ok += abs(es) <= 0.1 and abs(ee) <= 0.1
        hyp = ("" if lang == "zh" else " ").join(lines[h].text for h in hs)
        rows.append({"true": [a, b], "found": None if best is None else [lines[best].start, lines[best].end],
                     "start_error_ms": round(es * 1000), "end_error_ms": round(ee * 1000), "voice": v,
                     "actor": None if best is None else result.actors[best], "pieces": len(hs),
                     "text": text, "heard": hyp, "rate": round(asr.error_rate(text, hyp, lang), 3)})
    edge = np.array(errs_start + errs_end)
    speakers = {v: i for i, v in enumerate(VOICES)}
    # purity over transcribed lines: each line's true speaker is that of the truth line it overlaps most
    labels = [result.actors[hi] for hi, k in enumerate(owner) if k >= 0]
    true_sp = [speakers[truth[k][2]] for k in owner if k >= 0]
    fig = {
        "lines_true": len(truth), "lines_found": len(lines),
        "boundary_ok_share": round(ok / len(truth), 4),
        "edge_error_median_ms": round(float(np.median(edge) * 1000), 1),
        "edge_error_p95_ms": round(float(np.percentile(edge, 95) * 1000), 1),
        ("cer" if lang == "zh" else "wer"): round(float(np.mean([r["rate"] for r in rows])), 4),
        "purity": round(purity(labels, true_sp), 4) if labels else 0.0, "actors_found": len(set(result.actors)),
        "languages_found": sorted({ln.language for ln in lines}),
    }
    return fig, rows


def dialogue(split: str, lang: str, seconds: float, args):
    """(audio, truth) of one split and language: read from ``--reuse``, else generated (and kept with ``--keep``)."""
    import soundfile as sf

    name = f"dialogue_{split}_{lang}"
    if args.reuse:
        audio = sf.read(str(Path(args.reuse) / f"{name}.wav"), dtype="float32")[0]
        truth = [tuple(t) for t in json.loads((Path(args.reuse) / f"{name}.json").read_text(encoding="utf-8"))]
        return audio, truth
    from lines_unseen import SETS

    print(f"[{split} {lang}] generating {seconds:.0f} s of dialogue", flush=True)
    audio, truth = make_dialogue(SETS[f"{lang}_{split}"], seconds, seed=SEEDS[(split, lang)],
                                 clips=Path(args.keep) / "clips" if args.keep else None)
    if args.keep:
        Path(args.keep).mkdir(parents=True, exist_ok=True)
        sf.write(str(Path(args.keep) / f"{name}.wav"), audio, SR, subtype="FLOAT")
        (Path(args.keep) / f"{name}.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1),
                                                    encoding="utf-8")
    return audio, truth


def run_one(audio, truth, lang: str, args) -> tuple[dict, list[dict]]:
    from project.dub_from_source import transcribe_source
    from project.transcribe import Options

    speech = sum(b - a for a, b, _v, _t in truth)
    load0 = os.getloadavg()
    t0, cpu0 = time.perf_counter(), time.process_time()
    opts = Options(language="auto" if args.language_mode == "auto" else lang, beam_size=args.beam_size)
    result = transcribe_source(audio, 25.0, opts)
    wall, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    load1 = os.getloadavg()
    fig, rows = score(truth, result, lang)
    fig.update({"speech_seconds": round(speech, 1), "audio_seconds": round(len(audio) / SR, 1),
                "wall_seconds": round(wall, 1), "cpu_seconds": round(cpu, 1),
                "wall_per_10min_speech": round(wall * 600 / speech, 1),
                "cpu_per_10min_speech": round(cpu * 600 / speech, 1),
                "loadavg_1min_before_after": [round(load0[0], 2), round(load1[0], 2)]})
    return fig, rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=6.0, help="minutes of speech per split (shared by languages)")
    ap.add_argument("--split", default="dev", help="dev, test or dev,test (test: run once per fixed candidate)")
    ap.add_argument("--lang", default="zh,en")
    ap.add_argument("--language-mode", default="auto", choices=("auto", "given"),
                    help="auto: let the transcriber find the language; given: pass it")
    ap.add_argument("--beam-size", type=int, default=5, help="Whisper's beam (the app's default is 5)")
    ap.add_argument("--keep", metavar="DIR", help="write each generated dialogue (WAV) and its truth here")
    ap.add_argument("--reuse", metavar="DIR", help="read the dialogues --keep wrote instead of generating them")
    ap.add_argument("--generate-only", action="store_true", help="make (and --keep) the dialogues, transcribe nothing")
    ap.add_argument("--json", metavar="FILE")
    ap.add_argument("--lines", action="store_true", help="with --json: every true line against what was found")
    args = ap.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", "2")
    from project.transcribe import load_model

    langs, splits = args.lang.split(","), args.split.split(",")
    out = {"cpu_count": os.cpu_count(), "threads": 2, "language_mode": args.language_mode,
           "beam_size": args.beam_size, "truth": TRUTH_SOURCE, "splits": {}}
    if not args.generate_only:
        load_model(2)  # loading is not transcribing
    for split in splits:
        figs, detail = {}, {}
        for lang in langs:
            audio, truth = dialogue(split, lang, 60 * args.minutes / len(langs), args)
            if args.generate_only:
                continue
            figs[lang], detail[lang] = run_one(audio, truth, lang, args)
            print(json.dumps({split: {lang: figs[lang]}}, ensure_ascii=False, indent=1), flush=True)
        if not figs:
            continue
        speech = sum(f["speech_seconds"] for f in figs.values())
        total = {"speech_seconds": round(speech, 1),
                 "wall_seconds": round(sum(f["wall_seconds"] for f in figs.values()), 1),
                 "cpu_seconds": round(sum(f["cpu_seconds"] for f in figs.values()), 1)}
        total["wall_per_10min_speech"] = round(total["wall_seconds"] * 600 / max(speech, 1e-9), 1)
        total["cpu_per_10min_speech"] = round(total["cpu_seconds"] * 600 / max(speech, 1e-9), 1)
        out["splits"][split] = {"languages": figs, "total": total}
        if args.lines:
            out["splits"][split]["lines"] = detail
        print(json.dumps({split: {"total": total}}, indent=1), flush=True)
    print("truth:", TRUTH_SOURCE)
    if args.json:
        Path(args.json).write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
