"""Shared engine instances: each backend is loaded once per process."""

from __future__ import annotations

import os
import threading

from engine.backend import Backend, ProgressFn
from engine.errors import RequestError

_engines: dict[tuple, Backend] = {}
_lock = threading.Lock()

BACKENDS = ("embedded", "indextts2")
BACKEND_LABELS = {"embedded": "Embedded (Kokoro, CPU)", "indextts2": "IndexTTS2 (GPU)"}


def get_engine(backend: str = "embedded", device: str = "auto", progress: ProgressFn | None = None,
               settings=None, threads: int | None = None) -> Backend:
    """The loaded backend ``backend`` on ``device`` (created on first call).

    ``settings`` (an :class:`engine.indextts2.IndexTTS2Settings`) says where
    IndexTTS2's checkpoints and Hugging Face cache are; without it the
    ``DUBLINE_INDEXTTS2_*`` environment variables are read.

    ``threads`` (default ``$DUBLINE_THREADS``, else one per CPU) sizes the embedded engine's thread
    pool: a batch worker given one CPU runs one thread.  The thread count changes the last bits of
    the audio (onnxruntime splits its sums differently), so identical bytes need identical counts.
    """
    if backend not in BACKENDS:
        raise RequestError(f"unknown backend {backend!r}; available: {', '.join(BACKENDS)}")
    if device not in ("auto", "cpu", "cuda"):
        raise RequestError(f"unknown device {device!r}; use auto, cpu or cuda")
    if backend == "indextts2":
        from engine.indextts2.setup import IndexTTS2Settings

        settings = settings or IndexTTS2Settings.from_env()
        key: tuple = (backend, device, settings)
    else:
        if threads is None:
            threads = env_threads()
        key = (backend, device) if threads is None else (backend, device, int(threads))
    with _lock:
        eng = _engines.get(key)
        if eng is None:
            if backend == "indextts2":
                from engine.indextts2 import IndexTTS2Backend

                # one IndexTTS2 model set at a time: new folders or precision replace the old worker
                for k in [k for k in _engines if k[0] == "indextts2" and k[2] != settings]:
                    _close(_engines.pop(k))
                eng = IndexTTS2Backend(settings, device=device, progress=progress,
                                       embedded=lambda: get_engine("embedded", "auto"))
            else:
                from engine.embedded.kokoro_backend import KokoroBackend

                eng = KokoroBackend(device=device, threads=threads, progress=progress)
            _engines[key] = eng
        return eng


def env_threads() -> int | None:
    """``$DUBLINE_THREADS`` as a thread count (None when unset or not a positive whole number)."""
    v = os.environ.get("DUBLINE_THREADS", "").strip()
    return int(v) if v.isdigit() and int(v) > 0 else None


def _close(eng) -> None:
    close = getattr(eng, "close", None)
    if close is not None:
        close()


def unload(backend: str) -> None:
    """Forget (and stop) the loaded engines of ``backend``: IndexTTS2 gives its GPU memory back."""
    with _lock:
        for k in [k for k in _engines if k[0] == backend]:
            _close(_engines.pop(k))


def unload_all() -> None:
    """Forget loaded engines (frees memory; the next call loads again)."""
    with _lock:
        for eng in _engines.values():
            _close(eng)
        _engines.clear()
