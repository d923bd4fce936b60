"""Timecode text: ``HH:MM:SS:FF`` for display, lenient parsing for typed input.

Non-integer rates (23.976, 29.97) use non-drop-frame counting with the nominal
integer rate, as most NLEs show them.  Frame *n* covers ``[n/fps, (n+1)/fps)``.
"""

from __future__ import annotations

import math

EPS = 1e-6


def frame_at(seconds: float, fps: float) -> int:
    """The frame shown at ``seconds`` (floor, tolerant of float noise)."""
    return int(math.floor(seconds * fps + EPS))


def nominal_fps(fps: float) -> int:
    return max(1, int(round(fps)))


def format_frames(frame: int, fps: float) -> str:
    n = nominal_fps(fps)
    sign = "-" if frame < 0 else ""
    frame = abs(frame)
    ff = frame % n
    total_s = frame // n
    return f"{sign}{total_s // 3600:02d}:{total_s // 60 % 60:02d}:{total_s % 60:02d}:{ff:02d}"


def format_tc(seconds: float, fps: float) -> str:
    """``HH:MM:SS:FF`` of the frame shown at ``seconds``."""
    return format_frames(frame_at(seconds, fps), fps)


def format_short(seconds: float, fps: float, step_seconds: float) -> str:
    """A ruler label: drop the hours when zero, the frames when ticks are whole seconds."""
    tc = format_tc(seconds, fps)
    hh, mm, ss, ff = tc.split(":")
    base = f"{hh}:{mm}:{ss}" if hh != "00" else f"{mm}:{ss}"
    frame_step = step_seconds * fps
    if step_seconds >= 1.0 - EPS and abs(frame_step - round(frame_step)) < EPS * 10:
        return base
    return f"{base}:{ff}"


class TimecodeError(ValueError):
    """Typed text is not a timecode; ``str(e)`` says what is expected."""


def parse_tc(text: str, fps: float) -> float:
    """Seconds for typed text.

    Accepts ``HH:MM:SS:FF``, ``MM:SS:FF``, ``SS:FF`` (frames after the last
    colon), ``HH:MM:SS.mmm`` / ``MM:SS.mmm`` and plain seconds ``12.5``.
    """
    s = text.strip().replace(";", ":")
    if not s:
        raise TimecodeError("enter a timecode like 00:01:02:12 or seconds like 62.5")
    try:
        if ":" not in s:
            v = float(s)
        else:
            parts = s.split(":")
            if any(p.strip() == "" for p in parts) or len(parts) > 4:
                raise ValueError
            if "." in parts[-1]:
                # H:M:S.mmm — the last part is fractional seconds
                secs = float(parts[-1])
                whole = [int(p) for p in parts[:-1]]
                if len(whole) > 2:
                    raise ValueError
                v = secs
                for i, w in enumerate(reversed(whole)):
                    v += w * (60 if i == 0 else 3600)
            else:
                nums = [int(p) for p in parts]
                ff = nums[-1]
                if ff >= nominal_fps(fps):
                    raise TimecodeError(f"frame {ff} is out of range (0-{nominal_fps(fps) - 1} at {fps:g} fps)")
                hms = nums[:-1]
                total = 0
                for w in hms:
                    total = total * 60 + w
                v = (total * nominal_fps(fps) + ff) / fps
    except TimecodeError:
        raise
    except ValueError:
        raise TimecodeError(f"{text.strip()!r} is not a timecode (HH:MM:SS:FF) or a number of seconds") from None
    if not math.isfinite(v) or v < 0:
        raise TimecodeError("times cannot be negative")
    return v
