"""Preview proxies: every proxy frame is the source frame of the same slot; writes are atomic."""

from __future__ import annotations

import subprocess
import sys

import pytest
from test_media import make_video, read_number  # same folder (rootdir-relative import mode)

from project.media import MediaError, VideoReader
from project.proxy import ProxyCancelled, build_proxy, find_proxy, proxy_path_for, prune_proxies


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DUBLINE_CACHE", str(tmp_path / "cache"))


def test_proxy_frames_match_the_source_frame_for_frame(tmp_path):
    src = make_video(tmp_path / "clip.mp4", n_frames=50, gop=25)
    assert find_proxy(src) is None
    seen = []
    path = build_proxy(src, progress=seen.append, height=144)
    assert find_proxy(src) == path and seen[-1] == 1.0
    with VideoReader(path) as proxy, VideoReader(src) as source:
        assert proxy.frame_count == source.frame_count == 50
        assert proxy.fps == pytest.approx(source.fps)
        for i in (0, 49, 17, 3, 33, 34, 8):
            assert read_number(proxy.read_frame(i)) == i
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".part")]


def test_variable_frame_rate_source_gets_one_proxy_frame_per_slot(tmp_path):
    src = make_video(tmp_path / "vfr.mp4", n_frames=30, vfr_steps=[40, 80])  # frames of 1 and 2 slots
    path = build_proxy(src, height=144)
    with VideoReader(path) as proxy, VideoReader(src) as source:
        assert proxy.frame_count == source.frame_count
        shown = [read_number(proxy.read_frame(slot)) for slot in range(proxy.frame_count)]
        assert shown == sorted(shown) and shown[0] == 0  # time only moves forward
        assert len(set(shown)) < len(shown)  # long frames hold their slots
        # Frames that start exactly between two slots may land on either (the editor says
        # VFR positions are approximate); otherwise the proxy shows what the source shows.
        for slot, got in enumerate(shown):
            assert abs(got - read_number(source.read_frame(slot))) <= 1


def test_an_edited_source_gets_a_new_proxy(tmp_path):
    src = make_video(tmp_path / "clip.mp4", n_frames=10)
    first = proxy_path_for(src)
    make_video(src, n_frames=12)
    assert proxy_path_for(src) != first


def test_cancel_leaves_nothing_behind(tmp_path):
    src = make_video(tmp_path / "clip.mp4", n_frames=40)
    with pytest.raises(ProxyCancelled):
        build_proxy(src, cancelled=lambda: True, height=144)
    assert find_proxy(src) is None
    assert not list(proxy_path_for(src).parent.glob("*"))


def test_unreadable_source_is_a_media_error(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"nope" * 100)
    with pytest.raises(MediaError):
        build_proxy(bad)


def test_prune_keeps_the_folder_under_its_limit(tmp_path):
    a = build_proxy(make_video(tmp_path / "a.mp4", n_frames=10), height=144)
    b = build_proxy(make_video(tmp_path / "b.mp4", n_frames=10), height=144)
    prune_proxies(keep=b, limit=1)
    assert b.exists() and not a.exists()


def test_builder_process_reports_progress_and_the_path(tmp_path):
    src = make_video(tmp_path / "clip.mp4", n_frames=30)
    out = subprocess.run([sys.executable, "-m", "project.proxy", str(src)], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == f"done {find_proxy(src)}"
    bad = subprocess.run([sys.executable, "-m", "project.proxy", str(tmp_path / "missing.mp4")],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and bad.stdout.startswith("error ") and "Traceback" not in bad.stderr
