"""Emotion figures: prosody directions per category, text-prompt accuracy, emotion from audio, intelligibility.

    python3 benchmarks/bench_emotion.py            # all (app venv; intelligibility in the bench venv)
    .venv/bin/python benchmarks/bench_emotion.py synth
    .venv-bench/bin/python benchmarks/bench_intelligibility.py score --out /tmp/dubline_bench_emotion

* Directions: fixed zh and en lines, voice jf_alpha, each category at alpha 0.8
  vs neutral, natural length (so the rate shows): F0 median, F0 range
  (10th-90th percentile, semitones), loudness (RMS dB) and speaking rate
  (neutral length / emotional length); each delta marked against the sign the
  profile documents.
* Text prompts: a labelled set of 64 prompts written for this benchmark (8 per
  category, 4 zh + 4 en, none of them an anchor phrase): top-category accuracy.
* Emotion from audio: reference clips rendered in another voice (jm_kumo) with
  a strong emotion; the clip's emotion carried onto a different line in
  jf_alpha; distance of prosody features (level, range, rate, pauses) to the
  reference's, against the neutral output's.
* Intelligibility at alpha 0.8: clips written for the Whisper scorer of
  bench_intelligibility.py (bench venv).
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

OUT = Path(tempfile.gettempdir()) / "dubline_bench_emotion"
LINES = {
    "zh": ["我们明天一早就出发去海边。", "这个消息你是从哪里听来的？", "他把信放在桌子上就走了。"],
    "en": ["We are leaving for the coast tomorrow morning.", "Where did you hear that news?",
           "He left the letter on the table and walked out."],
}

PROMPTS = {
    "happy": ["满心欢喜地宣布好消息", "笑逐颜开地说", "乐呵呵地打招呼", "兴奋得跳起来",
              "beaming with happiness", "in a bright cheerful voice", "overjoyed at the news", "giggling happily"],
    "angry": ["怒气冲冲地指责", "咬牙切齿地说", "气急败坏地喊", "暴跳如雷",
              "seething with anger", "snapping at him furiously", "in an angry outburst", "enraged and shouting"],
    "sad": ["泪流满面地说", "悲痛欲绝", "伤心欲绝地告别", "带着哭腔",
            "with tears in her voice", "grieving quietly", "sobbing uncontrollably", "deeply saddened"],
    "afraid": ["吓得声音发抖", "惊慌失措地喊", "焦急地催促", "心惊胆战地问",
               "trembling with fear", "whispering nervously", "in a panicked voice", "scared out of his wits"],
    "disgusted": ["一脸嫌弃地说", "不屑一顾地哼了一声", "厌恶地皱眉", "冷嘲热讽",
                  "with utter disgust", "sneering contemptuously", "revolted by the smell", "scornful and dismissive"],
    "melancholic": ["怅然若失地回忆", "带着淡淡的忧伤", "孤独地望着窗外", "怀旧而忧郁",
                    "in a wistful, faraway voice", "melancholy and reflective", "with quiet nostalgia",
                    "lonely and downcast"],
    "surprised": ["大吃一惊", "惊讶得说不出话", "难以置信地问", "目瞪口呆地说",
                  "utterly astonished", "gasping in surprise", "in shocked disbelief", "caught completely off guard"],
    "calm": ["心平气和地解释", "不慌不忙地说", "语气平稳", "安详地讲述",
             "in a calm steady voice", "serenely and quietly", "speaking softly and evenly", "relaxed and unhurried"],
}

SIGNS = {  # the profile's documented direction for F0 level, F0 range, loudness, rate
    "happy": "++++", "angry": "++++", "sad": "----", "afraid": "+++" + "+", "disgusted": "---" + "-",
    "melancholic": "----", "surprised": "+++" + "0", "calm": "----",
}


def features(audio: np.ndarray, sr: int) -> dict:
    import soxr

    from engine.emotion.from_audio import _f0_track

    x = soxr.resample(audio, sr, 16000) if sr != 16000 else audio
    f0 = _f0_track(x.astype(np.float32))
    v = f0[f0 > 0]
    p10, p50, p90 = np.percentile(v, [10, 50, 90]) if len(v) > 10 else (1.0, 1.0, 1.0)
    rms = 20 * np.log10(np.sqrt(np.mean(audio.astype(np.float64) ** 2)) + 1e-9)
    return {"f0": float(p50), "range": float(12 * np.log2(p90 / p10)), "db": float(rms), "seconds": len(audio) / sr}


def directions(eng) -> list[tuple[str, float, float, float, float, str]]:
    from engine import EmotionSpec, SynthesisRequest
    from engine.types import EMOTIONS

    rows = []
    for name in EMOTIONS:
        d = {"f0": [], "range": [], "db": [], "rate": []}
        for lang in ("zh", "en"):
            for text in LINES[lang]:
                base = features(eng.generate(SynthesisRequest(text)).audio, 24000)
                vec = tuple(1.0 if n == name else 0.0 for n in EMOTIONS)
                emo = features(eng.generate(SynthesisRequest(text, emotion=EmotionSpec(vector=vec, intensity=0.8))).audio,
                               24000)
                d["f0"].append(12 * np.log2(emo["f0"] / base["f0"]))
                d["range"].append(emo["range"] - base["range"])
                d["db"].append(emo["db"] - base["db"])
                d["rate"].append(base["seconds"] / emo["seconds"] - 1)
        med = {k: statistics.median(v) for k, v in d.items()}
        marks = ""
        for k, sign in zip(("f0", "range", "db", "rate"), SIGNS[name], strict=True):
            ok = sign == "0" or (med[k] > 0) == (sign == "+")
            marks += "ok " if ok else "NO "
        rows.append((name, med["f0"], med["range"], med["db"], med["rate"] * 100, marks))
    return rows


def prompt_accuracy() -> tuple[float, list[str]]:
    from engine.emotion.text_prompt import text_to_vector
    from engine.types import EMOTIONS

    wrong, n = [], 0
    for label, prompts in PROMPTS.items():
        for p in prompts:
            v = text_to_vector(p)
            got = EMOTIONS[int(np.argmax(v))] if sum(v) > 0 else "neutral"
            n += 1
            if got != label:
                wrong.append(f"{p} -> {got} (want {label})")
    return 1 - len(wrong) / n, wrong


def from_audio(eng) -> list[tuple[str, float, float]]:
    import soundfile as sf

    from engine import EmotionSpec, SynthesisRequest
    from engine.emotion.from_audio import analyse
    from engine.types import EMOTIONS

    def feat(a):
        import soxr

        c = analyse(soxr.resample(a, 24000, 16000).astype(np.float32))
        return np.array([c.level_st / 3, c.range_st / 6, np.log(max(c.rate, 0.5)), c.pause * 5])

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("angry", "sad", "surprised", "calm"):
            vec = tuple(1.0 if n == name else 0.0 for n in EMOTIONS)
            ref = eng.generate(SynthesisRequest(LINES["zh"][0], voice="jm_kumo",
                                                emotion=EmotionSpec(vector=vec, intensity=1.0))).audio
            clip = Path(tmp) / f"{name}.wav"
            sf.write(str(clip), ref, 24000)
            target = LINES["zh"][2]
            out = eng.generate(SynthesisRequest(target, emotion=EmotionSpec(audio=str(clip), intensity=1.0))).audio
            neutral = eng.generate(SynthesisRequest(target)).audio
            fr = feat(ref)
            rows.append((name, float(np.linalg.norm(feat(out) - fr)), float(np.linalg.norm(feat(neutral) - fr))))
    return rows


def timbre_kept(eng) -> list[tuple[str, float, float]]:
    """GE2E similarity of emotional output to the voice's own reference recording, vs the neutral output's."""
    from engine import EmotionSpec, SynthesisRequest
    from engine.speaker import embed, similarity
    from engine.types import EMOTIONS

    ref = embed(np.concatenate([eng.generate(SynthesisRequest(x)).audio for x in
                                ("今天我们一起去公园散步吧。", "The train leaves at nine tomorrow morning.")]), 24000)
    rows = []
    for name in EMOTIONS:
        sims, neutral = [], []
        for text in (LINES["zh"][0], LINES["en"][0]):
            neutral.append(similarity(embed(eng.generate(SynthesisRequest(text)).audio, 24000), ref))
            vec = tuple(1.0 if n == name else 0.0 for n in EMOTIONS)
            res = eng.generate(SynthesisRequest(text, emotion=EmotionSpec(vector=vec, intensity=0.8)))
            sims.append(similarity(embed(res.audio, 24000), ref))
        rows.append((name, statistics.mean(sims), statistics.mean(neutral)))
    return rows


def synth_intelligibility(eng, out: Path) -> None:
    import soundfile as sf
    from lines import EN_HELDOUT, ZH_HELDOUT

    from engine import EmotionSpec, SynthesisRequest
    from engine.types import EMOTIONS

    out.mkdir(parents=True, exist_ok=True)
    items = []
    for variant in ("neutral", *EMOTIONS):
        for lang, lines in (("zh", ZH_HELDOUT[:4]), ("en", EN_HELDOUT[:4])):
            for i, text in enumerate(lines):
                emo = EmotionSpec() if variant == "neutral" else EmotionSpec(
                    vector=tuple(1.0 if n == variant else 0.0 for n in EMOTIONS), intensity=0.8)
                res = eng.generate(SynthesisRequest(text, emotion=emo))
                name = f"{variant}_{lang}_{i:02d}.wav"
                sf.write(str(out / name), res.audio, res.sample_rate, subtype="PCM_16")
                items.append({"variant": variant, "lang": lang, "voice": "jf_alpha", "ratio": 1.0, "index": i,
                              "text": text, "wav": name})
    (out / "manifest.json").write_text(json.dumps({"items": items}, ensure_ascii=False, indent=1), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("phase", nargs="?", choices=("synth",))
    ap.add_argument("--out", type=Path, default=OUT)
    args = ap.parse_args()
    if args.phase is None:
        subprocess.run([str(ROOT / ".venv" / "bin" / "python"), __file__, "synth", "--out", str(args.out)], check=True)
        bench = ROOT / ".venv-bench" / "bin" / "python"
        if bench.exists():
            subprocess.run([str(bench), str(HERE / "bench_intelligibility.py"), "score", "--out", str(args.out)],
                           check=True)
        return
    from engine.api import get_engine

    eng = get_engine()
    t = time.perf_counter()
    acc, wrong = prompt_accuracy()
    print(f"text prompts: top-category accuracy {acc:.1%} on {sum(len(v) for v in PROMPTS.values())} labelled prompts "
          f"({time.perf_counter() - t:.1f} s incl. loading the encoder)")
    for w in wrong:
        print("   miss:", w)
    print("\nper category at alpha 0.8 vs neutral (medians over 3 zh + 3 en lines, jf_alpha, natural length):")
    print(f"{'category':<12}{'F0 st':>7}{'range st':>9}{'loud dB':>9}{'rate %':>8}   direction f0/range/loud/rate")
    for name, f0, rng, db, rate, marks in directions(eng):
        print(f"{name:<12}{f0:>+7.2f}{rng:>+9.2f}{db:>+9.2f}{rate:>+8.1f}   {marks}")
    print("\nemotion from audio (reference: jm_kumo, another line; output: jf_alpha): prosody distance to the reference")
    for name, d_out, d_neutral in from_audio(eng):
        print(f"  {name:<10} carried {d_out:.2f}   neutral {d_neutral:.2f}   {'closer' if d_out < d_neutral else 'NOT closer'}")
    print("\ntimbre kept (GE2E similarity to the voice's own reference, jf_alpha, alpha 0.8):")
    for name, emo, neu in timbre_kept(eng):
        print(f"  {name:<12} {emo:.3f}   neutral {neu:.3f}   difference {emo - neu:+.3f}")
    synth_intelligibility(eng, args.out)
    print(f"\nintelligibility clips in {args.out} (scored by bench_intelligibility.py score)")


if __name__ == "__main__":
    main()
