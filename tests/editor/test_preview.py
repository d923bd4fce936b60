"""The preview shows exactly the frame under the playhead (frame numbers burned into a test video)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("project.media")

from editor.preview import PreviewWidget  # noqa: E402


def image_number(img, read_frame_number) -> int:
    img = img.convertToFormat(img.Format.Format_RGB888)
    w, h = img.width(), img.height()
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(h, img.bytesPerLine())[:, : 3 * w].reshape(h, w, 3)
    return read_frame_number(arr)


@pytest.fixture
def preview(qtbot):
    w = PreviewWidget()
    qtbot.addWidget(w)
    w.resize(480, 320)
    w.show()
    yield w
    w.shutdown()


def test_seeking_shows_the_right_frame(qtbot, preview, numbered_video, read_frame_number):
    with qtbot.waitSignal(preview.server.opened, timeout=10000):
        preview.set_media(str(numbered_video), True, 25.0)
    for frame in (37, 3, 59, 12, 13, 0):
        with qtbot.waitSignal(preview.frameShown, timeout=5000,
                              check_params_cb=lambda i, f=frame: i == f):
            preview.show_time(frame / 25.0 + 0.001)
        assert preview.shown_frame == frame
        assert image_number(preview.image, read_frame_number) == frame
    assert preview.grab().width() == 480


def test_a_fast_scrub_drops_stale_requests(qtbot, preview, numbered_video):
    with qtbot.waitSignal(preview.server.opened, timeout=10000):
        preview.set_media(str(numbered_video), True, 25.0)
    shown = []
    preview.frameShown.connect(shown.append)
    for f in range(0, 60, 2):
        preview.show_time(f / 25.0)
    qtbot.waitUntil(lambda: preview.shown_frame == 58, timeout=5000)
    assert len(shown) < 30  # some requests were superseded before they were decoded


def test_unreadable_video_shows_the_reason(qtbot, preview, tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    with qtbot.waitSignal(preview.server.failed, timeout=10000) as sig:
        preview.set_media(str(bad), True, 25.0)
    assert "broken.mp4" in sig.args[0]
    # the signal is emitted on the frame server's thread; the widget's slot runs on the GUI thread after it
    qtbot.waitUntil(lambda: bool(preview.error), timeout=5000)
    assert "broken.mp4" in preview.error
    preview.grab()


def test_audio_only_shows_a_placeholder(preview):
    preview.set_media("/some/audio.wav", False, 25.0)
    assert "Audio only" in preview.placeholder
    preview.show_time(1.0)
    assert preview.wanted_frame == 25


def test_frames_come_from_the_proxy_and_sharpen_when_the_playhead_rests(qtbot, preview, numbered_video,
                                                                        read_frame_number, tmp_path, monkeypatch):
    from project.proxy import build_proxy

    monkeypatch.setenv("DUBLINE_CACHE", str(tmp_path / "cache"))
    build_proxy(numbered_video, height=48)  # smaller than the panel: the rested frame is refined
    with qtbot.waitSignal(preview.server.proxyChanged, timeout=10000):
        preview.set_media(str(numbered_video), True, 25.0)
    assert preview.server.using_proxy
    sizes = []
    preview.frameShown.connect(lambda i: sizes.append((i, preview.image.height())))
    for frame in (41, 7, 58):
        sizes.clear()
        preview.show_time(frame / 25.0 + 0.001)
        qtbot.waitUntil(lambda f=frame: (f, 96) in sizes, timeout=5000)
        mine = [s for s in sizes if s[0] == frame]
        assert mine[0] == (frame, 48)  # the proxy answers first, the source sharpens it
        assert image_number(preview.image, read_frame_number) == frame
    preview.server.detach_proxy()
    qtbot.waitUntil(lambda: not preview.server.using_proxy, timeout=5000)
