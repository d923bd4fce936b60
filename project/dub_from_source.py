"""From a transcript of the source to dub tracks: one region per original line (its span snapped to frames,
the original text and word timings kept as the region's source), one track per actor, emotion "from the
original line"; and the word anchors a region can take from its original line.  Plain Python, no Qt.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from project.model import Project, Region, SourceLine, SourceWord, Track
from project.transcribe import Options, TranscribeError, Transcript, merge_lines, transcribe_audio

DUB_TEXT_CHOICES = ("auto", "original", "empty")
#: Stock voices given to actors in turn (a male voice second, so two actors differ at once).
ACTOR_VOICES = ("jf_alpha", "jm_kumo", "jf_gongitsune", "jf_nezumi", "jf_tebukuro")
DEFAULT_INTENSITY = 0.8
#: A pause between original words at least this long is matched by "match original pauses".
LONG_PAUSE = 0.35


@dataclass
class SourceResult:
    """What transcribing the source produced, ready to become tracks."""

    transcript: Transcript
    actors: list[int]  # actor index per line
    tracks: list[Track]


def snap_span(start: float, end: float, fps: float) -> tuple[float, float]:
    """The span on frame boundaries: each edge to its nearest frame, never empty."""
    a = math.floor(start * fps + 0.5)
    b = max(a + 1, math.floor(end * fps + 0.5))
    return a / fps, b / fps


def dub_text_for(line_language: str, dub_language: str | None, choice: str, text: str) -> str:
    """The starting dub text: the original when asked, or (``auto``) when the dub is in the line's language."""
    if choice == "original":
        return text
    if choice == "empty":
        return ""
    return text if dub_language in (None, "", line_language) else ""


def build_tracks(transcript: Transcript, actors: list[int], fps: float, dub_language: str | None = None,
                 dub_text: str = "auto", voices: tuple[str, ...] = ACTOR_VOICES,
                 intensity: float = DEFAULT_INTENSITY) -> list[Track]:
    """One track per actor ("Actor 1", ...) holding that actor's lines as regions."""
    if dub_text not in DUB_TEXT_CHOICES:
        raise TranscribeError(f"unknown dub text choice {dub_text!r} (use {', '.join(DUB_TEXT_CHOICES)})")
    n = max(actors, default=-1) + 1
    tracks = [Track(name=f"Actor {i + 1}", default_voice=voices[i % len(voices)]) for i in range(n)]
    for line, actor in zip(transcript.lines, actors, strict=True):
        start, end = snap_span(line.start, line.end, fps)
        t = tracks[actor]
        if t.regions and start < t.regions[-1].end:  # two lines inside one frame: never overlap
            start = t.regions[-1].end
            if end <= start:
                end = start + 1 / fps
        src = SourceLine(line.start, line.end, line.text, line.language,
                         [SourceWord(w.text, w.start, w.end) for w in line.words])
        t.regions.append(Region(start=start, end=end, text=dub_text_for(line.language, dub_language, dub_text,
                                                                          line.text),
                                emotion={"from_source": True, "intensity": float(intensity)}, source=src))
    return [t for t in tracks if t.regions]


def transcribe_source(audio16: np.ndarray, fps: float, opts: Options = Options(), dub_language: str | None = None,
                      dub_text: str = "auto", n_actors: int | None = None, media_path: str | None = None,
                      progress: Callable[[float, str], None] | None = None,
                      cancelled: Callable[[], bool] | None = None) -> SourceResult:
    """Transcribe 16 kHz audio, find the actors, build the tracks; with ``media_path`` the original clips of
    the lines are cached for "emotion from the original line" while the audio is at hand."""
    import copy
    import hashlib

    from project import actors as act

    if cancelled is not None and cancelled():
        from project.transcribe import TranscribeCancelled

        raise TranscribeCancelled()
    x = np.ascontiguousarray(np.asarray(audio16, np.float32))
    key = (hashlib.sha256(x.tobytes()).hexdigest(), fps, opts, dub_language, dub_text, n_actors)
    hit = _memo.get(key)
    if hit is not None:  # the same audio again in this session (after an undo, say): no need to listen twice
        if progress is not None:
            progress(1.0, "transcribed before")
        return _fresh_ids(copy.deepcopy(hit))

    def sub(lo: float, hi: float):
        return None if progress is None else (lambda f, m: progress(lo + (hi - lo) * f, m))

    # lines are first cut at every pause where a speaker might change; pieces of one actor then join again
    fine = replace(opts, split_pause=opts.change_pause, sentence_pause=opts.change_pause, min_line_seconds=0.0)
    transcript = transcribe_audio(audio16, fine, sub(0.0, 0.85), cancelled)
    if progress is not None:
        progress(0.86, "telling the actors apart")
    pieces = [(ln.start, ln.end) for ln in transcript.lines]
    labels = act.assign_actors(audio16, pieces, n_actors=n_actors, cancelled=cancelled)
    transcript.lines, labels = merge_lines(transcript.lines, labels, opts)
    labels = _renumber(labels)
    spans = [(ln.start, ln.end) for ln in transcript.lines]
    if media_path is not None:
        from project.originals import store

        for a, b in spans:
            try:
                store(media_path, a, b, audio16)
            except OSError:
                break  # the clips are a cache: a full disk only costs time later
    tracks = build_tracks(transcript, labels, fps, dub_language, dub_text)
    if progress is not None:
        progress(1.0, f"{len(transcript.lines)} lines, {len(tracks)} actor(s)")
    result = SourceResult(transcript, labels, tracks)
    _memo.clear()  # one transcript is kept: a long one holds thousands of words
    _memo[key] = copy.deepcopy(result)
    return result


_memo: dict = {}


def _fresh_ids(result: SourceResult) -> SourceResult:
    from project.model import new_id

    for t in result.tracks:
        t.id = new_id()
        for r in t.regions:
            r.id = new_id()
    return result


def _renumber(labels: list[int]) -> list[int]:
    """Actors numbered by first appearance, without gaps."""
    order: dict[int, int] = {}
    return [order.setdefault(x, len(order)) for x in labels]


def load_source_audio(path: str) -> np.ndarray:
    from project.media import MediaError, load_audio
    from project.transcribe import SR, check_available

    check_available()
    try:
        audio = load_audio(path, SR)
    except MediaError as e:
        raise TranscribeError(str(e)) from None
    if audio is None:
        raise TranscribeError("the media has no audio track to transcribe")
    return audio


# ----------------------------------------------------------------- word anchors from the original
_WORD = re.compile(r"[A-Za-z0-9'’]+|[\u3400-\u9fff\uf900-\ufaff]")


def dub_word_starts(text: str) -> list[int]:
    """Character index of each spoken word of the dub text: a Latin word, or one Hanzi."""
    return [m.start() for m in _WORD.finditer(text)]


def _pause_fractions(src: SourceLine) -> list[tuple[float, float]]:
    """(share of the line's text before the pause, seconds of the word after it) for each long pause."""
    words = src.words
    total = sum(len(w.text) for w in words) or 1
    out = []
    done = 0
    for a, b in zip(words, words[1:-1], strict=False):  # the last word is pinned anyway
        done += len(a.text)
        if b.start - a.end >= LONG_PAUSE:
            out.append((done / total, b.start))
    return out


def anchors_from_source(region: Region, pauses: bool = False) -> list[list[float]]:
    """Word pins that make the dub follow the original: the first word starts where the original's first word
    starts and the last word where the original's last word starts (so the mouth opens and closes on time); with
    ``pauses``, also the word after each long pause of the original (the dub word nearest the same share of the
    text, preferring one right after punctuation).  Empty when the region has no source words or no text."""
    src = region.source
    starts = dub_word_starts(region.text)
    if src is None or not src.words or not starts:
        return []
    rel = lambda t: round(min(max(t - region.start, 0.0), region.duration), 4)  # noqa: E731
    pins = {starts[0]: rel(src.words[0].start)}
    if len(starts) > 1 and len(src.words) > 1:
        pins[starts[-1]] = rel(src.words[-1].start)
    if pauses:
        n = len(region.text)
        for share, t in _pause_fractions(src):
            inner = [s for s in starts[1:-1] if s not in pins]
            if not inner:
                break

            def cost(s: int, share: float = share) -> float:
                after_punct = s > 0 and region.text[:s].rstrip()[-1:] in "，,。.！!？?；;：:、—…"
                return abs(s / max(n, 1) - share) - (0.08 if after_punct else 0.0)

            pins[min(inner, key=cost)] = rel(t)
    out = sorted([float(i), s] for i, s in pins.items())
    # pins must move forward in time with the text
    clean: list[list[float]] = []
    for i, s in out:
        if clean and s <= clean[-1][1]:
            continue
        clean.append([int(i), s])
    return clean


def apply_to_new_project(project: Project, result: SourceResult) -> None:
    """A new project's empty default track gives way to the actor tracks."""
    keep = [t for t in project.tracks if t.regions]
    project.tracks = keep + result.tracks if result.tracks else (project.tracks or [Track()])
