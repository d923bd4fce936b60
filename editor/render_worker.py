"""Background rendering: the only place the editor talks to the speech engine.

:class:`RenderWorker` is a QObject moved to its own QThread.  It loads the
engine once (``engineLoading`` / ``engineReady`` / ``engineFailed``) and then
serves a queue of region jobs, one per event-loop turn so that cancels and new
jobs are seen between renders.  The queue is a dict keyed by region id, guarded
by a lock, so the GUI thread can replace a job (the region changed again),
promote one (the selected region jumps the queue) or cancel everything at once
even while a render runs.  Every result goes through the content-hash
``RenderCache`` (on disk next to the project, in memory for an unsaved one):
an unchanged region is never rendered twice, also across restarts.

:class:`RenderController` lives in the GUI thread.  It watches the document,
keeps each region's status (empty, queued, rendering, ready, stale, failed),
debounces changes (300 ms, so a drag renders once at the end), submits jobs
and keeps recent clips in memory by request, so undo shows the earlier render
at once instead of rendering again.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QThread, QTimer, Signal, Slot

from editor.document import Document
from engine.errors import EngineError
from engine.types import SynthesisRequest
from project.render_core import Clip, RenderCache, check_voice_consent, region_request, request_key

log = logging.getLogger(__name__)

EMPTY, QUEUED, RENDERING, READY, STALE, FAILED = "empty", "queued", "rendering", "ready", "stale", "failed"
STATUSES = (EMPTY, QUEUED, RENDERING, READY, STALE, FAILED)

EngineFactory = Callable[[Callable[[str], None]], object]


def default_engine_factory(backend: str = "embedded") -> EngineFactory:
    def make(progress: Callable[[str], None]):
        from engine.api import get_engine

        return get_engine(backend, "auto", progress=progress)

    return make


def lower_thread_priority() -> None:
    """Make the calling thread (and the threads it starts) yield the CPU to the GUI.

    Rendering saturates every core (onnxruntime's pool spins on each of them);
    at normal priority the scheduler then lets the GUI thread wait 100 ms and
    more.  On Linux the nice value is per thread and inherited by threads
    created afterwards, so renicing the worker before the engine makes its
    inference pool also nice: the GUI thread gets a core whenever it wants one
    and rendering keeps all the rest.
    """
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
        return
    except (AttributeError, OSError):
        pass
    thread = QThread.currentThread()
    if thread is not None:
        thread.setPriority(QThread.Priority.LowPriority)


def _emotion_spec(emotion: dict | None):
    """The engine's EmotionSpec of a region's emotion field (None when neutral or unreadable)."""
    if not emotion:
        return None
    from engine.types import EmotionSpec

    try:
        return EmotionSpec.from_dict(emotion)
    except Exception:
        return None


@dataclass(frozen=True)
class Job:
    region_id: str
    rev: int  # the controller's revision of the region's inputs when submitted
    request: SynthesisRequest
    seq: int = 0


# ------------------------------------------------------------------ worker (own thread)
class RenderWorker(QObject):
    engineLoading = Signal(str)  # progress text
    engineReady = Signal(str, list)  # model version, voices
    engineFailed = Signal(str)
    jobStarted = Signal(str, int)  # region id, rev
    jobFinished = Signal(str, int, str, object)  # region id, rev, key, Clip
    jobFailed = Signal(str, int, str)  # region id, rev, message
    queueChanged = Signal(int)  # jobs waiting (not counting the one rendering)
    naturalReady = Signal(int, float, str)  # token, seconds (-1 on error), error
    minimumReady = Signal(int, float)  # token, the shortest exact length the engine accepts (-1: unknown)
    measured = Signal(object, float, float)  # key, natural seconds, shortest seconds (-1, -1 on error)
    _wake = Signal()

    def __init__(self, engine_factory: EngineFactory, cache_folder: Path | None = None):
        super().__init__()
        self._factory = engine_factory
        self._engine = None
        self._model_version = ""
        self._lock = threading.Lock()
        self._jobs: dict[str, Job] = {}
        self._priority: str | None = None
        self._natural: list[tuple] = []
        self._measure: OrderedDict = OrderedDict()  # key -> (text, voice, glossary, emotion): idle-time work
        self._cache = RenderCache(cache_folder)
        self._pending_folder: tuple[Path | None] | None = None
        self._stopping = False
        self._seq = itertools.count()
        self._wake.connect(self._pump)

    # ---- thread-safe API (called from the GUI thread) ----
    def submit(self, job: Job) -> None:
        with self._lock:
            self._jobs[job.region_id] = Job(job.region_id, job.rev, job.request, next(self._seq))
            n = len(self._jobs)
        self.queueChanged.emit(n)
        self._wake.emit()

    def drop(self, region_id: str) -> None:
        with self._lock:
            self._jobs.pop(region_id, None)
            n = len(self._jobs)
        self.queueChanged.emit(n)

    def promote(self, region_id: str | None) -> None:
        with self._lock:
            self._priority = region_id

    def cancel_all(self) -> list[str]:
        """Drop every waiting job; returns their region ids (the running render finishes)."""
        with self._lock:
            dropped = list(self._jobs)
            self._jobs.clear()
        self.queueChanged.emit(0)
        return dropped

    def pending(self) -> list[str]:
        with self._lock:
            return list(self._jobs)

    def request_natural(self, token: int, text: str, voice: str, glossary: tuple, emotion=None) -> None:
        with self._lock:
            self._natural = [(token, text, voice, glossary, emotion)]  # only the latest question matters
        self._wake.emit()

    def request_measure(self, key, text: str, voice: str, glossary: tuple, emotion=None) -> None:
        """Natural and shortest length of a line, when there is nothing else to do (the line list's checks)."""
        with self._lock:
            self._measure[key] = (text, voice, glossary, emotion)
        self._wake.emit()

    def set_cache_folder(self, folder: Path | None) -> None:
        with self._lock:
            self._pending_folder = (folder,)
        self._wake.emit()

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._jobs.clear()

    # ---- worker thread ----
    @Slot()
    def start(self) -> None:
        lower_thread_priority()
        self.engineLoading.emit("loading engine…")
        try:
            self._engine = self._factory(lambda msg: self.engineLoading.emit(str(msg)))
            self._model_version = self._engine.model_version()
            voices = list(self._engine.voices())
            self.engineLoading.emit("warming up the engine…")
            self._warm_up(voices)
        except EngineError as e:
            self.engineFailed.emit(str(e))
            return
        except Exception as e:  # a broken install must not take the editor down
            log.error("engine failed to load:\n%s", traceback.format_exc())
            self.engineFailed.emit(f"the speech engine failed to load ({type(e).__name__}: {e})")
            return
        self.engineReady.emit(self._model_version, voices)
        self._pump()

    WARM_UP_LINES = ("你好，我们出发吧。", "Hello, are you ready?")

    def _warm_up(self, voices: list[str]) -> None:
        """Run the text front ends once while the window says "loading".

        Their first use loads big dictionaries (jieba, the English lexicon)
        inside single C calls that hold the GIL for 100-200 ms; done here, that
        pause happens during loading instead of freezing the window in the
        middle of someone's editing.
        """
        if getattr(self._engine, "name", "embedded") == "indextts2":
            return  # its text front end lives in its own process; a warm-up would only cost GPU time
        voice = voices[0] if voices else "jf_alpha"
        for line in self.WARM_UP_LINES:
            try:
                self._engine.natural_seconds(line, voice)
            except EngineError:
                pass

    @Slot()
    def _pump(self) -> None:
        """Do one unit of work, then yield to the event loop (to see new requests)."""
        if self._engine is None:
            return
        with self._lock:
            if self._stopping:
                return
            folder = self._pending_folder
            self._pending_folder = None
            natural = self._natural
            self._natural = []
            job = None
            measure = None
            if not natural and folder is None and self._jobs:
                rid = self._priority if self._priority in self._jobs else None
                if rid is None:
                    rid = min(self._jobs.values(), key=lambda j: j.seq).region_id
                job = self._jobs.pop(rid)
            elif not natural and folder is None and self._measure:
                measure = self._measure.popitem(last=False)
            remaining = len(self._jobs)
        if folder is not None:
            self._move_cache(folder[0])
        if natural:
            self._answer_natural(*natural[-1])
        if job is not None:
            self.queueChanged.emit(remaining)
            self._render(job)
        if measure is not None:
            key, (text, voice, glossary, emotion) = measure
            try:
                nat, shortest = self._bounds(text, voice, glossary, emotion)
            except Exception:  # an unspeakable line: its render says why
                nat, shortest = -1.0, -1.0
            self.measured.emit(key, nat, shortest)
        with self._lock:
            more = (bool(self._jobs) or bool(self._natural) or bool(self._measure)
                    or self._pending_folder is not None) and not self._stopping
        if more:
            QTimer.singleShot(0, self._pump)

    def _move_cache(self, folder: Path | None) -> None:
        old = self._cache
        self._cache = RenderCache(folder)
        if folder is not None:
            for clip in list(old._mem.values()):  # an unsaved project's renders follow it to disk
                self._cache.put(clip)
        else:
            self._cache._mem.update(old._mem)

    def _bounds(self, text: str, voice: str, glossary: tuple, emotion) -> tuple[float, float]:
        """(natural, shortest) seconds; shortest -1 when the backend cannot say."""
        bounds = getattr(self._engine, "length_bounds", None)
        if bounds is not None:
            nat, shortest = bounds(text, voice, glossary, emotion)
            return float(nat), float(shortest)
        return float(self._engine.natural_seconds(text, voice, glossary)), -1.0

    def _answer_natural(self, token: int, text: str, voice: str, glossary: tuple, emotion=None) -> None:
        try:
            secs, shortest = self._bounds(text, voice, glossary, emotion)
            self.minimumReady.emit(token, shortest)
            self.naturalReady.emit(token, secs, "")
        except EngineError as e:
            self.naturalReady.emit(token, -1.0, str(e))
        except Exception as e:
            log.error("natural length failed:\n%s", traceback.format_exc())
            self.naturalReady.emit(token, -1.0, f"internal error: {e}")

    def _render(self, job: Job) -> None:
        try:
            check_voice_consent(job.request)
            key = request_key(job.request, self._model_version)
            clip = self._cache.get(key, job.request)
            if clip is None:
                self.jobStarted.emit(job.region_id, job.rev)
                res = self._engine.generate(job.request)
                clip = Clip.from_result(key, res)
                self._cache.put(clip)
            self.jobFinished.emit(job.region_id, job.rev, key, clip)
        except EngineError as e:
            self.jobFailed.emit(job.region_id, job.rev, str(e))
        except Exception as e:  # one broken region must not stop the others
            log.error("render of region %s failed:\n%s", job.region_id, traceback.format_exc())
            self.jobFailed.emit(job.region_id, job.rev, f"internal error: {type(e).__name__}: {e}")


# ------------------------------------------------------------------ controller (GUI thread)
@dataclass
class RegionState:
    status: str = EMPTY
    error: str = ""
    rev: int = 0
    request: SynthesisRequest | None = None  # the request for the region's current inputs
    clip: Clip | None = None  # the latest clip (may be stale)
    clip_request: SynthesisRequest | None = None


class RenderController(QObject):
    """Region statuses, automatic re-rendering, and the worker thread's lifetime."""

    statusChanged = Signal(str)  # region id (its status, clip or error changed)
    clipsChanged = Signal()  # the set of playable clips changed
    queueCountChanged = Signal(int)  # waiting + rendering
    engineStateChanged = Signal(str)  # "loading" | "ready" | "failed"
    engineMessage = Signal(str)
    naturalReady = Signal(int, float, str)
    minimumReady = Signal(int, float)
    boundsChanged = Signal()  # a line's natural / shortest length was measured (see bounds())

    DEBOUNCE_MS = 300

    def __init__(self, doc: Document, engine_factory: EngineFactory | None = None, auto_render: bool = True,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.doc = doc
        self.auto_render = auto_render
        self.engine_state = "loading"
        self.engine_error = ""
        self.model_version = ""
        self.voices: list[str] = []
        self._states: dict[str, RegionState] = {}
        self._memory: OrderedDict[SynthesisRequest, Clip] = OrderedDict()
        self._pending: set[str] = set()
        self._rendering: str | None = None
        self._submitted: dict[tuple[str, int], SynthesisRequest] = {}
        self._waiting = 0
        self._tokens = itertools.count(1)
        self._bounds: dict[tuple, tuple[float, float]] = {}
        self._bounds_asked: set[tuple] = set()

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(self.DEBOUNCE_MS)
        self._debounce.timeout.connect(self.flush)

        self.backend = doc.project.backend
        self._make_worker(engine_factory or default_engine_factory(doc.project.backend))

        doc.regionChanged.connect(self._on_region_changed)
        doc.regionsChanged.connect(self._on_regions_changed)
        doc.tracksChanged.connect(self._on_tracks_changed)
        doc.projectReplaced.connect(self._on_project_replaced)
        doc.pathChanged.connect(lambda: self.worker.set_cache_folder(doc.cache_dir()))
        doc.selectionChanged.connect(lambda: self.worker.promote(doc.current_region_id))
        self._thread.start()
        self._on_project_replaced()

    def _make_worker(self, engine_factory: EngineFactory) -> None:
        self._thread = QThread()
        self._thread.setObjectName("dubline-render")
        self.worker = RenderWorker(engine_factory, self.doc.cache_dir())
        self.worker.moveToThread(self._thread)
        self._thread.started.connect(self.worker.start)
        self.worker.engineLoading.connect(self._on_loading)
        self.worker.engineReady.connect(self._on_ready)
        self.worker.engineFailed.connect(self._on_failed)
        self.worker.jobStarted.connect(self._on_started)
        self.worker.jobFinished.connect(self._on_finished)
        self.worker.jobFailed.connect(self._on_failed_job)
        self.worker.queueChanged.connect(self._on_queue)
        self.worker.naturalReady.connect(self.naturalReady)
        self.worker.minimumReady.connect(self.minimumReady)
        self.worker.measured.connect(self._on_measured)

    def switch_engine(self, engine_factory: EngineFactory, backend: str | None = None) -> None:
        """Render with another engine from now on (the project's backend changed, or its settings).

        The old worker finishes its current line and stops; clips it made stay
        on screen as stale until the new engine has rendered them again (the
        model version is part of every render key, so nothing is mixed up).
        """
        self.cancel_all()
        self.shutdown()
        self._rendering = None
        self._submitted.clear()
        self._memory.clear()
        self.engine_state, self.engine_error, self.model_version = "loading", "", ""
        self.backend = backend or self.backend
        self._make_worker(engine_factory)
        self.engineStateChanged.emit("loading")
        self._thread.start()
        for rid, st in self._states.items():
            st.clip_request = None
            st.request = None
            if st.status in (READY, QUEUED, RENDERING):
                st.status = STALE if st.clip is not None else EMPTY
                self.statusChanged.emit(rid)
        for _, r in self.doc.project.all_regions():
            self._evaluate(r.id, submit=self.auto_render)
        self.clipsChanged.emit()
        self.queueCountChanged.emit(self.queue_count())

    # ------------------------------------------------------------ queries
    def status(self, region_id: str) -> str:
        st = self._states.get(region_id)
        return st.status if st else EMPTY

    def error(self, region_id: str) -> str:
        st = self._states.get(region_id)
        return st.error if st else ""

    def clip(self, region_id: str) -> Clip | None:
        """The clip to draw for a region (the current one, or the stale one it had)."""
        st = self._states.get(region_id)
        return st.clip if st else None

    def ready_clip(self, region_id: str) -> Clip | None:
        """The clip to play: only when it matches the region's current inputs."""
        st = self._states.get(region_id)
        return st.clip if st and st.status == READY else None

    def has_pending_changes(self) -> bool:
        """Changes waiting for the debounce before they are submitted."""
        return bool(self._pending)

    def queue_count(self) -> int:
        return self._waiting + (1 if self._rendering else 0)

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for _, r in self.doc.project.all_regions():
            out[self.status(r.id)] += 1
        return out

    # ------------------------------------------------------------ actions
    def render(self, region_ids: list[str], force: bool = True) -> None:
        """Queue these regions now (failed ones too); the first jumps the queue."""
        for rid in region_ids:
            self._evaluate(rid, submit=True, force=force)
        if region_ids:
            self.worker.promote(region_ids[0])

    def render_all(self) -> None:
        ids = [r.id for _, r in self.doc.project.all_regions()]
        for rid in ids:
            self._evaluate(rid, submit=True, force=True)

    def cancel_all(self) -> None:
        self._pending.clear()
        self._debounce.stop()
        self._submitted = {k: v for k, v in self._submitted.items() if k[0] == self._rendering}
        for rid in self.worker.cancel_all():
            st = self._states.get(rid)
            if st is not None and st.status == QUEUED:
                st.rev += 1
                self._set_status(rid, STALE if st.clip is not None else EMPTY)
        for rid, st in self._states.items():
            if st.status == QUEUED and rid != self._rendering:
                st.rev += 1
                self._set_status(rid, STALE if st.clip is not None else EMPTY)
        self.queueCountChanged.emit(self.queue_count())

    def engine(self):
        """The loaded engine (None while loading); its calls are serialised by the engine itself."""
        return self.worker._engine if self.engine_state == "ready" else None

    def request_natural(self, text: str, voice: str, emotion: dict | None = None) -> int:
        """Ask the worker for a line's natural length (with its emotion's pacing); answered by
        ``naturalReady(token, ...)`` after ``minimumReady(token, shortest)``."""
        token = next(self._tokens)
        self.worker.request_natural(token, text, voice, tuple(sorted(self.doc.project.glossary.items())),
                                    _emotion_spec(emotion))
        return token

    def bounds(self, text: str, voice: str, emotion: dict | None = None) -> tuple[float, float] | None:
        """(natural, shortest) seconds of a line once measured, else None (asked in the background;
        ``boundsChanged`` tells when answers come).  -1 values: could not be measured."""
        key = (text, voice, json.dumps(emotion or {}, sort_keys=True), tuple(sorted(self.doc.project.glossary.items())))
        got = self._bounds.get(key)
        if got is None and key not in self._bounds_asked and text.strip():
            self._bounds_asked.add(key)
            self.worker.request_measure(key, text, voice, key[3], _emotion_spec(emotion))
        return got

    def _on_measured(self, key, natural: float, shortest: float) -> None:
        self._bounds[key] = (natural, shortest)
        self._bounds_asked.discard(key)
        self.boundsChanged.emit()

    def flush(self) -> None:
        """Submit the regions whose inputs changed (normally 300 ms after the last change)."""
        self._debounce.stop()
        pending, self._pending = self._pending, set()
        for rid in pending:
            self._evaluate(rid, submit=self.auto_render)

    def shutdown(self) -> None:
        self._debounce.stop()
        self.worker.stop()
        self._thread.quit()
        self._thread.wait()

    # ------------------------------------------------------------ internals
    def _set_status(self, rid: str, status: str, error: str = "") -> None:
        st = self._states.setdefault(rid, RegionState())
        if st.status == status and st.error == error:
            return
        was_ready = st.status == READY
        st.status, st.error = status, error
        self.statusChanged.emit(rid)
        if was_ready or status == READY:
            self.clipsChanged.emit()

    def _request_for(self, rid: str) -> tuple[SynthesisRequest | None, str]:
        found = self.doc.project.find_region(rid)
        if found is None:
            return None, ""
        track, region = found
        try:
            req = region_request(self.doc.project, track, region)
            req.validate()
            return req, ""
        except EngineError as e:
            return None, str(e)

    def _evaluate(self, rid: str, submit: bool, force: bool = False) -> None:
        found = self.doc.project.find_region(rid)
        if found is None:
            self._forget(rid)
            return
        region = found[1]
        st = self._states.setdefault(rid, RegionState())
        req, err = self._request_for(rid)
        if req is None:
            st.rev += 1
            st.request = None
            self.worker.drop(rid)
            self._set_status(rid, FAILED, err)
            return
        if not region.text.strip():
            st.rev += 1
            st.request = req
            self.worker.drop(rid)
            st.clip, st.clip_request = None, None
            self._set_status(rid, EMPTY)
            return
        unchanged = req == st.request
        st.request = req
        if st.clip_request == req and st.clip is not None:
            self.worker.drop(rid)
            self._set_status(rid, READY)
            return
        remembered = self._memory.get(req)
        if remembered is not None:  # undo, or the same inputs as an earlier render
            st.clip, st.clip_request = remembered, req
            st.rev += 1
            self.worker.drop(rid)
            self._set_status(rid, READY)
            self._note_hash(rid, remembered.key)
            return
        if unchanged and st.status in (QUEUED, RENDERING) and not force:
            return
        if unchanged and st.status == FAILED and not force:
            return
        if not submit:
            self._set_status(rid, STALE if st.clip is not None else EMPTY)
            return
        st.rev += 1
        self._submitted[(rid, st.rev)] = req
        self.worker.submit(Job(rid, st.rev, req))
        self._set_status(rid, QUEUED)

    def _forget(self, rid: str) -> None:
        self._pending.discard(rid)
        self.worker.drop(rid)
        if self._states.pop(rid, None) is not None:
            self.statusChanged.emit(rid)
            self.clipsChanged.emit()

    def _mark_changed(self, rid: str) -> None:
        st = self._states.setdefault(rid, RegionState())
        region = self.doc.region(rid)
        if region is None:
            self._forget(rid)
            return
        req, _ = self._request_for(rid)
        if req is not None and req == st.request and st.status != EMPTY:
            return  # e.g. a move that keeps the duration: the clip still fits
        if st.status == READY:
            self._set_status(rid, STALE)
        self._pending.add(rid)
        self._debounce.start()

    def _note_hash(self, rid: str, key: str) -> None:
        region = self.doc.region(rid)
        if region is not None:
            region.render_hash = key  # a cache hint, not a user edit: no undo step

    def _remember(self, req: SynthesisRequest, clip: Clip) -> None:
        self._memory[req] = clip
        self._memory.move_to_end(req)
        while len(self._memory) > 512:
            self._memory.popitem(last=False)

    # ---- document signals ----
    def _on_region_changed(self, rid: str) -> None:
        self._mark_changed(rid)
        self.clipsChanged.emit()  # placements move with the region

    def _on_regions_changed(self, track_id: str) -> None:
        track = self.doc.track(track_id)
        present = {r.id for r in track.regions} if track else set()
        for rid in list(self._states):
            if rid not in present and self.doc.region(rid) is None:
                self._forget(rid)
        for rid in present:
            if rid not in self._states or self._states[rid].request is None:
                self._states.setdefault(rid, RegionState())
                self._pending.add(rid)
        if self._pending:
            self._debounce.start()
        self.clipsChanged.emit()

    def _on_tracks_changed(self) -> None:
        # a default voice may have changed: re-evaluate everything (equal requests cost nothing)
        for rid in list(self._states):
            if self.doc.region(rid) is None:
                self._forget(rid)
        for _, r in self.doc.project.all_regions():
            self._mark_changed(r.id)
        self.clipsChanged.emit()

    def _on_project_replaced(self) -> None:
        self.cancel_all()
        self._states.clear()
        self._pending.clear()
        self._rendering = None
        self.worker.set_cache_folder(self.doc.cache_dir())
        for _, r in self.doc.project.all_regions():
            st = self._states.setdefault(r.id, RegionState())
            if r.render_hash:
                st.status = STALE
        for _, r in self.doc.project.all_regions():
            self._evaluate(r.id, submit=self.auto_render)
        self.clipsChanged.emit()
        self.queueCountChanged.emit(self.queue_count())

    # ---- worker signals ----
    def _on_loading(self, msg: str) -> None:
        self.engine_state = "loading"
        self.engineMessage.emit(msg)
        self.engineStateChanged.emit("loading")

    def _on_ready(self, version: str, voices: list) -> None:
        self.engine_state = "ready"
        self.model_version = version
        self.voices = list(voices)
        self.engineStateChanged.emit("ready")

    def _on_failed(self, msg: str) -> None:
        self.engine_state = "failed"
        self.engine_error = msg
        self.engineMessage.emit(msg)
        self.engineStateChanged.emit("failed")

    def _on_queue(self, n: int) -> None:
        self._waiting = n
        self.queueCountChanged.emit(self.queue_count())

    def _on_started(self, rid: str, rev: int) -> None:
        self._rendering = rid
        st = self._states.get(rid)
        if st is not None and st.rev == rev:
            self._set_status(rid, RENDERING)
        self.queueCountChanged.emit(self.queue_count())

    def _on_finished(self, rid: str, rev: int, key: str, clip: Clip) -> None:
        if self._rendering == rid:
            self._rendering = None
        req = self._submitted.pop((rid, rev), None)
        st = self._states.get(rid)
        if req is not None:
            self._remember(req, clip)  # even when the region moved on: undo may come back to it
        if st is not None and req is not None:
            current, _ = self._request_for(rid)
            if current == req:
                st.clip, st.clip_request, st.request = clip, req, req
                st.error = ""
                self._note_hash(rid, key)
                self._set_status(rid, READY)
                self.statusChanged.emit(rid)  # the clip itself changed
            elif st.status != READY:
                # rendered for inputs that have changed since: show it as the stale picture
                st.clip, st.clip_request = clip, req
                if st.status == RENDERING:
                    self._set_status(rid, QUEUED if rid in self.worker.pending() or rid in self._pending else STALE)
                self.statusChanged.emit(rid)
        self.queueCountChanged.emit(self.queue_count())

    def _on_failed_job(self, rid: str, rev: int, message: str) -> None:
        self._submitted.pop((rid, rev), None)
        if self._rendering == rid:
            self._rendering = None
        st = self._states.get(rid)
        if st is not None and st.rev == rev and rid not in self._pending:
            self._set_status(rid, FAILED, message)
        self.queueCountChanged.emit(self.queue_count())
