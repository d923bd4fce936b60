"""How fast can this CPU render at all?  Multiply-add peaks against the vocoder's arithmetic.

    .venv/bin/python benchmarks/bench_cpu_peak.py [--lines 10] [--voice jf_alpha]

#14 asks for a real-time factor <= 0.25 on two cores.  The vocoder's convolutions are most of a
render, so the question of whether a CPU can meet it is one of arithmetic:

1. ``cpu_peak.c`` (compiled here with the system C compiler, ``-march=native``) measures one core's
   multiply-add throughput for each instruction family the CPU has: float32 FMA (256 and 512 bit),
   8-bit u8 x s8 through vpmaddubsw + vpmaddwd (AVX2), int16 vpmaddwd (AVX2), and the VNNI dot
   products (vpdpbusd, 256 bit AVX-VNNI and 512 bit AVX-512 VNNI).
2. The engine renders the fixed lines (``benchmarks/lines.py``, half zh, half en) with onnxruntime's
   profiler on the decoder; every convolution's multiply-adds are counted from its shapes.
3. Printed: the convolutions' multiply-adds per delivered second of audio, the rate they ran at
   and its share of the cores' float peak, and the real-time factor the convolutions alone would
   cost at 100 % of the fastest path this CPU has.  If that floor is above the goal, no kernel
   that computes the convolutions directly can meet the goal on this CPU with this model.
4. Where the long convolutions run in the frequency domain (``FConv``, engine/embedded/native),
   they do fewer multiply-adds than the direct form: those are counted too (transforms and
   per-bin products), with the floor they set.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

CONV_OPS = ("Conv", "FusedConv", "QConv", "FConv", "WConv", "ConvTranspose")


def measure_peaks() -> dict[str, float]:
    """{kernel: GMAC/s on one core} from cpu_peak.c, or {} without a C compiler."""
    from engine.embedded.native import compiler

    cc = compiler()
    if cc is None:
        print("no C compiler: peaks not measured", file=sys.stderr)
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        exe = Path(tmp) / "cpu_peak"
        r = subprocess.run([cc, "-O2", "-march=native", "-o", str(exe), str(HERE / "cpu_peak.c")],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print("cpu_peak.c did not compile:\n" + r.stderr[-2000:], file=sys.stderr)
            return {}
        out = subprocess.run([str(exe)], capture_output=True, text=True, timeout=600).stdout
    peaks = {}
    for line in out.splitlines():
        name, value = line.split()
        peaks[name] = float(value)
    return peaks


def _shapes(args: dict) -> tuple[list, list] | None:
    """(input shapes, output shapes) of a convolution node as onnxruntime's profiler recorded them, or
    None when they cannot be read (no weights, no output)."""
    ins = [next(iter(s.values())) for s in args.get("input_type_shape", [])]
    outs = [next(iter(s.values())) for s in args.get("output_type_shape", [])]
    return (ins, outs) if len(ins) >= 2 and outs and len(ins[1]) >= 3 else None


def conv_macs(args: dict) -> int:
    """Multiply-adds of one convolution node from the shapes onnxruntime's profiler recorded."""
    if (shapes := _shapes(args)) is None:
        return 0
    ins, outs = shapes
    w = ins[1]
    if args["op_name"] == "ConvTranspose":  # weight [Ci, Co / groups, K...]: every input value meets Co/g x K taps
        return math.prod(ins[0]) * math.prod(w[1:])
    return math.prod(outs[0]) * math.prod(w[1:])  # weight [Co, Ci / groups, K...]


def fconv_macs(args: dict) -> int:
    """Multiply-adds an FConv node performs (frames of N = fconv_frame(K) samples, M = N / 2): per
    frame and channel, an FFT of M points (M/2 log2 M butterflies of ~5 operations) and its split
    into N/2 + 1 bins (~4 each), both ways; and the complex products of every bin and channel pair."""
    from engine.embedded.onnx_native import fconv_frame

    if (shapes := _shapes(args)) is None:
        return 0
    ins, outs = shapes
    co, ci, k = ins[1][0], ins[1][1], ins[1][-1]
    frame = fconv_frame(k)
    half, bins, hop = frame // 2, frame // 2 + 1, frame - k + 1
    transform = half // 2 * int(math.log2(half)) * 5 + bins * 4
    frames = outs[0][0] * math.ceil(outs[0][-1] / hop)  # batch items x frames of each
    return frames * ((ci + co) * transform + bins * 4 * ci * co)


def wconv_macs(args: dict) -> int:
    """Multiply-adds a WConv node (Winograd F(4, 3)) performs: per tile of 4 outputs, the 6 points'
    products of every (output, input) pair, and about 12 operations per input channel (B^T x) and
    per output channel (A^T m) for the transforms."""
    if (shapes := _shapes(args)) is None:
        return 0
    ins, outs = shapes
    co, ci = ins[1][0], ins[1][1]
    tiles = outs[0][0] * math.ceil(outs[0][-1] / 4)
    return tiles * (6 * ci * co + 12 * (ci + co))


def profile_decoder(n_lines: int, voice: str) -> dict:
    """Render the fixed lines with the decoder profiled; the convolutions' arithmetic and time."""
    from lines import EN_LINES, ZH_LINES

    import engine.embedded.kokoro_backend as kb
    from engine.types import SynthesisRequest

    folder = Path(tempfile.mkdtemp(prefix="dubline-peak-"))
    plain = kb._session_options

    def profiled(threads):
        so = plain(threads)
        so.enable_profiling = True
        so.profile_file_prefix = str(folder / "decoder")
        return so

    kb._session_options = profiled
    try:
        backend = kb.KokoroBackend()
    finally:
        kb._session_options = plain
    half = max(1, n_lines // 2)
    lines = ZH_LINES[:half] + EN_LINES[: n_lines - half]
    backend.generate(SynthesisRequest(lines[0], voice=voice))  # warm-up, left out below
    audio = wall = 0.0
    for text in lines:
        t0 = time.perf_counter()
        result = backend.generate(SynthesisRequest(text, voice=voice))
        wall += time.perf_counter() - t0
        audio += len(result.audio) / result.sample_rate
    events = json.loads(Path(backend._dec.end_profiling()).read_text())
    for name in ("_pred", "_pros"):
        Path(getattr(backend, name).end_profiling()).unlink(missing_ok=True)
    runs = sorted((e for e in events if e.get("cat") == "Session" and e["name"] == "model_run"), key=lambda e: e["ts"])
    first_end = runs[0]["ts"] + runs[0]["dur"] if runs else 0
    macs = done = conv_us = 0
    for e in events:
        if e.get("cat") != "Node" or not e["name"].endswith("_kernel_time") or e["ts"] < first_end:
            continue
        if e["args"]["op_name"] in CONV_OPS:
            macs += conv_macs(e["args"])
            op = e["args"]["op_name"]
            done += fconv_macs(e["args"]) if op == "FConv" else wconv_macs(e["args"]) if op == "WConv" \
                else conv_macs(e["args"])
            conv_us += e["dur"]
    shutil.rmtree(folder, ignore_errors=True)
    return {"lines": len(lines), "audio_s": audio, "wall_s": wall, "conv_macs": macs, "conv_macs_done": done,
            "conv_s": conv_us / 1e6, "qconv": bool(backend.qconv), "fconv": bool(getattr(backend, "fconv", False)),
            "native": backend.native_status}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=10, help="fixed lines to render (half zh, half en)")
    ap.add_argument("--voice", default="jf_alpha")
    ap.add_argument("--goal", type=float, default=0.25, help="the real-time factor to compare against")
    args = ap.parse_args()
    cores = len(os.sched_getaffinity(0))
    peaks = measure_peaks()
    print(f"one core's multiply-add peak ({cores} cores here), median of 5 runs:")
    for name, value in peaks.items():
        print(f"  {name:18s} {value:7.1f} GMAC/s")
    prof = profile_decoder(args.lines, args.voice)
    per_second = prof["conv_macs"] / prof["audio_s"] / 1e9
    rate = prof["conv_macs"] / prof["conv_s"] / 1e9 if prof["conv_s"] else float("nan")
    float_peak = max((v for k, v in peaks.items() if k.startswith("f32")), default=float("nan"))
    best_name, best = max(peaks.items(), key=lambda kv: kv[1]) if peaks else ("-", float("nan"))
    rtf = prof["wall_s"] / prof["audio_s"]
    kind = "8-bit" if prof["qconv"] else "float32, the long ones in the frequency domain" if prof["fconv"] else "float32"
    print(f"\nengine: {prof['lines']} lines, {prof['audio_s']:.1f} s of audio, RTF {rtf:.3f} "
          f"({kind} convolutions; {prof['native']})")
    path, path_peak = ("8-bit VNNI", peaks.get("u8s8_vnni_512", float("nan"))) if prof["qconv"] else ("float32", float_peak)
    done_per_second = prof["conv_macs_done"] / prof["audio_s"] / 1e9
    done_rate = prof["conv_macs_done"] / prof["conv_s"] / 1e9 if prof["conv_s"] else float("nan")
    print(f"  convolutions: {per_second:.1f} G multiply-adds per delivered second as direct convolutions, "
          f"{prof['conv_s']:.2f} s ({100 * prof['conv_s'] / prof['wall_s']:.0f} % of the wall time), "
          f"{rate:.1f} direct-equivalent GMAC/s on {cores} cores")
    print(f"  multiply-adds performed: {done_per_second:.1f} G per delivered second, {done_rate:.1f} GMAC/s "
          f"= {100 * done_rate / (cores * path_peak):.0f} % of their {path} peak")
    if not peaks:
        print("  no multiply-add peak was measured (no C compiler, or not an x86 CPU with AVX2): no verdict")
        return
    floor_float = per_second / (cores * float_peak)
    floor_best = per_second / (cores * best)
    print(f"  RTF of the convolutions alone at 100 % of the peak, computed directly: float32 {floor_float:.3f}, "
          f"{best_name} {floor_best:.3f}")
    if prof["fconv"]:
        floor_best = done_per_second / (cores * float_peak)
        print(f"  ... and as computed here (the long ones in the frequency domain): float32 {floor_best:.3f}")
    share = prof["conv_s"] / prof["wall_s"]
    other = rtf * (1 - share)
    print(f"  the rest of a render as it runs now (front end, predictor, other decoder nodes): RTF {other:.3f}")
    if floor_best > args.goal:
        verdict = f"cannot reach RTF {args.goal} with this model: its convolutions alone need {floor_best:.3f}"
    elif floor_best + other > args.goal:
        verdict = (f"could reach RTF {args.goal} only with the rest of a render made faster too: "
                   f"{floor_best:.3f} + {other:.3f} as it runs now")
    else:
        verdict = f"can reach RTF {args.goal}: floor {floor_best + other:.3f}"
    print(f"  so this CPU {verdict}")
    print(json.dumps({"peaks": peaks, "cores": cores, "conv_gmac_per_s_audio": round(per_second, 2),
                      "conv_rate_gmac_s": round(rate, 1), "conv_gmac_done_per_s_audio": round(done_per_second, 2),
                      "fconv": prof["fconv"], "rtf": round(rtf, 3),
                      "conv_floor_rtf": round(floor_best, 3), "rest_rtf": round(other, 3)}))


if __name__ == "__main__":
    main()
