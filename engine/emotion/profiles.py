"""Prosody profiles of the eight emotion categories, and how vectors mix them.

Emotion acts on prosody only: the voice's timbre (the style's first 128
dimensions, its pitch placement) is never touched.  Each category moves six
controls away from the speaker's neutral delivery:

* ``rate``      speaking rate, as a multiplier (durations of speech tokens / rate)
* ``pause``     pause lengths, as a multiplier
* ``f0_shift``  F0 level, in semitones
* ``f0_range``  F0 range around the speaker's median, as a multiplier (in log-F0)
* ``final``     the last stressed syllable's contour, semitones of rise (+) or fall (-)
* ``gain_db``   vocal effort, as loudness in dB

Directions and rough sizes follow the reviews of acoustic correlates of vocal
emotion: Scherer (2003), "Vocal communication of emotion: a review of research
paradigms", Speech Communication 40; Juslin & Laukka (2003), "Communication of
emotions in vocal expression and music performance", Psychological Bulletin
129 (a meta-analysis of 104 studies); Banse & Scherer (1996), JPSP 70.  Their
consensus, which the numbers below encode (sizes at full intensity, chosen
inside the ranges those studies report for acted speech):

* anger (hot): F0 level up (+2 to +4 st), range wider, rate faster, intensity
  up (+3 to +6 dB), falling finals;
* joy/happiness: F0 level up (+2 to +3 st), range much wider, rate a little
  faster, intensity up, rising/varied contours;
* sadness: F0 level down (-1 to -2 st), range narrower, rate slower (-15 to
  -25 %), longer pauses, intensity down, falling finals;
* fear: F0 level clearly up (+3 to +5 st), range moderate, rate fastest,
  short pauses;
* disgust: F0 level down, range slightly narrower, rate slower, long pauses;
* melancholy (low-arousal sadness): like sadness, slower and softer still;
* surprise: F0 level up, the widest range, strong final rise;
* calm (low-arousal content): F0 slightly down, narrow range, slightly slow,
  soft, gently falling finals.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from engine.types import EMOTIONS


@dataclass(frozen=True)
class Prosody:
    """Deviation from the speaker's neutral delivery (the identity is neutral)."""

    rate: float = 1.0
    pause: float = 1.0
    f0_shift: float = 0.0
    f0_range: float = 1.0
    final: float = 0.0
    gain_db: float = 0.0

    def is_neutral(self) -> bool:
        return self == Prosody()

    def scaled(self, alpha: float) -> Prosody:
        """``alpha`` of the way from neutral to this profile (multipliers blend in the log domain)."""
        a = float(alpha)
        return Prosody(
            rate=self.rate ** a,
            pause=self.pause ** a,
            f0_shift=self.f0_shift * a,
            f0_range=self.f0_range ** a,
            final=self.final * a,
            gain_db=self.gain_db * a,
        )

    def as_dict(self) -> dict:
        return {k: round(getattr(self, k), 4) for k in ("rate", "pause", "f0_shift", "f0_range", "final", "gain_db")}


PROFILES: dict[str, Prosody] = {
    "happy": Prosody(rate=1.10, pause=0.90, f0_shift=2.5, f0_range=1.40, final=1.5, gain_db=2.5),
    "angry": Prosody(rate=1.12, pause=0.80, f0_shift=2.5, f0_range=1.30, final=-2.5, gain_db=4.0),
    "sad": Prosody(rate=0.82, pause=1.45, f0_shift=-2.0, f0_range=0.65, final=-1.5, gain_db=-3.0),
    "afraid": Prosody(rate=1.18, pause=0.80, f0_shift=3.5, f0_range=1.15, final=1.0, gain_db=1.0),
    "disgusted": Prosody(rate=0.90, pause=1.25, f0_shift=-1.5, f0_range=0.90, final=-2.0, gain_db=-1.0),
    "melancholic": Prosody(rate=0.80, pause=1.55, f0_shift=-2.5, f0_range=0.60, final=-1.0, gain_db=-4.0),
    "surprised": Prosody(rate=1.05, pause=1.00, f0_shift=3.0, f0_range=1.60, final=4.0, gain_db=2.0),
    "calm": Prosody(rate=0.92, pause=1.20, f0_shift=-1.0, f0_range=0.75, final=-0.5, gain_db=-2.0),
}
assert tuple(PROFILES) == EMOTIONS


def normalise(vector) -> tuple[tuple[float, ...], list[str]]:
    """Validated copy of an 8-dim vector: components clipped to 0-1, a sum above 1 scaled down."""
    notes: list[str] = []
    v = [max(0.0, min(1.0, float(x))) for x in vector]
    s = sum(v)
    if s > 1.0 + 1e-9:
        v = [x / s for x in v]
        notes.append(f"emotion weights summed to {s:.2f}; scaled to sum to 1")
    return tuple(v), notes


def mix(vector) -> Prosody:
    """The prosody of a weighted mix of categories; weight left over (1 - sum) stays neutral."""
    logs = {"rate": 0.0, "pause": 0.0, "f0_range": 0.0}
    lin = {"f0_shift": 0.0, "final": 0.0, "gain_db": 0.0}
    for name, w in zip(EMOTIONS, vector, strict=True):
        if w <= 0:
            continue
        p = PROFILES[name]
        for k in logs:
            logs[k] += w * math.log(getattr(p, k))
        for k in lin:
            lin[k] += w * getattr(p, k)
    return Prosody(**{k: math.exp(v) for k, v in logs.items()}, **lin)


def dominant(vector) -> str | None:
    best = max(range(len(vector)), key=lambda i: vector[i])
    return EMOTIONS[best] if vector[best] > 0 else None


def nearest_vector(p: Prosody) -> tuple[float, ...]:
    """The one-hot category whose profile is nearest to ``p`` (shows what a clip resolved to)."""
    def dist(q: Prosody) -> float:
        return ((math.log(p.rate) - math.log(q.rate)) * 8) ** 2 + ((math.log(p.pause) - math.log(q.pause)) * 3) ** 2 \
            + ((p.f0_shift - q.f0_shift) / 1.5) ** 2 + ((math.log(p.f0_range) - math.log(q.f0_range)) * 4) ** 2 \
            + ((p.gain_db - q.gain_db) / 2.0) ** 2
    cands = [(dist(q), name) for name, q in PROFILES.items()]
    _, name = min(cands, key=lambda c: c[0])
    return tuple(1.0 if n == name else 0.0 for n in EMOTIONS)


__all__ = ["PROFILES", "Prosody", "dominant", "mix", "nearest_vector", "normalise", "replace"]
