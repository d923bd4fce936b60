"""The batch's IndexTTS2 actor on a real two-node Ray cluster (tests/conftest.py), on the tiny random weights."""

from __future__ import annotations

import pytest

pytest.importorskip("ray", reason="the cluster extra: pip install 'dubline[cluster]'")

from project import batch  # noqa: E402
from project import model as pj  # noqa: E402
from project.cluster import RayRunner  # noqa: E402
from project.render_core import RenderCache  # noqa: E402
from tests.project.batch_projects import cache_keys, make_projects  # noqa: E402


def test_indextts2_actor_on_the_tiny_weights(tmp_path, ray_cluster, settings, monkeypatch):
    # (its bytes equal `dubline render`'s too, checked once by hand: an IndexTTS2 render here takes minutes)
    monkeypatch.setenv("DUBLINE_THREADS", "1")
    paths = make_projects(tmp_path / "p", (("你好，我们出发吧。",),))
    p = pj.load(paths[0])
    p.backend = "indextts2"
    pj.save(p, paths[0], backup=False)
    made: list[RayRunner] = []

    def runner(backend):
        made.append(RayRunner(backend, ray_cluster.address, workers=1, settings=settings))
        return made[0]

    s = batch.run_batch(paths, tmp_path / "out", ["wav"], runner)
    print(*s.text(), sep="\n")
    assert (s.rendered, s.failed, s.workers) == (1, [], 1) and made[0].backend == "indextts2"
    (key,) = cache_keys(paths[0])
    clip = RenderCache(pj.cache_dir_for(paths[0])).stored(key)
    assert clip.sample_rate == 22050 and len(clip.audio) == round(1.1 * 22050)  # the region, exactly
    assert (tmp_path / "out" / "ep1.wav").is_file()
