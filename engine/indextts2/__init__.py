"""The IndexTTS2 backend: the released IndexTTS2 model behind Dubline's engine API.

The model runs in a worker process (:mod:`engine.indextts2.worker`) started
with the IndexTTS2 environment's Python: that environment has its own torch
(CUDA) and never mixes with the editor's.  This class is what the editor and
the CLI hold: it checks the files first (clear message, nothing downloaded),
resolves voices to speaker prompts, maps Dubline's pinyin overrides, glossary,
emotion and duration controls onto the package's inputs, and reads the audio
back.

    eng = IndexTTS2Backend(IndexTTS2Settings(checkpoints=..., hf_cache=...))
    res = eng.generate(SynthesisRequest("出发[fā chū]吧！", duration=DurationSpec.exact(2.0)))
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import tempfile
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from engine.atomic import atomic_path
from engine.backend import ProgressFn
from engine.errors import DurationError, EngineError, ModelError, RequestError
from engine.indextts2 import plan as P
from engine.indextts2.setup import IndexTTS2Settings, check_files, find_python, hub_dir, model_hash, repo_root
from engine.types import SynthesisRequest, SynthesisResult, UnitTiming

log = logging.getLogger(__name__)

ADAPTER_VERSION = 1
#: What a stock (Kokoro) voice says once to become an IndexTTS2 speaker prompt.
STOCK_REFERENCE_TEXT = "大家好，今天我们一起去看看这座城市的风景。Welcome, it is a lovely day for a walk."

__all__ = ["IndexTTS2Backend", "IndexTTS2Settings", "check_files"]


class IndexTTS2Backend:
    name = "indextts2"
    sample_rate = P.SAMPLE_RATE

    def __init__(self, settings: IndexTTS2Settings | None = None, device: str = "auto",
                 progress: ProgressFn | None = None, start_timeout: float = 900.0,
                 embedded: Callable[[], Any] | None = None):
        """``embedded`` gives the embedded engine (it speaks the stock voices' speaker prompts);
        ``engine.api`` hands its shared instance; without it one is made on first need."""
        self._embedded_factory = embedded
        self.settings = settings or IndexTTS2Settings.from_env()
        missing = check_files(self.settings.checkpoints, self.settings.hf_cache)
        if missing:
            more = f" (and {len(missing) - 4} more)" if len(missing) > 4 else ""
            raise ModelError("IndexTTS2 cannot start: " + "; ".join(missing[:4]) + more)
        self.python = find_python(self.settings.python)
        self.device = device
        self._lock = threading.RLock()
        self._progress = progress
        self._proc: subprocess.Popen | None = None
        self._closed = False
        self._start_timeout = start_timeout
        self._tmp = tempfile.TemporaryDirectory(prefix="dubline-indextts2-")
        self._natural: OrderedDict = OrderedDict()
        self._stock_names = _stock_names()
        self._hash = model_hash(self.settings.checkpoints, self.settings.hf_cache)
        self._version = f"indextts2-{self._hash}-a{ADAPTER_VERSION}"
        self.info: dict = {}
        self.last_reply: dict = {}
        self._pending_warnings: list[str] = []
        try:
            self._start(start_timeout)
        except BaseException:
            self.close()  # a worker that could not load must not linger
            raise

    # ------------------------------------------------------------------ process
    def _start(self, timeout: float) -> None:
        env = dict(os.environ)
        env.update({
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "HF_DATASETS_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "DO_NOT_TRACK": "1",
            "HF_HUB_CACHE": str(hub_dir(self.settings.hf_cache)),
            "PYTHONPATH": str(repo_root()) + os.pathsep + env.get("PYTHONPATH", ""),
            "PYTHONUNBUFFERED": "1",
            "TOKENIZERS_PARALLELISM": "false",
        })
        env.pop("HF_ENDPOINT", None)
        self._log_path = Path(self._tmp.name) / "worker.log"
        self._log = open(self._log_path, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the worker
        try:
            self._proc = subprocess.Popen(
                [self.python, "-m", "engine.indextts2.worker"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=self._log, env=env, cwd=str(repo_root()), text=True, encoding="utf-8", bufsize=1)
        except OSError as e:
            raise ModelError(f"cannot start the IndexTTS2 environment's Python {self.python}: {e.strerror}") from e
        hello = self._read(timeout=120)
        if "hello" not in hello:
            raise ModelError(f"the IndexTTS2 worker did not start: {self._log_tail()}")
        info = self._call({"op": "load", "checkpoints": str(Path(self.settings.checkpoints).expanduser()),
                           "hf_cache": str(hub_dir(self.settings.hf_cache)), "device": self.device,
                           "fp16": bool(self.settings.fp16)}, timeout=timeout)
        self.info = info
        self.device = info.get("device", self.device)
        self._pending_warnings = list(info.get("warnings", []))  # told once, with the first line rendered

    def _log_tail(self) -> str:
        try:
            self._log.flush()
            lines = [ln for ln in self._log_path.read_text(encoding="utf-8", errors="replace").splitlines()
                     if ln.strip()]
        except OSError:
            return "no log"
        errs = [ln for ln in lines if "Error" in ln or "error" in ln]
        return (errs[-1] if errs else (lines[-1] if lines else "it exited without a message")).strip()[:300]

    def _read(self, timeout: float) -> dict:
        assert self._proc is not None and self._proc.stdout is not None
        result: list = []
        stream = self._proc.stdout

        def reader():
            try:
                result.append(stream.readline())
            except (OSError, ValueError):  # closed under us (the process was stopped)
                result.append("")

        while True:
            t = threading.Thread(target=reader, daemon=True)
            t.start()
            t.join(timeout)
            if t.is_alive():
                self._stop_process()
                raise ModelError(f"IndexTTS2 did not answer within {timeout:.0f} s; it was stopped")
            line = result.pop() if result else ""
            if not line:
                code = self._proc.poll() if self._proc else None
                tail = self._log_tail()
                self._proc = None
                raise ModelError(f"the IndexTTS2 process stopped (exit code {code}): {tail}")
            try:
                msg = json.loads(line)
            except json.JSONDecodeError:
                continue
            if "progress" in msg:
                if self._progress:
                    self._progress(str(msg["progress"]))
                continue
            return msg

    def _call(self, req: dict, timeout: float = 3600.0) -> dict:
        with self._lock:
            if self._closed:
                raise ModelError("the IndexTTS2 process is not running; switch backends or restart to load it again")
            if self._proc is None or self._proc.poll() is not None:
                # it died (killed for memory, a driver reset): load it again once, then carry on
                log.warning("the IndexTTS2 process ended (%s); starting it again", self._log_tail())
                self._stop_process()
                self._start(self._start_timeout)
            assert self._proc.stdin is not None
            try:
                self._proc.stdin.write(json.dumps(req, ensure_ascii=False) + "\n")
                self._proc.stdin.flush()
            except (BrokenPipeError, OSError):
                tail = self._log_tail()
                self._proc = None
                raise ModelError(f"the IndexTTS2 process stopped: {tail}") from None
            msg = self._read(timeout)
        if msg.get("ok"):
            return msg
        kind = msg.get("kind")
        err = str(msg.get("error", "unknown error"))
        if kind == "duration":
            raise DurationError(err)
        if kind == "request":
            raise RequestError(err)
        if msg.get("trace"):
            log.error("IndexTTS2 worker error:\n%s", msg["trace"])
        raise ModelError(f"IndexTTS2 failed: {err}")

    def close(self) -> None:
        """Stop the worker: the model and every byte of GPU memory it held are released."""
        self._closed = True
        self._stop_process()

    def _stop_process(self) -> None:
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            if proc.poll() is None and proc.stdin is not None:
                proc.stdin.write(json.dumps({"op": "quit"}) + "\n")
                proc.stdin.flush()
                proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            pass
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        try:
            self._log.close()
        except OSError:
            pass

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    # ------------------------------------------------------------------ info
    def memory(self) -> dict:
        """GPU memory of the worker (``{"cuda": False}`` on the CPU); resets the peak."""
        return self._call({"op": "stats"})

    def model_version(self) -> str:
        return self._version

    def stock_voices(self) -> list[str]:
        """The embedded engine's stock voices: each becomes a speaker prompt on first use."""
        return list(self._stock_names)

    def voices(self) -> list[str]:
        from engine import voices as vl

        return vl.available(self._stock_names)

    # ------------------------------------------------------------------ voices -> speaker prompts
    def speaker_prompt(self, voice) -> str:
        """A WAV file IndexTTS2 clones the voice from.

        A recording's path is used as it is (true zero-shot); a library voice
        gives its cleaned reference speech; a stock voice speaks a sentence once
        with the embedded engine, and that becomes its prompt.  Every file is
        named by its content, so a re-recorded or re-enrolled voice is never stale.
        """
        from engine import voices as vl

        if not isinstance(voice, str):
            return self._template_wav(voice)
        if vl.is_recording(voice):
            return self._recording_wav(Path(voice).resolve())
        t = vl.load(voice)  # ~1 ms, read each time like the embedded engine does
        if t is not None:
            return self._template_wav(t)
        if voice in self._stock_names:
            return self._stock_wav(voice)
        if "/" in voice or os.sep in voice or Path(voice).suffix.lower() in (".wav", ".flac", ".mp3", ".mp4"):
            raise RequestError(f"voice recording not found: {voice}")
        raise RequestError(f"unknown voice {voice!r}; available: {', '.join(self.voices())}")

    def _ref_dir(self) -> Path:
        from engine.model_store import cache_root

        d = cache_root() / "indextts2" / "speakers"
        d.mkdir(parents=True, exist_ok=True)
        return d

    def _recording_wav(self, src: Path) -> str:
        """A recording given as the voice: checked like an enrollment (silent, clipped, too short,
        music under it, several speakers: one clear message) and used at its own quality; other
        formats (video soundtracks, mp3) become a WAV first."""
        import soundfile as sf

        from engine import voices as vl

        digest = hashlib.sha256(src.read_bytes()).hexdigest()[:24]
        out = self._ref_dir() / f"rec-{digest}.wav"
        if out.is_file():
            return str(out)
        audio, sr = vl.read_reference(src)
        _speech, notes = vl.check_reference(audio, sr, name=src.name)
        self._pending_warnings += [n for n in notes if n not in self._pending_warnings]
        with atomic_path(out) as tmp:
            sf.write(str(tmp), np.asarray(audio, np.float32), int(sr), subtype="PCM_16", format="WAV")
        return str(out)

    def _template_wav(self, t) -> str:
        p = self._ref_dir() / f"tpl-{t.digest()}.wav"
        if not p.is_file():
            with atomic_path(p) as tmp:
                t.reference_wav(tmp)
        return str(p)

    def _embedded(self):
        if self._embedded_factory is None:
            from engine.embedded.kokoro_backend import KokoroBackend

            made = KokoroBackend(device="auto")
            self._embedded_factory = lambda: made
        return self._embedded_factory()

    def _stock_wav(self, voice: str) -> str:
        from engine.audio_io import write_audio

        emb = self._embedded()
        p = self._ref_dir() / f"stock-{voice}-{emb.model_version()}.wav"
        if not p.is_file():
            if self._progress:
                self._progress(f"preparing a speaker prompt for {voice}")
            res = emb.generate(SynthesisRequest(STOCK_REFERENCE_TEXT, voice=voice))
            write_audio(str(p), res.audio, res.sample_rate)  # atomic
        return str(p)

    # ------------------------------------------------------------------ text
    def _text(self, text: str) -> tuple[str, list[int]]:
        try:
            return P.map_text(text)
        except P.TextError as e:
            raise RequestError(str(e)) from None

    def _glossary(self, glossary) -> dict[str, str]:
        try:
            return P.glossary_entries(glossary)
        except P.TextError as e:
            raise RequestError(str(e)) from None

    def phonemes(self, text: str, glossary: tuple[tuple[str, str], ...] = ()) -> str:
        """What IndexTTS2 reads: its normalised text and the BPE pieces of each segment."""
        mapped, _ = self._text(text)
        res = self._call({"op": "tokens", "text": mapped, "glossary": self._glossary(glossary)})
        return res["normalized"] + "\n" + "\n".join(f"[{i + 1}] {s}" for i, s in enumerate(res["segments"]))

    def natural_seconds(self, text: str, voice: str, glossary: tuple[tuple[str, str], ...] = ()) -> float:
        mapped, _ = self._text(text)
        if not P.speakable(mapped):
            raise RequestError("nothing to say: the text has no words the engine can read")
        speaker = self.speaker_prompt(voice)
        key = (mapped, speaker, tuple(glossary))  # speaker prompt files are named by their content
        hit = self._natural.get(key)
        if hit is None:
            res = self._call({"op": "natural", "text": mapped, "speaker": speaker,
                              "glossary": self._glossary(glossary), "seed": 0})
            hit = res["samples"] / self.sample_rate
            self._natural[key] = hit
            while len(self._natural) > 256:
                self._natural.popitem(last=False)
        return hit

    # ------------------------------------------------------------------ generate
    def generate(self, request: SynthesisRequest) -> SynthesisResult:
        request.validate()
        text = request.text
        mapped_full, _ = self._text(text)  # validates the overrides of the whole line
        if not P.speakable(mapped_full):
            raise RequestError("nothing to say: the text has no words the engine can read")
        d = request.duration
        speaker = self.speaker_prompt(request.voice)
        glossary = self._glossary(request.glossary)
        total = None if d.mode != "exact" else int(round(float(d.seconds) * self.sample_rate))
        if d.mode == "exact" and d.anchors:
            pieces = P.anchor_pieces(text, total, d.anchors)
        else:
            pieces = [P.Piece(0, len(text), total)]
        wire = []
        for pc in pieces:
            sub = text[pc.src_start:pc.src_end]
            mapped, _ = self._text(sub) if P.speakable(sub) else (sub, [])
            wire.append({"text": mapped, "samples": pc.samples, "lead_samples": pc.lead_samples,
                         "ratio": d.ratio if d.mode == "ratio" else None, "speak": P.speakable(mapped)})
        emotion = self._emotion(request)
        out = Path(self._tmp.name) / "out.f32"
        req = {"op": "generate", "pieces": wire, "speaker": speaker, "glossary": glossary,
               "emotion": emotion, "seed": int(request.seed), "out": str(out)}
        if d.max_tokens:  # our frames are 25 ms; IndexTTS2's speech codes are 1.72 x 256 samples at 22.05 kHz
            req["max_mel_tokens"] = max(1, int(np.ceil(d.max_tokens * 0.025 * P.SAMPLE_RATE / (P.CODE_TO_FRAMES * P.HOP))))
        res = self._call(req)
        self.last_reply = res
        audio = np.fromfile(out, dtype=np.float32)
        if total is not None and len(audio) != total:  # the worker trims; a mismatch is a bug, not a user error
            raise ModelError(f"IndexTTS2 returned {len(audio)} samples instead of {total}")
        return self._result(request, mapped_full, pieces, res, audio)

    def _emotion(self, request: SynthesisRequest) -> dict:
        e = request.emotion
        out: dict = {"intensity": float(e.intensity)}
        if not e.is_neutral() and e.intensity > 0.9:
            self._pending_warnings.append(f"emotion intensity {e.intensity:g} is above 0.9 and may sound exaggerated")
        if e.vector is not None:
            from engine.emotion.profiles import normalise

            vec, notes = normalise(e.vector)  # same rules as the embedded engine: 0-1 each, sum <= 1
            self._pending_warnings += notes
            out["vector"] = list(vec)
        elif e.text:
            out["text"] = e.text
        elif e.audio:
            if not Path(e.audio).is_file():
                raise RequestError(f"emotion clip not found: {e.audio}")
            out["audio"] = str(Path(e.audio).resolve())
        elif e.from_line:
            out["from_line"] = True
        else:
            out["intensity"] = 1.0
        return out

    def _result(self, request: SynthesisRequest, mapped: str, pieces: list[P.Piece], res: dict,
                audio: np.ndarray) -> SynthesisResult:
        sr = self.sample_rate
        units: list[UnitTiming] = []
        natural_samples = 0
        pos = 0
        anchors = []
        for pc, info in zip(pieces, res["pieces"], strict=True):
            pos += int(info.get("lead", 0))
            n = int(info["samples"])
            segs = info.get("segments") or []
            natural_samples += int(round(float(info.get("natural_frames", 0.0)) * P.HOP))
            natural_samples += max(0, len(segs) - 1) * int(info.get("silence", 0))
            if request.duration.anchors and pc.src_start in {int(c) for c, _ in request.duration.anchors}:
                anchors.append((pc.src_start, pos / sr))
            a, b = P.speech_span(audio[pos:pos + n], sr)
            units += P.estimate_units(request.text, pc.src_start, pc.src_end, (pos + a) / sr, (pos + b) / sr)
            pos += n
        natural = natural_samples / sr if natural_samples else len(audio) / sr
        ratio = (len(audio) / sr) / natural if natural > 0 else 1.0
        warnings = self._pending_warnings + list(res.get("warnings", []))
        self._pending_warnings = []
        if request.duration.mode != "free":
            w = P.ratio_warning(ratio)
            if w:
                warnings.append(w)
        vec = res.get("emotion_vector")
        return SynthesisResult(
            audio=audio.astype(np.float32), sample_rate=sr, natural_seconds=natural, ratio=ratio,
            phonemes=mapped, units=units, token_durations=[], warnings=warnings, backend=self.name,
            voice=request.voice if isinstance(request.voice, str) else getattr(request.voice, "name", ""),
            emotion_vector=None if vec is None else tuple(round(float(v), 4) for v in vec),
            anchors_achieved=anchors,
        )


def _stock_names() -> list[str]:
    """The embedded engine's stock voice names (read once: they ship with the package)."""
    from engine.model_store import stock_voices_path

    try:
        with np.load(stock_voices_path()) as z:
            return sorted(z.files)
    except (OSError, ValueError, EngineError):
        return []
