"""Dubline's native onnxruntime kernels, compiled on the user's machine.

``ortops.c`` is a small custom-op library for onnxruntime's CPU provider: a fused
Snake activation (``u + sin(u)^2``), the same with the instance norm before it taken
in (``NormSnake``) and a vectorised ``Sin``.  onnxruntime's own
``Sin`` is a scalar loop, and the vocoder spends about a fifth of its time in the
48 Snake activations of its last two stages (three full passes each); the fused
kernel does one vectorised pass (about 7x less time per activation).

The library is built once per machine with the system C compiler into the user
cache (keyed by its source, the onnxruntime version and this CPU), then tried in
a separate process on random data against numpy before the engine uses it: a
build that fails, a missing compiler or a kernel that disagrees leaves the engine
on onnxruntime's own operators, a little slower, never broken.  The outcome is
remembered under the same key, so a failure costs one attempt, not one per launch.

On a CPU with AVX-512 VNNI the library also has ``QConv``, the vocoder's convolutions in
8-bit integers (about 2.5x less time per decoded second); ``DUBLINE_QCONV=0`` keeps them in
float32.  Elsewhere, on a CPU with AVX2 and FMA, it has ``FConv``: the vocoder's 7- and 11-tap
convolutions in the frequency domain (overlap-save), the same float32 convolution with about a
third of the multiply-adds; ``DUBLINE_FCONV=0`` keeps them direct.  ``DUBLINE_NATIVE_OPS=0``
turns the whole library off (the benchmarks compare them all).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

from engine.atomic import atomic_path, current_umask

SOURCE = Path(__file__).with_name("ortops.c")
LIBRARY_NAME = "libdubline_ortops.so"
#: Where a build's outcome is recorded: {"ok": bool, "reason": str}.
STAMP_NAME = "outcome.json"

_lock = threading.Lock()
_result: tuple[Path | None, str] | None = None


def _switch_on(name: str) -> bool:
    return os.environ.get(name, "1").strip().lower() not in ("0", "false", "no", "off")


def enabled() -> bool:
    return _switch_on("DUBLINE_NATIVE_OPS")


def qconv_wanted() -> bool:
    return _switch_on("DUBLINE_QCONV")


def fconv_wanted() -> bool:
    return _switch_on("DUBLINE_FCONV")


def _built_with(lib: Path, symbol: str) -> bool:
    import ctypes

    try:
        return bool(getattr(ctypes.CDLL(str(lib)), symbol)())
    except (OSError, AttributeError):
        return False


def has_qconv(lib: Path) -> bool:
    """Whether ``lib`` was built with the 8-bit convolution (a CPU with AVX-512 VNNI)."""
    return _built_with(lib, "dubline_qconv_available")


def has_fconv(lib: Path) -> bool:
    """Whether ``lib`` was built with the frequency-domain convolution (a CPU with AVX2 and FMA)."""
    return _built_with(lib, "dubline_fconv_available")


def compiler() -> str | None:
    for cand in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if cand and shutil.which(cand):
            return shutil.which(cand)
    return None


def _key(cc: str) -> str:
    from engine.embedded.kokoro_graph import _machine_key

    try:
        version = subprocess.run([cc, "--version"], capture_output=True, text=True, timeout=30).stdout.splitlines()[:1]
    except (OSError, subprocess.SubprocessError):
        version = []
    raw = SOURCE.read_bytes() + f"|{_machine_key()}|{version}|{sys.platform}".encode()
    return hashlib.sha256(raw).hexdigest()[:16]


def _compile(cc: str, folder: Path) -> Path:
    """Compile ``ortops.c`` into ``folder`` (atomically); raises RuntimeError with the compiler's words."""
    folder.mkdir(parents=True, exist_ok=True)
    lib = folder / LIBRARY_NAME
    with atomic_path(lib, fresh=True, mode=0o777 & ~current_umask()) as tmp:  # a library: rwx like the compiler's
        _run_compiler(cc, tmp)
    return lib


def _run_compiler(cc: str, tmp: Path) -> None:
    cmd = [cc, "-std=c11", "-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast", "-mprefer-vector-width=512",
           "-fPIC", "-shared", "-fvisibility=hidden", "-o", str(tmp), str(SOURCE), "-lpthread"]
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.SubprocessError) as e:
        raise RuntimeError(f"the C compiler could not run ({e})") from e
    if r.returncode != 0 or not tmp.is_file():
        tmp.unlink(missing_ok=True)
        msg = (r.stderr or r.stdout).strip().splitlines()
        raise RuntimeError("the C compiler failed: " + (msg[0] if msg else f"exit {r.returncode}"))


def _self_test(lib: Path) -> None:
    """Run the kernels in a child process (a crash there cannot take the app down)."""
    try:
        r = subprocess.run([sys.executable, "-m", "engine.embedded.native.selftest", str(lib)], capture_output=True, text=True,
                           timeout=120, cwd=str(Path(__file__).resolve().parents[3]))
    except (OSError, subprocess.SubprocessError) as e:
        raise RuntimeError(f"the self-test could not run ({e})") from e
    last = (r.stdout.strip().splitlines() or [""])[-1]
    if r.returncode != 0 or last != "ok":
        why = (r.stderr.strip().splitlines() or [last or f"exit {r.returncode}"])[-1]
        raise RuntimeError(f"the self-test failed ({why})")


def ortops_library(progress=None) -> Path | None:
    """Path of the tested native kernel library, or None (see :func:`status`)."""
    return _build(progress)[0]


def status() -> str:
    """Why the native kernels are (not) in use, in one line."""
    return _build(None)[1]


def _build(progress) -> tuple[Path | None, str]:
    global _result
    with _lock:
        if _result is not None:
            return _result
        _result = _build_locked(progress)
        return _result


def _build_locked(progress) -> tuple[Path | None, str]:
    if not enabled():
        return None, "native kernels off (DUBLINE_NATIVE_OPS=0)"
    if not SOURCE.is_file():
        return None, "native kernels not shipped with this installation"
    cc = compiler()
    if cc is None:
        return None, "native kernels unavailable: no C compiler (install gcc for faster synthesis)"
    from engine.atomic import atomic_write_bytes
    from engine.model_store import cache_root

    try:
        folder = cache_root() / "native" / _key(cc)
    except Exception as e:  # noqa: BLE001 - cache folder or onnxruntime problems: run without
        return None, f"native kernels unavailable: {e}"
    lib, stamp = folder / LIBRARY_NAME, folder / STAMP_NAME
    try:
        outcome = json.loads(stamp.read_text())
        if outcome.get("ok") and lib.is_file():
            return lib, "native kernels in use"
        if not outcome.get("ok"):
            return None, f"native kernels unavailable: {outcome.get('reason', 'an earlier build failed')}"
    except (OSError, ValueError, AttributeError):
        pass
    if progress:
        progress("building the native kernels (first run only)")
    try:
        lib = _compile(cc, folder)
        _self_test(lib)
        ok, reason = True, ""
    except RuntimeError as e:
        ok, reason = False, str(e)
    try:
        atomic_write_bytes(stamp, json.dumps({"ok": ok, "reason": reason}).encode())
    except OSError:
        pass
    if not ok:
        return None, f"native kernels unavailable: {reason}"
    _prune(folder)
    return lib, "native kernels in use"


def _prune(keep: Path) -> None:
    for other in keep.parent.iterdir():
        if other != keep and other.is_dir():
            shutil.rmtree(other, ignore_errors=True)


def reset() -> None:
    """Forget the in-process outcome (tests)."""
    global _result
    with _lock:
        _result = None
