"""Builds a preview proxy in a background process (see ``project/proxy.py``).

A separate, low-priority process keeps the editor's two threads free for
playback and speech; cancelling is killing it (the partial file is a
temporary name that is never used).  Progress arrives as lines on stdout.
"""

from __future__ import annotations

import sys

from PySide6.QtCore import QObject, QProcess, Signal


class ProxyJob(QObject):
    progress = Signal(float)  # 0..1
    finished = Signal(str, str)  # source, proxy path
    failed = Signal(str, str)  # source, message

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._proc: QProcess | None = None
        self.source = ""
        self._buf = b""
        self._result = ""
        self._error = ""

    @property
    def running(self) -> bool:
        return self._proc is not None

    def start(self, source: str) -> None:
        self.cancel()
        self.source = source
        self._buf, self._result, self._error = b"", "", ""
        proc = QProcess(self)
        proc.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        proc.readyReadStandardOutput.connect(self._read)
        proc.finished.connect(self._done)
        proc.errorOccurred.connect(self._on_error)
        self._proc = proc
        proc.start(sys.executable, ["-m", "project.proxy", source])

    def cancel(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.finished.disconnect(self._done)
            proc.errorOccurred.disconnect(self._on_error)
            proc.kill()
            proc.waitForFinished(3000)
            proc.deleteLater()

    def _read(self) -> None:
        if self._proc is None:
            return
        self._buf += bytes(self._proc.readAllStandardOutput())
        *lines, self._buf = self._buf.split(b"\n")
        for raw in lines:
            line = raw.decode("utf-8", "replace").strip()
            if line.startswith("progress "):
                try:
                    self.progress.emit(float(line.split()[1]))
                except ValueError:
                    pass
            elif line.startswith("done "):
                self._result = line[5:]
            elif line.startswith("error "):
                self._error = line[6:]

    def _done(self, code: int, _status) -> None:
        self._read()
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.deleteLater()
        if code == 0 and self._result:
            self.finished.emit(self.source, self._result)
        else:
            self.failed.emit(self.source, self._error or f"the proxy builder stopped (exit code {code})")

    def _on_error(self, err) -> None:
        if err == QProcess.ProcessError.FailedToStart:
            proc, self._proc = self._proc, None
            if proc is not None:
                proc.deleteLater()
            self.failed.emit(self.source, "the proxy builder could not start")
