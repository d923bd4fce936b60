"""`dubline batch` on a real two-node Ray cluster on this machine: the outputs are `dubline render`'s bytes,
a worker killed mid-batch costs only its in-flight lines (sent again, nothing lost, nothing written twice).
(The cluster: the session fixture ``ray_cluster`` in tests/conftest.py; the IndexTTS2 actor's test is in
tests/indextts2/test_batch_indextts2.py.)"""

from __future__ import annotations

import os
import signal

import pytest

pytest.importorskip("ray", reason="the cluster extra: pip install 'dubline[cluster]'")

from project import batch  # noqa: E402
from project import model as pj  # noqa: E402
from project.cluster import RayRunner  # noqa: E402
from project.render_core import RenderCache  # noqa: E402
from tests.project.batch_projects import cache_keys, make_projects, reference_renders  # noqa: E402

#: three small projects, one line shared: 4 distinct lines (the machine is slow and shared)
LINES = (("你好。", "走吧。"), ("你好。", "好的。"), ("谢谢。",))


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    monkeypatch.setenv("DUBLINE_THREADS", "1")  # as the cluster's workers run (one CPU each)


def test_cluster_batch_matches_render_and_a_killed_worker_loses_nothing(tmp_path, ray_cluster):
    import time

    t0 = time.perf_counter()
    paths = make_projects(tmp_path / "p", LINES)
    ref = reference_renders(paths, tmp_path / "ref")
    t1 = time.perf_counter()
    made: list[RayRunner] = []

    def runner(backend):
        made.append(RayRunner(backend, ray_cluster.address, workers=2))
        return made[0]

    killed = []

    def step(done, total, note):
        if done == 1 and not killed:  # the first line is back: kill the other worker while it renders
            r = made[0]
            os.kill(r.pids[1], signal.SIGKILL)
            killed.append(r.pids[1])

    s = batch.run_batch(paths, tmp_path / "out", ["wav"], runner, step=step)
    print(f"reference renders {t1 - t0:.1f} s; batch:", *s.text(), sep="\n")
    r = made[0]
    assert killed and r.workers == 2 and len(set(r.pids.values())) == 2
    assert not s.failed and not s.interrupted, s.failed
    assert (s.lines, s.distinct, s.rendered) == (5, 4, 4)
    assert r.retried >= 1 and sum(r.sent.values()) == 4 + r.retried  # the dead worker's lines, sent again
    assert r.retried <= 2  # ... and no more than it had in flight
    assert set(s.writes.values()) == {1} and len(s.writes) == 4  # every line written once
    for p, n in zip(paths, (2, 2, 1), strict=True):
        keys = cache_keys(p)
        assert len(keys) == n
        cache = RenderCache(pj.cache_dir_for(p))
        assert all(cache.stored(k) is not None for k in keys)  # whole, verified entries
        assert (tmp_path / "out" / f"{p.stem}.wav").read_bytes() == ref[p.stem]


def test_more_workers_than_the_cluster_fits_is_one_clear_error(tmp_path, ray_cluster):
    from project.cluster import ClusterError

    paths = make_projects(tmp_path / "p", (("你好。",),))
    with pytest.raises(ClusterError, match=r"room for 2 worker\(s\) of 1 CPU each, not 3"):
        batch.run_batch(paths, tmp_path / "out", ["wav"],
                        lambda backend: RayRunner(backend, ray_cluster.address, workers=3))
    assert not cache_keys(paths[0]) and not (tmp_path / "out" / "ep1.wav").exists()
