"""A real two-node Ray cluster on this machine for the batch tests: a head and a second node process,
one CPU each, on 127.0.0.1, in a temp folder of their own; stopped (only its own processes) afterwards."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ray_bin() -> str:
    return str(Path(sys.executable).with_name("ray"))


class LocalCluster:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="rayt")  # short: Ray's socket paths must stay under 107 bytes
        self.port = _free_port()
        self.address = f"127.0.0.1:{self.port}"
        # the workers import this checkout and run the engine on one thread (as the reference renders)
        self.env = {**os.environ, "PYTHONPATH": str(ROOT), "DUBLINE_THREADS": "1", "RAY_USAGE_STATS_ENABLED": "0",
                    "RAY_DEDUP_LOGS": "0", "RAY_worker_niceness": "0",  # Ray's nice 15 starves them on a busy machine
                    # a local ray.init() saves a token in ~/.ray/auth_token, which a token-less cluster then refuses
                    "RAY_AUTH_MODE": "disabled", "RAY_AUTH_TOKEN_PATH": os.path.join(self.tmp, "no-token")}
        self.sessions: set[int] = set()  # `ray start` runs in a session of its own; its daemons stay in it

    def _start(self, args: list[str]) -> None:
        common = ["--num-cpus", "1", "--object-store-memory", str(80 << 20), "--node-ip-address", "127.0.0.1",
                  "--disable-usage-stats"]
        proc = subprocess.Popen([_ray_bin(), "start", *args, *common], env=self.env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        self.sessions.add(proc.pid)
        try:
            out, _ = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        assert proc.returncode == 0, out[-3000:]

    def start(self) -> LocalCluster:
        self._start(["--head", "--port", str(self.port), "--include-dashboard=false", "--temp-dir", self.tmp])
        self._start(["--address", self.address])
        return self

    def own_pids(self) -> list[int]:
        """Processes of this cluster: those naming its temp folder or its address on their command line."""
        found = []
        for d in Path("/proc").iterdir():
            if not d.name.isdigit() or int(d.name) == os.getpid():
                continue
            try:
                cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
                sid = int((d / "stat").read_text().rsplit(")", 1)[1].split()[3])
            except (OSError, ValueError, IndexError):
                continue
            if sid in self.sessions or self.tmp in cmd or f"127.0.0.1:{self.port}" in cmd:
                found.append(int(d.name))
        return found

    def stop(self) -> None:
        for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            pids = self.own_pids()
            for pid in pids:
                try:
                    os.kill(pid, sig)
                except OSError:
                    pass
            t0 = time.monotonic()
            while self.own_pids() and time.monotonic() - t0 < wait:
                time.sleep(0.2)
        subprocess.run(["rm", "-rf", self.tmp], check=False)
