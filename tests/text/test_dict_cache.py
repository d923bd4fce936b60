"""Chunked dictionary cache: built once, read in pieces, rebuilt when damaged."""

from __future__ import annotations

import subprocess
import sys

from engine.text.dict_cache import CHUNK_ITEMS, load_dict


def test_built_once_then_read_back_in_pieces(tmp_path, monkeypatch):
    monkeypatch.setenv("DUBLINE_CACHE", str(tmp_path))
    calls = []
    big = {f"w{i}": [[f"p{i}"]] for i in range(CHUNK_ITEMS * 2 + 5)}

    def build():
        calls.append(1)
        return big

    assert load_dict("t", "v1", build) == big
    folder = next((tmp_path / "text").iterdir())
    assert len(list(folder.glob("*.bin"))) == 3
    assert load_dict("t", "v1", build) == big and len(calls) == 1
    load_dict("t", "v2", build)  # a new source version rebuilds
    assert len(calls) == 2


def test_a_damaged_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("DUBLINE_CACHE", str(tmp_path))
    d = {i: str(i) for i in range(100)}
    load_dict("t", "k", lambda: d)
    folder = next((tmp_path / "text").iterdir())
    (folder / "0000.bin").write_bytes(b"\x00garbage")
    assert load_dict("t", "k", lambda: d) == d
    (folder / "0000.bin").unlink()
    assert load_dict("t", "k", lambda: d) == d


def test_warm_front_end_needs_neither_pypinyin_nor_the_pos_tagger_modules(tmp_path):
    code = ("import sys; from engine.text.frontend import warm_up, text_to_units; warm_up(); "
            "text_to_units('银行行长'); print('pypinyin' in sys.modules, 'jieba.posseg' in sys.modules)")
    env = {"DUBLINE_CACHE": str(tmp_path), "PATH": "/usr/bin:/bin"}
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert first.returncode == 0, first.stderr
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert second.stdout.split() == ["False", "False"], second.stderr
