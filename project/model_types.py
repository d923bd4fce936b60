"""What a project holds (plain dataclasses: project, tracks, regions and their source lines, markers,
media, voices, mix, view) and the bounds a project file must keep (see :mod:`project.model`).
"""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field

from project.errors import DublineError

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
MAX_ANCHOR_INDEX = 2000  # engine.types.MAX_TEXT_CHARS: an anchor points at a character of the line


class ProjectError(DublineError):
    """A project file cannot be read or written; ``str(e)`` names the problem."""


def new_id() -> str:
    return uuid.uuid4().hex[:12]


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
