"""A private X server (Xvfb) for the real-window test and the app bundle's check, proven to answer before use.

``Xvfb -displayfd`` picks the first display number whose lock file is free in *this* /tmp.  On Linux
an X client connects first to the abstract socket ``@/tmp/.X11-unix/X<n>``, which lives in the
network namespace, not in /tmp; where a container shares the host's network but has its own /tmp,
display :0 can be "free" here while another container's X server owns its abstract socket.  The
editor then reaches the wrong server and is refused ("could not connect to display :0", a CI run
on 2026-12-03).  So this picks a number whose lock file, socket file and abstract socket are all
free, starts Xvfb on it, and checks with an X11 connection handshake (the one libxcb makes: the
abstract socket first, then the socket file) that the server answering is ours and accepts a
client without a cookie.  A number that fails is skipped and another tried.
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
            self.reasons.append(f":{n}: {why}")
            self.stop()
        raise XvfbError("Xvfb did not start: " + "; ".join(self.reasons or ["no free display number"]))

    def _try(self, exe: str, n: int) -> str | None:
        r, w = os.pipe()
        self.proc = subprocess.Popen([exe, f":{n}", "-displayfd", str(w), "-screen", "0", self.size,
                                      "-nolisten", "tcp"], pass_fds=(w,), stdout=self._log, stderr=self._log)
        os.close(w)
        try:
            ready, _, _ = select.select([r], [], [], self.start_timeout)
            number = os.read(r, 32).decode().strip() if ready else ""
        finally:
            os.close(r)
        if number != str(n):
            return f"no display number reported (exit {self.proc.poll()})"
        deadline = time.monotonic() + 5
        while True:
            why = handshake(n)
            if why == "ok":
                return None
            if time.monotonic() > deadline or self.proc.poll() is not None:
                return why

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            self.proc = None

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
        self._log.close()


def client_env(env: dict[str, str], display: str) -> dict[str, str]:
    """``env`` for a client of ``display``: no other X or Wayland session's display or cookie file."""
    out = {k: v for k, v in env.items() if not k.startswith("WAYLAND") and k not in ("DISPLAY", "XAUTHORITY")}
    out["DISPLAY"] = display
    return out
