"""The project model: plain Python, no Qt, so the CLI can render headlessly.

A project is the user's work: it is saved as ``NAME.dubline`` (UTF-8 JSON,
sorted keys, two-space indent, so diffs stay readable) with a
``schema_version``.  Loading validates every field and reports the first
problem with its path (``tracks[0].regions[3].start: expected a number``);
older schema versions are migrated step by step (``MIGRATIONS``); newer ones
are refused without touching the file.

Saving is atomic (temp file in the same folder, fsync, rename) and keeps the
previous version as ``NAME.dubline.bak``.
"""

from __future__ import annotations

import copy
import json
import math
import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1
SUFFIX = ".dubline"
DURATION_MODES = ("fit", "ratio", "free")


class ProjectError(Exception):
    """A project file cannot be read or written; ``str(e)`` names the problem."""


def new_id() -> str:
    return uuid.uuid4().hex[:12]


# ----------------------------------------------------------------- model types
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

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass
class Track:
    id: str = field(default_factory=new_id)
    name: str = "Dub 1"
    default_voice: str = "jf_alpha"
    gain_db: float = 0.0
    mute: bool = False
    solo: bool = False
    regions: list[Region] = field(default_factory=list)


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
                "mute": t.mute,
                "solo": t.solo,
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

    def num(self, key: str, default: float | None = None, lo: float | None = None, hi: float | None = None) -> float:
        r = self.sub(key, required=default is None, default=default)
        v = r.data
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
            raise ProjectError(f"{r.path}: expected a number, found {_show(v)}")
        if lo is not None and v < lo or hi is not None and v > hi:
            raise ProjectError(f"{r.path}: {v} is out of range ({lo} to {hi})")
        return float(v)

    def int_(self, key: str, default: int | None = None, lo: int | None = None) -> int:
        r = self.sub(key, required=default is None, default=default)
        v = r.data
        if isinstance(v, bool) or not isinstance(v, int):
            raise ProjectError(f"{r.path}: expected a whole number, found {_show(v)}")
        if lo is not None and v < lo:
            raise ProjectError(f"{r.path}: {v} is too small")
        return v

    def str_(self, key: str, default: str | None = None, nullable: bool = False) -> str | None:
        r = self.sub(key, required=default is None and not nullable, default=default)
        v = r.data
        if v is None and nullable:
            return None
        if not isinstance(v, str):
            raise ProjectError(f"{r.path}: expected text, found {_show(v)}")
        return v

    def bool_(self, key: str, default: bool) -> bool:
        r = self.sub(key, required=False, default=default)
        if not isinstance(r.data, bool):
            raise ProjectError(f"{r.path}: expected true or false, found {_show(r.data)}")
        return r.data


def _show(v: Any) -> str:
    s = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else repr(v)
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
    p.sample_rate = root.int_("sample_rate", lo=8000)
    p.backend = root.str_("backend", default="embedded") or "embedded"
    media = root.sub("media", required=False)
    if media.data is not None:
        p.media = MediaRef(
            path=media.str_("path", default=""),
            abs_path=media.str_("abs_path", default=""),
            has_video=media.bool_("has_video", True),
            duration=media.num("duration", default=0.0, lo=0.0),
        )
    p.tracks = []
    seen_ids: set[str] = set()
    for tr in root.sub("tracks").items():
        t = Track(
            id=tr.str_("id"),
            name=tr.str_("name", default=""),
            default_voice=tr.str_("default_voice", default="jf_alpha"),
            gain_db=tr.num("gain_db", default=0.0, lo=-96.0, hi=24.0),
            mute=tr.bool_("mute", False),
            solo=tr.bool_("solo", False),
            regions=[],
        )
        for rr in tr.sub("regions").items():
            r = Region(
                id=rr.str_("id"),
                start=rr.num("start", lo=0.0),
                end=rr.num("end", lo=0.0),
                text=rr.str_("text", default=""),
                voice=rr.str_("voice", nullable=True),
                duration_mode=rr.str_("duration_mode", default="fit"),
                ratio=rr.num("ratio", default=1.0, lo=0.2, hi=5.0),
                render_hash=rr.str_("render_hash", nullable=True),
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
                r.anchors.append([int(ar.data[0]), float(ar.data[1])])
            bm = rr.sub("bound_markers", required=False, default=None)
            if bm.data is not None:
                if not (isinstance(bm.data, list) and len(bm.data) == 2 and all(isinstance(x, str) for x in bm.data)):
                    raise ProjectError(f"{bm.path}: expected two marker ids")
                r.bound_markers = list(bm.data)
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
                id=mr.str_("id"),
                time=mr.num("time", lo=0.0),
                name=mr.str_("name", default=""),
                color=mr.str_("color", default="#f5a623"),
                kind=mr.str_("kind", default="marker"),
            )
        )
    for vr in root.sub("voices", required=False, default=[]).items():
        p.voices.append(VoiceRef(name=vr.str_("name"), path=vr.str_("path", default="")))
    gl = root.sub("glossary", required=False, default={})
    if not isinstance(gl.data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in gl.data.items()):
        raise ProjectError(f"{gl.path}: expected an object of term: reading")
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
        scroll_seconds=vw.num("scroll_seconds", default=0.0),
        selected_region=vw.str_("selected_region", nullable=True),
        playhead=vw.num("playhead", default=0.0, lo=0.0),
    )
    return p


def _valid_emotion(r: _Reader) -> dict:
    """Validate an emotion dict through the engine's own type."""
    if not r.data:
        return {}
    from engine.errors import EngineError
    from engine.types import EmotionSpec

    try:
        return EmotionSpec.from_dict(r.data).to_dict()
    except (EngineError, TypeError, ValueError) as e:
        raise ProjectError(f"{r.path}: {e}") from None


# ------------------------------------------------------------ migrations
#: MIGRATIONS[v] turns a schema-v dict into a schema-(v+1) dict.
MIGRATIONS: dict[int, Callable[[dict], dict]] = {
    0: lambda d: {**d, "schema_version": 1, "markers": d.get("markers", []), "voices": d.get("voices", [])},
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
    return json.dumps(to_dict(p), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def loads(text: str) -> Project:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise ProjectError(f"not valid JSON (line {e.lineno}, column {e.colno}: {e.msg}); the file may be damaged or truncated") from None
    except RecursionError:
        raise ProjectError("not valid JSON (nested too deeply)") from None
    try:
        return from_dict(data)
    except ProjectError:
        raise
    except RecursionError:
        raise ProjectError("the file is nested too deeply") from None


def load(path: str | os.PathLike) -> Project:
    """Read a project file; media paths are resolved against its folder."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ProjectError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ProjectError(f"{path}: is a folder, not a project file") from None
    except OSError as e:
        raise ProjectError(f"{path}: cannot read ({e.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ProjectError(f"{path.name}: not a Dubline project (not UTF-8 text)") from None
    try:
        return loads(text)
    except ProjectError as e:
        raise ProjectError(f"{path.name}: {e}") from None


def atomic_write_text(path: Path, text: str, backup: bool = True) -> None:
    """Write via a temp file in the same folder + fsync + rename; keep ``.bak``."""
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=str(folder))
    except OSError as e:
        raise ProjectError(f"cannot save {path}: {e.strerror}") from None
    try:
        _chmod_like_umask(fd)
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        if backup and path.is_file():
            bak = path.with_name(path.name + ".bak")
            try:
                _copy_file(path, bak)
            except OSError:
                pass  # a backup failure must not block the save
        os.replace(tmp, path)
        try:
            dfd = os.open(str(folder), os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        except OSError:
            pass
    except OSError as e:
        _unlink(tmp)
        raise ProjectError(f"cannot save {path}: {e.strerror or e}") from None
    except BaseException:
        _unlink(tmp)
        raise


def _chmod_like_umask(fd: int) -> None:
    """mkstemp makes 0600 files; a project should get the user's usual permissions."""
    mask = os.umask(0)
    os.umask(mask)
    try:
        os.fchmod(fd, 0o666 & ~mask)
    except (OSError, AttributeError):  # no fchmod on Windows
        pass


def _copy_file(src: Path, dst: Path) -> None:
    data = src.read_bytes()
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=str(dst.parent))
    _chmod_like_umask(fd)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, dst)
    except BaseException:
        _unlink(tmp)
        raise


def _unlink(p: str) -> None:
    try:
        os.unlink(p)
    except OSError:
        pass


def save(p: Project, path: str | os.PathLike, backup: bool = True) -> None:
    """Save atomically, keeping the previous file as ``NAME.dubline.bak``."""
    path = Path(path)
    if p.media is not None:
        rebase_media(p, path.parent)
    atomic_write_text(path, dumps(p), backup=backup)


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
    """Where the media is now: relative path, absolute path, or same name in the project folder."""
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
        if c.is_file():
            return c
    if name:
        for found in folder.rglob(name):
            if found.is_file():
                return found
    return None


def register_project_voices(project: Project, project_path: str | os.PathLike | None) -> list[str]:
    """Make the voices stored with the project available to the engine; returns the names missing on disk."""
    from engine import voices as vl

    vl.unregister_all()
    missing = []
    base = Path(project_path).parent if project_path else Path.cwd()
    for ref in project.voices:
        p = Path(ref.path)
        p = p if p.is_absolute() else base / p
        if p.is_file():
            vl.register(ref.name, p)
        else:
            missing.append(ref.name)
    return missing


def cache_dir_for(project_path: str | os.PathLike) -> Path:
    """The render cache next to the project: ``NAME.dubline-cache/``."""
    p = Path(project_path)
    return p.with_name(p.name + "-cache")
