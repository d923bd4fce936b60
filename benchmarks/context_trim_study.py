"""Study (#14): can the vocoder decode less of the model's natural lead and tail without being heard?

The embedded engine feeds the model the line's boundary tokens at their natural lengths (the silence
before the first phoneme, the final punctuation and end token after the last heard one) and cuts that
audio away afterwards: about 1.25 decoded frames per delivered frame, the real-time factor's largest
cost.  This study renders the same lines with less of that context and scores them with the recogniser.

Variants (``--variants``; each LEAD/TAIL in 25 ms frames):

* ``none``          the engine as it is;
* ``ctx:L/T``       the context capped for the prosody predictor *and* the decoder (lead at L frames,
                    the silence tokens after the last heard one at T frames in all);
* ``dec:L/T``       the prosody computed from the full context as now, only the decoder fed L/T frames
                    of it (its output padded back with zeros where the engine cuts anyway).

Two phases, as bench_intelligibility.py (whose scorer reads the manifest written here):

    .venv/bin/python benchmarks/context_trim_study.py [--out DIR] [--variants none dec:6/6 ...]
    .venv/bin/python benchmarks/bench_intelligibility.py score --out DIR

It prints, per variant, decoded frames per delivered frame, and the log-mel distance (loud frames) and
GE2E similarity of each clip to the ``none`` clip of the same line.  Lines: the first 40 zh and 25 en
DEV lines of lines_unseen.py; voices jf_alpha and jm_kumo; ratio 1.0.  Figures of the run on 2026-12-04
are in issue #14's notes and the README's real-time-factor row.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import engine.embedded.kokoro_backend as kb  # noqa: E402

VOICES = ("jf_alpha", "jm_kumo")


def parse_variant(v: str) -> tuple[str, int, int]:
    if v == "none":
        return "none", 0, 0
    kind, caps = v.split(":")
    lead, tail = (int(x) for x in caps.split("/"))
    if kind not in ("ctx", "dec"):
        raise SystemExit(f"unknown variant {v!r}: none, ctx:L/T or dec:L/T")
    return kind, lead, tail


def trim(dm: np.ndarray, lead_extra: int, tail_extra: int, first_silent: int, lead: int, tail: int):
    """(durations, frames cut at the start, frames cut at the end): the lead token down to ``lead`` extra
    frames, the tokens from ``first_silent`` on (last first) down to ``tail`` extra frames in all; every
    token keeps at least one frame."""
    d2 = dm.copy()
    rl = max(0, min(lead_extra - lead, int(d2[0]) - 1))
    d2[0] -= rl
    left = max(0, tail_extra - tail)
    want = left
    j = len(d2) - 1
    while left > 0 and j >= first_silent:
        take = min(left, int(d2[j]) - 1)
        if take > 0:
            d2[j] -= take
            left -= take
        j -= 1
    return d2, rl, want - left


class Study:
    """Hooks on the backend's context feeding (``_fed_durations``) and decoder session for one variant."""

    def __init__(self, eng):
        self.eng = eng
        self.variant = ("none", 0, 0)
        self.fed = self.kept = 0
        self.last: dict = {}
        self._fed = kb._fed_durations
        self._dec = eng._dec
        kb._fed_durations = self.fed_durations
        eng._dec = self

    def fed_durations(self, pp, d, tail, off):
        dm, lead_extra, tail_extra = self._fed(pp, d, tail, off)
        in_pass = tail is not None and off <= tail.index < off + len(d)
        first_silent = tail.index - off + 1 if in_pass else len(d) - 1
        kind, lead, tl = self.variant
        if kind == "ctx":
            dm, rl, rt = trim(dm, lead_extra, tail_extra, first_silent, lead, tl)
            lead_extra, tail_extra = lead_extra - rl, tail_extra - rt
        self.last = {"dm": dm, "lead": lead_extra, "tail": tail_extra, "first_silent": first_silent,
                     "kept": int(np.asarray(d).sum())}
        return dm, lead_extra, tail_extra

    def run(self, names, feed):  # the decoder session's run
        kind, lead, tl = self.variant
        last = self.last
        self.kept += last["kept"]
        if kind != "dec" or not np.array_equal(feed["durations"][0], last["dm"]):
            self.fed += int(feed["durations"].sum())
            return self._dec.run(names, feed)
        d2, rl, rt = trim(last["dm"], last["lead"], last["tail"], last["first_silent"], lead, tl)
        cut = dict(feed, durations=d2[None, :].astype(np.int64),
                   f0=feed["f0"][:, 2 * rl: feed["f0"].shape[1] - 2 * rt],
                   energy=feed["energy"][:, 2 * rl: feed["energy"].shape[1] - 2 * rt])
        self.fed += int(d2.sum())
        out = self._dec.run(names, cut)[0].reshape(-1)
        pad = np.zeros(rl * kb.FRAME, np.float32), np.zeros(rt * kb.FRAME, np.float32)
        return [np.concatenate([pad[0], out, pad[1]])[None, :]]


def log_mel(x: np.ndarray, sr: int = 24000) -> np.ndarray:
    n, hop = 1024, 256
    frames = np.lib.stride_tricks.sliding_window_view(np.pad(x, (n // 2, n // 2)), n)[::hop] * np.hanning(n)
    power = np.abs(np.fft.rfft(frames, axis=1)) ** 2
    mel = 2595 * np.log10(1 + np.fft.rfftfreq(n, 1 / sr) / 700)
    edges = np.linspace(0, mel.max(), 82)
    bank = np.array([np.clip(np.minimum((mel - edges[i]) / (edges[i + 1] - edges[i]),
                                        (edges[i + 2] - mel) / (edges[i + 2] - edges[i + 1])), 0, None)
                     for i in range(80)])
    return 10 * np.log10(power @ bank.T + 1e-8)


def main() -> None:
    from lines_unseen import SETS

    from engine import DurationSpec, SynthesisRequest
    from engine import speaker as spk
    from engine.api import get_engine

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default="/tmp/dubline_context_trim")
    ap.add_argument("--variants", nargs="+", default=["none", "ctx:8/12", "ctx:4/4", "dec:6/6", "dec:3/3"])
    ap.add_argument("--lines", type=int, default=40, help="at most this many lines per language (40 zh, 25 en)")
    args = ap.parse_args()
    variants = ["none"] + [v for v in args.variants if v != "none"]
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    study = Study(get_engine("embedded", "cpu"))
    sets = [("zh", SETS["zh_dev"][:min(40, args.lines)]), ("en", SETS["en_dev"][:min(25, args.lines)])]
    items, audio = [], {}
    for v in variants:
        study.variant, study.fed, study.kept = parse_variant(v), 0, 0
        tag = v.replace(":", "_").replace("/", "_")
        for lang, lines in sets:
            for voice in VOICES:
                for i, text in enumerate(lines):
                    res = study.eng.generate(SynthesisRequest(text, voice=voice, duration=DurationSpec.of_ratio(1.0)))
                    name = f"{tag}_{lang}_{voice}_1_{i:02d}.wav"
                    sf.write(str(out / name), res.audio, res.sample_rate, subtype="FLOAT")
                    audio[(v, lang, voice, i)] = res.audio
                    items.append({"variant": v, "lang": lang, "voice": voice, "ratio": 1.0, "index": i,
                                  "text": text, "wav": name})
        line = f"{v:<10} decoded per delivered frame {study.fed / max(1, study.kept):.3f}"
        if v != "none":
            dist, sim = [], []
            for (vv, lang, voice, i), x in audio.items():
                if vv != v:
                    continue
                ref = audio[("none", lang, voice, i)]
                a, b = log_mel(ref), log_mel(x)
                loud = a.max(axis=1) > a.max() - 50
                dist.append(float(np.sqrt(((a - b)[loud] ** 2).mean())))
                sim.append(spk.similarity(spk.embed(ref, 24000), spk.embed(x, 24000)))
            line += (f"; log-mel distance to none median {statistics.median(dist):.2f} dB; "
                     f"GE2E similarity median {statistics.median(sim):.4f} (min {min(sim):.4f})")
        print(line, flush=True)
    (out / "manifest.json").write_text(json.dumps({"items": items}, ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"score with: .venv/bin/python benchmarks/bench_intelligibility.py score --out {out}")


if __name__ == "__main__":
    main()
