"""Playback: the audio output is the clock; the playhead and the video follow it.

:class:`Mixer` serves any stretch of the timeline on demand from
:class:`project.mixer.MixPlan`, the same block-wise mix every export writes
(placement, gains, pan, mute/solo, ducking, resampling): a playback block and
the exported samples at the same time are identical.  Mixing on the fly means
a new clip is audible as soon as it arrives, with nothing to re-mix.  The plan
is immutable and the GUI thread swaps it atomically, so the audio callback
never waits on a lock.

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

import numpy as np
from PySide6.QtCore import QElapsedTimer, QIODevice, QObject, Qt, QTimer, Signal

from project.mixer import ArraySource, MixPlan, array_source

log = logging.getLogger(__name__)

SHUTTLE_SPEEDS = (1.0, 2.0, 4.0, 8.0)
NO_DEVICE_MESSAGE = "no audio device: playing silently"


# ------------------------------------------------------------------ mixer
class Mixer:
    """Serves the project's mix (:class:`project.mixer.MixPlan`, the one exports read) to the audio
    device at ``sample_rate``.  The GUI thread swaps in a new immutable plan; the audio callback reads
    whichever plan is current, so it never waits on a lock."""

    def __init__(self, sample_rate: int = 48000, channels: int = 2):
        self.sample_rate = int(sample_rate)
        self.channels = int(channels)
        self.source: ArraySource | None = None
        self._plan = MixPlan.build(self.sample_rate, self.channels)

    @property
    def plan(self) -> MixPlan:
        return self._plan

    def set_plan(self, plan: MixPlan) -> None:
        if plan.sample_rate != self.sample_rate or plan.channels != self.channels:
            raise ValueError("the plan is for another rate or channel count")
        self._plan = plan

    def set_source(self, audio: np.ndarray | None, sample_rate: int | None = None) -> None:
        """The source audio (resampled once to the mix rate if it is at another); the plan keeps its lines."""
        self.source = array_source(audio, sample_rate, self.sample_rate)
        p = self._plan
        self._plan = MixPlan.build(self.sample_rate, self.channels, [q.line for q in p.placed], self.source,
                                   p.source_gain, p.length)

    @property
    def source_seconds(self) -> float:
        s = self.source
        return 0.0 if s is None else s.frames / self.sample_rate

    def render(self, start: int, n: int) -> np.ndarray:
        """``n`` output samples from output sample ``start`` (speed 1): exactly the exported samples."""
        return self._plan.render(int(start), int(n))

    def render_at(self, pos: float, n: int, speed: float) -> np.ndarray:
        """``n`` samples starting at output position ``pos`` (fractional), played at ``speed``."""
        if speed == 1.0 and float(pos).is_integer():
            return self.render(int(pos), n)
        idx = pos + np.arange(n) * speed
        lo = int(math.floor(idx.min()))
        hi = int(math.ceil(idx.max())) + 1
        span = self.render(lo, hi - lo)
        grid = np.arange(hi - lo)
        if span.ndim == 1:
            return np.interp(idx - lo, grid, span).astype(np.float32)
        return np.stack([np.interp(idx - lo, grid, span[:, c]) for c in range(span.shape[1])],
                        axis=1).astype(np.float32)


# ------------------------------------------------------------------ audio device
class _MixDevice(QIODevice):
    """Pull-mode source for QAudioSink: serves the mixer from a moving position."""

    def __init__(self, mixer: Mixer, start_seconds: float, speed: float, channels: int, as_float: bool,
                 loop: tuple[float, float] | None = None):
        super().__init__()
        self.mixer = mixer
        sr = mixer.sample_rate
        self.pos = round(start_seconds * sr) if speed == 1.0 else start_seconds * sr
        self.speed = speed
        # (start, end) in output samples: reaching the end goes on from the start in the same block, so a
        # loop is seamless and never plays past its out point (whole samples at speed 1)
        self.loop = None if loop is None or speed <= 0 else (
            (round(loop[0] * sr), round(loop[1] * sr)) if speed == 1.0 else (loop[0] * sr, loop[1] * sr))
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
            block = self._serve(n)
        except Exception:  # the audio path must never raise into Qt
            log.exception("mixing failed")
            block = np.zeros(n, np.float32)
            self.pos += n * self.speed
        block = np.clip(block, -1.0, 1.0)
        if block.ndim == 1:
            block = block[:, None]
        if block.shape[1] != self.channels:  # the mix folded or spread to the device's channels
            block = np.repeat(block.mean(axis=1, keepdims=True, dtype=np.float32), self.channels, axis=1)
        block = block.ravel()
        if self.as_float:
            return block.astype(np.float32).tobytes()
        return (block * 32767.0).astype(np.int16).tobytes()

    def writeData(self, data) -> int:
        return -1

    def _serve(self, n: int) -> np.ndarray:
        """The next ``n`` samples, wrapping at the loop's end."""
        if self.loop is None or self.pos >= self.loop[1]:
            block = self.mixer.render_at(self.pos, n, self.speed)
            self.pos += n * self.speed
            return block
        a, b = self.loop
        parts = []
        while n > 0:
            m = min(n, max(1, math.ceil((b - self.pos) / self.speed - 1e-9)))
            parts.append(self.mixer.render_at(self.pos, m, self.speed))
            self.pos += m * self.speed
            n -= m
            if self.pos >= b:
                self.pos = a + (self.pos - b)
        return np.concatenate(parts, axis=0)


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

    def start(self, start_seconds: float, speed: float, loop: tuple[float, float] | None = None) -> None:
        from PySide6.QtMultimedia import QAudio

        self.stop()
        as_float = self.format.sampleFormat() == self.format.SampleFormat.Float
        self.device = _MixDevice(self.mixer, start_seconds, speed, self.format.channelCount(), as_float, loop)
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
        self._loop: tuple[float, float] | None = None  # (start, end) seconds that forward playback repeats
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
            seconds = self._origin
        self.position = seconds
        self.positionChanged.emit(seconds)

    def set_loop(self, rng: tuple[float, float] | None) -> None:
        """Repeat ``rng`` (start, end seconds) while playing forward, or stop repeating (None).

        The audio device wraps at the end itself, sample-exactly, and the clock maps the same way, so
        the playhead, the video and the sound come back to the start together and never pass the end.
        A play (not a scrub's slice) that starts outside the range starts at the loop's start."""
        if rng is not None:
            rng = (max(0.0, float(rng[0])), float(rng[1]))
            if rng[1] - rng[0] < 0.01:
                rng = None
        if rng == self._loop:
            return
        if not self._playing:
            self._loop = rng
            return
        pos = self._clock_position()
        self._loop = rng
        self._start_clock(pos)  # the device takes the new range
        self.position = self._origin

    def _active_loop(self) -> tuple[float, float] | None:
        return self._loop if self._loop is not None and self.speed > 0 and self._stop_at is None else None

    def play(self, start: float | None = None, stop_at: float | None = None, speed: float = 1.0) -> None:
        if start is not None:
            self.position = max(0.0, float(start))
        if speed > 0 and self.end_seconds > 0 and self.position >= self.end_seconds - 1e-3 and stop_at is None:
            self.position = 0.0  # play from the start again after reaching the end
        self._stop_at = stop_at
        self.speed = float(speed)
        loop = self._active_loop()
        if loop is not None and self.position < loop[0]:  # (at or after its end: _start_clock)
            self.position = loop[0]
        self._start_clock(self.position)
        self.position = self._origin
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
        loop = self._active_loop()
        if loop is not None and seconds >= loop[1]:
            seconds = loop[0]
        self._origin = seconds
        self.clock = "silent"
        if self.use_audio and not self._audio_failed:
            try:
                if self._audio is None:
                    self._audio = _AudioOut(self.mixer)
                self._audio.start(seconds, self.speed, loop)
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
        pos = max(0.0, self._origin + elapsed * self.speed)
        loop = self._active_loop()
        if loop is not None and pos >= loop[1]:  # where the device wrapped to (it started before the end)
            a, b = loop
            pos = a + math.fmod(pos - b, b - a)
        return pos

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
