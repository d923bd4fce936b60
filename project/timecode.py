"""Timecode: the one implementation (display, typed input, keyframe files, exports). No Qt.

``HH:MM:SS:FF`` counts frames at the nominal integer rate.  At 29.97 and 59.94
fps (30000/1001, 60000/1001) timecode is drop-frame by default, as broadcast
uses it: frame labels 00 and 01 (00-03 at 59.94) are skipped at the start of
every minute except each tenth, so the label stays within a frame of clock
time (non-drop 29.97 timecode runs 3.6 s per hour behind).  Drop-frame is
written and read with ``;`` before the frames (``01:00:00;00``); ``:`` always
means non-drop, so both can be typed at those rates.  Other non-integer rates
(23.976) count non-drop with the nominal rate, as NLEs show them.  Frame *n*
covers ``[n/fps, (n+1)/fps)``.

The arithmetic works on Python ints and numpy integer arrays alike (tests run
it over every frame of 24 hours); ``opentimelineio.opentime`` agrees with it
(checked in tests) and is what the interchange adapters use.
"""

from __future__ import annotations

import math

from project.errors import DublineError

EPS = 1e-6
_DF_RATES = {30: 2, 60: 4}  # nominal rate -> labels dropped per minute


class TimecodeError(DublineError, ValueError):
    """Typed text is not a timecode; ``str(e)`` says what is expected."""


def frame_at(seconds: float, fps: float) -> int:
    """The frame shown at ``seconds`` (floor, tolerant of float noise)."""
    return int(math.floor(seconds * fps + EPS))


def nominal_fps(fps: float) -> int:
    return max(1, int(round(fps)))


def drop_frames_per_minute(fps: float) -> int:
    """Labels skipped per minute in drop-frame timecode at ``fps``: 2 at 29.97, 4 at 59.94, else 0."""
    n = nominal_fps(fps)
    if n in _DF_RATES and abs(fps - n * 1000 / 1001) < 0.005:
        return _DF_RATES[n]
    return 0


def is_drop_frame_rate(fps: float) -> bool:
    return drop_frames_per_minute(fps) > 0


def frames_to_fields(frame, fps: float, drop: bool | None = None):
    """(hours, minutes, seconds, frames) labelling ``frame`` (>= 0; ints or numpy arrays).

    ``drop``: drop-frame counting (default: at 29.97/59.94)."""
    n = nominal_fps(fps)
    d = drop_frames_per_minute(fps) if drop is None or drop else 0
    if drop and not d:
        raise TimecodeError(f"drop-frame timecode needs 29.97 or 59.94 fps, not {fps:g}")
    if d:
        per_10min = n * 600 - 9 * d
        per_min = n * 60 - d
        tens, rem = frame // per_10min, frame % per_10min
        # the first minute of ten keeps all its labels; each later one skips d
        later = (rem - d) // per_min
        frame = frame + 9 * d * tens + d * (later * (rem >= d))
    ff = frame % n
    secs = frame // n
    return secs // 3600, secs // 60 % 60, secs % 60, ff


def fields_to_frames(h, m, s, f, fps: float, drop: bool = False):
    """The frame a (h, m, s, f) label names (ints or numpy arrays); ``drop``: a drop-frame label."""
    n = nominal_fps(fps)
    total = (h * 3600 + m * 60 + s) * n + f
    if drop:
        d = drop_frames_per_minute(fps)
        if not d:
            raise TimecodeError(f"drop-frame timecode (;) needs 29.97 or 59.94 fps, not {fps:g}")
        minutes = h * 60 + m
        total = total - d * (minutes - minutes // 10)
    return total


def format_frames(frame: int, fps: float, drop: bool | None = None) -> str:
    """``HH:MM:SS:FF`` (``HH:MM:SS;FF`` drop-frame) of ``frame``; ``drop`` None: drop-frame at 29.97/59.94."""
    dropping = is_drop_frame_rate(fps) if drop is None else bool(drop)
    sign = "-" if frame < 0 else ""
    h, m, s, f = frames_to_fields(abs(int(frame)), fps, dropping)
    return f"{sign}{h:02d}:{m:02d}:{s:02d}{';' if dropping else ':'}{f:02d}"


def format_tc(seconds: float, fps: float, drop: bool | None = None) -> str:
    """Timecode of the frame shown at ``seconds``."""
    return format_frames(frame_at(seconds, fps), fps, drop)


def format_short(seconds: float, fps: float, step_seconds: float) -> str:
    """A ruler label: drop the hours when zero, the frames when ticks are whole seconds."""
    tc = format_tc(seconds, fps)
    sep = tc[-3]
    hh, mm, ss = tc[:-3].split(":")
    ff = tc[-2:]
    base = f"{hh}:{mm}:{ss}" if hh != "00" else f"{mm}:{ss}"
    frame_step = step_seconds * fps
    if step_seconds >= 1.0 - EPS and abs(frame_step - round(frame_step)) < EPS * 10:
        return base
    return f"{base}{sep}{ff}"


def parse_frames(text: str, fps: float) -> int:
    """The frame a timecode label names: ``HH:MM:SS:FF``, ``MM:SS:FF`` or ``SS:FF``; ``;`` before the frames
    (or anywhere) marks drop-frame."""
    s = text.strip()
    drop = ";" in s
    parts = s.replace(";", ":").split(":")
    if len(parts) < 2 or len(parts) > 4 or any(not p.strip().isdigit() for p in parts):
        raise TimecodeError(f"{text.strip()!r} is not a timecode (HH:MM:SS:FF, or HH:MM:SS;FF drop-frame)")
    nums = [int(p) for p in parts]
    ff, hms = nums[-1], nums[:-1]
    h, m, sec = ([0] * (3 - len(hms)) + hms)
    n = nominal_fps(fps)
    if ff >= n:
        raise TimecodeError(f"frame {ff} is out of range (0-{n - 1} at {fps:g} fps)")
    if len(hms) >= 2 and sec >= 60 or len(hms) == 3 and m >= 60:
        raise TimecodeError(f"{text.strip()!r}: minutes and seconds go up to 59")
    if drop:
        d = drop_frames_per_minute(fps)
        if not d:
            raise TimecodeError(f"{text.strip()!r} is drop-frame (;), which needs 29.97 or 59.94 fps, not {fps:g}")
        if sec == 0 and ff < d and m % 10 != 0:
            raise TimecodeError(f"{text.strip()!r} does not exist in drop-frame timecode (frames 00-{d - 1:02d} "
                                "are skipped at each minute but every tenth)")
    return int(fields_to_frames(h, m, sec, ff, fps, drop))


def parse_tc(text: str, fps: float) -> float:
    """Seconds for typed text.

    Accepts ``HH:MM:SS:FF``, ``MM:SS:FF``, ``SS:FF`` (frames after the last
    colon; ``;`` there means drop-frame), ``HH:MM:SS.mmm`` / ``MM:SS.mmm`` and
    plain seconds ``12.5``.
    """
    s = text.strip()
    if not s:
        raise TimecodeError("enter a timecode like 00:01:02:12 or seconds like 62.5")
    try:
        if ":" not in s and ";" not in s:
            v = float(s)
        elif "." in s.replace(";", ":").split(":")[-1]:
            # H:M:S.mmm: the last part is fractional seconds
            parts = s.split(":")
            if len(parts) > 3 or any(p.strip() == "" for p in parts):
                raise ValueError
            whole = [int(p) for p in parts[:-1]]
            secs = float(parts[-1])
            if any(w < 0 for w in whole) or (whole and secs >= 60) or (len(whole) == 2 and whole[1] >= 60):
                raise ValueError
            v = secs
            for i, w in enumerate(reversed(whole)):
                v += w * (60 if i == 0 else 3600)
        else:
            v = parse_frames(s, fps) / fps
    except TimecodeError:
        raise
    except ValueError:
        raise TimecodeError(f"{text.strip()!r} is not a timecode (HH:MM:SS:FF) or a number of seconds") from None
    if not math.isfinite(v) or v < 0:
        raise TimecodeError("times cannot be negative")
    return v
