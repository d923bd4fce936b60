"""Batch rendering: many projects, each line rendered once, wherever the workers are (no Qt, no Ray).

A batch is planned from the projects alone: every region with text becomes a line keyed by the render
cache's content hash (:func:`project.render_core.request_key`), so a line that several projects share
renders once and a line any of their caches already holds (verified) renders not at all.  What is left
becomes :class:`Job` s, largest first (the longest lines start first, so the last ones to finish are
short), each carrying the engine request and, by content, the files it reads (voice templates,
recordings, emotion clips): a worker needs no shared file system.

A *runner* renders jobs: :class:`LocalRunner` in this process, or ``project.cluster.RayRunner`` on Ray
actors.  Either hands each result back to :class:`BatchDriver`, which alone writes: it puts the clip in
the cache of every project that uses the line (atomic, and read back and verified like any cache entry),
and as soon as a project's last line is in, writes its outputs with the same export code as
``dubline render``, so the files are the same bytes.

A line that fails for its own reason (text too long for its region) is reported and the batch goes on;
its project gets no outputs.  Interrupting keeps every line already written to the caches.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from engine.errors import EngineError
from engine.types import SynthesisRequest, UnitTiming
from project import model as pj
from project.errors import DublineError
from project.render_core import (
    Clip,
    RenderCache,
    check_voice_consent,
    clip_digest,
    region_request,
    remember_model_version,
    remembered_model_version,
    request_key,
)

Step = Callable[[int, int, str], None]
Note = Callable[[str], None]
#: A job that took its worker down this many times is failed rather than sent again.
MAX_ATTEMPTS = 3


class BatchError(DublineError):
    """A batch that cannot start (no projects, mixed backends, an unusable output folder)."""


# ------------------------------------------------------------------------------------------------ plan
@dataclass
class Job:
    """One line to render: the request, the files it reads (content digests; bytes in ``BatchPlan.blobs``)
    and where those files appear in the request."""

    key: str
    request: SynthesisRequest
    size: float  # about how many seconds of speech: the largest go first
    label: str
    voice_blob: str | None = None  # digest of a voice template (request.voice is its name) or a recording
    voice_kind: str | None = None  # "template" or "recording"
    emotion_blob: str | None = None  # digest of the emotion clip (request.emotion.audio)
    consent: str | None = None  # a recording's consent note, granted on the worker too
    attempts: int = 0

    def blobs(self) -> list[str]:
        return [b for b in (self.voice_blob, self.emotion_blob) if b]


@dataclass
class BatchProject:
    path: Path
    project: pj.Project
    cache: RenderCache
    regions: dict[str, str] = field(default_factory=dict)  # region id -> key
    requests: dict[str, SynthesisRequest] = field(default_factory=dict)  # key -> request (length check)
    clips: dict[str, Clip] = field(default_factory=dict)  # region id -> clip
    failures: list[str] = field(default_factory=list)
    lost: set[str] = field(default_factory=set)  # region ids whose line failed
    outputs: list[Path] = field(default_factory=list)
    done: bool = False

    @property
    def name(self) -> str:
        return self.path.stem

    def waiting(self) -> int:
        """Lines still to come back from the workers."""
        return sum(1 for rid in self.regions if rid not in self.clips and rid not in self.lost)


@dataclass
class BatchPlan:
    projects: list[BatchProject]
    model_version: str
    backend: str
    jobs: list[Job]  # largest first
    blobs: dict[str, bytes]
    users: dict[str, list[tuple[int, str]]]  # key -> [(project index, region id)]
    lines: int  # regions with text, over all projects
    cached: int  # distinct lines found in a cache

    @property
    def distinct(self) -> int:
        return len(self.users)


def _size(request: SynthesisRequest) -> float:
    d = request.duration
    if d.mode == "exact" and d.seconds:
        return float(d.seconds)
    return 0.12 * len(request.text) * (float(d.ratio) if d.mode == "ratio" and d.ratio else 1.0)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:24]


def _read_bounded(path: Path, limit: int) -> bytes:
    from engine.errors import RequestError

    try:
        if path.stat().st_size > limit:
            raise RequestError(f"{path.name} is too large to ship to a worker")
        return path.read_bytes()
    except OSError as e:
        raise RequestError(f"cannot read {path.name}: {e.strerror or e}") from None


def load_projects(paths: Iterable[str | os.PathLike]) -> list[BatchProject]:
    """The projects of a batch (ProjectError, one line, for one that does not open)."""
    out = []
    seen = set()
    for p in paths:
        path = Path(p)
        real = path.resolve()
        if real in seen:
            continue  # the same project named twice renders once
        seen.add(real)
        out.append(BatchProject(path, pj.load(path), RenderCache(pj.cache_dir_for(path))))
    if not out:
        raise BatchError("no projects to render")
    return out


def batch_backend(projects: list[BatchProject], backend: str | None) -> str:
    """The one backend the batch renders with: ``backend`` if given, else the projects' own (all the same)."""
    if backend:
        return backend
    found = sorted({bp.project.backend or "embedded" for bp in projects})
    if len(found) > 1:
        raise BatchError(f"the projects use different backends ({', '.join(found)}): batch them separately "
                         "or choose one with --backend")
    return found[0]


def remembered_version(projects: list[BatchProject], backend: str) -> str | None:
    """The model version every project's cache remembers for the installed engine (None: ask an engine)."""
    versions = {remembered_model_version(bp.cache.folder, backend) for bp in projects}
    return versions.pop() if len(versions) == 1 else None


def plan_batch(projects: list[BatchProject], model_version: str, backend: str, consent: str | None = None) -> BatchPlan:
    """Key every line, take what any cache holds (copied into the others' caches), list the rest as jobs.

    Raises RenderFailed (one line) when a project clones a recording without ``consent``."""
    from engine import voices as vl
    from project.headless import check_recording_consent

    jobs: dict[str, Job] = {}
    blobs: dict[str, bytes] = {}
    users: dict[str, list[tuple[int, str]]] = {}
    found: dict[str, Clip] = {}
    lines = 0
    for i, bp in enumerate(projects):
        check_recording_consent(bp.project, consent)
        pj.register_project_voices(bp.project, bp.path)  # keys (and the templates shipped) are this project's
        for t, r in bp.project.all_regions():
            if not r.text.strip():
                continue
            lines += 1
            label = f"{bp.name} {_tc(r.start)} {r.text[:24]!r}"
            try:
                req = region_request(bp.project, t, r)
                check_voice_consent(req)
                key = request_key(req, model_version)
            except EngineError as e:
                bp.failures.append(f"{label}: {e}")
                continue
            bp.regions[r.id] = key
            bp.requests[key] = req
            users.setdefault(key, []).append((i, r.id))
            if key in found or key in jobs:
                continue
            clip = next((c for c in (x.cache.get(key, req) for x in projects) if c is not None), None)
            if clip is not None:
                found[key] = clip
                continue
            try:
                jobs[key] = _job(key, req, label, blobs)
            except EngineError as e:
                bp.failures.append(f"{label}: {e}")
                users[key].pop()
                del bp.regions[r.id]
    vl.unregister_all()
    for key, clip in found.items():
        for i, rid in users[key]:
            projects[i].clips[rid] = clip
    plan = BatchPlan(projects, model_version, backend, sorted(jobs.values(), key=lambda j: (-j.size, j.key)),
                     blobs, users, lines, len(found))
    for key, clip in found.items():  # a line another project's cache held: this one's cache gets it too
        for i in {i for i, _ in users[key]}:
            if projects[i].cache.stored(key, projects[i].requests[key]) is None:
                projects[i].cache.put(clip)
    return plan


def _job(key: str, req: SynthesisRequest, label: str, blobs: dict[str, bytes]) -> Job:
    from engine import voices as vl

    job = Job(key, req, _size(req), label)
    voice = req.voice
    if isinstance(voice, str) and vl.looks_like_recording(voice):
        data = _read_bounded(Path(voice), vl.MAX_RECORDING_BYTES)
        job.voice_blob, job.voice_kind = _digest(data), "recording"
        job.consent = vl.consent_for(voice)
        blobs[job.voice_blob] = data
    else:
        path = vl.registered().get(voice)
        if path is None and vl.is_voice_name(voice) and vl.fingerprint(voice) is not None:
            path = vl.library_dir() / f"{voice}{vl.TEMPLATE_SUFFIX}"
        if path is not None:
            data = _read_bounded(Path(path), vl.MAX_TEMPLATE_BYTES)
            job.voice_blob, job.voice_kind = _digest(data), "template"
            blobs[job.voice_blob] = data
    if req.emotion.audio:
        from project.render_core import MAX_EMOTION_CLIP_BYTES

        data = _read_bounded(Path(req.emotion.audio), MAX_EMOTION_CLIP_BYTES)
        job.emotion_blob = _digest(data)
        blobs[job.emotion_blob] = data
    return job


def _tc(seconds: float) -> str:
    m, s = divmod(max(0.0, seconds), 60)
    return f"{int(m):02d}:{s:06.3f}"


# ------------------------------------------------------------------------------------------------ worker side
def render_job(engine, job: Job, blobs: dict[str, bytes], workdir: Path) -> dict:
    """Render ``job`` on ``engine`` (in a worker: the files it reads are written from ``blobs`` into
    ``workdir``, named by content).  Returns the clip as plain values (``audio`` float32), or
    ``{"error": message}`` for a line that cannot be rendered."""
    from engine import voices as vl

    req = job.request
    cpu0, wall0 = time.process_time(), time.perf_counter()
    try:
        vl.unregister_all()
        if job.voice_blob:
            suffix = Path(req.voice).suffix if job.voice_kind == "recording" else vl.TEMPLATE_SUFFIX
            path = _materialise(workdir, job.voice_blob, suffix, blobs)
            if job.voice_kind == "recording":
                vl.grant_consent(path, job.consent or "granted for the batch that shipped it")
                req = dataclasses.replace(req, voice=str(path))
            else:
                vl.register(req.voice, path)
        if job.emotion_blob:
            path = _materialise(workdir, job.emotion_blob, Path(req.emotion.audio).suffix, blobs)
            req = dataclasses.replace(req, emotion=dataclasses.replace(req.emotion, audio=str(path)))
        res = engine.generate(req)
    except EngineError as e:
        return {"key": job.key, "error": str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}
    except (OSError, ValueError) as e:
        return {"key": job.key, "error": f"{type(e).__name__}: {e}"}
    finally:
        vl.unregister_all()
    import numpy as np

    return {"key": job.key, "audio": np.asarray(res.audio, np.float32), "sample_rate": int(res.sample_rate),
            "natural_seconds": float(res.natural_seconds), "ratio": float(res.ratio),
            "units": [dataclasses.asdict(u) for u in res.units], "warnings": [str(w) for w in res.warnings],
            # what the line cost its worker: CPU seconds are the load-independent figure for capacity plans
            "cpu_seconds": time.process_time() - cpu0, "seconds": time.perf_counter() - wall0}


def _materialise(workdir: Path, digest: str, suffix: str, blobs: dict[str, bytes]) -> Path:
    from engine.atomic import atomic_write_bytes

    path = Path(workdir) / f"{digest}{suffix}"
    if not path.is_file():
        Path(workdir).mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(path, blobs[digest])
    return path


def clip_of(result: dict) -> Clip:
    import numpy as np

    return Clip(result["key"], np.asarray(result["audio"], np.float32), int(result["sample_rate"]),
                float(result["natural_seconds"]), float(result["ratio"]),
                [UnitTiming(**u) for u in result["units"]], list(result["warnings"]))


class LocalRunner:
    """Renders the jobs one after another in this process (the engine loaded once)."""

    name = "this machine"

    def __init__(self, backend: str, settings=None, threads: int | None = None, note: Note | None = None):
        self.backend, self.settings, self.threads, self.note = backend, settings, threads, note
        self._engine = None
        self._tmp: tempfile.TemporaryDirectory | None = None
        self.workers = 1

    def start(self) -> str:
        """Load the engine; its model version."""
        from engine.api import get_engine

        self._engine = get_engine(self.backend, settings=self.settings, threads=self.threads, progress=self.note) \
            if self.backend == "indextts2" else get_engine(self.backend, threads=self.threads, progress=self.note)
        self._tmp = tempfile.TemporaryDirectory(prefix="dubline-batch-")
        return self._engine.model_version()

    def run(self, jobs: list[Job], blobs: dict[str, bytes], deliver: Callable[[Job, dict], None],
            stop: Callable[[], bool]) -> None:
        for job in jobs:
            if stop():
                return
            deliver(job, render_job(self._engine, job, blobs, Path(self._tmp.name)))

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None


# ------------------------------------------------------------------------------------------------ driver
@dataclass
class BatchSummary:
    projects: int = 0
    lines: int = 0  # regions with text
    distinct: int = 0  # distinct lines (after sharing)
    rendered: int = 0
    cached: int = 0
    failed: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    wall_seconds: float = 0.0
    render_seconds: float = 0.0  # from the first job sent to the last result
    retried: int = 0  # jobs sent again after their worker died
    worker_cpu_seconds: float = 0.0  # summed over the lines rendered
    worker_seconds: float = 0.0
    workers: int = 0
    where: str = ""
    interrupted: bool = False
    writes: dict[str, int] = field(default_factory=dict)  # key -> rendered results written (1 each)

    @property
    def lines_per_minute(self) -> float:
        return 60.0 * self.rendered / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def text(self) -> list[str]:
        rate = f"{self.lines_per_minute:.1f} lines/min" if self.rendered else "nothing to render"
        out = [f"{self.projects} project(s), {self.lines} lines ({self.distinct} distinct): "
               f"{self.rendered} rendered, {self.cached} cached, {len(self.failed)} failed"
               + (f", {self.retried} sent again after a worker died" if self.retried else ""),
               f"{self.wall_seconds:.1f} s on {self.where} ({self.workers} worker(s)), {rate}"]
        out += [f"failed: {f}" for f in self.failed]
        if self.interrupted:
            out.append("interrupted: the lines rendered so far are kept in the projects' caches")
        return out


class BatchDriver:
    """Writes what the runner renders: caches (verified), then each project's outputs when it is complete."""

    def __init__(self, plan: BatchPlan, out_dir: Path | None, formats: list[str], options=None,
                 consent: str | None = None, force: bool = False, note: Note | None = None,
                 step: Step | None = None):
        self.plan, self.out_dir, self.formats = plan, out_dir, formats
        self.options, self.consent, self.force = options, consent, force
        self.note, self.step = note, step
        self.summary = BatchSummary(projects=len(plan.projects), lines=plan.lines, distinct=plan.distinct,
                                    cached=plan.cached)
        self.summary.failed = [f for bp in plan.projects for f in bp.failures]
        self._names = output_names(plan.projects)
        self._left = len(plan.jobs)
        self.stopped = False

    def start(self) -> None:
        """Projects whose every line is cached are written at once."""
        for i in range(len(self.plan.projects)):
            self._maybe_finish(i)
        if self.step:
            self.step(0, len(self.plan.jobs), "")

    def deliver(self, job: Job, result: dict) -> None:
        if job.key in self.summary.writes:
            return  # a line that came back twice (its first worker's answer was late): written once
        self.summary.writes[job.key] = 0
        touched = sorted({i for i, _ in self.plan.users[job.key]})
        if "error" in result:
            self.summary.failed.append(f"{job.label}: {result['error']}")
            for i in touched:
                self.plan.projects[i].failures.append(f"{job.label}: {result['error']}")
            for i, rid in self.plan.users[job.key]:
                self.plan.projects[i].lost.add(rid)
        else:
            clip = clip_of(result)
            self.summary.writes[job.key] = 1
            self.summary.rendered += 1
            self.summary.worker_cpu_seconds += float(result.get("cpu_seconds", 0.0))
            self.summary.worker_seconds += float(result.get("seconds", 0.0))
            for i in touched:
                bp = self.plan.projects[i]
                bp.cache.put(clip)
                stored = bp.cache.stored(job.key, bp.requests[job.key])
                ok = stored is not None and clip_digest(stored) == clip_digest(clip)
                if not ok:
                    msg = f"{job.label}: could not be written to {bp.cache.folder.name} (disk full?)"
                    bp.failures.append(msg)
                    self.summary.failed.append(msg)
                for ii, rid in self.plan.users[job.key]:
                    if ii != i:
                        continue
                    if ok:
                        bp.clips[rid] = clip
                    else:
                        bp.lost.add(rid)
        self._left -= 1
        if self.step:
            self.step(len(self.plan.jobs) - self._left, len(self.plan.jobs), job.label)
        for i in touched:
            self._maybe_finish(i)

    def _maybe_finish(self, i: int) -> None:
        from project.export import export_project

        bp = self.plan.projects[i]
        if bp.done or bp.waiting() > 0:
            return
        bp.done = True
        remember_model_version(bp.cache.folder, self.plan.backend, self.plan.model_version)
        if bp.failures:
            if self.note:
                self.note(f"{bp.name}: {len(bp.failures)} line(s) failed: no outputs written")
            return
        if self.out_dir is None:
            return
        for fmt in self.formats:
            out = self.out_dir / self._names[i][fmt]
            try:
                report = export_project(bp.path, fmt, out, progress=None, force=self.force, consent=self.consent,
                                        options=dataclasses.replace(self.options) if self.options else None,
                                        clips=dict(bp.clips))
            except DublineError as e:
                msg = f"{bp.name} {fmt}: {e}"
                bp.failures.append(msg)
                self.summary.failed.append(msg)
                continue
            written = list(report.outputs) if report.folder is not None else [report.path]
            bp.outputs.extend(written)
            self.summary.outputs.extend(written)
            if self.note:
                self.note(f"{bp.name}: wrote {out}")


def output_names(projects: list[BatchProject]) -> list[dict[str, str]]:
    """Each project's output name per format inside the output folder (stems and clips: a folder);
    projects of the same name are told apart by a number."""
    from project.export import FORMATS

    used: dict[str, int] = {}
    out = []
    for bp in projects:
        stem = bp.name
        n = used.get(stem.lower(), 0) + 1
        used[stem.lower()] = n
        if n > 1:
            stem = f"{stem}-{n}"
        out.append({fmt: (f"{stem}-{fmt}" if fmt in ("stems", "clips") else f"{stem}.{fmt}") for fmt in FORMATS})
    return out


def run_batch(paths: Iterable[str | os.PathLike], out_dir: Path | None, formats: list[str], runner_factory,
              backend: str | None = None, options=None, consent: str | None = None, force: bool = False,
              note: Note | None = None, step: Step | None = None) -> BatchSummary:
    """The whole batch: plan, render what is missing with the runner ``runner_factory(backend)`` makes (only
    when something is missing: an unchanged batch loads no engine and starts no cluster), write, summarise.

    KeyboardInterrupt stops it: the summary comes back with ``interrupted`` set, what was written kept."""
    t0 = time.perf_counter()
    projects = load_projects(paths)
    backend = batch_backend(projects, backend)
    if out_dir is not None:
        _check_out_dir(out_dir)
    version = remembered_version(projects, backend)
    runner = None
    plan = None
    if version is not None:
        plan = plan_batch(projects, version, backend, consent)
        if plan.jobs:  # something to render after all: the engine says which model version it is
            plan = None
            projects = load_projects(paths)
    if plan is None:
        runner = runner_factory(backend)
        try:
            version = runner.start()
            plan = plan_batch(projects, version, backend, consent)
        except BaseException:
            runner.close()
            raise
    driver = BatchDriver(plan, out_dir, formats, options, consent, force, note, step)
    s = driver.summary
    s.where, s.workers = (runner.name, runner.workers) if runner is not None else ("the caches", 0)
    try:
        driver.start()
        if plan.jobs and runner is not None:
            t1 = time.perf_counter()
            runner.run(plan.jobs, plan.blobs, driver.deliver, lambda: driver.stopped)
            s.render_seconds = time.perf_counter() - t1
            s.retried = getattr(runner, "retried", 0)
            for f in getattr(runner, "lost", []):
                s.failed.append(f)
    except KeyboardInterrupt:
        s.interrupted = True
        driver.stopped = True
    finally:
        if runner is not None:
            s.workers = runner.workers
            runner.close()
    s.wall_seconds = time.perf_counter() - t0
    return s


def _check_out_dir(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise BatchError(f"{out_dir} is a file: --out needs a folder")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise BatchError(f"cannot create {out_dir}: {e.strerror or e}") from None
