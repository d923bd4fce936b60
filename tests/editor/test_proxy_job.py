"""The background proxy builder: a separate process, progress, result, cancel."""

from __future__ import annotations

from pathlib import Path

from editor.proxy_job import ProxyJob
from project.proxy import find_proxy


def test_job_builds_the_proxy_and_reports_it(qtbot, numbered_video, tmp_path, monkeypatch):
    monkeypatch.setenv("DUBLINE_CACHE", str(tmp_path / "cache"))  # inherited by the builder process
    job = ProxyJob()
    progress = []
    job.progress.connect(progress.append)
    with qtbot.waitSignal(job.finished, timeout=60000) as sig:
        job.start(str(numbered_video))
    source, proxy = sig.args
    assert source == str(numbered_video) and Path(proxy) == find_proxy(numbered_video)
    assert progress and not job.running


def test_job_reports_a_bad_source_and_can_be_cancelled(qtbot, tmp_path, monkeypatch, numbered_video):
    monkeypatch.setenv("DUBLINE_CACHE", str(tmp_path / "cache"))
    job = ProxyJob()
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"x" * 1000)
    with qtbot.waitSignal(job.failed, timeout=60000) as sig:
        job.start(str(bad))
    assert "bad.mp4" in sig.args[1]
    job.start(str(numbered_video))
    job.cancel()
    assert not job.running
    qtbot.wait(200)
    assert find_proxy(numbered_video) is None
