"""The project file's schema: the dict a project is saved as (:func:`to_dict`), reading one back
with every field validated and each problem named by its path (:func:`from_dict`, one reader per
entity: media, track, region, anchors, source line, emotion, markers, voices, glossary, mix, view),
and the migrations from older schema versions.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from project.model_types import (
    DURATION_MODES,
    MAX_ANCHOR_INDEX,
    MAX_SAMPLE_RATE,
    MAX_SOURCE_WORDS,
    MAX_STRING_CHARS,
    MAX_TIMELINE_SAMPLES,
    MAX_TIMELINE_SECONDS,
    MIN_SAMPLE_RATE,
    SCHEMA_VERSION,
    Marker,
    MediaRef,
    Mix,
    Project,
    ProjectError,
    Region,
    SourceLine,
    SourceWord,
    Track,
    ViewState,
    VoiceRef,
)
from project.paths import MAX_PATH_CHARS, check_identifier


# ------------------------------------------------------------ writing
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


# ------------------------------------------------------------ reading
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
        p.media = _media(media)
    p.tracks = []
    seen_ids: set[str] = set()  # region ids, unique across tracks
    for tr in root.sub("tracks").items():
        p.tracks.append(_track(tr, seen_ids))
    for mr in root.sub("markers", required=False, default=[]).items():
        p.markers.append(_marker(mr))
    for vr in root.sub("voices", required=False, default=[]).items():
        p.voices.append(VoiceRef(name=_voice_name(vr), path=_relative_inside(vr, "path")))
    p.glossary = _glossary(root.sub("glossary", required=False, default={}))
    p.mix = _mix(root.sub("mix", required=False, default={}))
    p.view = _view(root.sub("view", required=False, default={}))
    if p.end_time() * p.sample_rate > MAX_TIMELINE_SAMPLES:
        raise ProjectError(f"a {p.end_time() / 3600:.1f} h timeline at {p.sample_rate} Hz is too long to mix "
                           f"(at most {MAX_TIMELINE_SECONDS / 3600:.0f} h at 48000 Hz)")
    return p


def _media(media: _Reader) -> MediaRef:
    return MediaRef(
        path=media.str_("path", default="", max_chars=MAX_PATH_CHARS),
        abs_path=media.str_("abs_path", default="", max_chars=MAX_PATH_CHARS),
        has_video=media.bool_("has_video", True),
        duration=media.num("duration", default=0.0, lo=0.0),
    )


def _track(tr: _Reader, seen_ids: set[str]) -> Track:
    """A track with its regions (sorted by start, none overlapping); region ids go into ``seen_ids``."""
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
        r = _region(rr)
        if r.id in seen_ids:
            raise ProjectError(f"{rr.path}.id: duplicate id {r.id!r}")
        seen_ids.add(r.id)
        t.regions.append(r)
    t.regions.sort(key=lambda r: r.start)
    for a, b in zip(t.regions, t.regions[1:], strict=False):
        if b.start < a.end - 1e-9:
            raise ProjectError(f"track {t.name!r}: regions {a.id} and {b.id} overlap")
    return t


def _region(rr: _Reader) -> Region:
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
    r.anchors.extend(_anchor(ar) for ar in rr.sub("anchors", required=False, default=[]).items())
    r.source = _source_line(rr.sub("source", required=False, default=None))
    bm = rr.sub("bound_markers", required=False, default=None)
    if bm.data is not None:
        if not (isinstance(bm.data, list) and len(bm.data) == 2 and all(isinstance(x, str) for x in bm.data)):
            raise ProjectError(f"{bm.path}: expected two marker ids")
        r.bound_markers = [check_identifier(x, f"{bm.path}[{i}]", ProjectError) for i, x in enumerate(bm.data)]
    return r


def _anchor(ar: _Reader) -> list:
    """A word anchor: [character index, seconds from the region's start]."""
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
    return [int(index), float(seconds)]


def _marker(mr: _Reader) -> Marker:
    return Marker(
        id=mr.id_("id"),
        time=mr.num("time", lo=0.0),
        name=mr.str_("name", default="", max_chars=200),
        color=mr.str_("color", default="#f5a623", max_chars=32),
        kind=mr.str_("kind", default="marker", max_chars=32),
    )


def _glossary(gl: _Reader) -> dict[str, str]:
    if not isinstance(gl.data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in gl.data.items()):
        raise ProjectError(f"{gl.path}: expected an object of term: reading")
    if len(gl.data) > 10_000 or any(len(k) > 200 or len(v) > 200 for k, v in gl.data.items()):
        raise ProjectError(f"{gl.path}: terms and readings are at most 200 characters (and 10000 terms)")
    return dict(gl.data)


def _mix(mx: _Reader) -> Mix:
    return Mix(
        source_gain_db=mx.num("source_gain_db", default=0.0, lo=-96.0, hi=24.0),
        duck_db=mx.num("duck_db", default=-12.0, lo=-96.0, hi=0.0),
        dub_gain_db=mx.num("dub_gain_db", default=0.0, lo=-96.0, hi=24.0),
    )


def _view(vw: _Reader) -> ViewState:
    return ViewState(
        pixels_per_second=vw.num("pixels_per_second", default=100.0, lo=1e-3, hi=1e6),
        scroll_seconds=vw.num("scroll_seconds", default=0.0, lo=-MAX_TIMELINE_SECONDS),
        selected_region=vw.str_("selected_region", nullable=True, max_chars=64),
        playhead=vw.num("playhead", default=0.0, lo=0.0),
    )


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
