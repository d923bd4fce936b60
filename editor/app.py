"""Starting the editor: ``run_editor(project_path_or_None) -> exit code``.

Which project opens: the one given, else the last one (QSettings), else the
bundled demo.  The demo is copied to the user's data folder first, so the
copy shipped with the app is never modified; edits to the demo persist in the
copy.  When the bundled demo project is absent, one is built from the demo
line set (``resources/demo/lines.json``).
"""

from __future__ import annotations

import logging
import shutil
import sys
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, QTimer
from PySide6.QtWidgets import QApplication

from editor.document import protect_singleton_refcounts
from project import model as pj

log = logging.getLogger(__name__)


def bundled_demo() -> Path | None:
    """The demo project shipped with the app (its media beside it), or None when it is not shipped."""
    from engine import resources
    from engine.errors import ModelError

    try:
        if resources.exists("demo", "demo.mp4"):
            resources.path("demo", "demo.mp4")  # beside the project, also where data comes out of a zip
        return resources.path("demo", "demo.dubline")
    except ModelError:
        return None


def user_data_dir() -> Path:
    base = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.AppDataLocation)
    if base:
        return Path(base)
    from engine.user_dirs import editor_data_fallback

    return editor_data_fallback()


def demo_project_from_lines() -> pj.Project:
    """A demo project without media, from the bundled line set."""
    from project.demo import demo_lines

    spec = demo_lines()
    project = pj.Project(fps=25.0)
    track = project.tracks[0]
    track.name = "Dub 1"
    track.default_voice = spec["lines"][0]["voice"] if spec["lines"] else "jf_alpha"
    for line in spec["lines"]:
        voice = line["voice"] if line["voice"] != track.default_voice else None
        track.regions.append(pj.Region(start=float(line["start"]), end=float(line["start"]) + float(line["duration"]),
                                       text=line["text"], voice=voice))
    track.regions.sort(key=lambda r: r.start)
    project.markers.append(pj.Marker(time=0.5, name="first line"))
    return project


def demo_copy(target_dir: Path | None = None) -> Path:
    """The user's copy of the demo project (made on first use); never the bundled file."""
    folder = (target_dir or user_data_dir()) / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "demo.dubline"
    if target.is_file():
        return target
    bundled = bundled_demo()
    if bundled is not None:
        try:
            project = pj.load(bundled)
        except pj.ProjectError as e:
            log.warning("bundled demo unreadable (%s): building one from the line set", e)
            project = demo_project_from_lines()
        else:
            media = pj.resolve_media(project, bundled)
            if media is not None:
                copied = folder / media.name
                if not copied.exists():
                    shutil.copy2(media, copied)
                project.media.path = media.name
                project.media.abs_path = str(copied.resolve())
    else:
        project = demo_project_from_lines()
    pj.save(project, target, backup=False)
    return target


def choose_project(project_path: str | None, settings: QSettings) -> tuple[Path | None, bool]:
    """(path, is_demo): the given one, else the last one, else the demo copy."""
    if project_path:
        return Path(project_path), False
    last = settings.value("lastProject")
    if last and Path(str(last)).is_file():
        p = Path(str(last))
        return p, p.parent == user_data_dir() / "demo"
    try:
        return demo_copy(), True
    except (OSError, pj.ProjectError) as e:
        log.warning("cannot prepare the demo project: %s", e)
        return None, False


def run_editor(project_path: str | None) -> int:
    protect_singleton_refcounts()  # before any Qt call: see its docstring (PySide6 6.12.0 on Python 3.11)
    app = QApplication.instance()
    if app is None:
        from editor.qt_platform import StartupGuard

        with StartupGuard():  # a display plugin that cannot load: one line and exit 2, not an abort
            app = QApplication(sys.argv[:1])
    app.setOrganizationName("Dubline")
    app.setApplicationName("Dubline")
    app.setApplicationDisplayName("Dubline")
    logging.basicConfig(level=logging.WARNING, format="dubline: %(levelname)s: %(message)s")
    from editor.qt_platform import font_problem

    if (fonts := font_problem()) is not None:
        log.warning(fonts)
    from editor.mainwindow import MainWindow

    settings = QSettings()
    win = MainWindow(settings=settings)
    win.show()
    path, is_demo = choose_project(project_path, settings)

    def open_first() -> None:
        # a crashed untitled project is offered first; a project's own recovery is offered when it opens
        if project_path is None and win.offer_untitled_recovery():
            return
        if path is None:
            return
        if not win.open_project(path, ask=False, demo=is_demo) and project_path is None and not is_demo:
            # the last project went bad: fall back to the demo rather than an empty window
            try:
                win.open_project(demo_copy(), ask=False, demo=True)
            except (OSError, pj.ProjectError):
                pass
        elif is_demo:
            win.timeline.zoom_fit()

    QTimer.singleShot(0, open_first)
    from editor.startup_check import arm

    _check = arm(win)  # noqa: F841 -- DUBLINE_STARTUP_CHECK (packaging/CI): report the start-up, then quit
    code = app.exec()
    win.shutdown()
    return int(code)
