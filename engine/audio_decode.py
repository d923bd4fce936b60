"""Decoding audio from any media file (a video's first audio track, compressed formats) for every floor.

It sits beside :mod:`engine.audio_io` (writing) because the engine needs it too (voice recordings
and emotion clips may be videos); the project floor's :func:`project.media.load_audio` wraps it.
PyAV decodes; the ffmpeg binary from ``imageio-ffmpeg`` is the fallback for files PyAV cannot read.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import numpy as np

from engine.errors import EngineError

log = logging.getLogger(__name__)

try:  # PyAV is a dependency, but keep the module importable without it
    import av
except ImportError:  # pragma: no cover - exercised only in broken installs
    av = None


class AudioDecodeError(EngineError):
    """A media file cannot be decoded; ``str(e)`` is one line meant for the user."""


def _name(path) -> str:
    return Path(path).name or str(path)


def _unreadable(path) -> AudioDecodeError:
    return AudioDecodeError(f"cannot open {_name(path)}: not a video file or unsupported codec")


def check_file(path) -> Path:
    """``path`` as a Path when it is a readable regular file, else AudioDecodeError saying why."""
    p = Path(path)
    try:
        st = p.stat()
    except (OSError, ValueError) as e:
        why = "no such file" if isinstance(e, FileNotFoundError) else getattr(e, "strerror", None) or "unusable path"
        raise AudioDecodeError(f"cannot open {_name(p)[:80]}: {why}") from None
    if stat.S_ISDIR(st.st_mode):
        raise AudioDecodeError(f"cannot open {_name(p)}: is a folder, not a media file")
    if not stat.S_ISREG(st.st_mode):  # a device or pipe would be read without end
        raise AudioDecodeError(f"cannot open {_name(p)}: not a regular file")
    if not os.access(p, os.R_OK):
        raise AudioDecodeError(f"cannot open {_name(p)}: permission denied")
    return p


def _av_errors() -> tuple[type[BaseException], ...]:
    errs: tuple[type[BaseException], ...] = (OSError, ValueError, EOFError)
    if av is not None:
        errs = (av.FFmpegError, *errs)
    return errs


def _video_stream(container):
    """The first real video stream (cover art in audio files does not count), or None."""
    for s in container.streams.video:
        try:
            if s.disposition & av.stream.Disposition.attached_pic:
                continue
        except (AttributeError, TypeError):
            pass
        return s
    return None


def _stream_duration(container, stream) -> float:
    if stream is not None and stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000
    return 0.0



def load_audio(path, sample_rate: int = 48000, max_seconds: float | None = None,
               channels: int = 1) -> np.ndarray | None:
    """Decode the first audio track of ``path`` to float32 mono at ``sample_rate`` (``channels=2``: stereo
    ``(n, 2)``, a mono track on both sides, more channels downmixed by ffmpeg's rematrixing).

    Returns **None when the file has no audio track** (a silent video); raises
    AudioDecodeError when the file cannot be read.  Channels are averaged.  For a
    video, sample 0 is aligned with the first video frame (audio that starts
    later is padded with silence, audio before the first frame is dropped), so
    timeline time t is frame ``t * fps`` and sample ``t * sample_rate``.
    ``max_seconds`` stops decoding there (the result may be a little longer).
    """
    p = check_file(path)
    sample_rate = int(sample_rate)
    if sample_rate < 1000:
        raise ValueError(f"sample_rate {sample_rate} is too low")
    if channels not in (1, 2):
        raise ValueError("channels must be 1 or 2")
    if av is not None:
        try:
            return _load_audio_pyav(p, sample_rate, max_seconds, channels)
        except AudioDecodeError:
            raise
        except _av_errors() as e:
            log.info("PyAV could not decode %s (%s); trying the ffmpeg binary", p, e)
    return _load_audio_ffmpeg(p, sample_rate, max_seconds, channels)


def _load_audio_pyav(p: Path, sample_rate: int, max_seconds: float | None = None,
                     channels: int = 1) -> np.ndarray | None:
    try:
        container = av.open(str(p), mode="r", metadata_errors="ignore")
    except _av_errors():
        raise _unreadable(p) from None
    with container:
        if not container.streams.audio:
            return None
        a = container.streams.audio[0]
        v = _video_stream(container)
        est = _stream_duration(container, a) or _stream_duration(container, v)
        limit = None if max_seconds is None else int((max_seconds + 1.0) * sample_rate)
        if limit is not None:
            est = min(est, max_seconds)
        shape = (int((est + 1.0) * sample_rate) + 4096,) + ((2,) if channels == 2 else ())
        buf = np.zeros(shape, np.float32)
        n = 0
        first_time = None
        if channels == 2:  # a mono track is put on both sides, more channels rematrixed to two
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=sample_rate)
        else:
            resampler = av.AudioResampler(format="fltp", rate=sample_rate)

        def take(frames) -> None:
            nonlocal buf, n, first_time
            for f in frames:
                x = f.to_ndarray()
                if channels == 2:
                    x = x.reshape(2, -1).T
                elif x.ndim == 2 and x.shape[0] > 1:
                    x = x.mean(axis=0, dtype=np.float32)
                else:
                    x = x.reshape(-1)
                if first_time is None:
                    first_time = f.time
                if n + len(x) > len(buf):
                    grow = (max(len(x), len(buf) // 2),) + buf.shape[1:]
                    buf = np.concatenate([buf, np.zeros(grow, np.float32)])
                buf[n: n + len(x)] = x
                n += len(x)

        for packet in container.demux(a):
            try:
                frames = packet.decode()
            except av.InvalidDataError:
                continue
            for frame in frames:
                take(resampler.resample(frame))
            if limit is not None and n > limit:
                break
        else:
            take(resampler.resample(None))
        audio = buf[:n]
        if v is not None:
            v_start = float(v.start_time * v.time_base) if v.start_time is not None else 0.0
            a_start = first_time if first_time is not None else (
                float(a.start_time * a.time_base) if a.start_time is not None else 0.0)
            audio = _align(audio, a_start - v_start, sample_rate)
        return np.ascontiguousarray(audio, dtype=np.float32)


def _align(audio: np.ndarray, offset_seconds: float, sample_rate: int) -> np.ndarray:
    """Shift audio that starts ``offset_seconds`` after the first video frame to start at it."""
    shift = int(round(offset_seconds * sample_rate))
    if abs(shift) <= sample_rate // 1000:  # under a millisecond: timestamp rounding
        return audio
    if shift > 0:
        return np.concatenate([np.zeros((shift,) + audio.shape[1:], np.float32), audio])
    return audio[-shift:]


def ffmpeg_exe() -> str:
    """Path of an ffmpeg binary: imageio-ffmpeg's bundled one, else one on PATH."""
    try:
        import imageio_ffmpeg

        return imageio_ffmpeg.get_ffmpeg_exe()
    except Exception:
        exe = shutil.which("ffmpeg")
        if exe:
            return exe
        raise AudioDecodeError("no ffmpeg available (install imageio-ffmpeg)") from None


_LAYOUT_CHANNELS = {"mono": 1, "stereo": 2, "2.1": 3, "3.0": 3, "quad": 4, "4.0": 4, "5.0": 5, "5.1": 6,
                    "6.0": 6, "6.1": 7, "7.0": 7, "7.1": 8}


def _ffmpeg_audio_channels(exe: str, p: Path) -> int | None:
    """Channels of the first audio stream, from ffmpeg's own description of the input."""
    proc = subprocess.run([exe, "-hide_banner", "-nostdin", "-i", str(p)], capture_output=True)
    for line in proc.stderr.decode("utf-8", "replace").splitlines():
        m = re.search(r"Stream #\S+.*?: Audio: [^,]+, \d+ Hz, ([^,]+),", line)
        if m:
            desc = m.group(1).strip()
            n = re.match(r"(\d+) channels", desc)
            return int(n.group(1)) if n else _LAYOUT_CHANNELS.get(desc.split("(")[0])
    return None


def _load_audio_ffmpeg(p: Path, sample_rate: int, max_seconds: float | None = None,
                       out_channels: int = 1) -> np.ndarray | None:
    """The same decoding with the ffmpeg binary, for files PyAV cannot read."""
    exe = ffmpeg_exe()
    channels = 2 if out_channels == 2 else _ffmpeg_audio_channels(exe, p)
    # Average the channels like the PyAV path; ffmpeg's own downmix (-ac 1) is
    # louder for stereo (each channel at -3 dB, summed), so ask for it only when
    # the channel count is unknown.
    limit = [] if max_seconds is None else ["-t", f"{max_seconds + 1.0:.3f}"]
    cmd = [exe, "-hide_banner", "-nostdin", "-v", "error", "-i", str(p), *limit, "-map", "0:a:0", "-vn",
           "-ar", str(sample_rate), "-ac", str(channels or 1), "-f", "f32le", "pipe:1"]
    proc = subprocess.run(cmd, capture_output=True)
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace")
        if "matches no streams" in err:
            return None
        raise _unreadable(p)
    x = np.frombuffer(proc.stdout, dtype="<f4")
    if out_channels == 2:
        return np.ascontiguousarray(x[: len(x) // 2 * 2].reshape(-1, 2), dtype=np.float32)
    if channels and channels > 1:
        x = x[: len(x) // channels * channels].reshape(-1, channels).mean(axis=1)
    return np.ascontiguousarray(x, dtype=np.float32)
