"""A start-up self-check of the real editor, for packaging and CI (``DUBLINE_STARTUP_CHECK=DIR``).

With that variable set, ``run_editor`` opens its window as usual and then:
records when the window is first exposed on the screen, waits until the
speech engine is loaded and one region of the opened project has rendered,
grabs the window from the screen (what the display server shows, not a
re-paint) into ``DIR/window.png``, writes ``DIR/startup.json`` (wall-clock
times, the platform plugin, the render result and pixel statistics of the
grab) and quits.  It gives up after ``DUBLINE_STARTUP_CHECK_TIMEOUT`` seconds
(default 120) and then writes what it has, with ``"ok": false``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QApplication, QMainWindow


def image_stats(img: QImage) -> dict:
    """How much a grabbed picture holds: size, distinct colours (of a sample), and the spread of its grey levels."""
    import numpy as np

    img = img.convertToFormat(QImage.Format.Format_RGB32)
    w, h = img.width(), img.height()
    if w == 0 or h == 0:
        return {"width": w, "height": h, "colours": 0, "grey_std": 0.0}
    buf = np.frombuffer(img.constBits(), dtype=np.uint8, count=img.sizeInBytes()).reshape(h, img.bytesPerLine())
    px = buf[:, : w * 4].reshape(h, w, 4)[:, :, :3]
    sample = px[::4, ::4].reshape(-1, 3)
    colours = len(np.unique(sample.astype(np.uint32) @ np.array([65536, 256, 1], np.uint32)))
    grey = px.astype(np.float32).mean(axis=2)
    return {"width": w, "height": h, "colours": int(colours), "grey_std": round(float(grey.std()), 2)}


class StartupCheck(QObject):
    def __init__(self, win: QMainWindow, out_dir: Path, timeout_s: float):
        super().__init__(win)
        self.win, self.out_dir = win, out_dir
        self.report: dict = {"ok": False, "platform": QGuiApplication.platformName(), "pid": os.getpid(),
                             "armed_at": time.time()}
        self._poll = QTimer(self)
        self._poll.setInterval(20)
        self._poll.timeout.connect(self._tick)
        self._poll.start()
        QTimer.singleShot(int(timeout_s * 1000), self._finish)

    def _ready_region(self) -> tuple[str, object] | None:
        r = self.win.renderer
        for track in self.win.doc.project.tracks:
            for region in track.regions:
                clip = r.ready_clip(region.id)
                if clip is not None:
                    return region.id, clip
        return None

    def _tick(self) -> None:
        rep = self.report
        handle = self.win.windowHandle()
        if "window_exposed_at" not in rep and handle is not None and handle.isExposed():
            rep["window_exposed_at"] = time.time()
        state = self.win.renderer.engine_state
        if state == "ready" and "engine_ready_at" not in rep:
            rep["engine_ready_at"] = time.time()
        if state == "failed":
            rep["error"] = f"engine failed: {self.win.renderer.engine_error}"
            self._finish()
            return
        found = self._ready_region()
        if found and "window_exposed_at" in rep:
            rid, clip = found
            rep["first_render_at"] = time.time()
            rep["rendered_region"] = rid
            rep["rendered_samples"] = int(len(clip.audio))
            rep["rendered_seconds"] = round(len(clip.audio) / clip.sample_rate, 4)
            rep["ok"] = True
            # one more turn of the event loop so the timeline shows the rendered waveform before the grab
            self._poll.stop()
            QTimer.singleShot(300, self._finish)

    def _finish(self) -> None:
        if self.report.get("finished"):
            return
        self._poll.stop()
        self.report["finished"] = True
        self.out_dir.mkdir(parents=True, exist_ok=True)
        screen = self.win.screen() or QGuiApplication.primaryScreen()
        g = self.win.frameGeometry()
        shot = screen.grabWindow(0, g.x(), g.y(), g.width(), g.height()).toImage() if screen else QImage()
        shot.save(str(self.out_dir / "window.png"))
        self.report["screenshot"] = image_stats(shot)
        self.report["window_title"] = self.win.windowTitle()
        from PySide6.QtGui import QFontDatabase

        self.report["fonts"] = len(QFontDatabase.families())
        self.report["chinese_fonts"] = len(QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese))
        (self.out_dir / "startup.json").write_text(json.dumps(self.report, indent=2), encoding="utf-8")
        QApplication.instance().quit()


def arm(win: QMainWindow) -> StartupCheck | None:
    """Start the check when ``DUBLINE_STARTUP_CHECK`` names a folder."""
    out = os.environ.get("DUBLINE_STARTUP_CHECK")
    if not out:
        return None
    timeout = float(os.environ.get("DUBLINE_STARTUP_CHECK_TIMEOUT", "120"))
    return StartupCheck(win, Path(out), timeout)
