"""Batch rendering on Ray: workers are Ray actors that load the engine once and render jobs sent by content.

Ray is optional (``pip install 'dubline[cluster]'``) and imported only here, only when a batch uses it.
``address``: ``"local"`` starts a Ray instance on this machine for the batch (stopped after it),
``"auto"`` joins the cluster this machine is part of (``ray start`` was run), anything else is a cluster
address (``HOST:6379``, ``ray://HOST:10001``).  Every node needs the same Dubline install; nothing is
read from a shared file system: the jobs carry the requests and the voice/emotion files' bytes (put in
the object store once, fetched by each worker once), and the audio comes back through the object store.

Faults: a worker that dies (its process killed, its node lost) costs its in-flight jobs only; they are
sent again to the next free worker, and Ray restarts the actor once (loading the engine again).
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from project.batch import MAX_ATTEMPTS, Job, render_job
from project.errors import DublineError

INSTALL_HINT = "batch rendering on Ray needs the cluster extra: pip install 'dubline[cluster]'"
#: Jobs in flight per worker: the next one waits in the worker's queue while it renders, so no worker idles
#: for a round trip; a killed worker loses at most this many.
IN_FLIGHT = 2


class ClusterError(DublineError):
    """Ray missing, a cluster that cannot be reached, no worker that starts."""


def ray_module():
    """The ray package, or ClusterError with the install command."""
    try:
        import ray
    except ImportError:
        raise ClusterError(INSTALL_HINT) from None
    return ray


class _Worker:
    """The actor's body (wrapped by ray.remote in :func:`_actor_class`): one engine for its whole life."""

    def __init__(self, backend: str, settings, threads: int | None, device: str):
        from engine.api import get_engine

        if backend == "indextts2":
            self.engine = get_engine("indextts2", device, settings=settings)
        else:
            self.engine = get_engine(backend, device, threads=threads)
        self.workdir = Path(tempfile.mkdtemp(prefix="dubline-worker-"))
        self.blobs: dict[str, bytes] = {}

    def model_version(self) -> str:
        return self.engine.model_version()

    def pid(self) -> int:
        return os.getpid()

    def render(self, job: Job, digests: list[str], *blobs: bytes) -> dict:
        files = dict(zip(digests, blobs, strict=True))
        result = render_job(self.engine, job, files, self.workdir)
        result["pid"] = os.getpid()
        return result


def _actor_class(ray):
    return ray.remote(_Worker)


class RayRunner:
    """Renders jobs on ``workers`` Ray actors (each ``cpus`` CPUs, and a GPU each when ``gpus``)."""

    def __init__(self, backend: str, address: str = "local", workers: int | None = None, cpus: float = 1,
                 gpus: bool = False, settings=None, threads: int | None = None, note: Callable[[str], None] | None = None,
                 in_flight: int = IN_FLIGHT):
        self.ray = ray_module()
        self.backend, self.address, self.cpus, self.gpus = backend, address, cpus, gpus
        self.settings, self.note, self.in_flight = settings, note, max(1, in_flight)
        self.threads = threads if threads is not None else max(1, int(cpus))
        self.requested = workers
        self.workers = 0
        self.actors: list = []
        self.retried = 0
        self.lost: list[str] = []
        self.pids: dict[int, int] = {}  # actor index -> its process id (tests kill one)
        self.sent: dict[str, int] = {}  # job key -> times sent
        self._started_ray = False

    @property
    def name(self) -> str:
        return "a local Ray instance" if self.address == "local" else f"the Ray cluster at {self.address}"

    # ------------------------------------------------------------------ start
    def start(self) -> str:
        ray = self.ray
        if not ray.is_initialized():
            kw = dict(logging_level="ERROR", log_to_driver=False, include_dashboard=False)
            try:
                if self.address == "local":
                    ray.init(num_cpus=max(1, int((self.requested or os.cpu_count() or 1) * self.cpus)),
                             num_gpus=(self.requested or 1) if self.gpus else 0, **kw)
                else:
                    ray.init(address=self.address, **kw)
            except (ConnectionError, RuntimeError, ValueError) as e:
                raise ClusterError(f"cannot reach the Ray cluster at {self.address}: {_first_line(e)}") from None
            self._started_ray = True
        room = self._fitting_workers()
        n = self.requested or room
        each = f"{self.cpus:g} CPU" + (", 1 GPU" if self.gpus else "") + " each"
        if room < 1:
            raise ClusterError(f"the cluster has no room for a worker ({each})")
        if n > room:  # they would wait for resources that may never come
            raise ClusterError(f"the cluster has room for {room} worker(s) of {each}, not {n}: "
                               f"use --workers {room} or add nodes")
        actor = _actor_class(ray).options(num_cpus=self.cpus, num_gpus=1 if self.gpus else 0, max_restarts=2,
                                          max_task_retries=0, scheduling_strategy="SPREAD")
        device = "cuda" if self.gpus else ("cpu" if self.backend == "indextts2" else "auto")
        self.actors = [actor.remote(self.backend, self.settings, self.threads, device) for _ in range(n)]
        if self.note:
            self.note(f"starting {n} worker(s) on {self.name}")
        try:
            versions = ray.get([a.model_version.remote() for a in self.actors], timeout=600)
            pids = ray.get([a.pid.remote() for a in self.actors], timeout=60)
        except ray.exceptions.GetTimeoutError:
            raise ClusterError(f"the workers did not start within 10 minutes ({n} asked of {self.name})") from None
        except ray.exceptions.RayError as e:
            raise ClusterError(f"a worker failed to start: {_first_line(e)}") from None
        if len(set(versions)) > 1:
            raise ClusterError("the workers run different engine versions: install the same Dubline on every node")
        self.pids = dict(enumerate(pids))
        self.workers = n
        return versions[0]

    def _fitting_workers(self) -> int:
        res = self.ray.cluster_resources()
        n = int(res.get("CPU", 0) // self.cpus)
        if self.gpus:
            n = min(n, int(res.get("GPU", 0)))
        return n

    # ------------------------------------------------------------------ run
    def run(self, jobs: list[Job], blobs: dict[str, bytes], deliver: Callable[[Job, dict], None],
            stop: Callable[[], bool]) -> None:
        ray = self.ray
        refs = {d: ray.put(b) for d, b in blobs.items()}  # each file once in the object store
        queue = deque(jobs)  # largest first
        busy: dict = {}  # object ref -> (actor index, job)
        load = [0] * len(self.actors)
        state = ["up"] * len(self.actors)  # up | restarting (sent nothing until it answers a ping) | dead
        pings: dict = {}  # object ref -> (actor index, deadline)
        deaths = [0] * len(self.actors)

        def send(i: int, job: Job) -> None:
            job.attempts += 1
            self.sent[job.key] = self.sent.get(job.key, 0) + 1
            d = job.blobs()
            ref = self.actors[i].render.remote(job, d, *(refs[x] for x in d))
            busy[ref] = (i, job)
            load[i] += 1

        def ping(i: int, deadline: float) -> None:
            pings[self.actors[i].pid.remote()] = (i, deadline)

        try:
            while queue or busy:
                if stop():
                    return
                for i in range(len(self.actors)):
                    while state[i] == "up" and load[i] < self.in_flight and queue:
                        send(i, queue.popleft())
                if not busy and not pings:
                    for job in queue:
                        self.lost.append(f"{job.label}: no worker left to render it")
                    return
                ready, _ = ray.wait(list(busy) + list(pings), num_returns=1, timeout=1.0)
                for ref in ready:
                    if ref in pings:
                        i, deadline = pings.pop(ref)
                        try:
                            self.pids[i] = ray.get(ref)
                            state[i] = "up"  # restarted: the engine is loaded again
                        except ray.exceptions.RayError:
                            if time.monotonic() < deadline and deaths[i] <= 2:
                                time.sleep(0.2)
                                ping(i, deadline)
                            else:
                                state[i] = "dead"
                        continue
                    i, job = busy.pop(ref)
                    load[i] -= 1
                    try:
                        result = ray.get(ref)
                    except (ray.exceptions.RayActorError, ray.exceptions.ObjectLostError,
                            ray.exceptions.WorkerCrashedError) as e:
                        if state[i] == "up":  # the first of its lost jobs: wait for the restart
                            deaths[i] += 1
                            state[i] = "restarting"
                            ping(i, time.monotonic() + 300)
                        self._resend(job, e, queue)
                        continue
                    except ray.exceptions.RayTaskError as e:  # the job raised something render_job does not catch
                        result = {"key": job.key, "error": _first_line(e.cause if e.cause else e)}
                    deliver(job, result)
        finally:
            for ref in busy:  # stopped early: what is queued on the workers is dropped (close() ends them)
                try:
                    ray.cancel(ref)
                except (ValueError, ray.exceptions.RayError):
                    pass

    def _resend(self, job: Job, err, queue) -> None:
        if job.attempts >= MAX_ATTEMPTS:
            self.lost.append(f"{job.label}: its worker died {job.attempts} times rendering it")
            return
        self.retried += 1
        queue.appendleft(job)  # to the next free worker (another one: this one is restarting)
        if self.note:
            self.note(f"a worker died ({_first_line(err)[:80]}): {job.label} sent again")

    def close(self) -> None:
        ray = self.ray
        for a in self.actors:
            try:
                ray.kill(a)
            except Exception:  # noqa: BLE001  (an actor already gone)
                pass
        self.actors = []
        if self._started_ray and ray.is_initialized():
            ray.shutdown()
            self._started_ray = False

    # ------------------------------------------------------------------ for tests and the CLI
    def wait_restarted(self, i: int, timeout: float = 60.0) -> int:
        """The process id of actor ``i`` once it answers again (after a restart)."""
        t0 = time.monotonic()
        while True:
            try:
                return self.ray.get(self.actors[i].pid.remote(), timeout=timeout)
            except self.ray.exceptions.RayActorError:
                if time.monotonic() - t0 > timeout:
                    raise
                time.sleep(0.2)


def _first_line(e) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0][:300]
