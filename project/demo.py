"""Headless render of the bundled demo line set (resources/demo/lines.json).

Used when there is no display, and as a smoke test of the whole engine: every
line is rendered at its exact duration and placed at its start time in a mix.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import numpy as np


def demo_lines() -> dict:
    from engine import resources

    return json.loads(resources.read_text("demo", "lines.json"))


def render_demo(out_dir: Path, progress: Callable[[str], None] | None = None) -> Path:
    """Render every demo line to ``out_dir`` and write ``demo_mix.wav``; return the mix path."""
    from engine import DurationSpec, SynthesisRequest
    from engine.api import get_engine
    from engine.audio_io import write_audio

    out_dir.mkdir(parents=True, exist_ok=True)
    spec = demo_lines()
    eng = get_engine(progress=progress)
    sr = eng.sample_rate
    end = max(line["start"] + line["duration"] for line in spec["lines"])
    mix = np.zeros(int(round((end + 0.5) * sr)), dtype=np.float32)
    for i, line in enumerate(spec["lines"], 1):
        if progress:
            progress(f"[{i}/{len(spec['lines'])}] {line['text']}")
        req = SynthesisRequest(line["text"], voice=line["voice"], duration=DurationSpec.exact(line["duration"]))
        res = eng.generate(req)
        write_audio(out_dir / f"line_{i:02d}.wav", res.audio, res.sample_rate)
        a = int(round(line["start"] * sr))
        mix[a : a + res.num_samples] += res.audio
    return write_audio(out_dir / "demo_mix.wav", mix, sr)
