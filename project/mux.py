"""Muxing a dub into a video: the video stream copied bit for bit, the dub as AAC (no Qt).

The audio is an array or, for a streamed export, an iterable of blocks fed to ffmpeg's stdin as they
are mixed (project/mixdown.py), so a long programme is never held.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np

from engine.atomic import atomic_path
from engine.audio_decode import _av_errors, _video_stream
from project.media import MediaError, _check_file, av, ffmpeg_exe, probe

_COPYABLE_AUDIO_MP4 = {"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"}


def mux_audio_into_video(video_path, audio: np.ndarray, sample_rate: int, out_path,
                         keep_original_audio: bool = False, audio_bitrate: str = "192k",
                         dub_title: str = "Dub", original_title: str = "Original",
                         metadata: dict[str, str] | None = None,
                         dub_metadata: dict[str, str] | None = None, channels: int | None = None) -> Path:
    """Write ``out_path``: the video stream of ``video_path`` copied bit for bit, plus ``audio`` as AAC.

    ``audio`` is float32 mono ``(n,)`` or ``(n, channels)``; sample 0 plays with
    the first video frame.  With ``keep_original_audio`` the source's first
    audio track follows as a second, non-default track (copied when the
    container allows, else re-encoded to AAC).  The file is written to a
    temporary name in the output folder and renamed, so ``out_path`` is either
    the old file or the complete new one.  ``metadata`` becomes container tags
    (kept as custom tags in MP4 too); ``dub_metadata`` tags the dub stream (``language``, ``comment``).
    Returns ``out_path``.
    """
    src = _check_file(video_path)
    out = Path(out_path)
    info = probe(src)
    if not info.has_video:
        raise MediaError(f"cannot export to video: {src.name} has no video stream")
    if isinstance(audio, np.ndarray) or channels is None:
        a = np.asarray(audio, dtype=np.float32)
        if a.ndim == 1:
            a = a[:, None]
        if a.ndim != 2 or a.shape[1] < 1 or a.shape[1] > 8 or a.shape[0] == 0:
            raise ValueError("audio must be (samples,) or (samples, channels) with 1-8 channels")
        blocks, nch = [a], a.shape[1]
    else:  # an iterable of blocks (a streamed mix), ``channels`` wide
        blocks, nch = audio, int(channels)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise MediaError(f"cannot write {out.name}: folder {folder} does not exist")
    suffix = out.suffix.lower() or ".mp4"
    keep = keep_original_audio and info.has_audio
    # The dub's sample 0 belongs with the first video frame, which may start after
    # the container's zero (ffmpeg rebases each input to its own first timestamp).
    offset = _video_start_offset(src)

    cmd = [ffmpeg_exe(), "-hide_banner", "-v", "error", "-y", "-i", str(src)]
    if offset > 0.0005:
        cmd += ["-itsoffset", f"{offset:.6f}"]
    cmd += ["-f", "f32le", "-ar", str(int(sample_rate)), "-ac", str(nch), "-i", "pipe:0",
            "-map", "0:v:0", "-map", "1:a:0"]
    if keep:
        cmd += ["-map", "0:a:0"]
    for k, v in (metadata or {}).items():
        cmd += ["-metadata", f"{k}={v}"]
    cmd += ["-c:v", "copy", "-c:a:0", "aac", "-b:a:0", audio_bitrate,
            "-metadata:s:a:0", f"title={dub_title}", "-disposition:a:0", "default"]
    for k, v in (dub_metadata or {}).items():
        cmd += ["-metadata:s:a:0", f"{k}={v}"]
    if keep:
        copy_ok = suffix in (".mkv", ".mka") or info.audio_codec in _COPYABLE_AUDIO_MP4
        cmd += ["-c:a:1", "copy" if copy_ok else "aac", "-metadata:s:a:1", f"title={original_title}",
                "-disposition:a:1", "0"]
    if suffix in (".mp4", ".m4v", ".mov"):
        cmd += ["-movflags", "+faststart+use_metadata_tags" if metadata else "+faststart"]
    try:
        with atomic_path(out, suffix=suffix) as tmp:  # ffmpeg -y overwrites the empty temporary file
            proc = subprocess.Popen(cmd + [str(tmp)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE)
            err = _feed(proc, blocks)
            if proc.returncode != 0:
                lines = [ln for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
                raise MediaError(f"cannot write {out.name}: {lines[-1] if lines else 'ffmpeg failed'}")
    except OSError as e:
        raise MediaError(f"cannot write {out.name}: {e.strerror or e}") from None
    return out


def _feed(proc, blocks) -> bytes:
    """Write float32 blocks to ``proc``'s stdin (stderr drained beside it, so neither pipe fills);
    returns what it wrote on stderr.  A block that fails to come (an exception) stops ffmpeg first."""
    import threading

    err: list[bytes] = []
    drain = threading.Thread(target=lambda: err.append(proc.stderr.read()), daemon=True)
    drain.start()
    try:
        for b in blocks:
            x = np.ascontiguousarray(np.nan_to_num(np.asarray(b, np.float32), nan=0.0, posinf=1.0, neginf=-1.0))
            try:
                proc.stdin.write(memoryview(x).cast("B"))
            except BrokenPipeError:
                break  # ffmpeg stopped: its message says why
    except BaseException:
        proc.kill()
        proc.wait()
        drain.join()
        raise
    finally:
        try:
            proc.stdin.close()
        except OSError:
            pass
    proc.wait()
    drain.join()
    return err[0] if err else b""


def _video_start_offset(src: Path) -> float:
    """Seconds from the container's first timestamp to the first video frame."""
    if av is None:
        return 0.0
    try:
        with av.open(str(src), mode="r", metadata_errors="ignore") as c:
            v = _video_stream(c)
            if v is None or v.start_time is None or c.start_time is None:
                return 0.0
            return max(0.0, float(v.start_time * v.time_base) - c.start_time / 1_000_000)
    except _av_errors():
        return 0.0
