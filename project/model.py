"""The project model: plain Python, no Qt, so the CLI can render headlessly.

A project is the user's work: it is saved as ``NAME.dubline`` (UTF-8 JSON,
sorted keys, two-space indent, so diffs stay readable) with a
``schema_version``.  Loading validates every field and reports the first
problem with its path (``tracks[0].regions[3].start: expected a number``);
older schema versions are migrated step by step (``MIGRATIONS``); newer ones
are refused without touching the file.

Saving is atomic (temp file in the same folder, fsync, rename) and keeps the
previous version as ``NAME.dubline.bak``.  A project is checked before it is
written the same way it is checked when read, so Dubline never writes a file it
would refuse to open.

The file is untrusted input: it is read only when it is a regular file under
``MAX_PROJECT_BYTES``; NaN/Infinity, numbers beyond float range, integers of
more than 18 digits, lone surrogates and over-long strings are refused while
parsing; every time is bounded by ``MAX_TIMELINE_SECONDS`` and the sample rate
by ``MIN/MAX_SAMPLE_RATE`` (so nothing downstream allocates or loops without
bound); ids are plain names (project/paths.py) because they become file names.
"""

from __future__ import annotations

import copy
import json
import math
import os
import stat
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.atomic import atomic_path, atomic_write_bytes, file_mode_for
from project.errors import DublineError
from project.paths import MAX_PATH_CHARS, check_identifier, check_readable_file

SCHEMA_VERSION = 2  # 2: region source (transcribed original), gain_db / fade_in / fade_out, track duck_db
SUFFIX = ".dubline"
DURATION_MODES = ("fit", "ratio", "free")

#: Bounds on what a project file may say (see the module docstring).
MAX_PROJECT_BYTES = 64 << 20
MAX_TIMELINE_SECONDS = 4 * 3600.0
MIN_SAMPLE_RATE, MAX_SAMPLE_RATE = 8000, 192000
MAX_STRING_CHARS = 20_000
MAX_INT_DIGITS = 18
#: The mixer holds the whole timeline: at most 4 h at 48 kHz (or 1 h at 192 kHz).
MAX_TIMELINE_SAMPLES = int(MAX_TIMELINE_SECONDS * 48000)
#: Orphan temp files of a killed save older than this are removed by the next save.
ORPHAN_TMP_SECONDS = 30.0


class ProjectError(DublineError):
    """A project file cannot be read or written; ``str(e)`` names the problem."""


def new_id() -> str:
    return uuid.uuid4().hex[:12]


# ----------------------------------------------------------------- model types
@dataclass
class SourceWord:
    text: str
    start: float  # seconds on the timeline
    end: float


@dataclass
class SourceLine:
    """The original line under a region, as transcribed from the media: its span, text and word timings."""

    start: float
    end: float
    text: str = ""
    language: str = ""
    words: list[SourceWord] = field(default_factory=list)


#: Most words a source line may hold (a line is at most MAX_STRING_CHARS characters anyway).
MAX_SOURCE_WORDS = 2000


@dataclass
class Region:
    """A box on a dub track: its width is the line's target duration."""

    id: str = field(default_factory=new_id)
    start: float = 0.0  # seconds on the timeline
    end: float = 1.0
    text: str = ""
    voice: str | None = None  # None: the track's default voice
    emotion: dict = field(default_factory=dict)  # engine EmotionSpec.to_dict(); {} = same as voice
    duration_mode: str = "fit"  # fit (exactly the region) | ratio (x natural) | free (natural)
    ratio: float = 1.0
    anchors: list[list[float]] = field(default_factory=list)  # [[char_index, seconds from region start], ...]
    bound_markers: list[str] | None = None  # [start_marker_id, end_marker_id] when bound to keyframes
    render_hash: str | None = None  # hash of the inputs of the last successful render
    source: SourceLine | None = None  # the original line, when the region came from transcribing the media
    gain_db: float = 0.0  # level of this line in the mix (not part of the render)
    fade_in: float = 0.0  # seconds, from the start of the line
    fade_out: float = 0.0  # seconds, to the end of the line's audio

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class Track:
    id: str = field(default_factory=new_id)
    name: str = "Dub 1"
    default_voice: str = "jf_alpha"
    gain_db: float = 0.0
    pan: float = 0.0  # -1 left .. 0 centre .. +1 right, in a stereo export
    mute: bool = False
    solo: bool = False
    regions: list[Region] = field(default_factory=list)
    duck_db: float | None = None  # source level under this track's lines; None: the project's mix.duck_db


@dataclass
class Marker:
    id: str = field(default_factory=new_id)
    time: float = 0.0
    name: str = ""
    color: str = "#f5a623"
    kind: str = "marker"  # marker | keyframe


@dataclass
class MediaRef:
    path: str = ""  # relative to the project folder when possible
    abs_path: str = ""  # absolute fallback
    has_video: bool = True
    duration: float = 0.0


@dataclass
class VoiceRef:
    name: str = ""
    path: str = ""  # template file, relative to the project folder when possible


@dataclass
class Mix:
    source_gain_db: float = 0.0
    duck_db: float = -12.0  # source level under dub lines
    dub_gain_db: float = 0.0


@dataclass
class ViewState:
    pixels_per_second: float = 100.0
    scroll_seconds: float = 0.0
    selected_region: str | None = None
    playhead: float = 0.0


@dataclass
class Project:
    fps: float = 25.0
    sample_rate: int = 48000
    media: MediaRef | None = None
    tracks: list[Track] = field(default_factory=lambda: [Track()])
    markers: list[Marker] = field(default_factory=list)
    voices: list[VoiceRef] = field(default_factory=list)
    glossary: dict[str, str] = field(default_factory=dict)
    mix: Mix = field(default_factory=Mix)
    view: ViewState = field(default_factory=ViewState)
    backend: str = "embedded"
    schema_version: int = SCHEMA_VERSION

    # -------------------------------------------------------------- queries
    def find_region(self, region_id: str) -> tuple[Track, Region] | None:
        for t in self.tracks:
            for r in t.regions:
                if r.id == region_id:
                    return t, r
        return None

    def track(self, track_id: str) -> Track | None:
        return next((t for t in self.tracks if t.id == track_id), None)

    def marker(self, marker_id: str) -> Marker | None:
        return next((m for m in self.markers if m.id == marker_id), None)

    def all_regions(self) -> list[tuple[Track, Region]]:
        return [(t, r) for t in self.tracks for r in t.regions]

    def end_time(self) -> float:
        ends = [r.end for _, r in self.all_regions()]
        if self.media:
            ends.append(self.media.duration)
        ends.extend(m.time for m in self.markers)
        return max(ends, default=0.0)

    def frame_of(self, seconds: float) -> int:
        return int(round(seconds * self.fps))

    def copy(self) -> Project:
        return copy.deepcopy(self)


# ------------------------------------------------------------ serialisation
def _region_to_dict(r: Region, fps: float) -> dict:
    return {
        "id": r.id,
        "start": r.start,
        "end": r.end,
        "start_frame": int(round(r.start * fps)),
        "end_frame": int(round(r.end * fps)),
        "text": r.text,
        "voice": r.voice,
        "emotion": r.emotion,
        "duration_mode": r.duration_mode,
        "ratio": r.ratio,
        "anchors": [[int(a[0]), float(a[1])] for a in r.anchors],
        "bound_markers": r.bound_markers,
        "render_hash": r.render_hash,
        "source": None if r.source is None else {
            "start": r.source.start, "end": r.source.end, "text": r.source.text, "language": r.source.language,
            "words": [[w.text, w.start, w.end] for w in r.source.words],
        },
        "gain_db": r.gain_db,
        "fade_in": r.fade_in,
        "fade_out": r.fade_out,
    }


def to_dict(p: Project) -> dict:
    return {
        "schema_version": SCHEMA_VERSION,
        "app": "dubline",
        "fps": p.fps,
        "sample_rate": p.sample_rate,
        "backend": p.backend,
        "media": None
        if p.media is None
        else {
            "path": p.media.path,
            "abs_path": p.media.abs_path,
            "has_video": p.media.has_video,
            "duration": p.media.duration,
        },
        "tracks": [
            {
                "id": t.id,
                "name": t.name,
                "default_voice": t.default_voice,
                "gain_db": t.gain_db,
                "pan": t.pan,
                "mute": t.mute,
                "solo": t.solo,
                "duck_db": t.duck_db,
                "regions": [_region_to_dict(r, p.fps) for r in t.regions],
            }
            for t in p.tracks
        ],
        "markers": [
            {"id": m.id, "time": m.time, "name": m.name, "color": m.color, "kind": m.kind} for m in p.markers
        ],
        "voices": [{"name": v.name, "path": v.path} for v in p.voices],
        "glossary": dict(p.glossary),
        "mix": {"source_gain_db": p.mix.source_gain_db, "duck_db": p.mix.duck_db, "dub_gain_db": p.mix.dub_gain_db},
        "view": {
            "pixels_per_second": p.view.pixels_per_second,
            "scroll_seconds": p.view.scroll_seconds,
            "selected_region": p.view.selected_region,
            "playhead": p.view.playhead,
        },
    }


class _Reader:
    """Typed access into untrusted JSON with error messages that name the path."""

    def __init__(self, data: Any, path: str = ""):
        self.data = data
        self.path = path

    def _where(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def obj(self) -> dict:
        if not isinstance(self.data, dict):
            raise ProjectError(f"{self.path or 'the file'}: expected an object")
        return self.data

    def sub(self, key: str, required: bool = True, default: Any = None) -> _Reader:
        d = self.obj()
        if key not in d:
            if required:
                raise ProjectError(f"{self._where(key)}: missing")
            return _Reader(default, self._where(key))
        return _Reader(d[key], self._where(key))

    def items(self) -> list[_Reader]:
        if not isinstance(self.data, list):
            raise ProjectError(f"{self.path}: expected a list")
        return [_Reader(v, self._where(i)) for i, v in enumerate(self.data)]

    def num(self, key: str, default: float | None = None, lo: float | None = None,
            hi: float | None = MAX_TIMELINE_SECONDS) -> float:
        r = self.sub(key, required=default is None, default=default)
        v = r.data
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ProjectError(f"{r.path}: expected a number, found {_show(v)}")
        if lo is not None and v < lo or hi is not None and v > hi:
            raise ProjectError(f"{r.path}: {v:g} is out of range ({lo:g} to {hi:g})" if lo is not None and hi is not None
                               else f"{r.path}: {v:g} is out of range")
        return float(v)

    def int_(self, key: str, default: int | None = None, lo: int | None = None, hi: int | None = None) -> int:
        r = self.sub(key, required=default is None, default=default)
        v = r.data
        if isinstance(v, bool) or not isinstance(v, int):
            raise ProjectError(f"{r.path}: expected a whole number, found {_show(v)}")
        if lo is not None and v < lo:
            raise ProjectError(f"{r.path}: {v} is too small")
        if hi is not None and v > hi:
            raise ProjectError(f"{r.path}: {v} is too large (at most {hi})")
        return v

    def str_(self, key: str, default: str | None = None, nullable: bool = False,
             max_chars: int = MAX_STRING_CHARS) -> str | None:
        r = self.sub(key, required=default is None and not nullable, default=default)
        v = r.data
        if v is None and nullable:
            return None
        if not isinstance(v, str):
            raise ProjectError(f"{r.path}: expected text, found {_show(v)}")
        if len(v) > max_chars:
            raise ProjectError(f"{r.path}: {len(v)} characters is longer than the {max_chars} limit")
        return v

    def id_(self, key: str, nullable: bool = False) -> str | None:
        """An id: it may become part of a file name, so only plain names are accepted."""
        v = self.str_(key, nullable=nullable)
        if v is None:
            return None
        return check_identifier(v, self._where(key), ProjectError)

    def bool_(self, key: str, default: bool) -> bool:
        r = self.sub(key, required=False, default=default)
        if not isinstance(r.data, bool):
            raise ProjectError(f"{r.path}: expected true or false, found {_show(r.data)}")
        return r.data


def _show(v: Any) -> str:
    try:
        s = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else repr(v)
    except (ValueError, TypeError, RecursionError):
        s = type(v).__name__
    return s if len(s) < 40 else s[:37] + "..."


def from_dict(data: Any) -> Project:
    """Build a Project from parsed JSON, migrating older schemas; ProjectError on any problem."""
    root = _Reader(data)
    obj = root.obj()
    version = root.int_("schema_version", lo=0)
    if version > SCHEMA_VERSION:
        raise ProjectError(
            f"this project was saved by a newer Dubline (schema {version}; this version reads up to "
            f"{SCHEMA_VERSION}); update Dubline to open it"
        )
    if version < SCHEMA_VERSION:
        obj = migrate(copy.deepcopy(obj), version)
        root = _Reader(obj)
    p = Project()
    p.fps = root.num("fps", lo=1.0, hi=1000.0)
    p.sample_rate = root.int_("sample_rate", lo=MIN_SAMPLE_RATE, hi=MAX_SAMPLE_RATE)
    p.backend = root.str_("backend", default="embedded", max_chars=64) or "embedded"
    media = root.sub("media", required=False)
    if media.data is not None:
        p.media = MediaRef(
            path=media.str_("path", default="", max_chars=MAX_PATH_CHARS),
            abs_path=media.str_("abs_path", default="", max_chars=MAX_PATH_CHARS),
            has_video=media.bool_("has_video", True),
            duration=media.num("duration", default=0.0, lo=0.0),
        )
    p.tracks = []
    seen_ids: set[str] = set()
    for tr in root.sub("tracks").items():
        t = Track(
            id=tr.id_("id"),
            name=tr.str_("name", default="", max_chars=200),
            default_voice=tr.str_("default_voice", default="jf_alpha", max_chars=MAX_PATH_CHARS),
            gain_db=tr.num("gain_db", default=0.0, lo=-96.0, hi=24.0),
            pan=tr.num("pan", default=0.0, lo=-1.0, hi=1.0),
            mute=tr.bool_("mute", False),
            solo=tr.bool_("solo", False),
            regions=[],
        )
        duck = tr.sub("duck_db", required=False, default=None)
        if duck.data is not None:
            t.duck_db = tr.num("duck_db", lo=-96.0, hi=0.0)
        for rr in tr.sub("regions").items():
            r = Region(
                id=rr.id_("id"),
                start=rr.num("start", lo=0.0),
                end=rr.num("end", lo=0.0),
                text=rr.str_("text", default=""),
                voice=rr.str_("voice", nullable=True, max_chars=MAX_PATH_CHARS),
                duration_mode=rr.str_("duration_mode", default="fit", max_chars=16),
                ratio=rr.num("ratio", default=1.0, lo=0.2, hi=5.0),
                render_hash=rr.str_("render_hash", nullable=True, max_chars=128),
                gain_db=rr.num("gain_db", default=0.0, lo=-96.0, hi=24.0),
                fade_in=rr.num("fade_in", default=0.0, lo=0.0, hi=MAX_TIMELINE_SECONDS),
                fade_out=rr.num("fade_out", default=0.0, lo=0.0, hi=MAX_TIMELINE_SECONDS),
            )
            if r.end <= r.start:
                raise ProjectError(f"{rr.path}: end ({r.end}) must be after start ({r.start})")
            if r.duration_mode not in DURATION_MODES:
                raise ProjectError(f"{rr.path}.duration_mode: unknown mode {r.duration_mode!r}")
            emo = rr.sub("emotion", required=False, default={})
            if not isinstance(emo.data, dict):
                raise ProjectError(f"{emo.path}: expected an object")
            r.emotion = _valid_emotion(emo)
            for ar in rr.sub("anchors", required=False, default=[]).items():
                if (
                    not isinstance(ar.data, list)
                    or len(ar.data) != 2
                    or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in ar.data)
                ):
                    raise ProjectError(f"{ar.path}: expected [character index, seconds]")
                index, seconds = ar.data
                if index != int(index) or not 0 <= index <= MAX_ANCHOR_INDEX:
                    raise ProjectError(f"{ar.path}: character index {index:g} is not a whole number "
                                       f"from 0 to {MAX_ANCHOR_INDEX}")
                if not 0.0 <= seconds <= MAX_TIMELINE_SECONDS:
                    raise ProjectError(f"{ar.path}: {seconds:g} s is out of range")
                r.anchors.append([int(index), float(seconds)])
            r.source = _source_line(rr.sub("source", required=False, default=None))
            bm = rr.sub("bound_markers", required=False, default=None)
            if bm.data is not None:
                if not (isinstance(bm.data, list) and len(bm.data) == 2 and all(isinstance(x, str) for x in bm.data)):
                    raise ProjectError(f"{bm.path}: expected two marker ids")
                r.bound_markers = [check_identifier(x, f"{bm.path}[{i}]", ProjectError) for i, x in enumerate(bm.data)]
            if r.id in seen_ids:
                raise ProjectError(f"{rr.path}.id: duplicate id {r.id!r}")
            seen_ids.add(r.id)
            t.regions.append(r)
        t.regions.sort(key=lambda r: r.start)
        for a, b in zip(t.regions, t.regions[1:], strict=False):
            if b.start < a.end - 1e-9:
                raise ProjectError(f"track {t.name!r}: regions {a.id} and {b.id} overlap")
        p.tracks.append(t)
    for mr in root.sub("markers", required=False, default=[]).items():
        p.markers.append(
            Marker(
                id=mr.id_("id"),
                time=mr.num("time", lo=0.0),
                name=mr.str_("name", default="", max_chars=200),
                color=mr.str_("color", default="#f5a623", max_chars=32),
                kind=mr.str_("kind", default="marker", max_chars=32),
            )
        )
    for vr in root.sub("voices", required=False, default=[]).items():
        p.voices.append(VoiceRef(name=_voice_name(vr), path=_relative_inside(vr, "path")))
    gl = root.sub("glossary", required=False, default={})
    if not isinstance(gl.data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in gl.data.items()):
        raise ProjectError(f"{gl.path}: expected an object of term: reading")
    if len(gl.data) > 10_000 or any(len(k) > 200 or len(v) > 200 for k, v in gl.data.items()):
        raise ProjectError(f"{gl.path}: terms and readings are at most 200 characters (and 10000 terms)")
    p.glossary = dict(gl.data)
    mx = root.sub("mix", required=False, default={})
    p.mix = Mix(
        source_gain_db=mx.num("source_gain_db", default=0.0, lo=-96.0, hi=24.0),
        duck_db=mx.num("duck_db", default=-12.0, lo=-96.0, hi=0.0),
        dub_gain_db=mx.num("dub_gain_db", default=0.0, lo=-96.0, hi=24.0),
    )
    vw = root.sub("view", required=False, default={})
    p.view = ViewState(
        pixels_per_second=vw.num("pixels_per_second", default=100.0, lo=1e-3, hi=1e6),
        scroll_seconds=vw.num("scroll_seconds", default=0.0, lo=-MAX_TIMELINE_SECONDS),
        selected_region=vw.str_("selected_region", nullable=True, max_chars=64),
        playhead=vw.num("playhead", default=0.0, lo=0.0),
    )
    if p.end_time() * p.sample_rate > MAX_TIMELINE_SAMPLES:
        raise ProjectError(f"a {p.end_time() / 3600:.1f} h timeline at {p.sample_rate} Hz is too long to mix "
                           f"(at most {MAX_TIMELINE_SECONDS / 3600:.0f} h at 48000 Hz)")
    return p


MAX_ANCHOR_INDEX = 2000  # engine.types.MAX_TEXT_CHARS: an anchor points at a character of the line


def _voice_name(r: _Reader) -> str:
    """A project voice's name: the engine's voice-name rule (it names a template file)."""
    from engine.voices import NAME_RE

    name = r.str_("name", max_chars=64)
    if not NAME_RE.match(name) or name.startswith(".") or name != name.strip():
        raise ProjectError(f"{r._where('name')}: {_show(name)} is not a valid voice name")
    return name


def _relative_inside(r: _Reader, key: str) -> str:
    """A path the project keeps inside its own folder (voice templates): relative, no '..'."""
    v = r.str_(key, default="", max_chars=MAX_PATH_CHARS)
    parts = Path(v).parts
    if v and (Path(v).is_absolute() or ".." in parts or "\0" in v or v.startswith("~")):
        raise ProjectError(f"{r._where(key)}: {_show(v)} must be a path inside the project folder")
    return v


def _source_line(r: _Reader) -> SourceLine | None:
    """A region's original line: a span, its text and language, and words as [text, start, end] inside the span."""
    if r.data is None:
        return None
    r.obj()
    src = SourceLine(start=r.num("start", lo=0.0), end=r.num("end", lo=0.0), text=r.str_("text", default=""),
                     language=r.str_("language", default="", max_chars=16))
    if src.end <= src.start:
        raise ProjectError(f"{r.path}: end ({src.end}) must be after start ({src.start})")
    items = r.sub("words", required=False, default=[]).items()
    if len(items) > MAX_SOURCE_WORDS:
        raise ProjectError(f"{r.path}.words: {len(items)} words is more than the {MAX_SOURCE_WORDS} limit")
    for wr in items:
        d = wr.data
        if (not isinstance(d, list) or len(d) != 3 or not isinstance(d[0], str) or len(d[0]) > 200
                or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in d[1:])):
            raise ProjectError(f"{wr.path}: expected [text, start seconds, end seconds]")
        if not (0.0 <= d[1] <= d[2] <= MAX_TIMELINE_SECONDS):
            raise ProjectError(f"{wr.path}: the times {d[1]:g}-{d[2]:g} are out of order or range")
        src.words.append(SourceWord(d[0], float(d[1]), float(d[2])))
    return src


def _valid_emotion(r: _Reader) -> dict:
    """Validate an emotion dict through the engine's own type.  ``from_source`` (project level: the original
    line under the region is the emotion clip) is kept beside what the engine validates."""
    if not r.data:
        return {}
    from engine.errors import EngineError
    from engine.types import EmotionSpec

    data = dict(r.data)
    from_source = data.pop("from_source", False)
    if not isinstance(from_source, bool):
        raise ProjectError(f"{r.path}.from_source: expected true or false, found {_show(from_source)}")
    try:
        out = EmotionSpec.from_dict(data).to_dict()
    except (EngineError, TypeError, ValueError) as e:
        raise ProjectError(f"{r.path}: {e}") from None
    if from_source:
        out["from_source"] = True
    return out


# ------------------------------------------------------------ migrations
#: MIGRATIONS[v] turns a schema-v dict into a schema-(v+1) dict.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {
    0: lambda d: {**d, "schema_version": 1, "markers": d.get("markers", []), "voices": d.get("voices", [])},
    # 1 -> 2 adds a region's optional "source" (the transcribed original line) and the emotion key
    # "from_source", a line's level and fades and a track's duck level: a schema-1 file has none of them
    # and reads unchanged (the defaults change nothing heard); the version step keeps older Dubline
    # from opening (and silently dropping) them
    1: lambda d: {**d, "schema_version": 2},
}


def migrate(d: dict, version: int) -> dict:
    while version < SCHEMA_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ProjectError(f"no migration from schema {version}")
        d = step(d)
        version += 1
    return d


# ------------------------------------------------------------ files
def dumps(p: Project) -> str:
    """The file text; ProjectError when the project holds something that cannot be written
    (NaN, a lone surrogate, a value the file format refuses)."""
    try:
        text = json.dumps(to_dict(p), ensure_ascii=False, indent=2, sort_keys=True, allow_nan=False) + "\n"
        text.encode("utf-8")
    except (ValueError, TypeError, RecursionError) as e:  # UnicodeEncodeError is a ValueError
        raise ProjectError(f"cannot save the project: it holds a value a project file cannot store ({_why(e)})") from None
    return text


def _why(e: Exception) -> str:
    if isinstance(e, UnicodeEncodeError):
        return "a lone surrogate character in a text"
    return str(e).splitlines()[0][:80] if str(e) else type(e).__name__


def _parse_constant(name: str):
    raise ProjectError(f"{name} is not a number a project may hold")


def _parse_float(text: str) -> float:
    v = float(text)
    if not math.isfinite(v):
        raise ProjectError(f"{text[:20]} is out of the range of numbers")
    return v


def _parse_int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ProjectError(f"a {len(text)}-digit whole number is out of range")
    return int(text)


def _check_strings(data: Any, path: str = "") -> None:
    """Refuse text no file can hold: lone surrogates (from ``\\ud800`` escapes) and huge strings."""
    stack = [(data, path)]
    while stack:
        v, where = stack.pop()
        if isinstance(v, str):
            _check_text(v, where)
        elif isinstance(v, dict):
            for k, x in v.items():
                _check_text(k, where or "the file")
                stack.append((x, f"{where}.{k}" if where else k))
        elif isinstance(v, list):
            stack.extend((x, f"{where}[{i}]") for i, x in enumerate(v))


def _check_text(s: str, where: str) -> None:
    if len(s) > MAX_STRING_CHARS:
        raise ProjectError(f"{where}: {len(s)} characters is longer than the {MAX_STRING_CHARS} limit")
    try:
        s.encode("utf-8")
    except UnicodeEncodeError:
        raise ProjectError(f"{where}: holds a lone surrogate (\\u{ord(s[_first_surrogate(s)]):04x}), "
                           "which is not text") from None


def _first_surrogate(s: str) -> int:
    return next(i for i, c in enumerate(s) if 0xD800 <= ord(c) <= 0xDFFF)


def loads(text: str) -> Project:
    try:
        data = json.loads(text, parse_constant=_parse_constant, parse_float=_parse_float, parse_int=_parse_int)
    except json.JSONDecodeError as e:
        raise ProjectError(f"not valid JSON (line {e.lineno}, column {e.colno}: {e.msg}); the file may be damaged or truncated") from None
    except ProjectError as e:
        raise ProjectError(f"not a valid project: {e}") from None
    except RecursionError:
        raise ProjectError("not valid JSON (nested too deeply)") from None
    except ValueError as e:  # anything else the decoder refuses
        raise ProjectError(f"not valid JSON ({_why(e)})") from None
    try:
        _check_strings(data)
        return from_dict(data)
    except ProjectError:
        raise
    except RecursionError:
        raise ProjectError("the file is nested too deeply") from None


def load(path: str | os.PathLike) -> Project:
    """Read a project file; media paths are resolved against its folder."""
    path = check_readable_file(path, MAX_PROJECT_BYTES, "project file", ProjectError)
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_PROJECT_BYTES + 1)  # the file may have grown since the stat
    except OSError as e:
        raise ProjectError(f"{_short(path)}: cannot read ({e.strerror or e})") from None
    if len(raw) > MAX_PROJECT_BYTES:
        raise ProjectError(f"{path.name}: too large for a project file (limit {MAX_PROJECT_BYTES >> 20} MB)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProjectError(f"{path.name}: not a Dubline project (not UTF-8 text)") from None
    try:
        return loads(text)
    except ProjectError as e:
        raise ProjectError(f"{path.name}: {e}") from None


def _short(p: Path) -> str:
    s = str(p)
    return s if len(s) <= 80 else "..." + s[-77:]


def atomic_write_text(path: Path, text: str, backup: bool = True) -> None:
    """Write via a temp file in the same folder + fsync + rename; keep ``.bak``.

    A new file gets the usual permissions (0666 less the umask); a replaced file keeps its own.
    """
    path = Path(path)
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:
        raise ProjectError(f"cannot save {path.name}: the text holds a lone surrogate character") from None
    if path.is_dir():
        raise ProjectError(f"cannot save {_short(path)}: it is a folder")
    try:
        with atomic_path(path, suffix=".tmp") as tmp:
            tmp.write_bytes(data)
            if backup and path.is_file():
                try:  # the previous version, also written atomically, with the project's permissions
                    atomic_write_bytes(path.with_name(path.name + ".bak"), path.read_bytes(), file_mode_for(path))
                except OSError:
                    pass  # a backup failure must not block the save
    except OSError as e:
        raise ProjectError(f"cannot save {_short(path)}: {e.strerror or e}") from None


def save(p: Project, path: str | os.PathLike, backup: bool = True) -> None:
    """Save atomically, keeping the previous file as ``NAME.dubline.bak``.

    The text is checked exactly as ``load`` would check it before anything is
    written (ProjectError, file untouched), and orphan temp files of an earlier
    killed save are removed.
    """
    path = Path(path)
    if p.media is not None:
        try:
            rebase_media(p, path.parent)
        except (OSError, ValueError) as e:
            raise ProjectError(f"cannot save {path.name}: the media path is unusable ({_why(e)})") from None
    text = dumps(p)
    try:
        loads(text)
    except ProjectError as e:
        raise ProjectError(f"cannot save {path.name}: {e}") from None
    clean_orphan_temps(path)
    atomic_write_text(path, text, backup=backup)


def clean_orphan_temps(path: Path, older_than: float = ORPHAN_TMP_SECONDS) -> list[Path]:
    """Remove ``.NAME.*.tmp`` files a killed save of ``path`` left behind (only ours, only old ones:
    a save in flight in another process is never touched)."""
    import time

    folder = path.parent if str(path.parent) else Path(".")
    removed = []
    now = time.time()
    try:
        candidates = list(folder.glob(f".{glob_escape(path.name)}.*.tmp"))
    except OSError:
        return removed
    for tmp in candidates:
        try:
            st = tmp.lstat()
            if stat.S_ISREG(st.st_mode) and now - st.st_mtime > older_than:
                tmp.unlink()
                removed.append(tmp)
        except OSError:
            pass
    return removed


def glob_escape(name: str) -> str:
    """``name`` with glob wildcards made literal."""
    import glob

    return glob.escape(name)


def rebase_media(p: Project, folder: Path) -> None:
    """Store the media path relative to ``folder`` where possible, absolute as fallback."""
    if p.media is None:
        return
    absolute = Path(p.media.abs_path or p.media.path)
    if not absolute.is_absolute():
        absolute = (folder / absolute).resolve()
    p.media.abs_path = str(absolute)
    try:
        p.media.path = os.path.relpath(absolute, folder.resolve())
    except ValueError:  # other drive on Windows
        p.media.path = str(absolute)


def resolve_media(p: Project, project_path: Path) -> Path | None:
    """Where the media is now: relative path, absolute path, or same name in the project folder
    (searched a few levels down, a bounded number of entries)."""
    if p.media is None:
        return None
    folder = Path(project_path).resolve().parent
    candidates = []
    if p.media.path:
        rel = Path(p.media.path)
        candidates.append(rel if rel.is_absolute() else folder / rel)
    if p.media.abs_path:
        candidates.append(Path(p.media.abs_path))
    name = Path(p.media.path or p.media.abs_path).name
    if name:
        candidates.append(folder / name)
    for c in candidates:
        if _is_regular_file(c):
            return c
    return _find_by_name(folder, name) if name else None


def _is_regular_file(p: Path) -> bool:
    try:
        return stat.S_ISREG(p.stat().st_mode)
    except (OSError, ValueError):  # too long a name, a NUL byte, no permission
        return False


def _find_by_name(folder: Path, name: str, max_depth: int = 3, max_entries: int = 20_000) -> Path | None:
    """A regular file called exactly ``name`` under ``folder`` (not following links out of it)."""
    seen = 0
    level = [folder]
    for _depth in range(max_depth + 1):
        nxt = []
        for d in level:
            try:
                with os.scandir(d) as it:
                    for e in it:
                        seen += 1
                        if seen > max_entries:
                            return None
                        try:
                            if e.name == name and e.is_file(follow_symlinks=False):
                                return Path(e.path)
                            if e.is_dir(follow_symlinks=False) and not e.name.startswith("."):
                                nxt.append(Path(e.path))
                        except OSError:
                            continue
            except OSError:
                continue
        level = nxt
    return None


def register_project_voices(project: Project, project_path: str | os.PathLike | None) -> list[str]:
    """Make the voices stored with the project available to the engine; returns the names missing on disk.

    A voice file must lie inside the project folder (a path leading out of it counts as missing).
    """
    from engine import voices as vl
    from project.errors import UnsafePathError
    from project.paths import confined

    vl.unregister_all()
    missing = []
    base = Path(project_path).parent if project_path else Path.cwd()
    for ref in project.voices:
        try:
            p = confined(base, ref.path) if ref.path else None
        except UnsafePathError:
            p = None
        if p is not None and _is_regular_file(p):
            vl.register(ref.name, p)
        else:
            missing.append(ref.name)
    return missing


def cache_dir_for(project_path: str | os.PathLike) -> Path:
    """The render cache next to the project: ``NAME.dubline-cache/``."""
    p = Path(project_path)
    return p.with_name(p.name + "-cache")
