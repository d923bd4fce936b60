"""Check engine/speaker.py (numpy GE2E) against resemblyzer's own torch implementation.

The app never needs torch; this one-off check does.  Run it in a throwaway
environment that has torch (CPU), librosa and resemblyzer (``--no-deps``):

    python3 -m venv /tmp/venv-verify
    /tmp/venv-verify/bin/pip install torch==2.13.0 librosa soxr
    /tmp/venv-verify/bin/pip install --no-deps resemblyzer
    PYTHONPATH=$PWD /tmp/venv-verify/bin/python scripts/verify_speaker_encoder.py AUDIO.npy[:SR] ...

Each input is a mono float32 ``.npy`` (sample rate after a colon, 24000 by
default; the engine's output rate).  For each clip it prints how far our
mel features, partial embeddings and utterance embedding are from
resemblyzer's on the same preprocessed 16 kHz audio.  (Preprocessing itself
differs on purpose: resemblyzer trims pauses with webrtcvad, which we do not
ship; ours is an energy gate with the same 6-window hangover.)
"""

from __future__ import annotations

import sys
import types

import numpy as np


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__)
        return 2
    if "webrtcvad" not in sys.modules:  # resemblyzer.audio imports it; we never call its VAD
        try:
            import webrtcvad  # noqa: F401
        except ImportError:
            sys.modules["webrtcvad"] = types.ModuleType("webrtcvad")
    import torch
    from resemblyzer import VoiceEncoder
    from resemblyzer.audio import wav_to_mel_spectrogram

    from engine import speaker

    torch.set_num_threads(1)
    enc = VoiceEncoder(device="cpu", verbose=False)
    worst = 1.0
    for arg in argv:
        path, _, sr = arg.partition(":")
        wav = np.load(path).astype(np.float32)
        wav16 = speaker.preprocess(wav, int(sr or 24000))
        ours_mel = speaker.mel_power(wav16)
        ref_mel = wav_to_mel_spectrogram(wav16)
        n = min(len(ours_mel), len(ref_mel))
        mel_err = float(np.max(np.abs(ours_mel[:n] - ref_mel[:n])) / np.max(np.abs(ref_mel)))
        batch = np.stack([ref_mel[a:b] for a, b in speaker._partials(len(wav16))
                          if b <= len(ref_mel)])
        with torch.no_grad():
            ref_part = enc(torch.from_numpy(batch)).numpy()
        our_part = speaker._forward(batch)
        part_err = float(np.max(np.abs(ref_part - our_part)))
        ref_utt = enc.embed_utterance(wav16)
        our_utt = speaker.embed_processed(wav16)
        cos = speaker.similarity(ref_utt, our_utt)
        worst = min(worst, cos)
        print(f"{path}: {len(wav16) / 16000:.1f} s | frames {len(ours_mel)} vs {len(ref_mel)} | "
              f"mel max rel err {mel_err:.2e} | partials {len(batch)}, max abs diff {part_err:.2e} | "
              f"utterance cosine {cos:.6f}")
    print(f"worst utterance cosine {worst:.6f}")
    return 0 if worst > 0.999 else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
