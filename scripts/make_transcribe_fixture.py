"""Regenerate tests/project/data/dialogue.flac and dialogue.json: four lines by two of the engine's stock
voices (two Chinese, two English; DEV lines of benchmarks/lines_unseen.py) at known times, the truth being each
line's span (energy within 40 dB of its peak), voice and text.  Run: python scripts/make_transcribe_fixture.py"""

import json
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_transcribe import SR, true_span  # noqa: E402

from engine import SynthesisRequest  # noqa: E402
from engine.api import get_engine  # noqa: E402

LINES = [("jf_alpha", "这部动画的主角是一只胖胖的橘猫。", 0.6),
         ("jm_kumo", "We can't afford a bigger mortgage, not with the car payments too.", 0.5),
         ("jm_kumo", "我小时候的爱好是收集蝴蝶标本。", 1.2),
         ("jf_alpha", "Our hero wakes up in a strange village with no memory at all.", 0.6)]


def main() -> None:
    eng = get_engine("embedded")
    import soxr

    t, pieces, truth = 0.5, [], []
    for voice, text, gap_after in LINES:
        r = eng.generate(SynthesisRequest(text, voice=voice))
        a = soxr.resample(np.asarray(r.audio, np.float32), r.sample_rate, SR).astype(np.float32)
        s0, s1 = true_span(a)
        a = a[int(s0 * SR): int(s1 * SR)]
        pieces.append((t, a))
        truth.append({"start": round(t, 3), "end": round(t + len(a) / SR, 3), "voice": voice, "text": text})
        t += len(a) / SR + gap_after
    audio = np.zeros(int((t + 0.4) * SR), np.float32)
    for st, a in pieces:
        audio[int(st * SR): int(st * SR) + len(a)] += a
    audio += np.random.default_rng(3).normal(0, 1e-3, len(audio)).astype(np.float32)
    out = ROOT / "tests" / "project" / "data"
    sf.write(str(out / "dialogue.flac"), audio, SR, subtype="PCM_16")
    (out / "dialogue.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps(truth, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    main()
