"""Timecode for the timeline widgets: the implementation is ``editor.timecode`` (Qt-free, shared with
keyframe files and exports); this module only keeps the timeline's import path."""

from editor.timecode import (  # noqa: F401
    EPS,
    TimecodeError,
    format_frames,
    format_short,
    format_tc,
    frame_at,
    nominal_fps,
    parse_tc,
)
