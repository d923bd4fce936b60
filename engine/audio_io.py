"""Writing audio files atomically, with a provenance tag.

Everything Dubline writes is synthetic speech; the files say so (RIFF INFO /
Vorbis comment) so downstream tools and listeners can tell.

Nothing is clipped: integer files (16/24-bit) are quantised here with TPDF
dither (two uniform values of one LSB each, a fixed seed so the same mix makes
the same file), and audio whose peaks would not fit the integer range first
goes through the true-peak limiter (engine/loudness.py) at 0 dBTP.  Float
files keep the samples as they are.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from engine.atomic import atomic_path, current_umask, file_mode_for  # noqa: F401 (re-exported)
from engine.errors import RequestError

FORMATS = {".wav": "WAV", ".flac": "FLAC", ".ogg": "OGG"}
#: Integer subtypes quantised here (with dither): bits per sample.
INT_BITS = {"PCM_16": 16, "PCM_24": 24}
#: Bit depths a user can ask for, and the subtype each writes.
BIT_DEPTHS = {16: "PCM_16", 24: "PCM_24", 32: "FLOAT"}
_CHUNK = 1 << 20
_DITHER_SEED = 0x5EED


def write_audio(
    path: str | os.PathLike,
    audio: np.ndarray,
    sample_rate: int,
    comment: str = "synthetic speech (Dubline)",
    subtype: str | None = None,
) -> Path:
    """Write mono/multichannel float audio to ``path`` atomically.

    ``subtype``: a soundfile subtype (default 16-bit PCM for WAV/FLAC); 16/24-bit PCM are dithered here.
    Raises RequestError with a one-line message when the path is unusable.
    """
    import soundfile as sf

    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise RequestError(f"cannot write {path.name}: use a .wav, .flac or .ogg file name")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise RequestError(f"cannot write {path}: the folder {folder} does not exist")
    if path.is_dir():
        raise RequestError(f"cannot write {path}: it is a folder")
    if subtype is None:
        subtype = "PCM_16" if fmt in ("WAV", "FLAC") else None
    if fmt == "FLAC" and subtype == "FLOAT":
        subtype = "PCM_24"  # FLAC holds integers only
    try:
        data = np.asarray(audio, dtype=np.float32)
        bits = INT_BITS.get(subtype or "")
        if bits or (subtype or "").startswith(("PCM", "ULAW", "ALAW", "VORBIS", "OPUS")) or fmt == "OGG":
            data = fit_full_scale(data, int(sample_rate))
        with atomic_path(path) as tmp, sf.SoundFile(tmp, "w", samplerate=int(sample_rate),
                                                    channels=1 if data.ndim == 1 else data.shape[1],
                                                    format=fmt, subtype=subtype) as f:
            try:
                f.comment = comment
                f.software = "Dubline"
            except (RuntimeError, AttributeError):
                pass  # some formats have no metadata slot
            if bits:
                rng = np.random.default_rng(_DITHER_SEED)
                for i in range(0, len(data), _CHUNK):
                    f.write(quantize(data[i: i + _CHUNK], bits, rng))
            else:
                f.write(data)
    except OSError as e:
        raise RequestError(f"cannot write {path}: {e.strerror or e}") from e
    return path


def fit_full_scale(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """``audio`` unchanged when its samples fit in [-1, 1]; else through the true-peak limiter at 0 dBTP
    (never a clip).  NaN/inf become 0."""
    data = np.asarray(audio, np.float32)
    if not np.isfinite(data).all():
        data = np.nan_to_num(data, nan=0.0, posinf=0.0, neginf=0.0)
    if len(data) == 0 or float(np.abs(data).max()) <= 1.0:
        return data
    from engine.loudness import limit_true_peak

    return limit_true_peak(data, sample_rate, ceiling_dbtp=0.0)[0]


def quantize(audio: np.ndarray, bits: int, rng: np.random.Generator) -> np.ndarray:
    """Float samples to ``bits``-bit integers with TPDF dither, returned as int32 with the value in the top
    bits (how libsndfile takes int32 for any integer subtype).  The range is saturated at full scale, which
    only the dither's last LSB can reach after :func:`fit_full_scale`."""
    scale = float(1 << (bits - 1))
    x = np.asarray(audio, np.float64) * scale
    x += rng.random(x.shape) - rng.random(x.shape)  # triangular, +-1 LSB
    q = np.rint(x)
    np.clip(q, -scale, scale - 1.0, out=q)  # integer range only: the audio itself is already under full scale
    return q.astype(np.int32) << (32 - bits)
