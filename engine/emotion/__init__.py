"""Emotion for the embedded engine: vector, text prompt or reference clip -> prosody.

Sources, highest priority first (IndexTTS2's order): explicit vector > text
prompt > emotion reference audio > same as the voice.  ``from_line`` reads
the emotion from the line's own text.  Intensity alpha blends from the
speaker's neutral delivery towards the emotion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.emotion.profiles import PROFILES, Prosody, mix, nearest_vector, normalise
from engine.types import EMOTIONS, EmotionSpec


@dataclass(frozen=True)
class Resolved:
    prosody: Prosody
    vector: tuple[float, ...] | None  # what the engine understood (None: neutral, same as the voice)
    source: str  # vector | text | audio | line | voice
    warnings: list[str] = field(default_factory=list)


def resolve(spec: EmotionSpec, line_text: str = "") -> Resolved:
    spec.validate()
    alpha = float(spec.intensity)
    notes: list[str] = []
    if alpha > 0.9:
        notes.append(f"emotion intensity {alpha:g} is above 0.9 and may sound exaggerated")
    if spec.vector is not None:
        vec, n = normalise(spec.vector)
        notes += n
        if sum(vec) <= 0:
            return Resolved(Prosody(), None, "vector", notes + ["emotion vector is all zeros: neutral delivery"])
        return Resolved(mix(vec).scaled(alpha), vec, "vector", notes)
    if spec.text:
        from engine.emotion.text_prompt import text_to_vector

        vec = text_to_vector(spec.text)
        if sum(vec) <= 0:
            return Resolved(Prosody(), None, "text", notes + [f"no emotion recognised in “{spec.text}”: neutral"])
        return Resolved(mix(vec).scaled(alpha), vec, "text", notes)
    if spec.audio:
        from engine.emotion.from_audio import clip_prosody

        p = clip_prosody(spec.audio).to_prosody()
        return Resolved(p.scaled(alpha), nearest_vector(p), "audio", notes)
    if spec.from_line:
        from engine.emotion.text_prompt import text_to_vector

        vec = text_to_vector(line_text, allow_neutral=True)
        if sum(vec) <= 0:
            return Resolved(Prosody(), None, "line", notes)
        return Resolved(mix(vec).scaled(alpha), vec, "line", notes)
    return Resolved(Prosody(), None, "voice", [])


def parse_vector(text: str) -> tuple[float, ...]:
    """``"happy=0.8,surprised=0.2"`` -> an 8-dim vector (errors name the bad part)."""
    from engine.errors import RequestError

    vec = dict.fromkeys(EMOTIONS, 0.0)
    for part in str(text).split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, val = part.partition("=")
        name = name.strip().lower()
        if name not in vec:
            raise RequestError(f"unknown emotion {name!r}; use {', '.join(EMOTIONS)}")
        if not sep:
            raise RequestError(f"emotion {name} needs a weight, e.g. {name}=0.8")
        try:
            w = float(val)
        except ValueError:
            raise RequestError(f"emotion {name}: {val.strip()!r} is not a number") from None
        if w != w or w < 0:
            raise RequestError(f"emotion {name}: weight must be 0-1, got {val.strip()}")
        vec[name] = w
    return tuple(vec[n] for n in EMOTIONS)


__all__ = ["EMOTIONS", "PROFILES", "Prosody", "Resolved", "parse_vector", "resolve"]
