"""Shared fixtures: one engine per test session (loading the model takes a second or two)."""

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def engine():
    from engine.api import get_engine

    return get_engine("embedded", "cpu")


@pytest.fixture(scope="session")
def ray_cluster():
    """A real two-node Ray cluster on 127.0.0.1 (tests/project/ray_cluster.py), started on first use by the
    batch tests (tests/project, tests/indextts2) and stopped, only its own processes, at the end."""
    pytest.importorskip("ray", reason="the cluster extra: pip install 'dubline[cluster]'")
    from tests.project.ray_cluster import LocalCluster

    c = LocalCluster()
    saved = {k: os.environ.get(k) for k in ("RAY_AUTH_MODE", "RAY_AUTH_TOKEN_PATH", "RAY_USAGE_STATS_ENABLED")}
    os.environ.update({k: c.env[k] for k in saved})  # the driver (this process) talks to it the same way
    try:
        yield c.start()
    finally:
        import ray

        if ray.is_initialized():
            ray.shutdown()
        c.stop()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    assert not c.own_pids(), "Ray processes left behind"
