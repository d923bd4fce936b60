"""A private X server (Xvfb) for the real-window test and the app bundle's check, proven to answer before use.

Why a helper: CI failed twice with the editor unable to reach its Xvfb.  The cause: Xvfb writes
its display number to ``-displayfd`` in two calls (the number, then a newline) and exits with
"Cannot write display number" when the reader has closed the pipe in between.  Reading only the
first chunk and closing the pipe lost the server on a busy machine (reproduced here under load).
So this reads up to the newline; and, because a display number that is free in this /tmp can
still have its abstract socket (``@/tmp/.X11-unix/X<n>``, which libxcb tries first and which lives
in the network namespace) taken by another container, it picks a number whose lock file, socket
file and abstract socket are all free, and checks with an X11 connection handshake that the
server answering is ours and accepts a client without a cookie.  A number that fails is skipped
and another tried; the failure message carries Xvfb's own last lines.
"""

from __future__ import annotations

import os
import random
import select
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path

_SOCKET_DIR = "/tmp/.X11-unix"


class XvfbError(RuntimeError):
    pass


def _connect(n: int, timeout: float = 2.0) -> socket.socket | None:
    """A connected socket to display ``n`` the way libxcb tries it (abstract first), or None."""
    for address in ("\0" + f"{_SOCKET_DIR}/X{n}", f"{_SOCKET_DIR}/X{n}"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(address)
            return s
        except OSError:
            s.close()
    return None


def handshake(n: int, timeout: float = 5.0) -> str:
    """``"ok"`` when display ``n`` accepts a client without authorisation, else why not."""
    s = _connect(n, timeout)
    if s is None:
        return "no server listens"
    try:
        # Connection setup: byte order 'l', protocol 11.0, no authorisation name or data.
        s.sendall(b"l\0" + struct.pack("<HHHH", 11, 0, 0, 0) + b"\0\0")
        first = s.recv(8)
    except OSError as e:
        return f"handshake failed: {e}"
    finally:
        s.close()
    if not first:
        return "the server closed the connection"
    return {1: "ok", 0: "the server refused the connection", 2: "the server wants authorisation"}.get(
        first[0], f"unexpected reply {first[0]}")


def _free(n: int) -> bool:
    if Path(f"/tmp/.X{n}-lock").exists() or Path(f"{_SOCKET_DIR}/X{n}").exists():
        return False
    s = _connect(n, 0.5)
    if s is not None:
        s.close()
        return False
    return True


def _read_line(fd: int, timeout: float) -> str:
    """What the server writes to ``-displayfd``, up to its newline.

    Xvfb writes the number and the newline in two calls and dies ("Cannot write display number")
    when the pipe is closed in between: reading only the first chunk and closing lost the server
    on a busy machine (both CI failures of 2026-12-03/04).
    """
    buf = b""
    deadline = time.monotonic() + timeout
    while b"\n" not in buf:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            break
        chunk = os.read(fd, 32)
        if not chunk:
            break
        buf += chunk
    return buf.decode(errors="replace").strip()


class Xvfb:
    """``with Xvfb() as display:`` -> ``":N"``, a fresh 1440x900x24 screen; stopped on exit.

    ``log`` is the server's own output (for failure messages).
    """

    def __init__(self, size: str = "1440x900x24", attempts: int = 6, start_timeout: float = 20.0):
        self.size, self.attempts, self.start_timeout = size, attempts, start_timeout
        self.proc: subprocess.Popen | None = None
        self.display = ""
        self._log = tempfile.TemporaryFile()
        self.reasons: list[str] = []

    @property
    def log(self) -> str:
        self._log.seek(0)
        return self._log.read().decode(errors="replace").strip()

    def start(self) -> str:
        exe = shutil.which("Xvfb")
        if exe is None:
            raise XvfbError("Xvfb is not installed (apt-get install xvfb)")
        candidates = [n for n in random.sample(range(20, 1000), 200) if _free(n)]
        for n in candidates[: self.attempts]:
            why = self._try(exe, n)
            if why is None:
                self.display = f":{n}"
                return self.display
            self.stop()
            log = self.log.splitlines()
            self.reasons.append(f":{n}: {why}" + (f" (Xvfb: {' | '.join(log[-3:])})" if log else ""))
        raise XvfbError("Xvfb did not start: " + "; ".join(self.reasons or ["no free display number"]))

    def _try(self, exe: str, n: int) -> str | None:
        r, w = os.pipe()
        self.proc = subprocess.Popen([exe, f":{n}", "-displayfd", str(w), "-screen", "0", self.size,
                                      "-nolisten", "tcp"], pass_fds=(w,), stdout=self._log, stderr=self._log)
        os.close(w)
        try:
            number = _read_line(r, self.start_timeout)
        finally:
            os.close(r)
        if number != str(n):
            return f"no display number reported (exit {self.proc.poll()})"
        deadline = time.monotonic() + 5
        while True:
            why = handshake(n)
            if why == "ok":
                return None
            if self.proc.poll() is not None:
                return f"{why}; Xvfb exited with {self.proc.returncode}"
            if time.monotonic() > deadline:
                return why
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            self.proc = None

    def close(self) -> None:
        """Stop the server and drop its log."""
        self.stop()
        self._log.close()

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()


def client_env(env: dict[str, str], display: str) -> dict[str, str]:
    """``env`` for a client of ``display``: no other X or Wayland session's display or cookie file."""
    out = {k: v for k, v in env.items() if not k.startswith("WAYLAND") and k not in ("DISPLAY", "XAUTHORITY")}
    out["DISPLAY"] = display
    return out
