"""The video preview: the frame under the playhead, fitted to the panel.

Decoding runs in :class:`FrameServer`, a QObject in its own QThread that owns
the ``VideoReader``.  Requests only record the latest wanted frame; the worker
decodes whatever is latest when it gets to it, so a fast scrub never builds a
backlog (stale requests are dropped, as in OpenShot's preview thread).
Frames cross threads as QImages (implicitly shared, safe once built).

When the source has a proxy (see ``project/proxy.py``) frames come from it: a
random seek costs a few milliseconds instead of a long-GOP decode.  Once the
playhead rests (``REFINE_MS``) and the panel is larger than the proxy, the
same frame is decoded from the source and replaces the proxy picture.

Audio-only projects and projects without media show a placeholder; a video
that cannot be read shows the reason instead of a frame.
"""

from __future__ import annotations

import logging
import threading

import numpy as np
from PySide6.QtCore import QMetaObject, QObject, QRectF, QSize, Qt, QThread, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from project.timecode import format_frames, frame_at

log = logging.getLogger(__name__)


REFINE_MS = 150


class FrameServer(QObject):
    opened = Signal(float, int, int, int, bool)  # fps, frame count, width, height, variable frame rate
    failed = Signal(str)
    frameReady = Signal(int, QImage)
    proxyChanged = Signal(bool)  # frames now come from a proxy (True) or from the source (False)
    _wake = Signal()
    _open = Signal(str)
    _attach = Signal(str, str)

    def __init__(self):
        super().__init__()
        self._reader = None
        self._proxy = None
        self._path = ""
        self._lock = threading.Lock()
        self._latest: int | None = None
        self._served: int | None = None
        self._served_full: int | None = None
        self._generation = 0
        self.display_height = 0  # set by the widget: pixels the picture is shown at
        self.use_proxies = True
        self._refine_timer: QTimer | None = None
        self._wake.connect(self._serve)
        self._open.connect(self._do_open)
        self._attach.connect(self._do_attach)

    # ---- any thread ----
    def open(self, path: str) -> None:
        with self._lock:
            self._generation += 1
            self._latest = None
            self._served = None
        self._open.emit(path)

    def request(self, index: int) -> None:
        with self._lock:
            self._latest = int(index)
        self._wake.emit()

    def attach_proxy(self, source: str, proxy: str) -> None:
        """Serve frames of ``source`` from ``proxy`` from now on (ignored if another file is open)."""
        self._attach.emit(source, proxy)

    @property
    def using_proxy(self) -> bool:
        return self._proxy is not None

    # ---- worker thread ----
    @Slot(str)
    def _do_open(self, path: str) -> None:
        self.close()
        if not path:
            return
        try:
            from project.media import MediaError, VideoReader
        except ImportError as e:
            self.failed.emit(f"video preview is not available in this build ({e})")
            return
        try:
            reader = VideoReader(path)
        except MediaError as e:
            self.failed.emit(str(e))
            return
        except Exception as e:  # a damaged file must not take the editor down
            log.exception("opening %s failed", path)
            self.failed.emit(f"cannot read the video ({type(e).__name__}: {e})")
            return
        self._reader = reader
        self._path = path
        self.opened.emit(float(reader.fps), int(reader.frame_count), int(reader.width), int(reader.height),
                         bool(getattr(reader, "is_vfr", False)))
        try:
            from project.proxy import find_proxy

            proxy = find_proxy(path)
        except Exception:  # no proxy support: the source serves
            proxy = None
        if proxy is not None and self.use_proxies:
            self._do_attach(path, str(proxy))
        self._serve()

    def detach_proxy(self) -> None:
        """Serve frames from the source again."""
        self._attach.emit(self._path, "")

    @Slot(str, str)
    def _do_attach(self, source: str, proxy: str) -> None:
        if source != self._path or self._reader is None:
            return
        if not proxy:
            if self._proxy is not None:
                self._proxy.close()
                self._proxy = None
                self.proxyChanged.emit(False)
                self._reserve()
            return
        from project.media import VideoReader

        try:
            reader = VideoReader(proxy)
        except Exception as e:  # a damaged proxy: the source still works
            log.warning("proxy %s cannot be used: %s", proxy, e)
            return
        if abs(reader.fps - self._reader.fps) > 1e-3 or abs(reader.frame_count - self._reader.frame_count) > 1:
            log.warning("proxy %s does not match its source; ignored", proxy)
            reader.close()
            return
        if self._proxy is not None:
            self._proxy.close()
        self._proxy = reader
        self.proxyChanged.emit(True)
        self._reserve()

    def _reserve(self) -> None:
        """Serve the frame on screen again, through the current path."""
        if self._served is not None:
            with self._lock:
                if self._latest is None:
                    self._latest = self._served
            self._served = None
            self._serve()

    @Slot()
    def _serve(self) -> None:
        while True:
            with self._lock:
                index = self._latest
                self._latest = None
            if index is None or self._reader is None:
                return
            if index == self._served:
                continue
            reader = self._proxy or self._reader
            try:
                rgb = reader.read_frame(min(index, reader.frame_count - 1))
            except Exception as e:
                if reader is self._proxy:  # fall back to the source for good
                    log.warning("proxy frame %s: %s; using the source", index, e)
                    self._proxy.close()
                    self._proxy = None
                    self.proxyChanged.emit(False)
                    with self._lock:
                        if self._latest is None:
                            self._latest = index
                    continue
                log.warning("frame %s: %s", index, e)
                self.failed.emit(f"frame {index} cannot be decoded ({e})")
                continue
            img = _to_qimage(rgb)
            self._served = index
            self._served_full = index if reader is self._reader else None
            self.frameReady.emit(index, img)
            if reader is self._proxy and self.display_height > reader.height * 1.1:
                self._schedule_refine()

    def _schedule_refine(self) -> None:
        if self._refine_timer is None:
            self._refine_timer = QTimer(self)
            self._refine_timer.setSingleShot(True)
            self._refine_timer.timeout.connect(self._refine)
        self._refine_timer.start(REFINE_MS)

    @Slot()
    def _refine(self) -> None:
        """The playhead rests: replace the proxy picture by the full-resolution frame."""
        index = self._served
        with self._lock:
            busy = self._latest is not None
        if busy or index is None or index == self._served_full or self._reader is None:
            return
        try:
            rgb = self._reader.read_frame(index)
        except Exception as e:
            log.warning("frame %s: %s", index, e)
            return
        with self._lock:
            if self._latest is not None and self._latest != index:
                return  # the user moved on meanwhile: the proxy path serves next
        self._served_full = index
        self.frameReady.emit(index, _to_qimage(rgb))

    @Slot()
    def close(self) -> None:
        if self._refine_timer is not None:
            self._refine_timer.stop()
        for r in (self._reader, self._proxy):
            if r is not None:
                try:
                    r.close()
                except Exception:
                    pass
        self._reader = self._proxy = None
        self._path = ""
        self._served = self._served_full = None


def _to_qimage(rgb: np.ndarray) -> QImage:
    a = np.ascontiguousarray(rgb, dtype=np.uint8)
    h, w = a.shape[:2]
    if a.ndim == 2:
        return QImage(a.data, w, h, w, QImage.Format.Format_Grayscale8).copy()
    return QImage(a.data, w, h, 3 * w, QImage.Format.Format_RGB888).copy()


class PreviewWidget(QWidget):
    """Shows the frame for the playhead with a timecode / frame number overlay."""

    frameShown = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 120)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.fps = 25.0
        self.frame_count = 0
        self.video_size = QSize()
        self.is_vfr = False
        self.image: QImage | None = None
        self.shown_frame: int | None = None
        self.wanted_frame = 0
        self.seconds = 0.0
        self.placeholder = "No media"
        self.error = ""
        self._has_video = False
        self._thread = QThread()
        self._thread.setObjectName("dubline-preview")
        self.server = FrameServer()
        self.server.moveToThread(self._thread)
        self.server.opened.connect(self._on_opened)
        self.server.failed.connect(self._on_failed)
        self.server.frameReady.connect(self._on_frame)
        self._thread.start()

    # ---- API ----
    def set_media(self, path: str | None, has_video: bool, fps: float, placeholder: str = "") -> None:
        self.fps = fps if fps > 0 else 25.0
        self.image = None
        self.shown_frame = None
        self.error = ""
        self.frame_count = 0
        self._has_video = bool(path) and has_video
        if self._has_video:
            self.placeholder = "Opening video…"
            self.server.open(str(path))
        else:
            self.server.open("")
            self.placeholder = placeholder or ("Audio only: no picture" if path else "No media")
        self.update()

    def show_time(self, seconds: float) -> None:
        self.seconds = max(0.0, seconds)
        idx = frame_at(self.seconds, self.fps)
        if self.frame_count:
            idx = min(idx, self.frame_count - 1)
        self.wanted_frame = idx
        if self._has_video and self.frame_count:
            self.server.request(idx)
        self.update()

    def shutdown(self) -> None:
        self.server.open("")
        if self._thread.isRunning():  # close readers and timers in their own thread, then stop it
            QMetaObject.invokeMethod(self.server, "close", Qt.ConnectionType.BlockingQueuedConnection)
        self._thread.quit()
        self._thread.wait()

    # ---- worker signals ----
    def _on_opened(self, fps: float, count: int, w: int, h: int, vfr: bool) -> None:
        if fps > 0:
            self.fps = fps
        self.frame_count = count
        self.video_size = QSize(w, h)
        self._tell_display_height()
        self.is_vfr = vfr
        self.placeholder = ""
        self.show_time(self.seconds)

    def _on_failed(self, message: str) -> None:
        self.error = message
        if self.image is None:
            self.placeholder = "Cannot show the video"
        self.update()

    def _on_frame(self, index: int, img: QImage) -> None:
        self.image = img
        self.shown_frame = index
        self.error = ""
        self.update()
        self.frameShown.emit(index)

    def resizeEvent(self, ev) -> None:
        super().resizeEvent(ev)
        self._tell_display_height()

    def _tell_display_height(self) -> None:
        vw, vh = self.video_size.width(), self.video_size.height()
        if vw <= 0 or vh <= 0:
            return
        shown = min(self.height(), self.width() * vh / vw) * self.devicePixelRatioF()
        self.server.display_height = int(shown)

    # ---- painting ----
    def image_rect(self) -> QRectF:
        if self.image is None:
            return QRectF()
        iw, ih = self.image.width(), self.image.height()
        W, H = self.width(), self.height()
        s = min(W / iw, H / ih)
        w, h = iw * s, ih * s
        return QRectF((W - w) / 2, (H - h) / 2, w, h)

    def paintEvent(self, ev) -> None:
        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#0d0f12"))
        if self.image is not None:
            p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
            p.drawImage(self.image_rect(), self.image)
        else:
            f = QFont()
            f.setPointSizeF(11)
            p.setFont(f)
            p.setPen(QPen(QColor("#8b929c")))
            text = self.placeholder
            if self.error:
                text = f"{text}\n{self.error}" if text else self.error
            p.drawText(self.rect().adjusted(20, 20, -20, -40), Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap,
                       text)
        self._paint_overlay(p)
        p.end()

    def _paint_overlay(self, p: QPainter) -> None:
        tc = format_frames(frame_at(self.seconds, self.fps), self.fps)
        label = f"{tc}   frame {frame_at(self.seconds, self.fps)}"
        if self.is_vfr:
            label += "   VFR"
        f = QFont("monospace")
        f.setStyleHint(QFont.StyleHint.Monospace)
        f.setPointSizeF(10)
        p.setFont(f)
        fm = QFontMetrics(f)
        w = fm.horizontalAdvance(label) + 16
        h = fm.height() + 8
        box = QRectF(8, self.height() - h - 8, w, h)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(0, 0, 0, 170))
        p.drawRoundedRect(box, 4, 4)
        p.setPen(QPen(QColor("#f0f0f0")))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, label)
        if self.image is not None and self.error:
            p.setPen(QPen(QColor("#ff8a80")))
            p.drawText(QRectF(8, 8, self.width() - 16, 20), Qt.AlignmentFlag.AlignLeft, self.error)

    def sizeHint(self) -> QSize:
        return QSize(640, 360)
