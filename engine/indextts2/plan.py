"""Pure planning for the IndexTTS2 backend (no torch): text mapping, pieces, lengths, timings.

IndexTTS2 reads text, not phonemes, and its front end takes pinyin as
tone-number syllables written inline (``FA1 CHU1``).  Dubline's own override
syntax (``出发[fā chū]``, ``重【chóng】新``, ``XING2``) and glossary are mapped
onto that form here, with the same validation and error positions as the
embedded engine.

Durations: the model's mel stage is ``frames x 256`` samples at 22,050 Hz per
text segment, with silence between segments.  :func:`split_frames` spreads a
target over segments in proportion to their natural lengths; word anchors
split the line into pieces (:func:`anchor_pieces`) that each get an exact
length.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from engine.errors import DurationError, RequestError
from engine.text.units import TextError
from engine.types import UnitTiming

SAMPLE_RATE = 22050
HOP = 256  # samples per mel frame
CODE_TO_FRAMES = 1.72  # the package's mel frames per semantic code
INTERVAL_SILENCE_MS = 200
MIN_FRAMES_PER_SEGMENT = 4

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD_RE = re.compile(r"[A-Za-zÀ-ɏ]+(?:['’][A-Za-z]+)*|\d+(?:[.,]\d+)*")


def numbered(p) -> str:
    """A ParsedPinyin as IndexTTS writes it: upper case, tone number, ü as V (``LV4``, ``XING2``)."""
    s = f"{p.base}{p.tone}".replace("ü", "v").replace("u:", "v").upper()
    return s + " ER5" if p.erhua else s


def map_text(text: str) -> tuple[str, list[int]]:
    """Dubline text -> IndexTTS2 text, and for every output character the source index it came from.

    Bracket overrides replace their characters by tone-number syllables and
    the markup disappears; ``XING2`` tokens are already IndexTTS's form.
    Raises :class:`TextError` (with the position) for malformed overrides.
    """
    from engine.text.zh import parse_overrides

    scan = parse_overrides(text)
    skip = [False] * len(text)
    for s, e in scan.markup:
        for q in range(s, e):
            skip[q] = True
    out: list[str] = []
    src: list[int] = []
    i = 0
    while i < len(text):
        if skip[i]:
            i += 1
            continue
        fixed = scan.fixed.get(i)
        if fixed is not None:
            end, p = fixed
            syl = numbered(p)
            # separate from neighbouring Latin letters so the syllable stays a token of its own
            piece = (" " if out and out[-1].isascii() and out[-1].isalnum() else "") + syl + " "
            out.extend(piece)
            src.extend([i] * len(piece))
            i = end
            continue
        out.append(text[i])
        src.append(i)
        i += 1
    return "".join(out), src


def glossary_entries(glossary: Sequence[tuple[str, str]]) -> dict[str, str]:
    """The user glossary as IndexTTS glossary entries (term -> tone-number reading)."""
    if not glossary:
        return {}
    from engine.text.pinyin import parse_syllable, split_syllables
    from engine.text.zh import compile_glossary

    compile_glossary(dict(glossary))  # same validation and messages as the embedded engine
    out = {}
    for term, reading in glossary:
        out[unicodedata.normalize("NFC", term.strip())] = " ".join(numbered(parse_syllable(s))
                                                                  for s in split_syllables(reading)) + " "
    return out


# --------------------------------------------------------------------------- pieces


@dataclass(frozen=True)
class Piece:
    """A stretch of the line rendered by one model call.

    ``src_start``/``src_end`` index the request text; ``lead_samples`` is
    silence before the speech (an anchor later than the previous piece's end);
    ``samples`` the exact length of the speech (None: natural or ratio).
    """

    src_start: int
    src_end: int
    samples: int | None
    lead_samples: int = 0


def speakable(text: str) -> bool:
    return bool(_CJK_RE.search(text) or re.search(r"[A-Za-z0-9]", text))


def anchor_pieces(text: str, total_samples: int, anchors: Sequence[tuple[int, float]]) -> list[Piece]:
    """Split a line at its word anchors into pieces with exact lengths.

    An anchor ``(char, seconds)`` makes character ``char`` start exactly at
    ``seconds``: the piece boundary lies there.  Anchors must be in text order
    and time order and inside the line.
    """
    pts = sorted((int(c), float(s)) for c, s in anchors)
    bounds: list[tuple[int, int]] = []  # (char, sample)
    last_t = -1
    for c, s in pts:
        if not 0 <= c < len(text):
            raise RequestError(f"anchor character {c} is outside the text (0-{len(text) - 1})")
        t = int(round(s * SAMPLE_RATE))
        if t >= total_samples:
            raise DurationError(f"the anchor at {s:.2f} s is at or after the end of the line")
        if t <= last_t:
            raise DurationError("anchors must keep the text order: a later character cannot start earlier")
        last_t = t
        bounds.append((c, t))
    if not bounds:
        return [Piece(0, len(text), total_samples)]
    pieces: list[Piece] = []
    start_c, start_t = 0, 0
    for c, t in bounds:
        if c == 0:
            start_t = t  # the first word starts late: silence before it
            continue
        pieces.append(Piece(start_c, c, t - start_t, 0))
        start_c, start_t = c, t
    pieces.append(Piece(start_c, len(text), total_samples - start_t, 0))
    if bounds[0][0] == 0 and bounds[0][1] > 0:
        first = pieces[0]
        pieces[0] = Piece(first.src_start, first.src_end, first.samples, bounds[0][1])
    return pieces


# --------------------------------------------------------------------------- segment lengths


def silence_samples(n_segments: int, target_samples: int | None) -> int:
    """Samples of silence between segments (200 ms, less when a short target needs the room)."""
    sil = int(SAMPLE_RATE * INTERVAL_SILENCE_MS / 1000)
    if n_segments <= 1 or target_samples is None:
        return sil
    room = target_samples - n_segments * MIN_FRAMES_PER_SEGMENT * HOP
    if room <= 0:
        return 0
    return min(sil, room // (2 * (n_segments - 1)))


def frames_budget(target_samples: int, n_segments: int, silence: int) -> int:
    """Mel frames to spread over the segments so that speech + silences >= the target."""
    speech = target_samples - (n_segments - 1) * silence
    frames = math.ceil(speech / HOP)
    if frames < n_segments:
        raise DurationError(
            f"{target_samples / SAMPLE_RATE:.3f} s is too short for this text "
            f"({n_segments} segment{'s' if n_segments != 1 else ''} need at least "
            f"{n_segments * HOP / SAMPLE_RATE:.3f} s)"
        )
    return frames


def next_segment_frames(remaining: int, natural: float, later_text_tokens: Sequence[int],
                        frames_per_text_token: float) -> int:
    """Frames for the current segment when ``remaining`` must cover it and the segments after it.

    Later segments are not generated yet: their natural lengths are estimated
    from their text tokens at the rate seen so far.  The last segment takes
    exactly what remains, so the total is always exact.
    """
    n_later = len(later_text_tokens)
    if n_later == 0:
        return remaining
    later = sum(later_text_tokens) * frames_per_text_token
    share = remaining * natural / max(natural + later, 1e-9)
    return int(min(max(round(share), 1), remaining - n_later))


def ratio_warning(ratio: float) -> str | None:
    """The same advice as the embedded engine gives, for IndexTTS2's safer range (0.75-1.33x)."""
    if ratio < 0.75:
        return f"compressed to {ratio:.2f}x natural: IndexTTS2 resamples its speech tokens, intelligibility at risk"
    if ratio > 1.33:
        return f"stretched to {ratio:.2f}x natural: IndexTTS2 resamples its speech tokens, it may sound slurred"
    return None


# --------------------------------------------------------------------------- timings


def _weights(text: str, start: int, end: int) -> list[tuple[int, int, str, float]]:
    """Spoken pieces of ``text[start:end]`` with a relative length each (CJK char 1, a Latin
    word ~ its vowel groups, a number ~ its digits)."""
    out = []
    i = start
    while i < end:
        ch = text[i]
        if _CJK_RE.match(ch):
            out.append((i, i + 1, "zh", 1.0))
            i += 1
            continue
        m = _LATIN_WORD_RE.match(text, i, end)
        if m:
            w = m.group()
            n = len(re.findall(r"[aeiouyAEIOUY]+", w)) if not w[0].isdigit() else len(re.sub(r"\D", "", w))
            out.append((m.start(), m.end(), "en", max(1.0, float(n))))
            i = m.end()
            continue
        if ch in "，。！？,.!?;；:：…—":
            out.append((i, i + 1, "pause", 0.0))
        i += 1
    return out


def estimate_units(text: str, start: int, end: int, t0: float, t1: float) -> list[UnitTiming]:
    """Timings for the words of one piece spread over its speech span [t0, t1] seconds.

    IndexTTS2 reports no alignment; the span comes from the audio's energy and
    the words share it by their syllable counts.  Anchored words are exact
    (pieces start at them); the others are estimates.
    """
    items = _weights(text, start, min(end, len(text)))
    total = sum(w for *_, w in items)
    units: list[UnitTiming] = []
    if total <= 0:
        return units
    t = t0
    for s, e, kind, w in items:
        d = (t1 - t0) * w / total
        units.append(UnitTiming(text[s:e], kind, s, e, t, t + d, ""))
        t += d
    return units


def speech_span(audio, sample_rate: int) -> tuple[int, int]:
    """First and last sample of speech (energy above the clip's floor), for timing estimates."""
    import numpy as np

    x = np.asarray(audio, np.float32)
    if len(x) == 0:
        return 0, 0
    hop = max(1, sample_rate // 100)
    n = len(x) // hop
    if n < 3:
        return 0, len(x)
    e = np.sqrt(np.mean(x[: n * hop].reshape(n, hop) ** 2, axis=1) + 1e-12)
    thr = max(float(np.max(e)) * 0.05, float(np.percentile(e, 10)) * 3)
    idx = np.nonzero(e > thr)[0]
    if not len(idx):
        return 0, len(x)
    return int(idx[0] * hop), int(min(len(x), (idx[-1] + 1) * hop))


__all__ = [
    "HOP",
    "SAMPLE_RATE",
    "Piece",
    "TextError",
    "anchor_pieces",
    "estimate_units",
    "frames_budget",
    "glossary_entries",
    "map_text",
    "next_segment_frames",
    "numbered",
    "ratio_warning",
    "silence_samples",
    "speakable",
    "speech_span",
]
