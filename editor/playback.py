"""Playback: the audio output is the clock; the playhead and the video follow it.

:class:`Mixer` renders any stretch of the timeline on demand: the source audio
(with a level and a duck under dub lines, smoothed over 20 ms so it never
clicks) plus every ready clip at its region's start.  Mixing on the fly means
a new clip is audible as soon as it arrives, with nothing to re-mix.  It reads
an immutable snapshot that the GUI thread swaps atomically, so the audio
callback never waits on a lock.

:class:`Playback` pulls from the mixer through a QtMultimedia ``QAudioSink``
(pull mode) and reports the position of the sample being heard (processed
minus buffered).  Without an audio device (headless machines, no sound server)
it falls back to a ``QElapsedTimer`` clock, keeps going and says so.

Shuttle (J/K/L) plays at 1x, 2x, 4x, 8x in either direction; the mixer
resamples by position so fast and reverse play are audible, as in most NLEs.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
from PySide6.QtCore import QElapsedTimer, QIODevice, QObject, Qt, QTimer, Signal

log = logging.getLogger(__name__)

SHUTTLE_SPEEDS = (1.0, 2.0, 4.0, 8.0)
NO_DEVICE_MESSAGE = "no audio device: playing silently"


# ------------------------------------------------------------------ mixer
@dataclass(frozen=True)
class Placement:
    start_seconds: float
    audio: np.ndarray  # float32 mono
    sample_rate: int
    gain: float
    duck: float | None = None  # the source's gain under this line (None: the mixer's duck level)


@dataclass(frozen=True)
class _Snapshot:
    source: np.ndarray | None
    source_sr: int
    source_gain: float
    duck_gain: float
    starts: np.ndarray  # output samples
    ends: np.ndarray
    placements: tuple[Placement, ...]


class Mixer:
    """Renders the mix at ``sample_rate`` for any output position (thread-safe reads)."""

    DUCK_SMOOTH_SECONDS = 0.02

    def __init__(self, sample_rate: int = 48000):
        self.sample_rate = int(sample_rate)
        self._snap = _Snapshot(None, self.sample_rate, 1.0, 1.0, np.zeros(0), np.zeros(0), ())

    def set_source(self, audio: np.ndarray | None, sample_rate: int | None = None) -> None:
        s = self._snap
        self._snap = _Snapshot(None if audio is None else np.asarray(audio, np.float32),
                               int(sample_rate or self.sample_rate), s.source_gain, s.duck_gain, s.starts, s.ends,
                               s.placements)

    def set_levels(self, source_gain: float, duck_gain: float) -> None:
        s = self._snap
        self._snap = _Snapshot(s.source, s.source_sr, float(source_gain), float(duck_gain), s.starts, s.ends,
                               s.placements)

    def set_placements(self, placements: list[Placement]) -> None:
        sr = self.sample_rate
        pl = tuple(sorted(placements, key=lambda p: p.start_seconds))
        starts = np.array([p.start_seconds * sr for p in pl], np.float64)
        ends = np.array([p.start_seconds * sr + len(p.audio) * sr / p.sample_rate for p in pl], np.float64)
        s = self._snap
        self._snap = _Snapshot(s.source, s.source_sr, s.source_gain, s.duck_gain, starts, ends, pl)

    @property
    def source_seconds(self) -> float:
        s = self._snap
        return 0.0 if s.source is None else len(s.source) / s.source_sr

    def render(self, start: int, n: int) -> np.ndarray:
        """``n`` output samples from output sample ``start`` (speed 1)."""
        snap = self._snap
        sr = self.sample_rate
        k = max(1, int(self.DUCK_SMOOTH_SECONDS * sr))
        a, b = start - k, start + n + k  # a margin for the duck smoothing
        out = np.zeros(n, np.float32)
        mask = np.zeros(b - a, np.float32)
        if len(snap.starts):
            hits = np.nonzero((snap.starts < b) & (snap.ends > a))[0]
            for i in hits:
                p = snap.placements[i]
                s0 = snap.starts[i]
                lo, hi = max(a, int(math.floor(s0))), min(b, int(math.ceil(snap.ends[i])))
                if hi <= lo:
                    continue
                depth = 1.0 - (snap.duck_gain if p.duck is None else p.duck)  # how far the source dips
                mask[lo - a: hi - a] = np.maximum(mask[lo - a: hi - a], depth)
                olo, ohi = max(lo, start), min(hi, start + n)
                if ohi <= olo:
                    continue
                pos = (np.arange(olo, ohi, dtype=np.float64) - s0) * (p.sample_rate / sr)
                seg = np.interp(pos, np.arange(len(p.audio)), p.audio, left=0.0, right=0.0)
                out[olo - start: ohi - start] += p.gain * seg.astype(np.float32)
        if snap.source is not None and snap.source_gain > 0:
            src = self._source_block(snap, start, n)
            if mask.any():
                smooth = np.convolve(mask, np.ones(2 * k + 1, np.float32) / (2 * k + 1), mode="valid")
                env = 1.0 - smooth[:n]
                src *= env
            out += snap.source_gain * src
        return out

    def _source_block(self, snap: _Snapshot, start: int, n: int) -> np.ndarray:
        src = snap.source
        if snap.source_sr == self.sample_rate:
            blk = np.zeros(n, np.float32)
            lo, hi = max(0, start), min(len(src), start + n)
            if hi > lo:
                blk[lo - start: hi - start] = src[lo:hi]
            return blk
        pos = np.arange(start, start + n, dtype=np.float64) * (snap.source_sr / self.sample_rate)
        return np.interp(pos, np.arange(len(src)), src, left=0.0, right=0.0).astype(np.float32)

    def render_at(self, pos: float, n: int, speed: float) -> np.ndarray:
        """``n`` samples starting at output position ``pos`` (fractional), played at ``speed``."""
        if speed == 1.0 and float(pos).is_integer():
            return self.render(int(pos), n)
        idx = pos + np.arange(n) * speed
        lo = int(math.floor(idx.min()))
        hi = int(math.ceil(idx.max())) + 1
        span = self.render(lo, hi - lo)
        return np.interp(idx - lo, np.arange(hi - lo), span).astype(np.float32)


# ------------------------------------------------------------------ audio device
class _MixDevice(QIODevice):
    """Pull-mode source for QAudioSink: serves the mixer from a moving position."""

    def __init__(self, mixer: Mixer, start_seconds: float, speed: float, channels: int, as_float: bool):
        super().__init__()
        self.mixer = mixer
        self.pos = round(start_seconds * mixer.sample_rate) if speed == 1.0 else start_seconds * mixer.sample_rate
        self.speed = speed
        self.channels = channels
        self.as_float = as_float
        self.bytes_per_frame = channels * (4 if as_float else 2)

    def isSequential(self) -> bool:
        return True

    def bytesAvailable(self) -> int:
        return 1 << 20

    def readData(self, maxlen: int):
        n = int(maxlen) // self.bytes_per_frame
        n = min(n, 8192)
        if n <= 0:
            return b""
        try:
            block = self.mixer.render_at(self.pos, n, self.speed)
        except Exception:  # the audio path must never raise into Qt
            log.exception("mixing failed")
            block = np.zeros(n, np.float32)
        self.pos += n * self.speed
        block = np.clip(block, -1.0, 1.0)
        if self.channels > 1:
            block = np.repeat(block[:, None], self.channels, axis=1).ravel()
        if self.as_float:
            return block.astype(np.float32).tobytes()
        return (block * 32767.0).astype(np.int16).tobytes()

    def writeData(self, data) -> int:
        return -1


class _AudioOut:
    """A QAudioSink pulling from a _MixDevice; None-safe factory for machines without audio."""

    def __init__(self, mixer: Mixer):
        try:
            from PySide6.QtMultimedia import QAudioFormat, QAudioSink, QMediaDevices
        except ImportError as e:  # Qt Multimedia needs the system's audio libraries (libpulse on Linux)
            raise RuntimeError(f"no audio output (Qt Multimedia could not load: {e}; on Debian/Ubuntu "
                               "install libpulse0)") from None

        dev = QMediaDevices.defaultAudioOutput()
        if dev.isNull():
            raise RuntimeError(NO_DEVICE_MESSAGE)
        fmt = QAudioFormat()
        fmt.setSampleRate(mixer.sample_rate)
        fmt.setChannelCount(2)
        fmt.setSampleFormat(QAudioFormat.SampleFormat.Float)
        if not dev.isFormatSupported(fmt):
            fmt.setSampleFormat(QAudioFormat.SampleFormat.Int16)
            if not dev.isFormatSupported(fmt):
                pref = dev.preferredFormat()
                raise RuntimeError(f"the audio device does not take {mixer.sample_rate} Hz audio "
                                   f"(it prefers {pref.sampleRate()} Hz)")
        self.format = fmt
        self.mixer = mixer
        self.sink = QAudioSink(dev, fmt)
        self.sink.setBufferSize(int(mixer.sample_rate * 0.1) * fmt.bytesPerFrame())  # ~100 ms latency
        self.device: _MixDevice | None = None

    def start(self, start_seconds: float, speed: float) -> None:
        from PySide6.QtMultimedia import QAudio

        self.stop()
        as_float = self.format.sampleFormat() == self.format.SampleFormat.Float
        self.device = _MixDevice(self.mixer, start_seconds, speed, self.format.channelCount(), as_float)
        # unbuffered: QIODevice's own read-ahead would only add latency to what we serve
        self.device.open(QIODevice.OpenModeFlag.ReadOnly | QIODevice.OpenModeFlag.Unbuffered)
        self.sink.start(self.device)
        if self.sink.error() != QAudio.Error.NoError:
            err = self.sink.error()
            self.stop()
            raise RuntimeError(f"the audio device failed to start ({err.name})")

    def heard_seconds(self) -> float:
        """Seconds of output actually heard since start: processed minus still buffered."""
        processed = self.sink.processedUSecs() / 1e6
        bpf = self.format.bytesPerFrame()
        buffered = max(0, self.sink.bufferSize() - self.sink.bytesFree()) / max(1, bpf) / self.mixer.sample_rate
        return max(0.0, processed - buffered)

    def stop(self) -> None:
        self.sink.stop()
        if self.device is not None:
            self.device.close()
            self.device = None


# ------------------------------------------------------------------ transport
class Playback(QObject):
    """Transport state and the clock. ``positionChanged`` drives the playhead and the video."""

    positionChanged = Signal(float)
    playingChanged = Signal(bool)
    speedChanged = Signal(float)
    message = Signal(str)
    clockChanged = Signal(str)  # "audio" | "silent"

    TICK_MS = 15

    def __init__(self, sample_rate: int = 48000, use_audio: bool = True, parent: QObject | None = None):
        super().__init__(parent)
        self.mixer = Mixer(sample_rate)
        self.use_audio = use_audio
        self.position = 0.0
        self.speed = 1.0
        self.end_seconds = 0.0
        self._playing = False
        self._stop_at: float | None = None
        self._origin = 0.0  # timeline position where the current run started
        self._audio: _AudioOut | None = None
        self._audio_failed = ""
        self._elapsed = QElapsedTimer()
        self._smooth_base = 0.0  # last clock reading and when, for a smooth playhead
        self._smooth_wall = QElapsedTimer()
        self.clock = "none"
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(self.TICK_MS)
        self._timer.timeout.connect(self._tick)

    # ---- state ----
    def is_playing(self) -> bool:
        return self._playing

    def set_end(self, seconds: float) -> None:
        self.end_seconds = max(0.0, float(seconds))

    def seek(self, seconds: float) -> None:
        seconds = max(0.0, float(seconds))
        if self.end_seconds > 0:
            seconds = min(seconds, self.end_seconds)
        if self._playing:
            self._start_clock(seconds)
        self.position = seconds
        self.positionChanged.emit(seconds)

    def play(self, start: float | None = None, stop_at: float | None = None, speed: float = 1.0) -> None:
        if start is not None:
            self.position = max(0.0, float(start))
        if speed > 0 and self.end_seconds > 0 and self.position >= self.end_seconds - 1e-3 and stop_at is None:
            self.position = 0.0  # play from the start again after reaching the end
        self._stop_at = stop_at
        self.speed = float(speed)
        self._start_clock(self.position)
        self._playing = True
        self._timer.start()
        self.playingChanged.emit(True)
        self.speedChanged.emit(self.speed)
        self.positionChanged.emit(self.position)

    def pause(self) -> None:
        if not self._playing:
            return
        self.position = self._clock_position()
        self._stop_clock()
        self._playing = False
        self._stop_at = None
        self._timer.stop()
        self.speed = 1.0
        self.playingChanged.emit(False)
        self.speedChanged.emit(self.speed)
        self.positionChanged.emit(self.position)

    def toggle(self) -> None:
        if self._playing:
            self.pause()
        else:
            self.play()

    def shuttle_forward(self) -> None:
        """L: play forward; again: faster (2x, 4x, 8x)."""
        if self._playing and self.speed > 0:
            i = SHUTTLE_SPEEDS.index(self.speed) if self.speed in SHUTTLE_SPEEDS else 0
            self._change_speed(SHUTTLE_SPEEDS[min(i + 1, len(SHUTTLE_SPEEDS) - 1)])
        else:
            self._change_speed(1.0)

    def shuttle_reverse(self) -> None:
        """J: play backwards; again: faster."""
        if self._playing and self.speed < 0:
            i = SHUTTLE_SPEEDS.index(-self.speed) if -self.speed in SHUTTLE_SPEEDS else 0
            self._change_speed(-SHUTTLE_SPEEDS[min(i + 1, len(SHUTTLE_SPEEDS) - 1)])
        else:
            self._change_speed(-1.0)

    def _change_speed(self, speed: float) -> None:
        pos = self._clock_position() if self._playing else self.position
        self.play(start=pos, speed=speed)

    def step_frames(self, n: int, fps: float) -> None:
        self.pause()
        frame = math.floor(self.position * fps + 1e-6)
        self.seek(max(0, frame + n) / fps)

    def step_seconds(self, s: float) -> None:
        self.pause()
        self.seek(self.position + s)

    def shutdown(self) -> None:
        self._timer.stop()
        self._stop_clock()

    # ---- clock ----
    def _start_clock(self, seconds: float) -> None:
        self._stop_clock()
        self._origin = seconds
        self.clock = "silent"
        if self.use_audio and not self._audio_failed:
            try:
                if self._audio is None:
                    self._audio = _AudioOut(self.mixer)
                self._audio.start(seconds, self.speed)
                self.clock = "audio"
            except Exception as e:  # no device, no sound server, unsupported format
                self._audio = None
                self._audio_failed = str(e)
                msg = str(e) if str(e) == NO_DEVICE_MESSAGE else f"{e}: playing silently"
                self.message.emit(msg)
        elif self.use_audio and self._audio_failed:
            self.message.emit(NO_DEVICE_MESSAGE if self._audio_failed == NO_DEVICE_MESSAGE
                              else f"{self._audio_failed}: playing silently")
        self._elapsed.start()
        self._smooth_base = 0.0
        self._smooth_wall.start()
        self.clockChanged.emit(self.clock)

    def _stop_clock(self) -> None:
        if self._audio is not None:
            self._audio.stop()

    def _clock_position(self) -> float:
        if self.clock == "audio" and self._audio is not None:
            heard = self._audio.heard_seconds()
            # the device reports in chunks; extrapolate with the wall clock between reports
            wall = self._smooth_wall.nsecsElapsed() / 1e9
            if heard != self._smooth_base:
                self._smooth_base = heard
                self._smooth_wall.restart()
                wall = 0.0
            elapsed = heard + min(wall, 0.1)
        else:
            elapsed = self._elapsed.nsecsElapsed() / 1e9
        return max(0.0, self._origin + elapsed * self.speed)

    def _tick(self) -> None:
        if not self._playing:
            return
        pos = self._clock_position()
        stop = None
        if self._stop_at is not None and self.speed > 0 and pos >= self._stop_at:
            stop = self._stop_at
        elif self.speed > 0 and self.end_seconds > 0 and pos >= self.end_seconds:
            stop = self.end_seconds
        elif self.speed < 0 and pos <= 0.0:
            stop = 0.0
        if stop is not None:
            self.pause()
            self.position = stop
            self.positionChanged.emit(stop)
            return
        self.position = pos
        self.positionChanged.emit(pos)
