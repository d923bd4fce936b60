"""Shared engine instances: each backend is loaded once per process."""

from __future__ import annotations

import threading

from engine.backend import Backend, ProgressFn
from engine.errors import RequestError

_engines: dict[tuple[str, str], Backend] = {}
_lock = threading.Lock()

BACKENDS = ("embedded",)


def get_engine(backend: str = "embedded", device: str = "auto", progress: ProgressFn | None = None) -> Backend:
    """The loaded backend ``backend`` on ``device`` (created on first call)."""
    if backend not in BACKENDS:
        raise RequestError(f"unknown backend {backend!r}; available: {', '.join(BACKENDS)}")
    if device not in ("auto", "cpu", "cuda"):
        raise RequestError(f"unknown device {device!r}; use auto, cpu or cuda")
    key = (backend, device)
    with _lock:
        eng = _engines.get(key)
        if eng is None:
            from engine.kokoro_backend import KokoroBackend

            eng = KokoroBackend(device=device, progress=progress)
            _engines[key] = eng
        return eng


def unload_all() -> None:
    """Forget loaded engines (frees memory; the next call loads again)."""
    with _lock:
        _engines.clear()
