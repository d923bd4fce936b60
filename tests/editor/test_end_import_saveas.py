"""Small defects: End parks on the last frame, a subtitle import replaces the empty "Dub 1",
Save As starts next to the media."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog

from project.model import MediaRef, Project


def _activate(qtbot, w):
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    w.timeline.view.setFocus()


def test_end_parks_on_the_last_frame(qtbot, window, make_project):
    window.doc.replace(make_project(), None)  # the last region ends at 7.0 s
    _activate(qtbot, window)
    qtbot.keyClick(window.timeline.view, Qt.Key.Key_End)
    fps = window.doc.project.fps
    assert window.playback.position == pytest.approx(7.0 - 1 / fps)
    assert window.time_label.text() == "00:00:06:24"


def test_subtitle_import_replaces_the_empty_default_track(qtbot, window, tmp_path):
    window.doc.replace(Project(), None)
    assert [t.name for t in window.doc.project.tracks] == ["Dub 1"]
    srt = tmp_path / "lines.srt"
    srt.write_text("1\n00:00:01,000 --> 00:00:02,500\nHello there\n\n2\n00:00:03,000 --> 00:00:04,000\nBye\n",
                   encoding="utf-8")
    assert window.imports.import_subtitles(srt)
    tracks = window.doc.project.tracks
    assert len(tracks) == 1 and len(tracks[0].regions) == 2
    window.doc.undo_stack.undo()  # one step: back to the empty Dub 1
    assert [t.name for t in window.doc.project.tracks] == ["Dub 1"]
    assert not window.doc.project.tracks[0].regions
    # a track with lines is never replaced
    window.doc.undo_stack.redo()
    assert window.imports.import_subtitles(srt)
    assert len(window.doc.project.tracks) == 2


def test_save_as_starts_in_the_media_folder(qtbot, window, tmp_path, monkeypatch):
    media_dir = tmp_path / "shoot"
    media_dir.mkdir()
    video = media_dir / "scene.mp4"
    video.write_bytes(b"")
    p = Project()
    p.media = MediaRef(path=str(video), abs_path=str(video), has_video=True, duration=5.0)
    window.doc.replace(p, None)
    seen = []
    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(lambda *a, **k: (seen.append(a[2]), ("", ""))[1]))
    _activate(qtbot, window)
    qtbot.keyClick(window.timeline.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)  # untitled: Save As
    assert seen and seen[0].startswith(str(media_dir))
