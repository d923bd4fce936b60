"""editor/tasks.py: results, progress, errors and cancelling reach the GUI thread; owners may go away."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QWidget

from editor import tasks
from project.errors import DublineError


def _wait_idle(qtbot) -> None:
    qtbot.waitUntil(lambda: not tasks.running(), timeout=5000)


def test_result_and_progress_arrive_on_the_gui_thread(qtbot):
    gui = QThread.currentThread()
    seen = []

    def work(ctx, a, b):
        assert QThread.currentThread() is not gui
        ctx.progress(0.5, "half")
        return a + b

    task = tasks.run_task(work, 2, 3, name="add")
    task.progress.connect(lambda f, t: seen.append(("progress", f, t, QThread.currentThread() is gui)))
    task.finished.connect(lambda r: seen.append(("finished", r, QThread.currentThread() is gui)))
    with qtbot.waitSignal(task.done, timeout=5000):
        pass
    assert seen == [("progress", 0.5, "half", True), ("finished", 5, True)]
    _wait_idle(qtbot)


def test_an_error_becomes_one_line(qtbot):
    def bad(ctx):
        raise DublineError("the media is gone")

    def worse(ctx):
        raise KeyError("x")

    for fn, want in ((bad, "the media is gone"), (worse, "KeyError: 'x'")):
        task = tasks.run_task(fn, name="bad")
        with qtbot.waitSignal(task.failed, timeout=5000) as blocker:
            pass
        assert blocker.args == [want]
    _wait_idle(qtbot)


def test_cancel_stops_the_function(qtbot):
    started = threading.Event()
    results = []

    def slow(ctx):
        started.set()
        for _ in range(500):
            ctx.check()
            time.sleep(0.01)
        return "finished anyway"

    task = tasks.run_task(slow, name="slow")
    task.finished.connect(results.append)
    assert started.wait(5)
    with qtbot.waitSignal(task.cancelled, timeout=5000):
        task.cancel()
    with qtbot.waitSignal(task.done, timeout=1000, raising=False):
        pass
    assert results == [] and task.is_cancelled()
    _wait_idle(qtbot)


def test_owner_closed_while_running_drops_the_results(qtbot):
    """A window closed (and deleted) under a running task: no callback into it, no traceback, the
    thread ends on its own."""
    w = QWidget()
    qtbot.addWidget(w)
    calls = []
    release = threading.Event()

    def work(ctx):
        release.wait(5)
        ctx.progress(1.0, "late")
        return 42

    task = tasks.run_task(work, owner=w, name="orphan")
    task.finished.connect(lambda r: calls.append(w.windowTitle()))  # would touch a dead widget
    task.progress.connect(lambda f, t: calls.append(t))
    w.close()
    w.deleteLater()
    qtbot.wait(50)
    release.set()
    _wait_idle(qtbot)
    qtbot.wait(50)
    assert calls == [] and task.is_cancelled()


def test_wait_all_cancels_and_joins(qtbot):
    def loop(ctx):
        while True:
            ctx.check()
            time.sleep(0.01)

    tasks.run_task(loop, name="forever")
    assert tasks.wait_all(5000)
    assert not tasks.running()


@pytest.fixture(autouse=True)
def _no_leftovers(qtbot):
    yield
    tasks.wait_all(5000)
