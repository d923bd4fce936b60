"""Voice templates: zero-shot cloning for the embedded engine, and the voice library.

Enrollment turns 3-30 s of someone's speech into a template, once:

1. the reference is checked (readable, not silent, not clipped, enough
   speech), trimmed of silences and loudness-normalised; its GE2E speaker
   embedding (engine/speaker.py) and median F0 are measured;
2. a short probe sentence is rendered with each stock voice and compared to
   the reference with the speaker encoder; blends of the closest voices are
   tried, then a small random search moves the style (timbre and prosody
   halves) towards the reference;
3. F0 placement: the template's pitch shift puts the voice's median F0 on the
   reference's (GE2E barely hears pitch; the ear does).

The template stores the blend weights, the style offset, the pitch shift, the
reference's embedding and provenance (source hash, date, consent note).  It is
an .npz file written atomically; later uses are a file read.

Library: user voices in ``$DUBLINE_DATA/voices`` (default
``~/.local/share/dubline/voices``).  A reference file given where a voice name
is expected is enrolled on the fly and cached by its content hash.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from engine.errors import RequestError

TEMPLATE_SUFFIX = ".dvoice"
NAME_RE = re.compile(r"^[\w\- .]{1,48}$")
#: A template is a few hundred kB (30 s of 16 kHz float16 reference at most); anything far larger is not one.
MAX_TEMPLATE_BYTES = 16 << 20
#: The largest recording read as a voice reference (a video's soundtrack is decoded from it).
MAX_RECORDING_BYTES = 2 << 30
PROBES = ("今天的天气很好，我们出去走走吧。", "Thank you for coming, it means a lot to me.")
MIN_SECONDS, WARN_SECONDS, MAX_SECONDS = 3.0, 5.0, 30.0

Progress = Callable[[float, str], None]


class Cancelled(Exception):
    pass


def data_root() -> Path:
    """``$DUBLINE_DATA``, else the per-OS data folder (engine.user_dirs; Linux ``~/.local/share/dubline``)."""
    from engine.user_dirs import data_dir

    return data_dir()


def library_dir() -> Path:
    return data_root() / "voices"


@dataclass
class VoiceTemplate:
    name: str
    weights: dict[str, float]
    delta: np.ndarray = field(default_factory=lambda: np.zeros(256, np.float32))
    pitch_shift: float = 0.0  # semitones applied to the F0 curve
    embedding: np.ndarray = field(default_factory=lambda: np.zeros(256, np.float32))
    meta: dict = field(default_factory=dict)  # source_sha256, created, consent, seconds, similarity, warnings
    #: The cleaned reference speech (16 kHz, float16): what a backend that clones from audio
    #: (IndexTTS2's speaker prompt) reads, so every backend shares one voice library.
    reference: np.ndarray | None = None

    def reference_wav(self, path: str | Path) -> Path:
        """Write the reference speech as a 16 kHz WAV (for backends that take a speaker prompt file)."""
        import soundfile as sf

        if self.reference is None:
            raise RequestError(f"voice {self.name} was saved without its reference audio; add it again")
        sf.write(str(path), self.reference.astype(np.float32), 16000, subtype="PCM_16")
        return Path(path)

    def style_table(self, stock: dict[str, np.ndarray]) -> np.ndarray:
        table = sum(float(w) * stock[v] for v, w in self.weights.items() if w)
        return (table + self.delta[None, :]).astype(np.float32)

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        meta = {"name": self.name, "weights": self.weights, "pitch_shift": self.pitch_shift, **self.meta}
        extra = {} if self.reference is None else {"reference": self.reference.astype(np.float16)}
        np.savez(buf, delta=self.delta.astype(np.float32), embedding=self.embedding.astype(np.float32),
                 meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), np.uint8), **extra)
        return buf.getvalue()

    @staticmethod
    def from_bytes(data: bytes) -> VoiceTemplate:
        """Parse a template; ValueError (one line) for anything that is not a whole, valid one."""
        import zipfile
        import zlib

        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                meta = json.loads(bytes(z["meta"]).decode("utf-8"))
                delta, emb = np.array(z["delta"], np.float32), np.array(z["embedding"], np.float32)
                ref = np.array(z["reference"], np.float16) if "reference" in z.files else None
            if not isinstance(meta, dict):
                raise ValueError("its description is not an object")
            name = meta.pop("name")
            weights = {str(k): float(v) for k, v in meta.pop("weights").items()}
            shift = float(meta.pop("pitch_shift", 0.0))
        except (zipfile.BadZipFile, zlib.error, EOFError, KeyError, TypeError, AttributeError,
                UnicodeDecodeError, OSError) as e:
            raise ValueError(f"not a complete voice file: {type(e).__name__}") from None
        if not isinstance(name, str) or delta.shape != (256,) or emb.shape != (256,) or not (
                np.isfinite(delta).all() and np.isfinite(emb).all() and np.isfinite(shift)
                and all(np.isfinite(w) for w in weights.values())):
            raise ValueError("its values are not a voice template")
        return VoiceTemplate(name, weights, delta, shift, emb, meta, ref)

    def digest(self) -> str:
        return hashlib.sha256(self.to_bytes()).hexdigest()[:16]


# ---------------------------------------------------------------- library
#: Templates that travel with the open project (name -> file); they win over the library.
_registered: dict[str, Path] = {}


def register(name: str, path: str | Path) -> None:
    """Make a project's own voice file available under ``name``."""
    _registered[str(name)] = Path(path)


def unregister_all() -> None:
    _registered.clear()


def registered() -> dict[str, Path]:
    return dict(_registered)


def _path(name: str, folder: Path | None = None) -> Path:
    """The template file of library voice ``name``; RequestError when ``name`` is not a plain voice
    name or the file would land outside the library folder (``../x``, an absolute path, a symlink out)."""
    name = str(name)
    if not is_voice_name(name):
        raise RequestError(f"{_shown(name)} is not a voice name (1-48 letters, digits, spaces, '-', '_' or '.')")
    base = (folder or library_dir())
    p = base / f"{name}{TEMPLATE_SUFFIX}"
    try:
        real_base, real = base.resolve(), p.resolve()
    except (OSError, RuntimeError) as e:
        raise RequestError(f"voice {_shown(name)}: unusable path ({e})") from None
    if real.parent != real_base:
        raise RequestError(f"voice {_shown(name)} points outside the voice library")
    return p


def is_voice_name(name: str) -> bool:
    """A plain voice name: it names a file in the library, so no separators and no leading dot."""
    return isinstance(name, str) and bool(NAME_RE.match(name)) and not name.startswith(".") and name == name.strip()


def _shown(name: str) -> str:
    r = repr(name)
    return r if len(r) <= 60 else r[:57] + "..."


def _read_template(p: Path, name: str) -> VoiceTemplate:
    import stat

    try:
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("not a regular file")
        if st.st_size > MAX_TEMPLATE_BYTES:
            raise ValueError(f"{st.st_size >> 20} MB is far larger than a voice file")
        with open(p, "rb") as f:
            data = f.read(MAX_TEMPLATE_BYTES + 1)
        return VoiceTemplate.from_bytes(data)
    except (OSError, ValueError) as e:
        raise RequestError(f"voice {name} is damaged ({e}); remove it and add it again") from None


def check_name(name: str, stock: list[str] | tuple[str, ...] = ()) -> str:
    name = str(name).strip()
    if not NAME_RE.match(name) or name.startswith("."):
        raise RequestError(f"voice name {name!r}: use 1-48 letters, digits, spaces, '-', '_' or '.'")
    if name in stock:
        raise RequestError(f"{name} is a stock voice; choose another name")
    return name


def save(t: VoiceTemplate, folder: Path | None = None) -> Path:
    from engine.atomic import atomic_write_bytes

    p = _path(t.name, folder)
    p.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(p, t.to_bytes())
    return p


def load(name: str, folder: Path | None = None) -> VoiceTemplate | None:
    """The template of voice ``name`` (a project's own, then ``folder``, then the library); None when there
    is none, or when ``name`` is not a plain voice name (a path never reaches outside the library)."""
    name = str(name)
    candidates = [_registered[name]] if name in _registered else []
    if is_voice_name(name):
        for f in ([folder] if folder else []) + [library_dir()]:
            try:
                candidates.append(_path(name, f))
            except RequestError:
                continue
    for p in candidates:
        if _exists(p):
            return _read_template(p, name)
    return None


def _exists(p: Path) -> bool:
    try:
        return p.is_file()
    except (OSError, ValueError):
        return False


def names(folder: Path | None = None) -> list[str]:
    d = folder or library_dir()
    try:
        found = list(d.glob(f"*{TEMPLATE_SUFFIX}"))
    except OSError:
        return []
    return sorted(n for n in (p.name[: -len(TEMPLATE_SUFFIX)] for p in found)
                  if not n.startswith(("auto-", ".")) and is_voice_name(n))


def remove(name: str, folder: Path | None = None) -> None:
    p = _path(name, folder)  # RequestError for a name that is not a library voice's
    if not p.is_file() or p.is_symlink():
        raise RequestError(f"no voice named {name}")
    p.unlink()


# ---------------------------------------------------------------- consent for recordings
#: Recordings the user has said may be cloned in this process (resolved path -> consent note).
_consents: dict[str, str] = {}

#: The note the embedded backend passes when it enrolls a recording given as the voice;
#: it stands for "no one said yes" and is replaced by the granted note (or refused).
_AUTOMATIC_NOTE = "reference given directly"


def grant_consent(recording: str | Path, note: str) -> None:
    """Record that the owner of ``recording`` agreed to it being cloned (``note`` says who and for what)."""
    note = str(note).strip()
    if not note:
        raise RequestError("a consent note cannot be empty")
    _consents[_consent_key(recording)] = note


def consent_for(recording: str | Path) -> str | None:
    return _consents.get(_consent_key(recording))


def require_consent(recording: str | Path) -> str:
    """The consent note granted for ``recording``; RequestError (one line) when there is none."""
    note = consent_for(recording)
    if note is None:
        raise RequestError(f"cloning the voice in {Path(str(recording)).name} needs its owner's permission: "
                           "add --consent \"who agreed, and for what\"")
    return note


def _consent_key(recording: str | Path) -> str:
    try:
        return str(Path(recording).resolve())
    except (OSError, RuntimeError, ValueError):
        return str(recording)


# ---------------------------------------------------------------- reference audio
def read_reference(path: str | Path) -> tuple[np.ndarray, int]:
    import stat

    p = Path(path)
    try:
        st = p.stat()
    except (OSError, ValueError):
        raise RequestError(f"reference not found: {p.name or p}") from None
    if not stat.S_ISREG(st.st_mode):
        raise RequestError(f"reference {p.name}: not a regular file")
    if st.st_size > MAX_RECORDING_BYTES:
        raise RequestError(f"reference {p.name}: {st.st_size >> 20} MB is too large for a voice recording")
    try:
        import soundfile as sf

        audio, sr = sf.read(str(p), dtype="float32", always_2d=True)
        return audio.mean(axis=1), int(sr)
    except Exception:
        pass
    from engine.audio_decode import AudioDecodeError, load_audio  # video files and compressed formats

    try:
        a = load_audio(p, 16000)
    except AudioDecodeError as e:
        raise RequestError(str(e)) from None
    if a is None:
        raise RequestError(f"{p.name} has no audio track")
    return np.asarray(a, np.float32), 16000


def check_reference(audio: np.ndarray, sr: int, name: str = "the reference") -> tuple[np.ndarray, list[str]]:
    """The speech to enroll from (16 kHz, trimmed, normalised), with warnings; errors say what to do."""
    from engine.speaker import SR, preprocess

    notes: list[str] = []
    a = np.asarray(audio, np.float32)
    if not len(a) or float(np.sqrt(np.mean(a.astype(np.float64) ** 2))) < 1e-4:
        raise RequestError(f"{name} is silent: record the voice speaking (3-30 s)")
    clipped = float(np.mean(np.abs(a) >= 0.999))
    if clipped > 0.01:
        raise RequestError(f"{name} is clipped ({clipped:.1%} of samples at full scale): record it again, quieter")
    if clipped > 0.001:
        notes.append(f"{name} clips in places ({clipped:.2%} of samples): the voice may sound harsher")
    speech = preprocess(a, sr)
    secs = len(speech) / SR
    if secs < MIN_SECONDS:
        raise RequestError(f"{name} holds {secs:.1f} s of speech; at least {MIN_SECONDS:g} s are needed (5-20 s is best)")
    if secs < WARN_SECONDS:
        notes.append(f"only {secs:.1f} s of speech: 5 s or more give a closer voice")
    if secs > MAX_SECONDS:
        speech = cleanest_window(speech, SR, 20.0)
        notes.append(f"{secs:.0f} s of speech: the cleanest 20 s are used")
    room = speech_room(speech, SR)
    if room < BACKGROUND_ERROR:
        raise RequestError(f"{name} has loud music or noise under the voice (only {room:.0f} dB between "
                           "speech and background): use a clip where the voice is alone")
    if room < BACKGROUND_WARN:
        notes.append(f"{name} has noticeable background sound ({room:.0f} dB below the voice): "
                     "a cleaner clip gives a closer voice")
    low = speaker_consistency(speech, SR)
    if low < MIXED_ERROR:
        raise RequestError(f"{name} sounds like more than one speaker (parts agree only {low:.2f}): "
                           "use a clip where only this voice speaks")
    if low < MIXED_WARN:
        notes.append(f"parts of {name} sound like another voice (agreement {low:.2f}): "
                     "a clip with only this speaker gives a closer voice")
    return speech, notes


# GE2E cosine between 2.5 s stretches: one stock voice 0.78-0.89, a female and a male
# stock voice 0.51-0.55 (2026-11-24 measurements on engine renders).
MIXED_ERROR = 0.56
MIXED_WARN = 0.66


# 90th minus 10th percentile of 30 ms frame levels after pause removal: engine renders 30-38 dB,
# with steady music 20 dB below the voice 19 dB, 10 dB below 10 dB, music alone 4 dB.
BACKGROUND_ERROR = 11.0
BACKGROUND_WARN = 16.0


def speech_room(speech: np.ndarray, sr: int) -> float:
    """dB between the loud and the quiet frames of ``speech``: small when music or noise
    fills the gaps between syllables."""
    win = int(0.03 * sr)
    n = len(speech) // win
    if n < 10:
        return 99.0
    db = 10 * np.log10(np.mean(speech[: n * win].reshape(n, win).astype(np.float64) ** 2, axis=1) + 1e-10)
    return float(np.percentile(db, 90) - np.percentile(db, 10))


def speaker_consistency(speech: np.ndarray, sr: int, seconds: float = 2.5) -> float:
    """The lowest GE2E similarity between any two ``seconds`` stretches of ``speech`` (1.0 if
    there are fewer than two): low when the clip holds more than one speaker."""
    from engine.speaker import embed_processed, similarity

    n = int(seconds * sr)
    parts = [embed_processed(speech[i:i + n]) for i in range(0, len(speech) - n + 1, n)]
    return min((similarity(a, b) for i, a in enumerate(parts) for b in parts[i + 1:]), default=1.0)


def cleanest_window(x: np.ndarray, sr: int, seconds: float) -> np.ndarray:
    """The ``seconds`` of ``x`` whose every second has the most room between speech and floor
    (least background noise or music), in steps of one second."""
    win = int(0.03 * sr)
    per = int(round(1.0 / 0.03))  # frames per second
    n = len(x) // win
    span = int(round(seconds))
    segs = n // per
    if segs <= span:
        return x
    db = 10 * np.log10(np.mean(x[: segs * per * win].reshape(segs, per, win).astype(np.float64) ** 2, axis=2)
                       + 1e-10)
    room = np.percentile(db, 90, axis=1) - np.percentile(db, 10, axis=1)  # per second
    scores = np.convolve(room, np.ones(span), mode="valid")
    i = int(np.argmax(scores))
    return x[i * per * win:(i + span) * per * win]


# ---------------------------------------------------------------- enrollment
def enroll(engine, name: str, reference: str | Path, consent: str, progress: Progress | None = None,
           cancelled: Callable[[], bool] | None = None, iterations: int | None = None, seed: int = 0) -> VoiceTemplate:
    """Build a template for ``name`` from a reference recording (see the module docstring).

    ``iterations`` of the random search (default 8; ``$DUBLINE_ENROLL_ITERATIONS`` overrides it, for tests).
    """
    from engine.emotion.from_audio import _f0_track
    from engine.speaker import SR, embed_processed

    if str(consent).strip().startswith(_AUTOMATIC_NOTE):
        consent = require_consent(reference)  # a recording given as the voice: only with the user's yes
    if not str(consent).strip():
        raise RequestError("cloning a voice needs its owner's permission: give a consent note "
                           "(e.g. --consent \"recorded by Li Wei for this project, 2026-11-24\")")

    if iterations is None:
        iterations = int(os.environ.get("DUBLINE_ENROLL_ITERATIONS", "8"))

    def step(f: float, msg: str) -> None:
        if progress:
            progress(f, msg)
        if cancelled and cancelled():
            raise Cancelled()

    step(0.0, "reading the reference")
    raw, sr = read_reference(reference)
    speech, notes = check_reference(raw, sr, Path(reference).name)
    ref_emb = embed_processed(speech)
    f0 = _f0_track(speech)
    ref_f0 = float(np.median(f0[f0 > 0])) if (f0 > 0).sum() > 20 else None
    stock = {v: engine.style_table(v) for v in engine.stock_voices()}
    rng = np.random.default_rng(seed)
    score = _similarity_to(engine, ref_emb)
    tried = _closest_stock(name, list(stock), score, step)
    best = _refine(name, tried[0], stock, score, rng, iterations, step)
    step(0.92, "placing the pitch")
    if ref_f0:
        _place_pitch(engine, best, ref_f0)
    final = score(best, probes=(0, 1))
    best.embedding = ref_emb
    best.reference = speech.astype(np.float16)
    best.meta = {
        "source_sha256": hashlib.sha256(np.ascontiguousarray(raw).tobytes()).hexdigest(),
        "source_name": Path(reference).name,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "consent": str(consent).strip(),
        "reference_seconds": round(len(speech) / SR, 2),
        "similarity": round(final, 4),
        "closest_stock": {v: round(s, 4) for s, t in tried[: len(stock)] for v in t.weights},
        "warnings": notes,
    }
    step(1.0, "done")
    return best


def _similarity_to(engine, ref_emb: np.ndarray) -> Callable[..., float]:
    """``score(template, probes=(0,))``: mean speaker similarity of the template's probe lines to the reference."""
    from engine.speaker import embed, similarity
    from engine.types import SynthesisRequest

    def score(t: VoiceTemplate, probes=(0,)) -> float:
        sims = []
        for i in probes:
            res = engine.generate(SynthesisRequest(PROBES[i], voice=t))
            sims.append(similarity(embed(res.audio, res.sample_rate), ref_emb))
        return float(np.mean(sims))

    return score


def _closest_stock(name: str, voices: list[str], score, step) -> list[tuple[float, VoiceTemplate]]:
    """Every stock voice, then blends of the two closest, as (similarity, template), best first."""
    tried: list[tuple[float, VoiceTemplate]] = []
    for k, v in enumerate(voices):
        step(0.05 + 0.3 * k / len(voices), f"comparing with {v}")
        t = VoiceTemplate(name, {v: 1.0})
        tried.append((score(t), t))
    tried.sort(key=lambda x: -x[0])
    a, b = tried[0][1].weights, tried[1][1].weights
    va, vb = next(iter(a)), next(iter(b))
    for k, w in enumerate((0.75, 0.5)):
        step(0.35 + 0.1 * k, "blending the closest voices")
        t = VoiceTemplate(name, {va: w, vb: 1 - w})
        tried.append((score(t), t))
    tried.sort(key=lambda x: -x[0])
    return tried


def _refine(name: str, start: tuple[float, VoiceTemplate], stock: dict, score, rng, iterations: int,
            step) -> VoiceTemplate:
    """Random search in style space from ``start``: steps along differences between stock voices,
    kept when they sound closer, the step shrinking when they do not."""
    best_s, best = start
    means = np.stack([s.mean(axis=0) for s in stock.values()])
    spread = means - means.mean(axis=0)
    scale = 0.35
    for it in range(iterations):
        step(0.5 + 0.4 * it / max(1, iterations), f"refining the voice ({it + 1}/{iterations})")
        d = (rng.normal(size=len(spread)) @ spread) * scale / np.sqrt(len(spread))
        cand = VoiceTemplate(name, dict(best.weights), (best.delta + d).astype(np.float32))
        s = score(cand)
        if s > best_s:
            best_s, best = s, cand
        else:
            scale *= 0.8
    return best


def _place_pitch(engine, t: VoiceTemplate, ref_f0: float) -> None:
    """Set ``t.pitch_shift`` so its median F0 meets the reference's (within +-7 semitones)."""
    import soxr

    from engine.emotion.from_audio import _f0_track
    from engine.speaker import SR
    from engine.types import SynthesisRequest

    res = engine.generate(SynthesisRequest(PROBES[0], voice=t))
    out_f0 = _f0_track(soxr.resample(res.audio, res.sample_rate, SR).astype(np.float32))
    if (out_f0 > 0).sum() > 20:
        t.pitch_shift = float(np.clip(12 * np.log2(ref_f0 / np.median(out_f0[out_f0 > 0])), -7, 7))


def available(stock: list[str]) -> list[str]:
    """A backend's voice list: its stock voices (sorted), then the user's and the project's cloned ones."""
    extra = sorted(set(names()) | set(registered()))
    return sorted(stock) + [n for n in extra if n not in stock]


def is_recording(voice: str) -> bool:
    """``voice`` names an existing recording (a path), not a stock or library voice."""
    try:
        return ("/" in voice or os.sep in voice or bool(Path(voice).suffix)) and Path(voice).is_file()
    except (OSError, ValueError):  # a name too long for the file system, a NUL byte
        return False


def looks_like_recording(voice: str) -> bool:
    """``voice`` is written as a path to a recording (whether or not it exists)."""
    return isinstance(voice, str) and ("/" in voice or os.sep in voice or (
        Path(voice).suffix.lower() in (".wav", ".flac", ".mp3", ".ogg", ".m4a", ".mp4", ".mkv", ".mov", ".webm")))


def fingerprint(voice: str) -> str | None:
    """The content hash of a library voice's template (None for stock voices): part of render keys,
    so re-enrolling a voice re-renders the lines that use it."""
    p = _registered.get(str(voice))
    if p is None and is_voice_name(str(voice)):
        try:
            p = _path(str(voice))
        except RequestError:
            p = None
    try:
        if p is None or not p.is_file() or p.stat().st_size > MAX_TEMPLATE_BYTES:
            return None
        return hashlib.sha256(p.read_bytes()).hexdigest()[:16]
    except OSError:
        return None


def auto_template_name(path: str | Path) -> str:
    return "auto-" + file_digest(path)


def file_digest(path: str | Path, max_bytes: int = MAX_RECORDING_BYTES) -> str:
    """sha256 (16 hex digits) of a regular file of at most ``max_bytes``, read in blocks; RequestError otherwise."""
    import stat

    p = Path(path)
    try:
        st = p.stat()
        if not stat.S_ISREG(st.st_mode):
            raise RequestError(f"{p.name}: not a regular file")
        if st.st_size > max_bytes:
            raise RequestError(f"{p.name}: {st.st_size >> 20} MB is too large")
        h = hashlib.sha256()
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()[:16]
    except OSError as e:
        raise RequestError(f"cannot read {p.name}: {e.strerror or e}") from None
