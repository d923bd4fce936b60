"""Keyboard transport and the playback clock/mixer."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import Qt

from editor.playback import NO_DEVICE_MESSAGE, Mixer, Playback
from project.mixer import Line, MixPlan


@pytest.fixture
def win(window, make_project):
    window.doc.replace(make_project(), None)
    window.timeline.view.setFocus()
    return window


def key(qtbot, w, k, mods=Qt.KeyboardModifier.NoModifier):
    qtbot.keyClick(w.timeline.view, k, mods)


def test_arrow_keys_step_frames_and_seconds(qtbot, win):
    fps = win.doc.project.fps
    key(qtbot, win, Qt.Key.Key_Right)
    assert win.playback.position == pytest.approx(1 / fps)
    assert win.timeline.playhead == pytest.approx(1 / fps)
    key(qtbot, win, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert win.playback.position == pytest.approx(1 + 1 / fps)
    key(qtbot, win, Qt.Key.Key_Left)
    assert win.playback.position == pytest.approx(1.0)
    key(qtbot, win, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert win.playback.position == pytest.approx(0.0)
    key(qtbot, win, Qt.Key.Key_End)
    assert win.playback.position == pytest.approx(7.0 - 1 / fps)  # the last frame of the last region
    key(qtbot, win, Qt.Key.Key_Home)
    assert win.playback.position == 0.0
    assert win.time_label.text() == "00:00:00:00"


def test_frame_step_lands_on_frame_starts_and_updates_the_preview(qtbot, win):
    for _ in range(3):
        key(qtbot, win, Qt.Key.Key_Right)
    assert win.preview.wanted_frame == 3
    assert win.time_label.text() == "00:00:00:03"


def test_space_plays_and_pauses_with_the_silent_clock(qtbot, win):
    key(qtbot, win, Qt.Key.Key_Space)
    assert win.playback.is_playing()
    qtbot.waitUntil(lambda: win.playback.position > 0.15, timeout=3000)
    assert win.timeline.playhead == pytest.approx(win.playback.position, abs=0.05)
    key(qtbot, win, Qt.Key.Key_Space)
    assert not win.playback.is_playing()
    stopped = win.playback.position
    qtbot.wait(60)
    assert win.playback.position == stopped


def test_space_in_the_text_field_types_instead_of_playing(qtbot, win):
    d = win.doc
    d.select([d.project.tracks[0].regions[0].id])
    win.inspector.text.setFocus()
    qtbot.keyClick(win.inspector.text, Qt.Key.Key_Space)
    assert not win.playback.is_playing()
    assert win.inspector.text.toPlainText().endswith(" ") or win.inspector.text.toPlainText().startswith(" ")


def test_jkl_shuttle(qtbot, win):
    key(qtbot, win, Qt.Key.Key_L)
    assert win.playback.is_playing() and win.playback.speed == 1.0
    key(qtbot, win, Qt.Key.Key_L)
    assert win.playback.speed == 2.0
    key(qtbot, win, Qt.Key.Key_K)
    assert not win.playback.is_playing()
    win.playback.seek(3.0)
    key(qtbot, win, Qt.Key.Key_J)
    assert win.playback.speed == -1.0
    qtbot.waitUntil(lambda: win.playback.position < 2.9, timeout=3000)
    key(qtbot, win, Qt.Key.Key_K)


def test_play_region_stops_at_its_end(qtbot, win):
    rid = win.doc.project.tracks[0].regions[0].id
    win.playback.mixer  # noqa: B018
    win.play_region(rid)
    assert win.playback.position == pytest.approx(1.0, abs=0.05)
    qtbot.waitUntil(lambda: not win.playback.is_playing(), timeout=4000)
    assert win.playback.position == pytest.approx(3.0)


def test_no_audio_device_falls_back_to_a_silent_clock(qtbot):
    try:
        from PySide6.QtMultimedia import QMediaDevices
    except ImportError:  # no audio system at all (e.g. libpulse missing): Qt Multimedia cannot load
        QMediaDevices = None

    pb = Playback(48000, use_audio=True)
    messages = []
    pb.message.connect(messages.append)
    pb.set_end(10.0)
    pb.play(0.0)
    try:
        if QMediaDevices is None:
            assert pb.clock == "silent"
            assert messages and "playing silently" in messages[0] and "audio" in messages[0]
        elif QMediaDevices.defaultAudioOutput().isNull():
            assert pb.clock == "silent" and NO_DEVICE_MESSAGE in messages
        qtbot.waitUntil(lambda: pb.position > 0.05, timeout=3000)
    finally:
        pb.pause()
        pb.shutdown()


def test_mixer_places_clips_and_ducks_the_source():
    sr = 48000
    m = Mixer(sr, channels=1)
    m.set_source(np.full(sr * 4, 0.5, np.float32), sr)
    clip = np.full(24000, 0.25, np.float32)  # 1 s at 24 kHz
    m.set_plan(MixPlan.build(sr, 1, [Line(1.0, clip, 24000, gain=2.0, duck=0.5)], m.source, 1.0))
    out = m.render(0, sr * 3)
    assert out[int(0.5 * sr)] == pytest.approx(0.5)  # source alone
    assert out[int(1.5 * sr)] == pytest.approx(0.5 * 0.5 + 2.0 * 0.25, abs=1e-4)  # ducked source + clip
    assert out[int(2.5 * sr)] == pytest.approx(0.5)
    fast = m.render_at(0.0, 1000, 2.0)
    assert len(fast) == 1000 and np.allclose(fast, 0.5)
    rev = m.render_at(float(int(1.5 * sr)), 100, -1.0)
    assert rev[0] == pytest.approx(0.75, abs=1e-4)


def test_mix_device_serves_interleaved_float_frames():
    """What QAudioSink pulls: stereo float32 frames of the mix, advancing the position."""
    from PySide6.QtCore import QIODevice

    from editor.playback import _MixDevice

    m = Mixer(48000)
    m.set_source(np.linspace(-0.5, 0.5, 48000).astype(np.float32), 48000)
    dev = _MixDevice(m, 0.5, 1.0, channels=2, as_float=True)
    assert dev.open(QIODevice.OpenModeFlag.ReadOnly | QIODevice.OpenModeFlag.Unbuffered)
    data = bytes(dev.read(800))
    frames = np.frombuffer(data, np.float32).reshape(-1, 2)
    assert frames.shape == (100, 2) and np.array_equal(frames[:, 0], frames[:, 1])
    assert frames[0, 0] == pytest.approx(m.render(24000, 1)[0, 0])
    assert dev.pos == 24000 + 100
    dev16 = _MixDevice(m, 0.0, 2.0, channels=1, as_float=False)
    dev16.open(QIODevice.OpenModeFlag.ReadOnly | QIODevice.OpenModeFlag.Unbuffered)
    assert len(bytes(dev16.read(200))) == 200 and dev16.pos == 200.0


def test_a_loop_wraps_inside_the_device_sample_exactly():
    """Looping is seamless: the block that reaches the out point goes on from the in point, so no sample
    past the out point is played and none is skipped, at any block size."""
    from PySide6.QtCore import QIODevice

    from editor.playback import _MixDevice

    sr = 48000
    m = Mixer(sr)
    m.set_source(np.linspace(-0.5, 0.5, sr).astype(np.float32), sr)
    a, b = 12000, 12700  # 0.25 s .. 0.264583 s
    dev = _MixDevice(m, 0.26, 1.0, channels=2, as_float=True, loop=(a / sr, b / sr))
    assert dev.open(QIODevice.OpenModeFlag.ReadOnly | QIODevice.OpenModeFlag.Unbuffered)
    got = np.concatenate([np.frombuffer(bytes(dev.read(n * 8)), np.float32).reshape(-1, 2)[:, 0]
                          for n in (100, 1000, 7, 4096, 333)])
    start = round(0.26 * sr)
    idx = np.concatenate([np.arange(start, b), np.tile(np.arange(a, b), 10)])[:len(got)]
    assert np.array_equal(got, m.render(0, sr)[idx, 0])
    # at 2x it wraps too, and never reads past the out point
    fast = _MixDevice(m, 0.25, 2.0, channels=1, as_float=True, loop=(a / sr, b / sr))
    fast.open(QIODevice.OpenModeFlag.ReadOnly | QIODevice.OpenModeFlag.Unbuffered)
    for _ in range(5):
        fast.read(4 * 999)
        assert a <= fast.pos < b
    # backwards (J) plays through, as before
    back = _MixDevice(m, 0.26, -1.0, channels=1, as_float=True, loop=(a / sr, b / sr))
    assert back.loop is None


def test_the_loop_clock_never_passes_the_out_point_even_when_the_gui_stalls(qtbot):
    import time

    pb = Playback(use_audio=False)
    pb.set_end(10.0)
    pb.set_loop((1.0, 1.4))
    pb.play(start=3.0)  # after the out point: from the in point
    assert pb.position == pytest.approx(1.0)
    t0 = time.perf_counter()
    time.sleep(0.55)  # a busy GUI thread: no tick for more than a pass of the range
    pb._tick()
    expect = 1.0 + (time.perf_counter() - t0) % 0.4
    assert 1.0 <= pb.position < 1.4 and pb.position == pytest.approx(expect, abs=0.03)
    seen = []
    pb.positionChanged.connect(seen.append)
    qtbot.wait(500)
    assert pb.is_playing() and max(seen) < 1.4 and min(seen) >= 1.0
    # a new range takes effect while playing; off, playback runs on past it
    pb.set_loop((2.0, 2.5))
    assert 1.0 <= pb.position < 1.4
    qtbot.wait(1300)
    assert 2.0 <= pb.position < 2.5
    pb.set_loop(None)
    qtbot.wait(700)
    assert pb.position > 2.5
    pb.pause()
    pb.set_loop((2.0, 2.5))
    pb.play(start=0.5)  # before the in point: from the in point too
    assert pb.position == pytest.approx(2.0)
    pb.pause()
