"""Timecode (project/timecode.py): drop-frame at 29.97/59.94, one parser for typed text and keyframe files."""

import numpy as np
import opentimelineio.opentime as ot
import pytest

from project.keyframes import KeyframeError, parse_keyframes
from project.timecode import (
    TimecodeError,
    fields_to_frames,
    format_frames,
    format_tc,
    frames_to_fields,
    parse_frames,
    parse_tc,
)

NTSC = 30000 / 1001
NTSC60 = 60000 / 1001

# (fps, frame, label): published drop-frame / non-drop values (SMPTE 12M counting)
KNOWN = [
    (NTSC, 0, "00:00:00;00"),
    (NTSC, 1799, "00:00:59;29"),
    (NTSC, 1800, "00:01:00;02"),  # labels ;00 and ;01 skipped
    (NTSC, 3597, "00:01:59;29"),  # minute 1 holds 1798 frames
    (NTSC, 3598, "00:02:00;02"),
    (NTSC, 17981, "00:09:59;29"),
    (NTSC, 17982, "00:10:00;00"),  # every tenth minute keeps them
    (NTSC, 17983, "00:10:00;01"),
    (NTSC, 107892, "01:00:00;00"),  # one hour of clock time, to the frame
    (NTSC, 2589407, "23:59:59;29"),
    (NTSC60, 3599, "00:00:59;59"),
    (NTSC60, 3600, "00:01:00;04"),  # four labels skipped at 59.94
    (NTSC60, 35964, "00:10:00;00"),
    (NTSC60, 215784, "01:00:00;00"),
    (25.0, 90000, "01:00:00:00"),
    (24.0, 86400, "01:00:00:00"),
    (24000 / 1001, 86400, "01:00:00:00"),  # 23.976 counts non-drop at 24
    (30.0, 108000, "01:00:00:00"),
]


@pytest.mark.parametrize("fps,frame,label", KNOWN)
def test_known_conversions(fps, frame, label):
    assert format_frames(frame, fps) == label
    assert parse_frames(label, fps) == frame
    assert parse_tc(label, fps) == pytest.approx(frame / fps)


def test_non_drop_at_2997_is_still_available_with_a_colon():
    assert format_frames(1800, NTSC, drop=False) == "00:01:00:00"
    assert parse_frames("01:00:00:00", NTSC) == 108000  # non-drop: 3.6 s later than ;00
    assert parse_tc("01:00:00:00", NTSC) - parse_tc("01:00:00;00", NTSC) == pytest.approx(3.6036, abs=1e-3)


@pytest.mark.parametrize("fps,drop_per_minute", [(NTSC, 2), (NTSC60, 4)])
def test_drop_frame_round_trips_every_frame_of_24_hours(fps, drop_per_minute):
    n = fields_to_frames(24, 0, 0, 0, fps, True)  # every label from 00:00:00;00 to 23:59:59;29 (;59)
    frames = np.arange(n, dtype=np.int64)
    h, m, s, f = frames_to_fields(frames, fps, True)
    assert int(h.max()) == 23 and int(m.max()) == 59 and int(s.max()) == 59 and int(f.max()) == round(fps) - 1
    # no skipped label is ever produced
    skipped = (s == 0) & (f < drop_per_minute) & (m % 10 != 0)
    assert not skipped.any()
    # labels increase one frame at a time (in the non-drop count of the label)
    label_index = ((h * 60 + m) * 60 + s) * round(fps) + f
    steps = np.diff(label_index)
    assert set(np.unique(steps).tolist()) == {1, drop_per_minute + 1}
    assert np.array_equal(fields_to_frames(h, m, s, f, fps, True), frames)
    # and through the text, on a sample (every frame would take minutes in Python)
    for fr in range(0, n, 9973):
        assert parse_frames(format_frames(fr, fps), fps) == fr


def test_agrees_with_opentimelineio():
    for fps in (NTSC, NTSC60, 25.0, 24.0):
        df = fps in (NTSC, NTSC60)
        for fr in range(0, int(24 * 3600 * fps), 104_729):
            assert format_frames(fr, fps) == ot.to_timecode(ot.RationalTime(fr, fps), fps, df)
            assert parse_frames(format_frames(fr, fps), fps) == round(ot.from_timecode(format_frames(fr, fps), fps).value)


def test_bad_drop_frame_labels_are_refused():
    with pytest.raises(TimecodeError, match="does not exist"):
        parse_frames("00:01:00;00", NTSC)
    with pytest.raises(TimecodeError, match="29.97 or 59.94"):
        parse_frames("00:01:00;00", 25.0)
    with pytest.raises(TimecodeError):
        parse_tc("00:61:00:00", 25.0)
    assert parse_frames("00:10:00;00", NTSC) == 17982


def test_display_at_2997_is_drop_frame():
    assert format_tc(3600.0, NTSC) == "01:00:00;00"
    assert format_tc(3600.0, 25) == "01:00:00:00"


def test_keyframe_files_and_typed_text_read_timecode_alike():
    # the inspector and a keyframe CSV used to parse 23.976 timecode 3.6 s apart per hour
    for fps in (24000 / 1001, NTSC, 25.0):
        label = "01:00:00;00" if fps == NTSC else "01:00:00:00"
        kf = parse_keyframes(f"{label},one\n", fps)[0]
        assert kf.seconds == pytest.approx(parse_tc(label, fps))
    assert parse_keyframes("00:00:04;20\n", NTSC)[0].seconds == pytest.approx(parse_frames("00:00:04;20", NTSC) / NTSC)
    with pytest.raises(KeyframeError, match="out of range"):
        parse_keyframes("00:00:01:30\n", 25.0)
    with pytest.raises(KeyframeError):
        parse_keyframes("00:01:00;01\n", NTSC)
