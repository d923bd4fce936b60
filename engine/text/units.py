"""Value types produced by the text front end.

A line of text becomes a flat list of :class:`Unit`. Concatenating the units'
``phonemes`` gives the exact phoneme string fed to the acoustic model (every
character is one model token). Each unit remembers which span of the *raw input
text* it came from, so timings per token can be turned into timings per
character and word, and anchors ("character 5 starts at 1.40 s") can be mapped
onto tokens.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import EngineError


@dataclass(frozen=True)
class Syllable:
    """One Mandarin syllable as it will be spoken (after sandhi)."""

    pinyin: str  # tone-number form as spoken, e.g. "ni2" after 3-3 sandhi, "de5" neutral
    tone: int  # 1..5 as spoken (5 = neutral)
    lexical_tone: int  # 1..5 before sandhi
    # Slice of the owning unit's ``phonemes`` that carries voicing (voiced
    # initial such as m/n/l/ɻ, glide, vowels, nasal coda, tone arrow).  The
    # tone contour is drawn over the frames of these tokens.
    voiced_start: int
    voiced_end: int


@dataclass(frozen=True)
class Unit:
    """A piece of the line with its phonemes and where it came from."""

    kind: str  # "zh" (one syllable), "en" (one word), "pause" (punctuation), "space"
    text: str  # surface text this unit speaks (after normalisation, e.g. "二" for "2")
    src_start: int  # span [src_start, src_end) in the raw input text
    src_end: int
    phonemes: str  # Kokoro vocabulary symbols only; may be "" for nothing-to-say units
    syllables: tuple[Syllable, ...] = field(default=())  # zh: exactly one; else empty


class TextError(EngineError, ValueError):
    """A problem with the user's text. ``position`` is an index into the raw text."""

    def __init__(self, message: str, position: int | None = None):
        super().__init__(message)
        self.message = message
        self.position = position

    def __str__(self) -> str:  # one line, suitable for the CLI
        if self.position is None:
            return self.message
        return f"{self.message} (at character {self.position})"
