"""Media access for the editor: frame-exact video reading, probing, audio decoding, muxing.

No Qt here: the preview worker, the timeline and the headless renderer all use it.

* :class:`VideoReader` returns RGB frames by index, exactly: it seeks to the
  keyframe at or before the frame's timestamp and decodes forward, checking
  every decoded frame's timestamp (OpenCV's ``CAP_PROP_POS_FRAMES`` trusts
  the demuxer and lands up to a GOP off in MPEG-TS, where a seek goes to the
  next keyframe, not the previous one).  Reading the next frame continues
  decoding instead of seeking, frames decoded on the way to a target are kept
  for stepping backwards, and a small LRU cache holds recent frames.
* :func:`probe` describes a file (streams, rate, size, duration, VFR).
* :func:`load_audio` decodes a file's first audio track to float32 mono (``engine.audio_decode``).
* :func:`mux_audio_into_video` writes a copy of a video with new audio
  (video stream copied, not re-encoded), atomically.

Frame index semantics: frame ``n`` is the frame on screen at ``n / fps``
seconds after the first frame.  For constant frame rate files that is exactly
the n-th frame; for variable frame rate files (``is_vfr``) it is the frame a
player would show at that time on an ``fps`` grid.

PyAV is the main backend; OpenCV is a fallback for reading frames and the
ffmpeg binary from ``imageio-ffmpeg`` for audio decoding and muxing.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from collections import OrderedDict, deque
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

try:  # PyAV is a dependency, but keep the module importable without it
    import av
except ImportError:  # pragma: no cover - exercised only in broken installs
    av = None

VFR_SCAN_PACKETS = 100


from engine import audio_decode as _decode  # noqa: E402
from engine.atomic import atomic_path  # noqa: E402
from engine.audio_decode import _av_errors, _stream_duration, _video_stream  # noqa: E402,F401
from project.errors import DublineError  # noqa: E402


class MediaError(DublineError):
    """A media file cannot be used; ``str(e)`` is one line meant for the user."""


def _name(path) -> str:
    return Path(path).name or str(path)


def _unreadable(path) -> MediaError:
    return MediaError(f"cannot open {_name(path)}: not a video file or unsupported codec")


def _check_file(path) -> Path:
    """``path`` as a Path when it is a readable regular file, else MediaError saying why."""
    try:
        return _decode.check_file(path)
    except _decode.AudioDecodeError as e:
        raise MediaError(str(e)) from None


# ---------------------------------------------------------------- probing
@dataclass(frozen=True)
class MediaInfo:
    """What a media file holds.  Video fields are 0 without video, audio fields 0 without audio."""

    path: str
    has_video: bool
    has_audio: bool
    fps: float = 0.0
    duration: float = 0.0  # seconds
    width: int = 0
    height: int = 0
    sample_rate: int = 0
    channels: int = 0
    is_vfr: bool = False
    frame_count: int = 0
    video_codec: str = ""
    audio_codec: str = ""


def _stream_fps(stream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate is not None and rate > 0:
            return float(rate)
    return 0.0


def _pts_are_variable(pts: list[int], time_base) -> bool:
    """True when presentation-time steps differ by more than timestamp rounding explains."""
    pts = sorted(set(pts))
    if len(pts) < 3:
        return False
    deltas = np.diff(np.asarray(pts, dtype=np.int64))
    median = float(np.median(deltas))
    if median <= 0:
        return False
    # Rounding to the time base makes 29.97 fps in 1/1000 steps alternate 33/34;
    # allow two ticks or 10 % of a frame, whichever is larger.
    tolerance = max(2.0, 0.1 * median)
    return bool(np.any(np.abs(deltas - median) > tolerance))


REORDER_MARGIN = 32  # packets come in decode order: B-frames arrive after later-shown frames


def _scan_vfr(container, stream, limit: int = VFR_SCAN_PACKETS) -> bool:
    """Look at the timestamps of the first ``limit`` frames (demux only, no decoding)."""
    pts = []
    try:
        for packet in container.demux(stream):
            if packet.pts is not None:
                pts.append(packet.pts)
            if len(pts) >= limit + REORDER_MARGIN:
                break
    except _av_errors():
        pass
    pts.sort()
    if len(pts) >= limit + REORDER_MARGIN:
        # The highest timestamps may still miss frames shown between them that
        # come later in decode order; a gap there is not a variable frame rate.
        pts = pts[:limit]
    return _pts_are_variable(pts, stream.time_base)


def probe(path) -> MediaInfo:
    """Describe ``path``; MediaError when it is not a readable audio or video file."""
    p = _check_file(path)
    if av is None:
        return _probe_opencv(p)
    try:
        container = av.open(str(p), mode="r", metadata_errors="ignore")
    except _av_errors():
        raise _unreadable(p) from None
    try:
        v = _video_stream(container)
        a = container.streams.audio[0] if container.streams.audio else None
        if v is None and a is None:
            raise MediaError(f"cannot open {_name(p)}: no audio or video stream")
        fps = _stream_fps(v) if v is not None else 0.0
        duration = _stream_duration(container, v if v is not None else a)
        if v is not None and v.frames:
            frame_count = int(v.frames)
        else:
            frame_count = int(round(duration * fps)) if v is not None else 0
        return MediaInfo(
            path=str(p),
            has_video=v is not None,
            has_audio=a is not None,
            fps=fps,
            duration=duration,
            width=int(v.codec_context.width) if v is not None else 0,
            height=int(v.codec_context.height) if v is not None else 0,
            sample_rate=int(a.codec_context.sample_rate or 0) if a is not None else 0,
            channels=int(a.codec_context.channels or 0) if a is not None else 0,
            is_vfr=_scan_vfr(container, v) if v is not None else False,
            frame_count=frame_count,
            video_codec=v.codec_context.name if v is not None else "",
            audio_codec=a.codec_context.name if a is not None else "",
        )
    finally:
        container.close()


def _probe_opencv(p: Path) -> MediaInfo:  # pragma: no cover - only without PyAV
    import cv2

    cap = cv2.VideoCapture(str(p), cv2.CAP_FFMPEG)
    try:
        if not cap.isOpened():
            raise _unreadable(p)
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        return MediaInfo(
            path=str(p), has_video=True, has_audio=False, fps=fps, duration=n / fps if fps else 0.0,
            width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            frame_count=n,
        )
    finally:
        cap.release()


# ---------------------------------------------------------------- frame cache
class _FrameCache:
    """LRU of frames by index, bounded by count and bytes.

    Values are RGB arrays, or decoded-but-unconverted frames (PyAV VideoFrames,
    half the size at 4:2:0) kept from a decode-forward run so that stepping
    backwards does not seek; those are converted on first use.
    """

    def __init__(self, max_frames: int, max_bytes: int):
        self.max_frames = max(1, int(max_frames))
        self.max_bytes = max(1, int(max_bytes))
        self._items: OrderedDict[int, tuple[object, int]] = OrderedDict()
        self._bytes = 0

    def __contains__(self, index: int) -> bool:
        return index in self._items

    def __len__(self) -> int:
        return len(self._items)

    def get(self, index: int):
        item = self._items.get(index)
        if item is None:
            return None
        self._items.move_to_end(index)
        return item[0]

    def put(self, index: int, value, nbytes: int) -> None:
        old = self._items.pop(index, None)
        if old is not None:
            self._bytes -= old[1]
        self._items[index] = (value, nbytes)
        self._bytes += nbytes
        while len(self._items) > 1 and (len(self._items) > self.max_frames or self._bytes > self.max_bytes):
            _, (_, n) = self._items.popitem(last=False)
            self._bytes -= n

    def clear(self) -> None:
        self._items.clear()
        self._bytes = 0


# ---------------------------------------------------------------- decoders
# AVColorSpace -> swscale colour matrix (BT.709, FCC, BT.601, SMPTE 240M, BT.2020)
_SWS_COLORSPACE = {1: 1, 4: 4, 5: 5, 6: 5, 7: 7, 9: 9, 10: 9}


class _PyAVDecoder:
    """Frame-exact random access with PyAV: seek to a keyframe, decode forward."""

    name = "pyav"
    THREAD_TYPE = "AUTO"
    KEEP_BEHIND = 8  # frames decoded on the way to a target that stay cached (cheap backward steps)
    KEEP_BEHIND_STEPPING = 48  # as many while the user steps backwards frame by frame

    def __init__(self, path: Path, threads: int = 0):
        self.path = path
        self.threads = int(threads)
        self.container = None
        try:
            self._open()
            self.is_vfr = _scan_vfr(self.container, self.stream)
            self.time_base = self.stream.time_base
            self.fps = _stream_fps(self.stream) or 25.0
            self.width = int(self.stream.codec_context.width)
            self.height = int(self.stream.codec_context.height)
            self.duration = _stream_duration(self.container, self.stream)
            self._pending: deque = deque()
            self._current: tuple[object, float] | None = None  # last frame taken from the decoder, its index
            self.keyframes: set[int] = set()
            self.gop = max(2, int(round(2 * self.fps)))  # widest keyframe distance seen; a guess until then
            self._skip_before = -(1 << 62)  # packets shown before this timestamp may skip non-reference frames
            self._last_request: int | None = None
            self._keep = self.KEEP_BEHIND
            self.seek_bias = 0.0  # frames to aim before a target, learnt from seeks that land after it
            self.seeks = 0  # statistics for benchmarks and tests
            self.decoded = 0
            self._rewind()  # the scan above moved the read position
            first = self._next_frame()
            if first is None:
                raise _unreadable(path)
            self.sequential = first.pts is None  # no timestamps: count frames from the start
            self.start_pts = first.pts if first.pts is not None else 0
            self._pending.appendleft(first)
            n = int(self.stream.frames or 0)
            self.frame_count = n if n > 0 and not self.is_vfr else max(1, int(round(self.duration * self.fps)))
        except MediaError:
            self.close()
            raise
        except _av_errors():
            self.close()
            raise _unreadable(path) from None

    def _open(self) -> None:
        if self.container is not None:
            self.container.close()
            self.container = None
        try:
            self.container = av.open(str(self.path), mode="r", metadata_errors="ignore")
        except _av_errors():
            raise _unreadable(self.path) from None
        self.stream = _video_stream(self.container)
        if self.stream is None:
            what = "audio only" if self.container.streams.audio else "no video stream"
            raise MediaError(f"cannot open {_name(self.path)}: no video stream ({what})")
        cc = self.stream.codec_context
        # Frame + slice threads: decoding forward from a keyframe is throughput-bound.
        cc.thread_type = self.THREAD_TYPE
        cc.thread_count = self.threads

    def _rewind(self) -> None:
        """Back to the very first packet.  Reopening is the one way that works in every
        container: a timestamp seek to the start lands on the second keyframe in MPEG-TS."""
        self._open()
        self._frames = self._decode_loop()
        self._pending.clear()
        self._current = None
        self._count = 0

    # -- low level
    def _restart(self, ts: int) -> None:
        """Seek (keyframe at or before ``ts``) and start a fresh decode loop."""
        self.container.seek(int(ts), stream=self.stream, backward=True, any_frame=False)
        self.seeks += 1
        self._frames = self._decode_loop()
        self._pending.clear()
        self._current = None
        self._count = 0

    def _decode_loop(self):
        cc = self.stream.codec_context
        skipping = False
        for packet in self.container.demux(self.stream):
            # Frames that no other frame refers to (most B-frames) and that are
            # shown well before the target need not be decoded at all.
            skip = packet.pts is not None and packet.pts < self._skip_before
            if skip != skipping:
                cc.skip_frame = "NONREF" if skip else "DEFAULT"
                skipping = skip
            try:
                frames = packet.decode()
            except av.InvalidDataError:
                continue  # a damaged packet: skip it, the following frames may still decode
            yield from frames

    def _next_frame(self):
        if self._pending:
            return self._pending.popleft()
        try:
            frame = next(self._frames)
        except StopIteration:
            return None
        self.decoded += 1
        return frame

    def frame_index(self, frame) -> float:
        pts = frame.pts if frame.pts is not None else getattr(frame, "dts", None)
        if pts is None:  # a frame without timestamps in a stream that has them: the next slot
            return self._current[1] + 1.0 if self._current is not None else 0.0
        return float((pts - self.start_pts) * self.time_base) * self.fps

    def _ts_of(self, index: float) -> int:
        return self.start_pts + int(round(index / self.fps / self.time_base))

    @property
    def last_fi(self) -> float | None:
        return None if self._current is None else self._current[1]

    # -- random access
    def read(self, index: int, cache: _FrameCache):
        """The decoded frame shown at ``index`` (a PyAV VideoFrame)."""
        if self.sequential:
            return self._read_sequential(index)
        if not self.is_vfr:  # with VFR gaps, the frame on screen may be one of those shown earlier
            self._skip_before = self._ts_of(index - self._keep - 0.5)
        if self._should_decode_forward(index):
            frame = self._decode_to(index, cache)
            if frame is not None:
                return frame
        return self._seek_to(index, cache)

    def note_request(self, index: int) -> None:
        """Every request, cache hits included: stepping backwards frame by frame would
        otherwise decode again from the keyframe at each step, so keep more of the
        frames decoded on the way."""
        stepping_back = self._last_request is not None and 0 < self._last_request - index <= 2
        self._last_request = index
        self._keep = self.KEEP_BEHIND_STEPPING if stepping_back else self.KEEP_BEHIND

    def _should_decode_forward(self, index: int) -> bool:
        if self._frames is None:
            return False
        cur = self.last_fi
        if cur is None:  # just opened or just seeked: the next frame is a keyframe we have not seen
            return index < 0.5 + (self.gop if not self.keyframes else 0)
        gap = index - cur
        if abs(gap) < 0.5:
            return True
        if gap < 0:
            return False
        if gap <= 4:
            return True
        if any(cur < k <= index for k in self.keyframes):
            return False  # a seek lands on a keyframe nearer the target
        return gap <= self.gop

    def _seek_to(self, index: int, cache: _FrameCache):
        target = index - self.seek_bias
        step = 8.0
        for _ in range(16):
            if target <= 0:
                break
            try:
                self._restart(self._ts_of(target))
            except av.FFmpegError:  # not seekable: decode from the start
                break
            first = self._next_frame()
            if first is None:  # past the last keyframe (a demuxer that seeks forward): aim earlier
                target -= max(step, self.seek_bias)
                step *= 2
                continue
            fi = self.frame_index(first)
            if fi > target + 0.5:
                # The demuxer went forward to the next keyframe (MPEG-TS has no index;
                # MP4's index is by decode time, which B-frames shift): aim that much
                # earlier from now on.
                self.seek_bias = max(self.seek_bias, fi - target + 1.0)
            if fi < index + 0.5:
                self._pending.appendleft(first)
                frame = self._decode_to(index, cache)
                if frame is not None:
                    return frame
                break
            target = min(index - self.seek_bias, target - step)
            step *= 2
        # From the very beginning (and the last resort).
        self._rewind()
        frame = self._decode_to(index, cache)
        if frame is None:
            raise MediaError(f"frame {index} cannot be decoded")
        return frame

    def _decode_to(self, index: int, cache: _FrameCache):
        """Decode forward to the frame on screen at ``index``; None when nothing could be decoded."""
        cur = self._current
        if cur is not None and abs(cur[1] - index) < 0.5:
            return cur[0]
        last_key: int | None = None
        while True:
            frame = self._next_frame()
            if frame is None:  # end of stream: the last frame stays on screen
                return cur[0] if cur is not None else None
            fi = self.frame_index(frame)
            if frame.key_frame:
                k = int(round(fi))
                if last_key is not None and k - last_key > self.gop:
                    self.gop = k - last_key
                self.keyframes.add(k)
                last_key = k
            if fi >= index + 0.5:  # past the target: the frame before is still on screen (VFR gap)
                if cur is not None:
                    self._pending.appendleft(frame)
                    return cur[0]
                self._current = (frame, fi)
                return frame
            if cur is not None and not self.is_vfr:
                self._keep_behind(cur, index, cache)
            cur = self._current = (frame, fi)
            if fi > index - 0.5:
                return frame

    def _keep_behind(self, cur: tuple[object, float], index: int, cache: _FrameCache) -> None:
        i = int(round(cur[1]))
        if index - self._keep <= i < index and i not in cache:
            cache.put(i, cur[0], self.width * self.height * 3 // 2)

    def _read_sequential(self, index: int):  # pragma: no cover - streams without timestamps are rare
        if self._current is not None and index < self._current[1]:
            self._rewind()
        while self._current is None or self._current[1] < index:
            nxt = self._next_frame()
            if nxt is None:
                break
            self._current = (nxt, float(self._count))
            self._count += 1
        if self._current is None:
            raise MediaError(f"frame {index} cannot be decoded")
        return self._current[0]

    def to_rgb(self, frame) -> np.ndarray:
        # The matrix the file declares; unmarked files get what players assume:
        # BT.709 for HD, BT.601 below 720 lines.
        cs = _SWS_COLORSPACE.get(int(getattr(frame, "colorspace", 2) or 2))
        if cs is None:
            cs = 1 if self.height >= 720 else 5
        return frame.to_ndarray(format="rgb24", src_colorspace=cs)

    def close(self) -> None:
        self._frames = None
        self._current = None
        if getattr(self, "_pending", None) is not None:
            self._pending.clear()
        if self.container is not None:
            self.container.close()
            self.container = None


class _OpenCVDecoder:
    """Fallback when PyAV is missing or cannot open a file.

    OpenCV's own frame seek is used only to get near the target; the frame
    actually decoded is identified by its timestamp (``CAP_PROP_POS_MSEC``),
    and we decode forward (or seek earlier) until it is the right one.
    """

    name = "opencv"
    MARGIN = 3

    def __init__(self, path: Path):
        # OpenCV's ffmpeg prints decoder chatter to stderr after every seek; the
        # setting is read when the first capture opens.
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
        import cv2

        self.cv2 = cv2
        self.cap = cv2.VideoCapture(str(path), cv2.CAP_FFMPEG)
        if not self.cap.isOpened():
            self.cap.release()
            raise _unreadable(path)
        self.fps = float(self.cap.get(cv2.CAP_PROP_FPS) or 0.0) or 25.0
        self.width = int(self.cap.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self.cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.frame_count = max(1, int(self.cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0))
        self.duration = self.frame_count / self.fps
        self.is_vfr = False  # OpenCV does not expose per-frame timestamps before decoding
        self.last_fi: float | None = None
        ok, first = self.cap.read()
        if not ok or first is None:
            self.cap.release()
            raise _unreadable(path)
        self.start_ms = float(self.cap.get(cv2.CAP_PROP_POS_MSEC))
        self._held = (0.0, first)
        self.last_fi = 0.0

    def _grab(self):
        ok, bgr = self.cap.read()
        if not ok:
            return None
        fi = (float(self.cap.get(self.cv2.CAP_PROP_POS_MSEC)) - self.start_ms) * self.fps / 1000.0
        return fi, bgr

    def read(self, index: int, cache: _FrameCache):
        if self._held is not None and abs(self._held[0] - index) < 0.5:
            return self._held[1]
        if self.last_fi is not None and 0 < index - self.last_fi <= 2 * self.MARGIN + 1:
            got = self._forward(index)
            if got is not None:
                return got
        margin = self.MARGIN
        for _ in range(10):
            start = max(0, index - margin)
            self.cap.set(self.cv2.CAP_PROP_POS_FRAMES, start)
            self.last_fi, self._held = None, None
            first = self._grab()
            if first is None:
                break
            if first[0] <= index + 0.5 or start == 0:
                self._held, self.last_fi = first, first[0]
                if abs(first[0] - index) < 0.5:
                    return first[1]
                got = self._forward(index)
                if got is not None:
                    return got
                break
            margin *= 4
        if self._held is not None:
            return self._held[1]
        raise MediaError(f"frame {index} cannot be decoded")

    def _forward(self, index: int):
        while True:
            got = self._grab()
            if got is None:
                return self._held[1] if self._held is not None else None
            fi, bgr = got
            if fi >= index + 0.5 and self._held is not None:
                return self._held[1]  # the earlier frame is still on screen
            self._held, self.last_fi = got, fi
            if fi > index - 0.5:
                return bgr

    def to_rgb(self, bgr) -> np.ndarray:
        return self.cv2.cvtColor(bgr, self.cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        self.cap.release()


# ---------------------------------------------------------------- reader
class VideoReader:
    """Frame-exact random access to a video file's first video stream.

    ``read_frame(index)`` returns an ``(height, width, 3)`` uint8 RGB array.
    Indexes are clamped to ``[0, frame_count - 1]``.  Recent frames are cached
    (``cache_frames`` frames, at most ``cache_bytes``); reading frame ``n + 1``
    right after ``n`` decodes one more frame instead of seeking.

    Calls are serialised by a lock, so one worker thread (or a few) may use a
    reader; returned arrays are shared with the cache, treat them as read-only.
    """

    def __init__(self, path, cache_frames: int = 64, cache_bytes: int = 256 << 20, backend: str = "auto",
                 threads: int = 0):
        p = _check_file(path)
        self.path = str(p)
        self._lock = threading.RLock()
        self._cache = _FrameCache(cache_frames, cache_bytes)
        if backend not in ("auto", "pyav", "opencv"):
            raise ValueError(f"unknown backend {backend!r}")
        if backend == "opencv" or av is None:
            self._dec = _OpenCVDecoder(p)
        else:
            try:
                self._dec = _PyAVDecoder(p, threads=threads)
            except MediaError as e:
                if backend == "pyav" or "no video stream" in str(e) or "no such file" in str(e):
                    raise
                try:  # a different ffmpeg build and demux path: worth one try
                    self._dec = _OpenCVDecoder(p)
                except Exception:
                    raise e from None
        self.backend = self._dec.name

    # -- properties
    @property
    def fps(self) -> float:
        return float(self._dec.fps)

    @property
    def frame_count(self) -> int:
        return int(self._dec.frame_count)

    @property
    def duration(self) -> float:
        return float(self._dec.duration) or self.frame_count / self.fps

    @property
    def width(self) -> int:
        return int(self._dec.width)

    @property
    def height(self) -> int:
        return int(self._dec.height)

    @property
    def is_vfr(self) -> bool:
        return bool(self._dec.is_vfr)

    def time_of(self, index: int) -> float:
        """Seconds from the first frame to frame ``index``."""
        return index / self.fps

    def index_at(self, seconds: float) -> int:
        """The frame on screen ``seconds`` after the first frame."""
        return int(np.floor(seconds * self.fps + 1e-6))

    # -- frames
    def read_frame(self, index: int) -> np.ndarray:
        with self._lock:
            if self._dec is None:
                raise MediaError("the video is closed")
            i = min(max(int(index), 0), self.frame_count - 1)
            if hasattr(self._dec, "note_request"):
                self._dec.note_request(i)
            hit = self._cache.get(i)
            if hit is not None:
                if isinstance(hit, np.ndarray):
                    return hit
                rgb = self._dec.to_rgb(hit)
            else:
                try:
                    rgb = self._dec.to_rgb(self._dec.read(i, self._cache))
                except MediaError:
                    raise
                except _av_errors() as e:
                    raise MediaError(f"frame {i} cannot be decoded ({e})") from None
            rgb = np.ascontiguousarray(rgb)
            rgb.flags.writeable = False
            self._cache.put(i, rgb, rgb.nbytes)
            return rgb

    def close(self) -> None:
        with self._lock:
            if self._dec is not None:
                self._dec.close()
                self._dec = None
            self._cache.clear()

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


# ---------------------------------------------------------------- one pass over all frames
@dataclass
class VideoPass:
    """An open video for one front-to-back pass (proxies, keyframe detection)."""

    container: object
    stream: object
    fps: float
    duration: float
    width: int
    height: int

    @property
    def frame_count(self) -> int:
        return max(1, int(round(self.duration * self.fps)))

    def frames(self):
        """Every decodable frame in order (damaged packets are skipped)."""
        for packet in self.container.demux(self.stream):
            try:
                yield from packet.decode()
            except av.InvalidDataError:
                continue


@contextmanager
def video_pass(path):
    """Open ``path``'s first video stream with frame threading; MediaError when it cannot be read."""
    p = _check_file(path)
    try:
        container = av.open(str(p), mode="r", metadata_errors="ignore")
    except _av_errors():
        raise _unreadable(p) from None
    try:
        vs = _video_stream(container)
        if vs is None:
            raise MediaError(f"{p.name} has no video stream")
        vs.codec_context.thread_type = "AUTO"
        yield VideoPass(container, vs, _stream_fps(vs) or 25.0, _stream_duration(container, vs),
                        int(vs.codec_context.width), int(vs.codec_context.height))
    finally:
        container.close()


# ---------------------------------------------------------------- audio
def load_audio(path, sample_rate: int = 48000, max_seconds: float | None = None,
               channels: int = 1) -> np.ndarray | None:
    """:func:`engine.audio_decode.load_audio` (the decoding lives below the engine), its errors as MediaError."""
    try:
        return _decode.load_audio(path, sample_rate, max_seconds, channels)
    except _decode.AudioDecodeError as e:
        raise MediaError(str(e)) from None


def ffmpeg_exe() -> str:
    """Path of an ffmpeg binary (imageio-ffmpeg's, else one on PATH); MediaError when there is none."""
    try:
        return _decode.ffmpeg_exe()
    except _decode.AudioDecodeError as e:
        raise MediaError(str(e)) from None


# ---------------------------------------------------------------- muxing
_COPYABLE_AUDIO_MP4 = {"aac", "mp3", "ac3", "eac3", "alac", "opus", "flac"}


def mux_audio_into_video(video_path, audio: np.ndarray, sample_rate: int, out_path,
                         keep_original_audio: bool = False, audio_bitrate: str = "192k",
                         dub_title: str = "Dub", original_title: str = "Original",
                         metadata: dict[str, str] | None = None,
                         dub_metadata: dict[str, str] | None = None) -> Path:
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
    a = np.asarray(audio, dtype=np.float32)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[1] < 1 or a.shape[1] > 8 or a.shape[0] == 0:
        raise ValueError("audio must be (samples,) or (samples, channels) with 1-8 channels")
    a = np.ascontiguousarray(np.nan_to_num(a, nan=0.0, posinf=1.0, neginf=-1.0))
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
    cmd += ["-f", "f32le", "-ar", str(int(sample_rate)), "-ac", str(a.shape[1]), "-i", "pipe:0",
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
            _, err = proc.communicate(memoryview(a).cast("B"))
            if proc.returncode != 0:
                lines = [ln for ln in err.decode("utf-8", "replace").splitlines() if ln.strip()]
                raise MediaError(f"cannot write {out.name}: {lines[-1] if lines else 'ffmpeg failed'}")
    except OSError as e:
        raise MediaError(f"cannot write {out.name}: {e.strerror or e}") from None
    return out


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
