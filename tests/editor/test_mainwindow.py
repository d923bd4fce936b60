"""The main window: files, title, close prompt, bad input, missing media, the screenshot."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox

from editor import commands as cmd
from project.model import Region, load, save, to_dict

SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"


def test_title_shows_name_and_modified_marker(qtbot, window, make_project, tmp_path):
    path = tmp_path / "scene 12.dubline"
    save(make_project(), path)
    assert window.open_project(path, ask=False)
    assert window.windowTitle() == "scene 12[*] — Dubline"
    assert not window.isWindowModified()
    window.timeline.set_playhead(8.0)
    window.timeline.create_region_at_playhead()
    assert window.isWindowModified()
    assert window.act_undo.text().replace("&", "") == "Undo Add region"
    window.act_save.trigger()
    assert not window.isWindowModified()
    assert len(load(path).tracks[0].regions) == 3
    assert Path(path.with_name(path.name + ".bak")).is_file()


def test_save_and_reopen_is_exact(qtbot, window, make_project, tmp_path):
    window.doc.replace(make_project(), None)
    d = window.doc
    d.push(cmd.SetRegionText(d, d.project.tracks[0].regions[0].id, "出发[chū fā]吧"))
    path = tmp_path / "roundtrip.dubline"
    assert window.files.save_to(path)
    before = to_dict(d.project)
    assert window.open_project(path, ask=False)
    assert to_dict(window.doc.project) == before
    assert window.files.recent_files()[0] == str(path.resolve())


def test_bad_project_file_shows_the_problem_and_keeps_working(qtbot, window, make_project, tmp_path, monkeypatch):
    window.doc.replace(make_project(), None)
    errors = []
    monkeypatch.setattr(window, "_error", lambda title, text: errors.append((title, text)))
    bad = tmp_path / "broken.dubline"
    data = to_dict(make_project())
    data["tracks"][0]["regions"][0]["start"] = "soon"
    bad.write_text(json.dumps(data), encoding="utf-8")
    original = bad.read_text(encoding="utf-8")
    assert not window.open_project(bad, ask=False)
    assert errors and errors[0][0] == "Cannot open project"
    assert "tracks[0].regions[0].start: expected a number" in errors[0][1]
    assert bad.read_text(encoding="utf-8") == original  # never overwritten
    assert len(window.doc.project.tracks[0].regions) == 2  # the open project is untouched
    (tmp_path / "trunc.dubline").write_text('{"schema_version": 1, "tr', encoding="utf-8")
    assert not window.open_project(tmp_path / "trunc.dubline", ask=False)
    assert "not valid JSON" in errors[-1][1]


def test_close_with_unsaved_changes_asks(qtbot, window, make_project):
    window.doc.replace(make_project(), None)
    window.doc.push(cmd.SetRegionText(window.doc, window.doc.project.tracks[0].regions[0].id, "改"))
    asked = []
    window._ask_unsaved = lambda: asked.append(1) or QMessageBox.StandardButton.Cancel
    assert not window.close()
    assert asked and window.isVisible()
    window._ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    assert window.close()


def test_missing_media_opens_anyway_with_a_relink_banner(qtbot, window, make_project, tmp_path, numbered_video):
    from project.model import MediaRef

    p = make_project()
    p.media = MediaRef(path="gone.mp4", abs_path=str(tmp_path / "elsewhere" / "gone.mp4"), duration=2.4)
    path = tmp_path / "proj" / "missing.dubline"
    path.parent.mkdir()
    save(p, path)
    assert window.open_project(path, ask=False)
    assert window.banner.isVisibleTo(window) and "missing" in window.banner.label.text()
    assert len(window.doc.project.tracks[0].regions) == 2
    assert window.media.relink_to(str(numbered_video))
    assert not window.banner.isVisibleTo(window)
    assert window.isWindowModified()
    qtbot.waitUntil(lambda: window.timeline.waveform.note != "loading waveform…", timeout=10000)
    qtbot.waitUntil(lambda: window.playback.mixer.source_seconds > 2.0, timeout=10000)


def test_media_found_by_name_after_a_move(qtbot, window, make_project, tmp_path, numbered_video):
    import shutil

    from project.model import MediaRef

    folder = tmp_path / "moved"
    folder.mkdir()
    shutil.copy(numbered_video, folder / "numbered.mp4")
    p = make_project()
    p.media = MediaRef(path="../old/numbered.mp4", abs_path="/nowhere/numbered.mp4", duration=2.4)
    save(p, folder / "moved.dubline")
    assert window.open_project(folder / "moved.dubline", ask=False)
    assert window.media_path == (folder / "numbered.mp4").resolve()
    assert window.doc.undo_stack.undoText() == "Relink media (found by name)"


def test_open_a_video_project_and_seek(qtbot, window, numbered_video, read_frame_number):
    assert window.files.create_project_for_media(str(numbered_video))
    with qtbot.waitSignal(window.preview.frameShown, timeout=10000,
                          check_params_cb=lambda i: i == 30):
        window.playback.seek(30 / 25)
    assert window.doc.project.media.duration == pytest.approx(2.4, abs=0.05)


def test_main_window_screenshot(qtbot, engine, tmp_path):
    """The demo project rendered by the real engine, saved for reviewers to look at."""
    from PySide6.QtCore import QSettings

    from editor.app import demo_copy
    from editor.mainwindow import MainWindow

    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    w = MainWindow(engine_factory=lambda progress: engine, use_audio=False, settings=settings)
    w._ask_unsaved = lambda: QMessageBox.StandardButton.Discard
    qtbot.addWidget(w)
    w.resize(1440, 900)
    w.show()
    try:
        # a fresh copy of the demo each run, in a folder under out/ (git-ignored) whose render
        # cache survives between runs: the first run renders with the real engine, later ones reuse it
        userdata = SCREENSHOTS.parent / "test-userdata"
        (userdata / "demo" / "demo.dubline").unlink(missing_ok=True)
        path = demo_copy(userdata)
        assert w.open_project(path, ask=False, demo=True)
        w.timeline.zoom_fit()
        regions = [r for _, r in w.doc.project.all_regions()]
        qtbot.waitUntil(lambda: all(w.renderer.status(r.id) in ("ready", "failed") for r in regions),
                        timeout=240000)  # first render of the demo; slow on a loaded 2-core CI box
        assert all(w.renderer.status(r.id) == "ready" for r in regions)
        w.doc.select([regions[0].id])
        w.playback.seek(regions[0].start + 0.8)
        t0 = time.time()
        while time.time() - t0 < 1.0:
            qtbot.wait(50)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        out = SCREENSHOTS / "main_window.png"
        assert w.grab().save(str(out))
        assert out.stat().st_size > 10000
    finally:
        w.shutdown()


def test_demo_copy_never_touches_the_bundled_file(tmp_path):
    from editor.app import bundled_demo, demo_copy

    bundled = bundled_demo()
    before = bundled.read_bytes() if bundled is not None else None
    p = demo_copy(tmp_path)
    assert p.is_file() and p.parent == tmp_path / "demo"
    proj = load(p)
    proj.tracks[0].regions.append(Region(start=100.0, end=101.0, text="mine"))
    save(proj, p)
    assert demo_copy(tmp_path) == p and len(load(p).tracks[0].regions) == len(proj.tracks[0].regions)
    if before is not None:
        assert bundled.read_bytes() == before
