"""Bringing users' existing material into a project (no Qt).

* Subtitles (SRT, ASS/SSA, WebVTT via pysubs2): each event becomes a region
  whose text is the line and whose width is the subtitle's timing.  The ASS
  actor/name field picks the voice, or a track per actor when asked.
  Overlapping events are never dropped: an event that would overlap the
  previous region on its track goes to an extra "overlap" track, and the
  import report says so.
* Plain text: one line per region, laid out one after another from a start
  time with lengths from the engine's natural duration (or a quick estimate
  from the text when no engine is given, e.g. in the GUI thread).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from project.errors import DublineError
from project.model import Project, Region, Track

SUBTITLE_SUFFIXES = (".srt", ".ass", ".ssa", ".vtt", ".sub")
_ASS_TAG = re.compile(r"\{[^}]*\}")


class SubtitleImportError(DublineError):
    """A file cannot be imported; the message says why."""


@dataclass
class SubtitleLine:
    start: float
    end: float
    text: str
    actor: str = ""


@dataclass
class ImportReport:
    tracks: list[Track] = field(default_factory=list)  # new tracks (with their regions)
    notes: list[str] = field(default_factory=list)

    @property
    def region_count(self) -> int:
        return sum(len(t.regions) for t in self.tracks)


#: A feature film's subtitles are well under a megabyte.
MAX_SUBTITLE_BYTES = 32 << 20


def read_subtitles(path: str | Path) -> list[SubtitleLine]:
    import pysubs2

    from project.paths import check_readable_file

    path = check_readable_file(path, MAX_SUBTITLE_BYTES, "subtitles", SubtitleImportError)
    try:
        subs = pysubs2.load(str(path), encoding="utf-8")
    except UnicodeDecodeError:
        try:
            subs = pysubs2.load(str(path), encoding="gb18030")
        except Exception as e:  # pysubs2 raises several types
            raise SubtitleImportError(f"{path.name}: cannot read subtitles ({e})") from None
    except Exception as e:  # FormatAutodetectionError, ValueError, ...
        raise SubtitleImportError(f"{path.name}: not a subtitle file pysubs2 understands ({type(e).__name__})") from None
    out = []
    for ev in subs.events:
        if getattr(ev, "is_comment", False):
            continue
        text = _ASS_TAG.sub("", ev.text).replace("\\N", " ").replace("\\n", " ").replace("\\h", " ")
        text = " ".join(text.split())
        if not text or ev.end <= ev.start:
            continue
        out.append(SubtitleLine(ev.start / 1000.0, ev.end / 1000.0, text, (ev.name or "").strip()))
    out.sort(key=lambda s: (s.start, s.end))
    if not out:
        raise SubtitleImportError(f"{path.name}: no subtitle lines found")
    return out


def subtitles_to_tracks(
    lines: list[SubtitleLine],
    default_voice: str,
    actor_voices: dict[str, str] | None = None,
    track_per_actor: bool = False,
    base_name: str = "Dub",
) -> ImportReport:
    """Lay subtitle lines out on new tracks without losing any."""
    actor_voices = actor_voices or {}
    report = ImportReport()
    groups: dict[str, list[SubtitleLine]] = {}
    for s in lines:
        key = s.actor if track_per_actor else ""
        groups.setdefault(key, []).append(s)
    for key, group in groups.items():
        name = key or base_name
        voice = actor_voices.get(key, default_voice) if key else default_voice
        lanes: list[Track] = []
        moved = 0
        for s in group:
            voice_for_line = actor_voices.get(s.actor) if s.actor and not track_per_actor else None
            region = Region(start=s.start, end=s.end, text=s.text, voice=voice_for_line)
            for lane in lanes:
                if not lane.regions or lane.regions[-1].end <= s.start + 1e-9:
                    lane.regions.append(region)
                    break
            else:
                lane = Track(name=name if not lanes else f"{name} (overlap {len(lanes)})", default_voice=voice)
                if lanes:
                    moved += 1
                lane.regions.append(region)
                lanes.append(lane)
                continue
            if lane is not lanes[0]:
                moved += 1
        if len(lanes) > 1:
            report.notes.append(
                f"{moved} overlapping line(s) of {name!r} were put on {len(lanes) - 1} extra track(s)"
            )
        report.tracks.extend(lanes)
    return report


def import_subtitles(path: str | Path, project: Project, default_voice: str | None = None,
                     track_per_actor: bool = False) -> ImportReport:
    """Build the tracks for a subtitle file (the caller adds them, e.g. via an undo command)."""
    lines = read_subtitles(path)
    voice = default_voice or (project.tracks[0].default_voice if project.tracks else "jf_alpha")
    known = {v.name for v in project.voices}
    actor_voices = {s.actor: s.actor for s in lines if s.actor and s.actor in known}
    report = subtitles_to_tracks(lines, voice, actor_voices, track_per_actor, base_name=Path(path).stem)
    report.notes.insert(0, f"{len(lines)} line(s) from {Path(path).name}")
    return report


def estimate_seconds(line: str) -> float:
    """A quick length guess without the engine (GUI thread safe): ~4.5 Hanzi/s, ~2.8 words/s."""
    hanzi = sum(1 for c in line if "\u3400" <= c <= "\u9fff")
    words = len(re.findall(r"[A-Za-z0-9']+", line))
    pauses = sum(1 for c in line if c in "，。！？,.!?；;：:")
    return round(max(0.6, hanzi / 4.5 + words / 2.8 + 0.2 * pauses + 0.2), 3)


def plain_text_regions(text: str, start: float, voice: str, engine=None, gap: float = 0.3,
                       glossary: tuple = ()) -> list[Region]:
    """One region per non-empty line, laid out after ``start``."""
    regions = []
    t = start
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        length = estimate_seconds(line)
        if engine is not None:
            try:
                length = max(0.3, round(engine.natural_seconds(line, voice, glossary), 3))
            except Exception:  # noqa: BLE001 - a bad line still gets a region; its render will say why
                length = estimate_seconds(line)
        regions.append(Region(start=round(t, 6), end=round(t + length, 6), text=line))
        t += length + gap
    return regions
