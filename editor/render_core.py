"""Turning project regions into engine requests, caching their audio, mixing.

No Qt here: the render worker (a QThread in the editor) and the headless
``dubline render`` both use these functions.

The render cache lives next to the project (``NAME.dubline-cache/``): one
``HASH.wav`` + ``HASH.json`` (timings and metadata) per rendered region,
keyed by a hash of everything that determines the audio (text, voice,
emotion, duration in samples, anchors, glossary, engine and model version).
Deleting the folder loses nothing but time.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from editor.project import Project, Region, Track
from engine.types import DurationSpec, EmotionSpec, SynthesisRequest, SynthesisResult, UnitTiming

ENGINE_SR = 24000


def region_voice(track: Track, region: Region) -> str:
    return region.voice or track.default_voice


def region_request(project: Project, track: Track, region: Region) -> SynthesisRequest:
    """The engine request that fills ``region``."""
    if region.duration_mode == "fit":
        anchors = tuple((int(a[0]), float(a[1])) for a in region.anchors)
        spec = DurationSpec.exact(region.duration, anchors)
    elif region.duration_mode == "ratio":
        spec = DurationSpec.of_ratio(region.ratio)
    else:
        spec = DurationSpec.free()
    emotion = EmotionSpec.from_dict(region.emotion) if region.emotion else EmotionSpec()
    return SynthesisRequest(
        text=region.text,
        voice=region_voice(track, region),
        duration=spec,
        emotion=emotion,
        glossary=tuple(sorted(project.glossary.items())),
    )


def voice_fingerprint(voice: str) -> str | None:
    from engine.voices import fingerprint

    return fingerprint(voice)


def _file_digest(path: str) -> str:
    """An emotion clip is keyed by its content: re-recording it re-renders the lines that use it."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]
    except OSError:
        return "unreadable"


def request_key(request: SynthesisRequest, model_version: str) -> str:
    """Content hash of everything that determines the audio."""
    d = request.duration
    payload = {
        "text": request.text,
        "voice": request.voice,
        "duration": {
            "mode": d.mode,
            # exact lengths key on samples, so float noise in seconds never re-renders
            "samples": None if d.seconds is None else int(round(d.seconds * ENGINE_SR)),
            "ratio": d.ratio,
            "max_tokens": d.max_tokens,
            "anchors": [[int(i), int(round(s * ENGINE_SR))] for i, s in d.anchors],
        },
        "emotion": request.emotion.to_dict(),
        "emotion_clip": _file_digest(request.emotion.audio) if request.emotion.audio else None,
        "voice_template": voice_fingerprint(request.voice),
        "glossary": [list(x) for x in request.glossary],
        "seed": request.seed,
        "model": model_version,
    }
    blob = json.dumps(payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(blob).hexdigest()[:32]


@dataclass
class Clip:
    """A rendered region as the editor and the mixer need it."""

    key: str
    audio: np.ndarray  # float32 mono at ``sample_rate``
    sample_rate: int
    natural_seconds: float
    ratio: float
    units: list[UnitTiming]
    warnings: list[str]

    @staticmethod
    def from_result(key: str, res: SynthesisResult) -> Clip:
        return Clip(key, np.asarray(res.audio, np.float32), res.sample_rate, res.natural_seconds, res.ratio,
                    list(res.units), list(res.warnings))


class RenderCache:
    """Rendered clips on disk by content hash (and a small in-memory LRU)."""

    def __init__(self, folder: Path | None):
        self.folder = Path(folder) if folder else None
        self._mem: dict[str, Clip] = {}

    def get(self, key: str) -> Clip | None:
        if key in self._mem:
            return self._mem[key]
        if self.folder is None:
            return None
        wav, meta = self.folder / f"{key}.wav", self.folder / f"{key}.json"
        if not (wav.is_file() and meta.is_file()):
            return None
        try:
            import soundfile as sf

            audio, sr = sf.read(str(wav), dtype="float32")
            info = json.loads(meta.read_text(encoding="utf-8"))
            units = [UnitTiming(**u) for u in info["units"]]
            clip = Clip(key, audio, sr, float(info["natural_seconds"]), float(info["ratio"]), units,
                        list(info.get("warnings", [])))
        except (OSError, ValueError, KeyError, TypeError, RuntimeError):
            return None  # a damaged entry is just a cache miss
        self._remember(clip)
        return clip

    def put(self, clip: Clip) -> None:
        self._remember(clip)
        if self.folder is None:
            return
        from engine.audio_io import write_audio
        from engine.model_store import atomic_write_bytes

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # float WAV keeps the clip bit-exact across save/restore
            write_audio(self.folder / f"{clip.key}.wav", clip.audio, clip.sample_rate, subtype="FLOAT")
            info = {
                "natural_seconds": clip.natural_seconds,
                "ratio": clip.ratio,
                "warnings": clip.warnings,
                "units": [u.__dict__ for u in clip.units],
            }
            atomic_write_bytes(self.folder / f"{clip.key}.json", json.dumps(info, ensure_ascii=False).encode())
        except OSError:
            pass  # caching is an optimisation; a full disk must not fail the render

    def _remember(self, clip: Clip) -> None:
        self._mem[clip.key] = clip
        if len(self._mem) > 256:
            self._mem.pop(next(iter(self._mem)))


def db_to_gain(db: float) -> float:
    return float(10.0 ** (db / 20.0))


def resample(audio: np.ndarray, sr_from: int, sr_to: int) -> np.ndarray:
    if sr_from == sr_to or len(audio) == 0:
        return np.asarray(audio, np.float32)
    import soxr

    return soxr.resample(np.asarray(audio, np.float32), sr_from, sr_to).astype(np.float32)


def audible_tracks(project: Project) -> list[Track]:
    solo = [t for t in project.tracks if t.solo]
    return [t for t in (solo or project.tracks) if not t.mute]


def place_clip(clip_audio: np.ndarray, clip_sr: int, start_seconds: float, out_sr: int, length: int) -> tuple[int, np.ndarray]:
    """Resample a clip to the mix rate and return (start sample, audio) clipped to ``length``."""
    a = resample(clip_audio, clip_sr, out_sr)
    s = int(round(start_seconds * out_sr))
    if s >= length:
        return s, a[:0]
    return s, a[: max(0, length - s)]


def mix(
    project: Project,
    clips: dict[str, Clip],
    source: np.ndarray | None = None,
    source_sr: int | None = None,
    include_source: bool = True,
    tracks: list[Track] | None = None,
) -> np.ndarray:
    """Mix the dub clips (and the ducked source) at ``project.sample_rate``, mono float32."""
    sr = project.sample_rate
    length = int(np.ceil(project.end_time() * sr)) + 1
    out = np.zeros(length, dtype=np.float32)
    duck = np.ones(length, dtype=np.float32)
    for t in tracks if tracks is not None else audible_tracks(project):
        g = db_to_gain(t.gain_db + project.mix.dub_gain_db)
        for r in t.regions:
            clip = clips.get(r.id)
            if clip is None:
                continue
            s, a = place_clip(clip.audio, clip.sample_rate, r.start, sr, length)
            out[s : s + len(a)] += g * a
            duck[s : s + len(a)] = db_to_gain(project.mix.duck_db)
    if include_source and source is not None and len(source):
        src = resample(source, source_sr or sr, sr)[:length]
        # Smooth the duck envelope (20 ms) so the source does not click.
        k = max(1, int(0.02 * sr))
        env = np.convolve(duck, np.ones(k, np.float32) / k, mode="same")[: len(src)]
        out[: len(src)] += db_to_gain(project.mix.source_gain_db) * src * env
    return out


def render_region(engine, project: Project, track: Track, region: Region, cache: RenderCache) -> Clip:
    """Render (or fetch from the cache) one region's clip."""
    req = region_request(project, track, region)
    key = request_key(req, engine.model_version())
    clip = cache.get(key)
    if clip is None:
        res = engine.generate(req)
        clip = Clip.from_result(key, res)
        cache.put(clip)
    return clip


def env_threads() -> int | None:
    v = os.environ.get("DUBLINE_THREADS")
    return int(v) if v and v.isdigit() else None
