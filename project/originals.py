"""The original audio under a transcribed line, as a small 16 kHz WAV file: the emotion reference of a region
whose emotion is "from the original line" (the engine reads only its prosody, never its voice).

Clips live in the user cache (``originals/``), keyed by the media file's identity (path, size, modification
time) and the span, so deleting them loses nothing but time.  Transcription writes them while it holds the
decoded audio; otherwise a clip is cut out by seeking in the media (PyAV), not by decoding it whole.
"""

from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import numpy as np

SR = 16000
#: Longer lines give the prosody analysis nothing more: the clip is cut to this length.
MAX_CLIP_SECONDS = 20.0


def _folder() -> Path:
    from engine.user_dirs import cache_dir

    return cache_dir() / "originals"


def media_identity(media: str | os.PathLike) -> str:
    p = Path(media).resolve()
    st = p.stat()
    return f"{p}|{st.st_size}|{st.st_mtime_ns}"


def clip_path(media: str | os.PathLike, start: float, end: float) -> Path:
    key = f"{media_identity(media)}|{int(round(start * SR))}|{int(round(min(end, start + MAX_CLIP_SECONDS) * SR))}"
    return _folder() / (hashlib.sha256(key.encode()).hexdigest()[:32] + ".wav")


def store(media: str | os.PathLike, start: float, end: float, audio16: np.ndarray) -> Path:
    """Write the span of already decoded 16 kHz audio (the whole media's) as the clip of that span."""
    path = clip_path(media, start, end)
    if not path.is_file():
        seg = np.asarray(audio16[int(start * SR): int(min(end, start + MAX_CLIP_SECONDS) * SR)], np.float32)
        _write(path, seg)
    return path


def _write(path: Path, audio: np.ndarray) -> None:
    import soundfile as sf

    from engine.atomic import atomic_write_bytes

    buf = io.BytesIO()
    sf.write(buf, np.clip(audio, -1.0, 1.0), SR, format="WAV", subtype="PCM_16")
    atomic_write_bytes(path, buf.getvalue())


def decode_span(media: str | os.PathLike, start: float, end: float) -> np.ndarray | None:
    """16 kHz mono audio of ``start``-``end`` seconds of the media's first audio track (None: no audio)."""
    import av

    end = min(end, start + MAX_CLIP_SECONDS)
    with av.open(str(media), mode="r", metadata_errors="ignore") as c:
        if not c.streams.audio:
            return None
        stream = c.streams.audio[0]
        if stream.time_base is not None and start > 1.0:
            c.seek(int(max(0.0, start - 0.5) / stream.time_base), stream=stream, any_frame=False, backward=True)
        rs = av.AudioResampler(format="flt", layout="mono", rate=SR)
        out = []
        pos = None  # seconds of the first collected sample
        n = 0
        for frame in c.decode(stream):
            t = float(frame.pts * frame.time_base) if frame.pts is not None and frame.time_base else None
            for f in rs.resample(frame):
                a = f.to_ndarray().reshape(-1).astype(np.float32)
                if pos is None:
                    pos = t if t is not None else 0.0
                out.append(a)
                n += len(a)
            if pos is not None and pos + n / SR >= end:
                break
        if pos is None:
            return None
        audio = np.concatenate(out)
        a0 = max(0, int(round((start - pos) * SR)))
        return audio[a0: a0 + int(round((end - start) * SR))]


def clip_for(media: str | os.PathLike, start: float, end: float) -> Path | None:
    """The clip of the span (cut from the media when not cached); None when the media has no audio or cannot be
    read (the region then falls back to the voice's own delivery)."""
    try:
        path = clip_path(media, start, end)
        if path.is_file():
            return path
        audio = decode_span(media, start, end)
        if audio is None or len(audio) < SR // 4:
            return None
        _write(path, audio)
        return path
    except Exception:  # an unreadable or vanished media file: the caller falls back
        return None
