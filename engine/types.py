"""Value types of the engine's public API: what a request holds, what a result holds.

Everything here is plain data (no model, no Qt) so the editor, the CLI and the
project model can build, store and compare requests freely.  Units are in the
names: ``*_seconds``, ``*_samples``, ``*_hz``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.errors import RequestError

#: The longest line we accept, and the longest target duration.
MAX_TEXT_CHARS = 2000
MAX_DURATION_SECONDS = 600.0

#: IndexTTS2's emotion categories, in its order.  Projects store vectors in this order.
EMOTIONS: tuple[str, ...] = (
    "happy",
    "angry",
    "sad",
    "afraid",
    "disgusted",
    "melancholic",
    "surprised",
    "calm",
)


@dataclass(frozen=True)
class DurationSpec:
    """How long the line should be.

    mode:
      * ``"free"``  – natural length (optionally capped by ``max_tokens``)
      * ``"ratio"`` – ``ratio`` x natural length
      * ``"exact"`` – exactly ``round(seconds * sample_rate)`` samples

    ``max_tokens`` caps the output length in model frames (25 ms each), like
    IndexTTS's ``max_mel_tokens``: a longer line is compressed to fit.
    ``anchors`` pins character starts inside the line:
    ``((char_index, seconds_from_line_start), ...)``; they need ``exact``.
    """

    mode: str = "free"
    seconds: float | None = None
    ratio: float | None = None
    max_tokens: int | None = None
    anchors: tuple[tuple[int, float], ...] = ()

    @staticmethod
    def free(max_tokens: int | None = None) -> DurationSpec:
        return DurationSpec("free", max_tokens=max_tokens)

    @staticmethod
    def exact(seconds: float, anchors: tuple[tuple[int, float], ...] = ()) -> DurationSpec:
        return DurationSpec("exact", seconds=seconds, anchors=tuple(anchors))

    @staticmethod
    def of_ratio(ratio: float) -> DurationSpec:
        return DurationSpec("ratio", ratio=ratio)

    def validate(self) -> None:
        if self.mode not in ("free", "ratio", "exact"):
            raise RequestError(f"unknown duration mode {self.mode!r} (use free, ratio or exact)")
        if self.mode == "exact":
            if self.seconds is None or not _finite(self.seconds):
                raise RequestError("exact duration needs a number of seconds")
            if self.seconds <= 0:
                raise RequestError(f"duration must be positive, got {self.seconds:g} s")
            if self.seconds > MAX_DURATION_SECONDS:
                raise RequestError(
                    f"duration {self.seconds:g} s is longer than the {MAX_DURATION_SECONDS:g} s limit"
                )
        if self.mode == "ratio":
            if self.ratio is None or not _finite(self.ratio):
                raise RequestError("ratio duration needs a number")
            if not 0.2 <= self.ratio <= 5.0:
                raise RequestError(f"duration ratio {self.ratio:g} is outside 0.2-5.0")
        if self.max_tokens is not None:
            if int(self.max_tokens) != self.max_tokens or self.max_tokens < 1:
                raise RequestError("max tokens must be a positive whole number")
        if self.anchors and self.mode != "exact":
            raise RequestError("anchors need an exact duration (--duration)")
        for idx, sec in self.anchors:
            if int(idx) != idx or idx < 0:
                raise RequestError(f"anchor character index {idx!r} must be a non-negative integer")
            if not _finite(sec) or sec < 0:
                raise RequestError(f"anchor for character {idx} has an invalid time {sec!r}")

    def to_dict(self) -> dict:
        d: dict = {"mode": self.mode}
        if self.seconds is not None:
            d["seconds"] = self.seconds
        if self.ratio is not None:
            d["ratio"] = self.ratio
        if self.max_tokens is not None:
            d["max_tokens"] = self.max_tokens
        if self.anchors:
            d["anchors"] = [[int(i), float(s)] for i, s in self.anchors]
        return d

    @staticmethod
    def from_dict(d: Mapping) -> DurationSpec:
        anchors = tuple((int(i), float(s)) for i, s in d.get("anchors", ()))
        spec = DurationSpec(
            mode=str(d.get("mode", "free")),
            seconds=None if d.get("seconds") is None else float(d["seconds"]),
            ratio=None if d.get("ratio") is None else float(d["ratio"]),
            max_tokens=None if d.get("max_tokens") is None else int(d["max_tokens"]),
            anchors=anchors,
        )
        spec.validate()
        return spec


@dataclass(frozen=True)
class EmotionSpec:
    """Which emotion to speak with.  Sources, highest priority first:
    ``vector`` > ``text`` > ``audio`` > same as the voice (all empty).

    ``from_line`` asks to infer the emotion from the line's own text.
    ``intensity`` (alpha) blends from the voice's neutral delivery to the emotion.
    """

    vector: tuple[float, ...] | None = None
    text: str | None = None
    audio: str | None = None
    from_line: bool = False
    intensity: float = 0.8

    def is_neutral(self) -> bool:
        return self.vector is None and not self.text and not self.audio and not self.from_line

    def validate(self) -> None:
        if not _finite(self.intensity) or not 0.0 <= self.intensity <= 1.0:
            raise RequestError(f"emotion intensity must be between 0 and 1, got {self.intensity!r}")
        if self.vector is not None:
            if len(self.vector) != len(EMOTIONS):
                raise RequestError(f"emotion vector needs {len(EMOTIONS)} values ({', '.join(EMOTIONS)})")
            for name, v in zip(EMOTIONS, self.vector, strict=False):
                if not _finite(v):
                    raise RequestError(f"emotion {name} is not a number")
                if v < 0:
                    raise RequestError(f"emotion {name} is negative ({v:g}); use 0-1")
                if v > 1:
                    raise RequestError(f"emotion {name} is {v:g}; weights are 0-1")
        for what, value in (("text", self.text), ("audio", self.audio)):
            if value is not None and not isinstance(value, str):
                raise RequestError(f"emotion {what} must be text, not {type(value).__name__}")
        if self.text is not None and len(self.text) > MAX_TEXT_CHARS:
            raise RequestError(f"emotion text is {len(self.text)} characters long; the limit is {MAX_TEXT_CHARS}")
        if self.audio is not None and len(self.audio) > 4096:
            raise RequestError("emotion clip path is too long")

    def to_dict(self) -> dict:
        d: dict = {"intensity": self.intensity}
        if self.vector is not None:
            d["vector"] = list(self.vector)
        if self.text:
            d["text"] = self.text
        if self.audio:
            d["audio"] = self.audio
        if self.from_line:
            d["from_line"] = True
        return d

    @staticmethod
    def from_dict(d: Mapping) -> EmotionSpec:
        """Build and validate; RequestError (one line) for missing pieces and wrong types alike."""
        if not isinstance(d, Mapping):
            raise RequestError("an emotion must be an object")
        vec = d.get("vector")
        if vec is not None and (not isinstance(vec, (list, tuple)) or len(vec) != len(EMOTIONS)
                                or not all(_number(v) for v in vec)):
            raise RequestError(f"emotion vector needs {len(EMOTIONS)} numbers ({', '.join(EMOTIONS)})")
        for key in ("text", "audio"):
            if d.get(key) is not None and not isinstance(d.get(key), str):
                raise RequestError(f"emotion {key} must be text, not {type(d.get(key)).__name__}")
        if not isinstance(d.get("from_line", False), bool):
            raise RequestError("emotion from_line must be true or false")
        if not _number(d.get("intensity", 0.8)):
            raise RequestError("emotion intensity must be a number from 0 to 1")
        spec = EmotionSpec(
            vector=None if vec is None else tuple(float(v) for v in vec),
            text=d.get("text") or None,
            audio=d.get("audio") or None,
            from_line=bool(d.get("from_line", False)),
            intensity=float(d.get("intensity", 0.8)),
        )
        spec.validate()
        return spec


@dataclass(frozen=True)
class SynthesisRequest:
    """One line to speak."""

    text: str
    voice: str = "jf_alpha"
    duration: DurationSpec = field(default_factory=DurationSpec)
    emotion: EmotionSpec = field(default_factory=EmotionSpec)
    glossary: tuple[tuple[str, str], ...] = ()
    seed: int = 0

    def validate(self) -> None:
        if not isinstance(self.text, str):
            raise RequestError("text must be a string")
        if len(self.text) > MAX_TEXT_CHARS:
            raise RequestError(
                f"text is {len(self.text)} characters long; the limit is {MAX_TEXT_CHARS} per line"
            )
        self.duration.validate()
        self.emotion.validate()
        _check_inline_tones(self.text)


@dataclass(frozen=True)
class UnitTiming:
    """When a piece of the line is spoken, in seconds from the start of the output."""

    text: str
    kind: str  # zh | en | pause | space
    src_start: int  # character span in the request text
    src_end: int
    start_seconds: float
    end_seconds: float
    phonemes: str


@dataclass
class SynthesisResult:
    """The audio and everything the editor needs to draw and align it."""

    audio: object  # numpy float32 mono array; typed loosely to keep numpy out of the signature
    sample_rate: int
    natural_seconds: float
    ratio: float  # output duration / natural duration
    phonemes: str
    units: list[UnitTiming]
    token_durations: list[int]  # per model token, in frames (25 ms)
    warnings: list[str] = field(default_factory=list)
    backend: str = ""
    voice: str = ""
    emotion_vector: tuple[float, ...] | None = None
    anchors_achieved: list[tuple[int, float]] = field(default_factory=list)

    @property
    def num_samples(self) -> int:
        return int(len(self.audio))  # type: ignore[arg-type]

    @property
    def seconds(self) -> float:
        return self.num_samples / self.sample_rate

    def char_times(self, text_length: int) -> list[tuple[float, float] | None]:
        """Start/end seconds per character of the request text (None where silent)."""
        out: list[tuple[float, float] | None] = [None] * text_length
        for u in self.units:
            for i in range(max(0, u.src_start), min(text_length, u.src_end)):
                cur = out[i]
                if cur is None:
                    out[i] = (u.start_seconds, u.end_seconds)
                else:
                    out[i] = (min(cur[0], u.start_seconds), max(cur[1], u.end_seconds))
        return out

    def metadata(self) -> dict:
        """JSON-ready description (used by ``dubline say --json``)."""
        return {
            "backend": self.backend,
            "voice": self.voice,
            "sample_rate": self.sample_rate,
            "samples": self.num_samples,
            "seconds": round(self.seconds, 6),
            "natural_seconds": round(self.natural_seconds, 6),
            "ratio": round(self.ratio, 4),
            "phonemes": self.phonemes,
            "emotion_vector": None if self.emotion_vector is None else list(self.emotion_vector),
            "anchors": [{"char": i, "start_seconds": round(s, 6)} for i, s in self.anchors_achieved],
            "timings": [
                {
                    "text": u.text,
                    "kind": u.kind,
                    "char_start": u.src_start,
                    "char_end": u.src_end,
                    "start": round(u.start_seconds, 6),
                    "end": round(u.end_seconds, 6),
                    "phonemes": u.phonemes,
                }
                for u in self.units
                if u.kind != "space"
            ],
            "warnings": list(self.warnings),
        }


def _number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


#: An inline override written like ``XING2`` but with a tone that does not exist (``XING9``, ``XING0``).
_BAD_INLINE_TONE = re.compile(r"(?<![A-Za-z0-9])((?:[A-ZÜ]|U:){2,7})([06-9])(?![0-9A-Za-z])")


def _check_inline_tones(text: str) -> None:
    """Refuse ``XING9``: it is an inline pinyin override with a tone outside 1-5, not letters to spell."""
    for m in _BAD_INLINE_TONE.finditer(text):
        from engine.text.pinyin import is_valid_syllable

        letters = m.group(1).lower().replace("u:", "ü")
        if is_valid_syllable(letters):
            raise RequestError(f"{m.group(0)} at character {m.start()}: a pinyin tone is 1-5 "
                               f"(e.g. {m.group(1)}2), not {m.group(2)}")


def _finite(x) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False
