"""Intelligibility of the engine's output, scored by an offline recogniser.

Benchmark only: Whisper base (faster-whisper, int8) lives in the separate
bench venv (see benchmarks/README.md); the app never depends on it.

Two phases, two interpreters (a driver runs both when called without a phase):

    .venv/bin/python       benchmarks/bench_intelligibility.py synth [--out DIR]
    .venv-bench/bin/python benchmarks/bench_intelligibility.py score [--out DIR]
    python3 benchmarks/bench_intelligibility.py            # both

Line sets (``--set``): ``heldout`` (lines.py's ZH_HELDOUT / EN_HELDOUT, 20
each, looked at too often by now), ``dev`` and ``test`` (lines_unseen.py: 80
zh + 50 en each; tune on ``dev`` only, report ``test`` as it comes).
``--langs zh`` renders one language, ``--lines N`` the first N of each,
``--start K`` begins at line K (clips keep the line's index in their name).
``paired A B`` compares two scored folders line by line (a probe against the
engine as shipped).  ``summary DIR...`` prints the table over the rows of several scored folders
(a half rendered and scored in parts; the engine's renders are deterministic
to the last bit or two, so parts from the same commit combine).

Variants rendered in the same run:

* ``dubline``   – the engine (planned durations, Mandarin tone shaping)
* ``notones``   – the engine with tone shaping off (zh only): what tones buy
* ``nopull``    – the pulled voices (jf_alpha, jf_tebukuro) as shipped, without
  the pull of their timbre toward the stock voices' centre
  (engine/embedded/accent.py): what it buys
* ``zhdecNN``   – a stock voice reading Mandarin with its decoder half moved
  NN / 100 of the way toward the Mandarin voices' (``zhdec0``: not moved;
  engine/embedded/accent.py, ``ZH_TIMBRE_PULL``): what the timbre pull buys
* ``squeeze``   – lines faster than natural compressed through the model's
  durations alone, as before WSOLA (engine/embedded/tempo.py): what it buys
* ``stock``     – the uncut stock graph with misaki's legacy zh phonemes and
  ``speed = 1/ratio`` (zh only): the baseline

Each per voice at duration ratios 0.75, 1.0 and 1.3.  The scorer pads every
clip with 0.5 s of silence on both sides (a line sits in a mix; Whisper
drops syllables that start at t=0), for all variants alike.  Prints median and mean
CER (zh) / WER (en) per variant, voice and ratio.
"""

from __future__ import annotations

import argparse
import functools
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

VOICES = ["jf_alpha", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jm_kumo"]
RATIOS = [0.75, 1.0, 1.3]


def line_sets(name: str) -> list[tuple[str, list[str]]]:
    """The (language, lines) pairs of a named set: ``heldout`` (lines.py, 20 + 20),
    ``dev`` / ``test`` (lines_unseen.py: 80 zh + 50 en each; tune on dev only), ``test2`` (80 fresh zh test
    lines, written 2026-12-04), ``dev2`` (80 more zh dev lines like test2, 2026-12-05), ``diag`` (a dev-only probe: 24 zh lines that open on a retroflex initial)."""
    if name == "heldout":
        from lines import EN_HELDOUT, ZH_HELDOUT

        return [("zh", ZH_HELDOUT), ("en", EN_HELDOUT)]
    from lines_unseen import SETS

    return [(lang, SETS[f"{lang}_{name}"]) for lang in ("zh", "en") if f"{lang}_{name}" in SETS]


def synth(out: Path, voices: list[str], ratios: list[float], n_lines: int, variants: list[str],
          line_set: str = "heldout", langs: tuple[str, ...] = ("zh", "en"), start: int = 0) -> None:
    import numpy as np

    from engine import DurationSpec, SynthesisRequest
    from engine.api import get_engine
    from engine.embedded.accent import TIMBRE_PULL, ZH_TIMBRE_PULL
    from engine.model_store import load_vocab

    eng = get_engine("embedded", "cpu")
    out.mkdir(parents=True, exist_ok=True)
    items = []
    stock = None
    if "stock" in variants:
        import onnxruntime as ort
        from misaki.zh import ZHG2P

        from engine.model_store import model_path

        so = ort.SessionOptions()
        so.intra_op_num_threads = 2
        stock = ort.InferenceSession(str(model_path()), so, providers=["CPUExecutionProvider"])
        g2p = ZHG2P()
        vocab = load_vocab()
    sets = [(lang, lines[start : start + n_lines]) for lang, lines in line_sets(line_set) if lang in langs]
    t0 = time.perf_counter()
    for variant in variants:
        for lang, lines in sets:
            if variant in ("notones", "stock") and lang != "zh":
                continue
            for voice in voices:
                for ratio in ratios:
                    for i, text in enumerate(lines, start):
                        if variant == "stock":
                            ph = g2p(text)[0].replace(chr(815), "")
                            toks = [vocab[c] for c in ph if c in vocab]
                            style = eng.style_table(voice)[len(toks) - 1].reshape(1, 256)
                            audio = stock.run(None, {"tokens": np.array([[0, *toks, 0]], np.int64), "style": style,
                                                     "speed": np.array([1.0 / ratio], np.float32)})[0].reshape(-1)
                            sr = 24000
                        else:
                            eng.tone_weight = 0.0 if variant == "notones" else _default_weight()
                            eng.tempo_compress = variant != "squeeze"
                            eng.timbre_pull = {} if variant == "nopull" else dict(TIMBRE_PULL)
                            eng.zh_timbre_pull = _zh_timbre_weight(variant)
                            res = eng.generate(SynthesisRequest(text, voice=voice, duration=DurationSpec.of_ratio(ratio)))
                            audio, sr = res.audio, res.sample_rate
                        items.append(save_clip(out, variant, lang, voice, ratio, i, text, audio, sr))
                print(f"{variant} {lang}: {len(items)} clips, {time.perf_counter() - t0:.0f} s", flush=True)
    eng.tone_weight = _default_weight()
    eng.tempo_compress = True
    eng.timbre_pull = dict(TIMBRE_PULL)
    eng.zh_timbre_pull = ZH_TIMBRE_PULL
    write_manifest(out, items)


def _zh_timbre_weight(variant: str) -> float:
    """The Mandarin timbre pull a variant renders with: ``zhdecNN`` pulls by NN / 100, any other as shipped."""
    from engine.embedded.accent import ZH_TIMBRE_PULL

    if variant.startswith("zhdec") and variant[5:].isdigit():
        return int(variant[5:]) / 100.0
    return ZH_TIMBRE_PULL


def save_clip(out: Path, variant: str, lang: str, voice: str, ratio: float, index: int, text: str, audio,
              sample_rate: int) -> dict:
    """Write one rendered line as ``score`` expects it and return its manifest item."""
    import soundfile as sf

    name = f"{variant}_{lang}_{voice}_{ratio:g}_{index:02d}.wav"
    sf.write(str(out / name), audio, sample_rate, subtype="PCM_16")
    return {"variant": variant, "lang": lang, "voice": voice, "ratio": ratio, "index": index, "text": text,
            "wav": name}


def write_manifest(out: Path, items: list[dict]) -> None:
    (out / "manifest.json").write_text(json.dumps({"items": items}, ensure_ascii=False, indent=1), encoding="utf-8")


def _default_weight() -> float:
    from engine.embedded.tones import TONE_WEIGHT

    return TONE_WEIGHT


def score(out: Path, threads: int) -> None:
    import asr
    import numpy as np
    import soundfile as sf

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    asr.load_model(cpu_threads=threads)
    rows = []
    for it in manifest["items"]:
        audio, sr = sf.read(str(out / it["wav"]), dtype="float32")
        # Every clip gets 0.5 s of silence either side, as a line has around it
        # in a mix: our lines start within 50 ms and Whisper drops first
        # syllables that start at t=0.  Applied to all variants alike.
        pad = np.zeros(sr // 2, dtype=np.float32)
        hyp = asr.transcribe(np.concatenate([pad, audio, pad]), sr, it["lang"])
        err = asr.error_rate(it["text"], hyp, it["lang"])
        rows.append({**it, "hyp": hyp, "err": err})
    summary = summarize(rows)
    (out / "scores.json").write_text(json.dumps({"summary": summary, "rows": rows}, ensure_ascii=False, indent=1),
                                     encoding="utf-8")


def summarize(rows: list[dict]) -> list[dict]:
    """Print and return median / mean error per variant, language, voice and ratio."""
    import asr

    groups: dict = {}
    extra: dict = {}
    for r in rows:
        size = len(asr.normalize_zh(r["text"]) if r["lang"] == "zh" else asr.normalize_en(r["text"]))
        key = (r["variant"], r["lang"], r["voice"], r["ratio"])
        groups.setdefault(key, []).append((r["err"], size))
        extra.setdefault(key, []).append(_extra_rates(r))
    print(f"\n{'variant':<9}{'lang':<5}{'voice':<15}{'ratio':>6}{'n':>4}{'median':>8}{'mean':>8}{'pooled':>8}"
          f"{'exact':>7}")
    summary = []
    for (variant, lang, voice, ratio), pairs in groups.items():
        errs = [e for e, _ in pairs]
        more = _extra_summary(extra[(variant, lang, voice, ratio)], [n for _, n in pairs])
        med, mean = statistics.median(errs), statistics.fmean(errs)
        # pooled: errors over all lines' characters (words), so a 12-character line's single error does not
        # decide the figure alone; exact: lines heard without an error
        pooled = sum(e * n for e, n in pairs) / max(1, sum(n for _, n in pairs))
        exact = sum(1 for e in errs if e == 0)
        lo, hi = _pooled_interval(pairs)
        summary.append({"variant": variant, "lang": lang, "voice": voice, "ratio": ratio, "n": len(errs),
                        "median": med, "mean": mean, "pooled": pooled, "pooled_95": [lo, hi], "exact": exact,
                        **more})
        print(f"{variant:<9}{lang:<5}{voice:<15}{ratio:>6g}{len(errs):>4}{med:>8.3f}{mean:>8.3f}{pooled:>8.3f}"
              f"{exact:>7}   pooled 95 % {lo:.3f}-{hi:.3f}" + "".join(f"  {k} {v:.3f}" for k, v in more.items()))
    print("\n(zh: CER, en: WER)  per variant and ratio, median over voices' medians:")
    for variant in dict.fromkeys(s["variant"] for s in summary):
        for lang in ("zh", "en"):
            for ratio in RATIOS:
                meds = [s["median"] for s in summary if s["variant"] == variant and s["lang"] == lang
                        and s["ratio"] == ratio]
                if meds:
                    print(f"  {variant:<8} {lang} x{ratio:<5g} worst voice {max(meds):.3f}, "
                          f"median of voices {statistics.median(meds):.3f}")
    return summary


def _extra_rates(row: dict) -> dict:
    """The row's other figures: ``capped`` (the error capped at 1, so that a clip on which the recogniser
    loops (it once wrote one character a hundred times for a 10-character line) counts as one wholly wrong
    line, not eleven) and, for Mandarin, ``syllable`` (toned pinyin syllables compared instead of characters,
    so a homophone the recogniser picked is not an error: what was heard rather than what was written; needs
    pypinyin, which the app's venv has)."""
    out = {"capped": min(row["err"], 1.0)}
    rate = _syllable_rate()
    if row["lang"] == "zh" and rate is not None:
        out["syllable"] = rate(row["text"], row["hyp"])
    return out


@functools.cache
def _syllable_rate():
    """``zh_error_sources.syllable_error_rate``, or None where pypinyin is missing (looked up once, not per row:
    a failed import is not cached)."""
    try:
        from zh_error_sources import syllable_error_rate
    except ImportError:
        return None
    return syllable_error_rate


def _extra_summary(rates: list[dict], sizes: list[int]) -> dict:
    """The mean of the capped error, and the mean and pooled figure of the syllable error where every line
    of the group has one."""
    out = {"capped_mean": statistics.fmean(r["capped"] for r in rates)}
    if rates and all("syllable" in r for r in rates):
        vals = [r["syllable"] for r in rates]
        out["syllable_mean"] = statistics.fmean(vals)
        out["syllable_pooled"] = sum(v * n for v, n in zip(vals, sizes, strict=True)) / max(1, sum(sizes))
    return out


def _pooled_interval(pairs: list[tuple[float, int]], resamples: int = 2000) -> tuple[float, float]:
    """A 95 % bootstrap interval of the pooled rate over lines (``(rate, tokens)`` per line, lines resampled
    with replacement, fixed seed): how far another set of lines written to the same rules may land."""
    import numpy as np

    errs = np.array([e * n for e, n in pairs], dtype=np.float64)
    sizes = np.array([n for _, n in pairs], dtype=np.float64)
    pick = np.random.default_rng(0).integers(0, len(pairs), size=(resamples, len(pairs)))
    rates = errs[pick].sum(axis=1) / np.maximum(1.0, sizes[pick].sum(axis=1))
    return float(np.percentile(rates, 2.5)), float(np.percentile(rates, 97.5))


def summary_of(dirs: list[Path]) -> None:
    """The table over the scored rows of several folders (a half scored in parts).  Each row's stored
    transcript is compared with its line again by today's ``asr.error_rate``, so parts scored before a
    change to the normalisation count alike (the recogniser is not run again)."""
    import asr

    rows = []
    for d in dirs:
        rows += json.loads((d / "scores.json").read_text(encoding="utf-8"))["rows"]
    for r in rows:
        r["err"] = asr.error_rate(r["text"], r["hyp"], r["lang"])
    summarize(rows)


def paired(dir_a: Path, dir_b: Path) -> None:
    """Two scored folders line by line (rows matched by voice, ratio and line index, per-line rate capped at
    1 so one recogniser loop cannot decide it): the mean difference A - B with its standard error, and how
    many lines each way.  Lines whose text differs between the folders are left out."""
    import math

    def rows(d: Path) -> dict:
        return {(r["lang"], r["voice"], r["ratio"], r["index"]): r
                for r in json.loads((d / "scores.json").read_text(encoding="utf-8"))["rows"]}

    a, b = rows(dir_a), rows(dir_b)
    groups: dict = {}
    for key, ra in a.items():
        rb = b.get(key)
        if rb is not None and rb["text"] == ra["text"]:
            groups.setdefault(key[:3], []).append(min(ra["err"], 1.0) - min(rb["err"], 1.0))
    print(f"{'lang':<5}{'voice':<15}{'ratio':>6}{'n':>5}{'A - B':>9}{'s.e.':>8}{'A better':>10}{'A worse':>9}")
    for (lang, voice, ratio), d in sorted(groups.items()):
        se = statistics.stdev(d) / math.sqrt(len(d)) if len(d) > 1 else float("nan")
        print(f"{lang:<5}{voice:<15}{ratio:>6g}{len(d):>5}{statistics.fmean(d):>+9.4f}{se:>8.4f}"
              f"{sum(x < 0 for x in d):>10}{sum(x > 0 for x in d):>9}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("phase", nargs="?", choices=("synth", "score", "summary", "paired"))
    ap.add_argument("dirs", nargs="*", type=Path,
                    help="summary: the scored folders to combine; paired: folder A, then folder B")
    ap.add_argument("--out", default="/tmp/dubline_intelligibility")
    ap.add_argument("--voices", nargs="+", default=VOICES)
    ap.add_argument("--ratios", nargs="+", type=float, default=RATIOS)
    ap.add_argument("--lines", type=int, default=80, help="at most this many lines per language")
    ap.add_argument("--start", type=int, default=0, help="first line of each language (0-based)")
    ap.add_argument("--variants", nargs="+", default=["dubline", "notones", "stock"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--set", dest="line_set", choices=("heldout", "dev", "test", "test2", "dev2", "diag"), default="heldout",
                    help="line set: lines.py's held-out lines, or lines_unseen.py's dev / test / test2 half")
    ap.add_argument("--langs", nargs="+", choices=("zh", "en"), default=["zh", "en"])
    args = ap.parse_args()
    out = Path(args.out)
    if args.phase == "synth":
        synth(out, args.voices, args.ratios, args.lines, args.variants, args.line_set, tuple(args.langs),
              args.start)
    elif args.phase == "score":
        score(out, args.threads)
    elif args.phase == "summary":
        summary_of(args.dirs or [out])
    elif args.phase == "paired":
        if len(args.dirs) != 2:
            raise SystemExit("paired needs two scored folders: A B")
        paired(*args.dirs)
    else:
        common = ["--out", str(out), "--voices", *args.voices, "--ratios", *map(str, args.ratios),
                  "--lines", str(args.lines), "--start", str(args.start), "--variants", *args.variants,
                  "--set", args.line_set, "--langs", *args.langs]
        subprocess.run([str(ROOT / ".venv/bin/python"), __file__, "synth", *common], check=True)
        subprocess.run([str(ROOT / ".venv-bench/bin/python"), __file__, "score", "--out", str(out),
                        "--threads", str(args.threads)], check=True)


if __name__ == "__main__":
    main()
