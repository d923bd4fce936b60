"""engine.atomic: the one atomic writer (old file or complete new one, never half; no temporary left)."""

import os
import stat

import pytest

from engine.atomic import atomic_path, atomic_write_bytes, atomic_write_text, current_umask


def _mode(p):
    return stat.S_IMODE(os.stat(p).st_mode)


def test_writes_and_leaves_nothing_beside(tmp_path):
    out = tmp_path / "a" / "x.json"
    atomic_write_text(out, "héllo")
    assert out.read_text(encoding="utf-8") == "héllo"
    assert sorted(p.name for p in out.parent.iterdir()) == ["x.json"]
    assert _mode(out) == 0o666 & ~current_umask()


def test_a_failing_writer_keeps_the_old_file(tmp_path):
    out = tmp_path / "x.wav"
    out.write_bytes(b"old")
    with pytest.raises(RuntimeError), atomic_path(out) as tmp:
        assert tmp.parent == tmp_path and tmp.suffix == ".wav" and tmp.exists()
        tmp.write_bytes(b"half")
        raise RuntimeError("disk full")
    assert out.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["x.wav"]


def test_a_replaced_file_keeps_its_permissions(tmp_path):
    out = tmp_path / "x.bin"
    out.write_bytes(b"old")
    os.chmod(out, 0o640)
    atomic_write_bytes(out, b"new")
    assert out.read_bytes() == b"new" and _mode(out) == 0o640


def test_fresh_and_suffix_and_mode(tmp_path):
    out = tmp_path / "p.mkv"
    with atomic_path(out, fresh=True, suffix=".part", mode=0o600) as tmp:
        assert not tmp.exists() and tmp.name.endswith(".part")
        tmp.write_bytes(b"v")
    assert out.read_bytes() == b"v" and _mode(out) == 0o600


def test_a_writer_that_wrote_nothing_is_an_error(tmp_path):
    out = tmp_path / "x.so"
    with pytest.raises(FileNotFoundError), atomic_path(out, fresh=True):
        pass
    assert not out.exists() and list(tmp_path.iterdir()) == []
