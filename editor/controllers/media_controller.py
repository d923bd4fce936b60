"""The project's media in the window: finding the file (or saying it is missing, with a Relink button),
decoding its audio and waveform off the GUI thread, opening the video in the preview, relinking, and the
preview proxies (a small copy of an HD video, built in the background, that makes seeking instant)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QLabel

from editor import commands as cmd
from editor.controllers.file_controller import MEDIA_FILTER
from editor.proxy_job import ProxyJob
from project import model as pj

if TYPE_CHECKING:
    from editor.mainwindow import MainWindow

log = logging.getLogger(__name__)


class MediaLoader(QObject):
    """Decodes the source audio and builds its waveform pyramid in a background task (editor/tasks.py)."""

    loaded = Signal(int, object, int, object)  # generation, audio (or None), sample rate, pyramid (or None)
    failed = Signal(int, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._gen = 0

    def load(self, path: str, sample_rate: int) -> int:
        from editor.tasks import run_task

        self._gen += 1
        gen = self._gen
        task = run_task(_load_media, path, sample_rate, owner=self, name="media")
        task.finished.connect(lambda res: self.loaded.emit(gen, res[0], sample_rate, res[1]))
        task.failed.connect(lambda msg: self.failed.emit(gen, msg))
        return gen


def _load_media(ctx, path: str, sample_rate: int):
    """(audio or None, waveform pyramid or None): the source as exports mix it (stereo; a mono file as
    one column, both sides being the same)."""
    from project.media import load_audio

    audio = load_audio(path, sample_rate=sample_rate, channels=2)
    if audio is None:
        return None, None
    audio = np.asarray(audio, np.float32)
    if np.array_equal(audio[:, 0], audio[:, 1]):
        audio = np.ascontiguousarray(audio[:, 0])
    try:
        from project.waveform import WaveformPyramid

        pyramid = WaveformPyramid(audio if audio.ndim == 1 else audio.mean(axis=1), sample_rate)
    except Exception as e:  # noqa: BLE001 - no waveform is better than no editor
        log.warning("waveform unavailable: %s", e)
        pyramid = None
    return audio, pyramid


class MediaController(QObject):
    """Keeps the preview, the timeline's source lane and the playback mixer's source on the project's media."""

    sourceChanged = Signal()  # the source audio arrived: the timeline's end may have moved

    def __init__(self, win: MainWindow, use_proxies: bool):
        super().__init__(win)
        self._win = win
        self.doc = win.doc
        self.media_path: Path | None = None  # the media file found for the project, None while missing
        self._gen = 0  # the load whose result is awaited (an older one arriving late is ignored)
        self.use_proxies = use_proxies
        self.loader = MediaLoader(self)
        self.proxy_job = ProxyJob(self)
        self.proxy_label = QLabel("")  # the status bar's proxy state
        self.proxy_label.setToolTip("A small copy of the video that makes scrubbing instant "
                                    "(View > Preview Proxies)")
        server = win.preview.server
        server.use_proxies = use_proxies
        server.opened.connect(self._on_video_opened)
        server.proxyChanged.connect(lambda on: self.proxy_label.setText("Proxy" if on else ""))
        self.loader.loaded.connect(self._on_audio_loaded)
        self.loader.failed.connect(self._on_audio_failed)
        self.proxy_job.progress.connect(lambda f: self.proxy_label.setText(f"Building proxy {100 * f:.0f}%"))
        self.proxy_job.finished.connect(self._on_proxy_built)
        self.proxy_job.failed.connect(self._on_proxy_failed)

    def _status(self, text: str, ms: int) -> None:
        self._win.statusBar().showMessage(text, ms)

    # ------------------------------------------------------------ loading
    def _project_path_for_media(self) -> Path:
        return self.doc.path if self.doc.path else Path.cwd() / f"untitled{pj.SUFFIX}"

    def load(self) -> None:
        """Show the project's media: found, missing (banner) or moved (relinked by name, undoable)."""
        w = self._win
        p = self.doc.project
        self.media_path = None
        w.playback.mixer.set_source(None)
        self.proxy_job.cancel()
        self.proxy_label.setText("")
        if p.media is None:
            w.preview.set_media(None, False, p.fps, "No media: File > New Project from Media… to dub a video")
            w.timeline.set_source(None, 0.0, "Source audio", "no media")
            return
        found = pj.resolve_media(p, self._project_path_for_media())
        name = Path(p.media.path or p.media.abs_path).name
        if found is None:
            w.preview.set_media(None, False, p.fps, f"Media missing: {name}")
            w.timeline.set_source(None, p.media.duration, name, "media missing")
            w.banner.show_message(f"The media file “{name}” is missing (looked next to the project and at "
                                  f"{p.media.abs_path or p.media.path}). The project is open; relink the media "
                                  f"to see and hear it.", "Relink…", self.relink_dialog)
            self._status(f"Media missing: {name}", 10000)
            return
        stored = Path(p.media.abs_path) if p.media.abs_path else None
        if stored is not None and stored.resolve() != found.resolve():
            # found by name after a move: remember the new place (undoable, marks the project modified)
            media = pj.MediaRef(path=str(found.resolve()), abs_path=str(found.resolve()), has_video=p.media.has_video,
                                duration=p.media.duration)
            self.doc.push(cmd.RelinkMedia(self.doc, media, "Relink media (found by name)"))
            self._status(f"Media found at {found}: save to remember the new place", 10000)
            return  # mediaChanged reloads
        self.media_path = found
        w.preview.set_media(str(found), p.media.has_video, p.fps)
        w.timeline.set_source(None, p.media.duration, name, "loading waveform…")
        self._gen = self.loader.load(str(found), p.sample_rate)

    def _media_name(self) -> str:
        p = self.doc.project
        return Path(p.media.path or p.media.abs_path).name if p.media else ""

    def _on_audio_loaded(self, gen: int, audio, sr: int, pyramid) -> None:
        if gen != self._gen:
            return
        p = self.doc.project
        name = self._media_name()
        if audio is None:
            self._win.timeline.set_source(None, p.media.duration if p.media else 0.0, name,
                                          "the media has no audio track")
            self._status(f"{name} has no audio track: only the dub will play", 8000)
            return
        self._win.playback.mixer.set_source(audio, sr)
        note = "" if pyramid is not None else "waveform unavailable"
        self._win.timeline.set_source(pyramid, len(audio) / sr, name, note)
        self.sourceChanged.emit()

    def _on_audio_failed(self, gen: int, message: str) -> None:
        if gen != self._gen:
            return
        p = self.doc.project
        name = self._media_name()
        self._win.timeline.set_source(None, p.media.duration if p.media else 0.0, name, "audio unreadable")
        self._status(f"Cannot read the audio of {name}: {message}", 10000)

    # ------------------------------------------------------------ relinking
    def relink_dialog(self) -> None:
        start = str(self.doc.path.parent) if self.doc.path else ""
        path, _ = QFileDialog.getOpenFileName(self._win, "Relink media", start, MEDIA_FILTER)
        if not path:
            return
        self.relink_to(path)

    def relink_to(self, path: str) -> bool:
        p = self.doc.project
        has_video, duration = (p.media.has_video, p.media.duration) if p.media else (True, 0.0)
        try:
            from project.media import MediaError, probe

            info = probe(path)
            has_video, duration = info.has_video, info.duration
        except ImportError:
            pass
        except MediaError as e:
            self._win._error("Cannot use this media", f"{Path(path).name}: {e}")
            return False
        absolute = str(Path(path).resolve())
        self._win.autosave.write_now("before relink")
        self.doc.push(cmd.RelinkMedia(self.doc, pj.MediaRef(path=absolute, abs_path=absolute, has_video=has_video,
                                                             duration=duration)))
        self._win.banner.hide()
        return True

    # ------------------------------------------------------------ proxies
    def _maybe_build_proxy(self, height: int) -> None:
        from project.proxy import find_proxy, wants_proxy

        src = self.media_path
        if src is None or not self.use_proxies or not wants_proxy(height):
            return
        if self.proxy_job.running and self.proxy_job.source == str(src):
            return
        if find_proxy(src) is None:
            self.proxy_label.setText("Building proxy…")
            self.proxy_job.start(str(src))

    def set_proxies(self, on: bool) -> None:
        """View > Preview Proxies: use (building when needed) or drop the proxy; remembered in the settings."""
        server = self._win.preview.server
        self.use_proxies = bool(on)
        self._win.settings.setValue("preview/proxies", bool(on))
        server.use_proxies = bool(on)
        if on:
            from project.proxy import find_proxy

            found = find_proxy(self.media_path) if self.media_path is not None else None
            if found is not None:
                server.attach_proxy(str(self.media_path), str(found))
            else:
                self._maybe_build_proxy(self._win.preview.video_size.height())
        else:
            self.proxy_job.cancel()
            server.detach_proxy()
            self.proxy_label.setText("")

    def _on_proxy_built(self, source: str, proxy: str) -> None:
        self.proxy_label.setText("")
        if self.media_path is not None and str(self.media_path) == source:
            self._win.preview.server.attach_proxy(source, proxy)
            self._status("Preview proxy ready: seeking is now instant", 5000)

    def _on_proxy_failed(self, source: str, message: str) -> None:
        self.proxy_label.setText("")
        if self.media_path is not None and str(self.media_path) == source:
            self._status(f"No preview proxy: {message}", 10000)

    def _on_video_opened(self, fps: float, count: int, w: int, h: int, vfr: bool) -> None:
        self._maybe_build_proxy(h)
        if vfr:
            self._win.banner.show_message("This video has a variable frame rate: frame positions are approximate. "
                                          "Converting it to a constant frame rate gives exact frames.")
        if fps > 0 and abs(fps - self.doc.project.fps) > 1e-3:
            self._status(f"The video runs at {fps:g} fps; the project uses {self.doc.project.fps:g} fps", 8000)

    def shutdown(self) -> None:
        self.proxy_job.cancel()
