"""One way to leave the GUI thread: :func:`run_task`.

A task is a plain function ``fn(ctx, *args)`` run in a worker QObject on its own QThread.  Everything it
reports reaches the GUI thread through queued signals of a :class:`Task` (which lives there):

- ``ctx.progress(fraction, text)`` -> ``Task.progress(float, str)`` (fraction < 0: unknown);
- its return value -> ``Task.finished(object)``;
- an exception -> ``Task.failed(str)``: the one-line message of a Dubline/engine error as it is, any
  other as ``Type: message`` (logged with its traceback), never a traceback into Qt;
- ``Task.cancel()`` sets a flag the function polls (``ctx.cancelled()`` / ``ctx.check()``, which raises
  :class:`TaskCancelled`) -> ``Task.cancelled()``;
- one of those three, then ``Task.done()``, always.

Lifetime is handled here, once: the thread and worker have no Qt parent and are kept in a registry
(a QObject of the GUI thread) until the thread has finished; a task whose ``owner`` is destroyed
(a closed window, a deleted dialog) is cancelled and its results are dropped, so nothing runs against
a dead widget and Qt never destroys a running thread.  :func:`wait_all` (called when the application
quits) waits for the threads still running.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QThread, Signal, Slot

log = logging.getLogger(__name__)


class TaskCancelled(Exception):
    """Raised by :meth:`TaskContext.check` in the worker when the task was cancelled."""


class TaskContext:
    """What a task function gets to talk to the GUI (safe to call from the worker thread)."""

    def __init__(self, worker: _Worker, flag: threading.Event):
        self._worker = worker
        self._flag = flag

    def progress(self, fraction: float = -1.0, text: str = "") -> None:
        self._worker.progressed.emit(float(fraction), str(text))

    def cancelled(self) -> bool:
        return self._flag.is_set()

    def check(self) -> None:
        if self._flag.is_set():
            raise TaskCancelled()


def one_line(e: BaseException) -> str:
    """The message a user sees for ``e``: a Dubline/engine error's own line, else ``Type: message``."""
    from engine.errors import EngineError
    from project.errors import DublineError

    text = str(e).strip()
    if not isinstance(e, (EngineError, DublineError)) or not text:
        text = f"{type(e).__name__}: {text}" if text else type(e).__name__
    text = text.splitlines()[0]
    return text if len(text) <= 300 else text[:297] + "..."


class _Worker(QObject):
    """Runs the function in the worker thread; its signals are queued to the Task in the GUI thread."""

    progressed = Signal(float, str)
    succeeded = Signal(object)
    errored = Signal(str)
    stopped = Signal()

    def __init__(self, fn: Callable, args: tuple, flag: threading.Event, name: str):
        super().__init__()
        self._fn, self._args, self._flag, self._name = fn, args, flag, name

    @Slot()
    def run(self) -> None:
        try:
            result = self._fn(TaskContext(self, self._flag), *self._args)
        except TaskCancelled:
            self.stopped.emit()
        except Exception as e:  # noqa: BLE001 - relayed as one line, never raised into Qt
            from engine.errors import EngineError
            from project.errors import DublineError

            if self._flag.is_set():
                self.stopped.emit()
            else:
                if not isinstance(e, (EngineError, DublineError)):
                    log.exception("task %s failed", self._name)
                self.errored.emit(one_line(e))
        else:
            if self._flag.is_set():
                self.stopped.emit()
            else:
                self.succeeded.emit(result)
        finally:
            self._fn = self._args = None  # drop references held by the closure
            QThread.currentThread().quit()


class Task(QObject):
    """A running task as the GUI sees it (lives in the GUI thread)."""

    progress = Signal(float, str)
    finished = Signal(object)
    failed = Signal(str)
    cancelled = Signal()
    done = Signal()

    def __init__(self, name: str, owner: QObject | None):
        super().__init__()
        self.name = name
        self._flag = threading.Event()
        self._over = False
        self.running = True
        if owner is not None:
            owner.destroyed.connect(self._owner_gone)

    def cancel(self) -> None:
        """Ask the function to stop (it stops at its next ``ctx.check()``)."""
        self._flag.set()

    def is_cancelled(self) -> bool:
        return self._flag.is_set()

    @Slot()
    def _owner_gone(self) -> None:
        self._flag.set()
        self._over = True  # nothing more is relayed to a dead owner

    @Slot(float, str)
    def _on_progress(self, f: float, text: str) -> None:
        if not self._over:
            self.progress.emit(f, text)

    @Slot(object)
    def _on_result(self, result: Any) -> None:
        self._end(self.finished, result)

    @Slot(str)
    def _on_error(self, msg: str) -> None:
        self._end(self.failed, msg)

    @Slot()
    def _on_stopped(self) -> None:
        self._end(self.cancelled)

    def _end(self, signal, *args) -> None:
        self.running = False
        if self._over:
            return
        self._over = True
        try:
            signal.emit(*args)
        finally:
            self.done.emit()


class _Registry(QObject):
    """Keeps each task's thread, worker and Task alive until its thread has finished (GUI thread)."""

    def __init__(self):
        super().__init__()
        self.jobs: dict[int, tuple[QThread, _Worker, Task]] = {}
        self._next = 0

    def add(self, thread: QThread, worker: _Worker, task: Task) -> None:
        self._next += 1
        key = self._next
        self.jobs[key] = (thread, worker, task)
        thread.setProperty("dubline_task", key)
        thread.finished.connect(self._release)  # queued here: the registry lives in the GUI thread

    @Slot()
    def _release(self) -> None:
        for key, (thread, worker, _task) in list(self.jobs.items()):
            if thread.isFinished():
                del self.jobs[key]
                worker.deleteLater()
                thread.deleteLater()


_registry: _Registry | None = None


def _reg() -> _Registry:
    global _registry
    if _registry is None:
        _registry = _Registry()
        app = QCoreApplication.instance()
        if app is not None:
            _registry.moveToThread(app.thread())
            app.aboutToQuit.connect(wait_all)
    return _registry


def run_task(fn: Callable, *args, owner: QObject | None = None, name: str = "task") -> Task:
    """Run ``fn(ctx, *args)`` on a new QThread; returns its :class:`Task` (connect to it right away:
    nothing is relayed before control returns to the event loop)."""
    flag_task = Task(name, owner)
    worker = _Worker(fn, args, flag_task._flag, name)
    thread = QThread()
    thread.setObjectName(f"dubline-{name}")
    worker.moveToThread(thread)
    worker.progressed.connect(flag_task._on_progress)
    worker.succeeded.connect(flag_task._on_result)
    worker.errored.connect(flag_task._on_error)
    worker.stopped.connect(flag_task._on_stopped)
    thread.started.connect(worker.run)
    _reg().add(thread, worker, flag_task)
    thread.start()
    return flag_task


def running() -> list[Task]:
    """Tasks whose thread has not finished yet."""
    return [t for (th, _w, t) in _reg().jobs.values() if not th.isFinished()]


def wait_all(timeout_ms: int = 5000) -> bool:
    """Cancel every task and wait for their threads (at quit); True if all ended in time."""
    ok = True
    for thread, _w, task in list(_reg().jobs.values()):
        task.cancel()
        ok = thread.wait(timeout_ms) and ok
    _reg()._release()
    return ok
