"""The IndexTTS2 worker process: runs inside the IndexTTS2 environment (its own venv, own torch).

Dubline's editor and CLI never import torch or ``indextts``; they start this
module with the IndexTTS2 environment's Python and talk to it over a pipe, one
JSON object per line (requests on stdin, replies on the original stdout; every
library print is sent to stderr).  The model loads once per process; ending
the process is what frees the GPU memory when the user switches backends.

What this adapter adds to the released ``indextts`` package, without touching
its files:

* exact durations: a forward pre-hook on ``s2mel.models["length_regulator"]``
  replaces ``ylens`` (the mel length of each text segment) by planned lengths;
  the speaker prompt's own call through the same module is left alone;
* speaker and emotion conditioning cached per reference content hash for every
  voice of a project (the package keeps only the last one);
* one seed per segment, so a line renders the same whatever ran before;
* version-guarded fixes: transformers >= 5.2 stopped passing the all-ones
  attention mask and passes the KV cache as ``cache``; the package's
  ``prepare_inputs_for_generation`` then runs without a cache (every step
  recomputes the whole sequence) and would fail on ``attention_mask.shape``
  once a cache is present.  We hand it both back.  torchaudio >= 2.9 saves
  through torchcodec, which the package does not declare: we never let it
  save (``output_path=None``) and write audio ourselves.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import time
import traceback
from collections import OrderedDict

ADAPTER_VERSION = 1


class UserFacingError(Exception):
    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def _file_hash(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:24]


def _lru_put(d: OrderedDict, key, value, cap: int) -> None:
    d[key] = value
    d.move_to_end(key)
    while len(d) > cap:
        d.popitem(last=False)


class Adapter:
    def __init__(self, send_progress):
        self.tts = None
        self.progress = send_progress
        self.info: dict = {}
        # per-call state read by the hooks
        self.in_prompt = False
        self.plan: dict | None = None
        self.segment = 0
        self.seed = 0
        self.record: list[dict] = []
        self.emo_text_result: list[float] | None = None
        self.spk_cache: OrderedDict = OrderedDict()
        self.emo_cache: OrderedDict = OrderedDict()
        self.stats = {"speaker_hits": 0, "speaker_misses": 0, "emotion_hits": 0, "emotion_misses": 0}

    # ------------------------------------------------------------------ load
    def load(self, checkpoints: str, hf_cache: str, device: str, fp16: bool) -> dict:
        import torch
        import transformers

        warnings = []
        if device == "cuda" and not torch.cuda.is_available():
            raise UserFacingError("request", "CUDA was asked for but this IndexTTS2 environment sees no GPU "
                                             f"(torch {torch.__version__}); choose device auto or cpu")
        if device == "auto":
            device = "cuda:0" if torch.cuda.is_available() else "cpu"
        elif device == "cuda":
            device = "cuda:0"
        if device == "cpu":
            warnings.append("IndexTTS2 is running on the CPU: expect a minute or more per line "
                            "(an NVIDIA GPU makes it real time)")
            fp16 = False
        self.progress("loading IndexTTS2 (GPT, semantic model, s2mel, vocoder)")
        from indextts.infer_v2 import IndexTTS2

        t0 = time.perf_counter()
        self.tts = IndexTTS2(model_dir=checkpoints, cfg_path=os.path.join(checkpoints, "config.yaml"),
                             use_fp16=fp16, device=device, use_cuda_kernel=False)
        patched = self._patch()
        self.info = {
            "device": "cuda" if device.startswith("cuda") else "cpu",
            "fp16": bool(self.tts.use_fp16),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "indextts": _package_version(),
            "patched": patched,
            "load_seconds": round(time.perf_counter() - t0, 2),
            "warnings": warnings,
            "gpu": torch.cuda.get_device_name(0) if device.startswith("cuda") else None,
        }
        return self.info

    def _patch(self) -> list[str]:
        import torch

        tts = self.tts
        done = []
        # 1. exact mel lengths: a pre-hook on the length regulator
        tts.s2mel.models["length_regulator"].register_forward_pre_hook(self._ylens_hook, with_kwargs=True)
        done.append("length_regulator ylens pre-hook")

        # 2. conditioning caches for all voices (the package keeps the last prompt only)
        def cached(orig, cache: OrderedDict, what: str, in_prompt: bool):
            def get(path, verbose=False):
                key = _file_hash(path)
                hit = cache.get(key)
                if hit is not None:
                    cache.move_to_end(key)
                    self.stats[f"{what}_hits"] += 1
                    return hit
                self.stats[f"{what}_misses"] += 1
                self.in_prompt = in_prompt  # the speaker prompt runs the length regulator: leave it alone
                try:
                    res = orig(path, verbose)
                finally:
                    self.in_prompt = False
                _lru_put(cache, key, res, 32)
                return res

            return get

        speaker = cached(tts._get_speaker_conditioning, self.spk_cache, "speaker", True)
        emotion = cached(tts._get_emotion_conditioning, self.emo_cache, "emotion", False)
        tts._get_speaker_conditioning = speaker
        tts._get_emotion_conditioning = emotion
        done.append("conditioning cache per reference")

        # 3. a seed per segment, and the natural length of every segment
        orig_speech = tts.gpt.inference_speech

        def inference_speech(*args, **kwargs):
            import random

            s = (self.seed * 1000003 + self.segment * 7919) % (2**31)
            torch.manual_seed(s)
            random.seed(s)
            codes, latent = orig_speech(*args, **kwargs)
            return codes, latent

        tts.gpt.inference_speech = inference_speech

        # 4. the emotion text model's answer, to report the vector it chose
        if getattr(tts, "qwen_emo", None) is not None:
            orig_qwen = tts.qwen_emo.inference

            def qwen(text_input):
                d = orig_qwen(text_input)
                self.emo_text_result = [float(v) for v in d.values()]
                return d

            tts.qwen_emo.inference = qwen

        # 5. transformers >= 5.2: generate() drops the all-ones attention mask and passes the cache
        #    as ``cache``; hand both back to the package's prepare_inputs_for_generation.
        if _transformers_at_least(5, 2) and hasattr(tts.gpt, "inference_model"):
            model = tts.gpt.inference_model
            orig_prep = model.prepare_inputs_for_generation

            def prepare_inputs_for_generation(input_ids, past_key_values=None, attention_mask=None, **kwargs):
                cache = kwargs.pop("cache", None)
                if past_key_values is None and cache is not None:
                    past_key_values = cache
                if attention_mask is None:
                    attention_mask = torch.ones(input_ids.shape[:2], dtype=torch.long, device=input_ids.device)
                return orig_prep(input_ids, past_key_values=past_key_values, attention_mask=attention_mask, **kwargs)

            model.prepare_inputs_for_generation = prepare_inputs_for_generation
            done.append("attention mask and KV cache restored in prepare_inputs_for_generation")
        return done

    def _ylens_hook(self, module, args, kwargs):
        """Replace each text segment's mel length by the planned one (the prompt's call passes through)."""
        import torch

        if self.in_prompt or self.plan is None:
            return None
        ylens = kwargs.get("ylens")
        if ylens is None:
            return None
        natural = float(ylens.reshape(-1)[0].item())  # the package's (codes x 1.72) mel frames
        plan = self.plan
        i = self.segment
        self.segment += 1
        if plan["mode"] == "natural":
            frames = max(1, int(natural))
        elif plan["mode"] == "ratio":
            frames = max(1, int(round(natural * plan["ratio"])))
        else:
            from engine.indextts2.plan import next_segment_frames

            seen_frames = sum(r["natural_frames"] for r in self.record) + natural
            seen_tokens = sum(plan["text_tokens"][: i + 1])
            rate = seen_frames / max(1, seen_tokens)
            frames = next_segment_frames(plan["remaining"], natural, plan["text_tokens"][i + 1:], rate)
            plan["remaining"] -= frames
        self.record.append({"natural_frames": natural, "frames": frames})
        kwargs = dict(kwargs)
        kwargs["ylens"] = torch.full_like(ylens, frames)
        return args, kwargs

    # ------------------------------------------------------------------ requests
    def _segments(self, text: str) -> list[list[str]]:
        """The text's BPE tokens, split into segments exactly as the package's infer splits them."""
        tok = self.tts.tokenizer
        return tok.split_segments(tok.tokenize(text), self.max_tokens_per_segment, quick_streaming_tokens=0)

    max_tokens_per_segment = 120

    def tokens(self, text: str, glossary: dict) -> dict:
        self._set_glossary(glossary)
        tok = self.tts.tokenizer
        normalized = tok.normalizer.normalize(text) if tok.normalizer else text
        return {"normalized": normalized, "segments": [" ".join(s) for s in self._segments(text)]}

    def _set_glossary(self, glossary: dict) -> None:
        norm = self.tts.normalizer
        if not hasattr(self, "_base_glossary"):
            self._base_glossary = dict(norm.term_glossary)
        merged = dict(self._base_glossary)
        merged.update({k: {"zh": v, "en": v} for k, v in glossary.items()})
        norm.term_glossary = merged

    def generate(self, req: dict) -> dict:
        import numpy as np

        self._set_glossary(req.get("glossary") or {})
        kwargs, alpha, reported = self._infer_kwargs(req)
        out_pieces = []
        chunks = []
        self.emo_text_result = None
        for pi, piece in enumerate(req["pieces"]):
            lead = int(piece.get("lead_samples", 0))
            if lead:
                chunks.append(np.zeros(lead, np.float32))
            wav, info = self._speak_piece(req, pi, piece, kwargs)
            chunks.append(wav)
            info["lead"] = lead
            out_pieces.append(info)
        audio = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        audio.astype(np.float32).tofile(req["out"])
        if self.emo_text_result is not None:
            scale = max(0.0, min(1.0, alpha))
            reported = [v * scale for v in self.emo_text_result]
        applied = {k: v for k, v in kwargs.items() if k.startswith("emo") or k == "use_emo_text"}
        return {"samples": int(len(audio)), "sample_rate": 22050, "pieces": out_pieces,
                "emotion_vector": reported, "applied": applied, "cache": dict(self.stats)}

    @staticmethod
    def _infer_kwargs(req: dict) -> tuple[dict, float, list[float] | None]:
        """The package's ``infer`` keyword arguments for a request (emotion source, sampling), the
        emotion intensity, and the emotion vector to report when it is known up front."""
        emo = req.get("emotion") or {}
        kwargs: dict = {}
        alpha = float(emo.get("intensity", 1.0))
        reported = None
        if emo.get("vector") is not None:
            kwargs["emo_vector"] = [float(v) for v in emo["vector"]]
            kwargs["emo_alpha"] = alpha
            reported = [min(1.0, max(0.0, v)) * alpha for v in kwargs["emo_vector"]]
        elif emo.get("text") or emo.get("from_line"):
            kwargs["use_emo_text"] = True
            kwargs["emo_text"] = emo.get("text") or None
            kwargs["emo_alpha"] = alpha
        elif emo.get("audio"):
            kwargs["emo_audio_prompt"] = emo["audio"]
            kwargs["emo_alpha"] = alpha
        if req.get("max_mel_tokens"):
            kwargs["max_mel_tokens"] = int(req["max_mel_tokens"])
        for k in ("top_k", "top_p", "temperature", "num_beams"):
            if req.get(k) is not None:
                kwargs[k] = req[k]
        return kwargs, alpha, reported

    def _speak_piece(self, req: dict, pi: int, piece: dict, kwargs: dict):
        """One piece of the line: its audio (exactly ``samples`` long when given) and what to report
        about it (the planned segments and their natural lengths)."""
        import numpy as np

        text = piece["text"]
        target = piece.get("samples")
        if not piece.get("speak", True):
            n = int(target or 0)
            return np.zeros(n, np.float32), {"samples": n, "natural_frames": 0.0, "segments": []}
        text_tokens = [len(seg) for seg in self._segments(text)]
        n_seg = max(1, len(text_tokens))
        from engine.indextts2.plan import frames_budget, silence_samples

        sil = silence_samples(n_seg, target)
        plan: dict = {"mode": "natural", "text_tokens": text_tokens}
        if target is not None:
            plan["mode"] = "exact"
            plan["remaining"] = frames_budget(int(target), n_seg, sil)
        elif piece.get("ratio") is not None:
            plan["mode"] = "ratio"
            plan["ratio"] = float(piece["ratio"])
        self.plan = plan
        self.segment = 0
        self.record = []
        self.seed = int(req.get("seed", 0)) * 101 + pi
        interval_ms = (sil + 0.5) * 1000.0 / 22050.0  # the package takes int(22050 * ms / 1000)
        try:
            res = self.tts.infer(req["speaker"], text, None, interval_silence=interval_ms,
                                 verbose=False, max_text_tokens_per_segment=self.max_tokens_per_segment, **kwargs)
        finally:
            self.plan = None
        if res is None:
            raise UserFacingError("request", f"IndexTTS2 produced nothing for {text!r} (no readable tokens)")
        sr, pcm = res
        wav = np.asarray(pcm, np.float32).reshape(-1) / 32767.0
        if target is not None:
            if len(wav) < int(target):
                wav = np.concatenate([wav, np.zeros(int(target) - len(wav), np.float32)])
            wav = wav[: int(target)]
        return wav, {
            "samples": int(len(wav)),
            "natural_frames": float(sum(r["natural_frames"] for r in self.record)),
            "segments": [dict(r) for r in self.record],
            "silence": sil,
        }

    def selftest(self) -> dict:
        """How many tokens each GPT forward pass received while generating a short line: with the
        KV cache working, every step after the first gets exactly one."""
        import functools

        model = self.tts.gpt.inference_model
        orig = model.forward
        lengths: list[int] = []

        @functools.wraps(orig)
        def forward(*args, **kwargs):
            ids = kwargs.get("input_ids", args[0] if args else None)
            lengths.append(int(ids.shape[1]))
            return orig(*args, **kwargs)

        model.forward = forward
        try:
            speaker = self._selftest_speaker()
            self.natural({"text": "HELLO WORLD", "speaker": speaker, "max_mel_tokens": 12})
        finally:
            del model.forward
        return {"input_lengths": lengths}

    def _selftest_speaker(self) -> str:
        import tempfile

        import numpy as np
        import soundfile as sf

        p = os.path.join(tempfile.gettempdir(), "dubline-indextts2-selftest.wav")
        if not os.path.exists(p):
            t = np.arange(2 * 22050) / 22050
            sf.write(p, (0.2 * np.sin(2 * np.pi * 150 * t) * (0.6 + 0.4 * np.sin(2 * np.pi * 3 * t))).astype(np.float32),
                     22050)
        return p

    def memory(self) -> dict:
        """GPU memory now and at its peak since the last call (the benchmark's VRAM figure)."""
        import torch

        if not torch.cuda.is_available() or self.info.get("device") != "cuda":
            return {"cuda": False}
        mb = 1 << 20
        out = {"cuda": True, "allocated_mb": torch.cuda.memory_allocated() / mb,
               "peak_mb": torch.cuda.max_memory_allocated() / mb, "reserved_mb": torch.cuda.memory_reserved() / mb}
        torch.cuda.reset_peak_memory_stats()
        return out

    def natural(self, req: dict) -> dict:
        """Natural length in samples: the GPT stage only (no mel, no vocoder)."""
        import torch

        from engine.indextts2.plan import CODE_TO_FRAMES, HOP, silence_samples

        tts = self.tts
        self._set_glossary(req.get("glossary") or {})
        segments = self._segments(req["text"])
        spk_cond, _style, _prompt, _mel = tts._get_speaker_conditioning(req["speaker"])
        emo_cond = tts._get_emotion_conditioning(req["speaker"])  # neutral: the voice's own, as infer does
        frames = 0
        self.seed = int(req.get("seed", 0)) * 101
        for i, seg in enumerate(segments):
            self.segment = i
            ids = torch.tensor(tts.tokenizer.convert_tokens_to_ids(seg), dtype=torch.int32,
                               device=tts.device).unsqueeze(0)
            # under fp16 the GPT is half precision: autocast exactly as the package's own infer does
            with torch.no_grad(), torch.amp.autocast(ids.device.type, enabled=tts.dtype is not None, dtype=tts.dtype):
                lens = torch.tensor([spk_cond.shape[-1]], device=ids.device)
                elens = torch.tensor([emo_cond.shape[-1]], device=ids.device)
                emovec = tts.gpt.merge_emovec(spk_cond, emo_cond, lens, elens, alpha=1.0)
                codes, _ = tts.gpt.inference_speech(
                    spk_cond, ids, emo_cond, cond_lengths=lens, emo_cond_lengths=elens, emo_vec=emovec,
                    do_sample=True, top_p=0.8, top_k=30, temperature=0.8, num_return_sequences=1,
                    length_penalty=0.0, num_beams=3, repetition_penalty=10.0,
                    max_generate_length=int(req.get("max_mel_tokens") or 1500))
            code = codes[0]
            stop = (code == tts.stop_mel_token).nonzero(as_tuple=False)
            n = int(stop[0].item()) if len(stop) else len(code)
            frames += int(n * CODE_TO_FRAMES)  # as the package: (code_lens * 1.72).long()
        samples = frames * HOP + max(0, len(segments) - 1) * silence_samples(len(segments), None)
        return {"samples": samples}


def _free_gpu_cache() -> None:
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
    except Exception:
        pass


def _transformers_at_least(major: int, minor: int) -> bool:
    import transformers

    parts = transformers.__version__.split(".")
    try:
        return (int(parts[0]), int(parts[1])) >= (major, minor)
    except (ValueError, IndexError):
        return True


def _package_version() -> str:
    try:
        from importlib.metadata import version

        return version("indextts2-inference")
    except Exception:
        return "unknown"


def main() -> int:
    # the protocol gets the real stdout; everything the libraries print goes to stderr
    proto = os.fdopen(os.dup(1), "w", buffering=1, encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def send(obj: dict) -> None:
        proto.write(json.dumps(obj, ensure_ascii=False) + "\n")
        proto.flush()

    adapter = Adapter(lambda msg: send({"progress": msg}))
    send({"hello": ADAPTER_VERSION, "python": sys.version.split()[0]})
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            req = json.loads(line)
        except json.JSONDecodeError:
            send({"ok": False, "kind": "internal", "error": "malformed request"})
            continue
        op = req.get("op")
        try:
            if op == "quit":
                send({"ok": True})
                return 0
            if op == "load":
                res = adapter.load(req["checkpoints"], req["hf_cache"], req.get("device", "auto"),
                                   bool(req.get("fp16", False)))
            elif adapter.tts is None:
                raise UserFacingError("internal", "the model is not loaded")
            elif op == "generate":
                res = adapter.generate(req)
            elif op == "natural":
                res = adapter.natural(req)
            elif op == "selftest":
                res = adapter.selftest()
            elif op == "stats":
                res = adapter.memory()
            elif op == "tokens":
                res = adapter.tokens(req["text"], req.get("glossary") or {})
            else:
                raise UserFacingError("internal", f"unknown request {op!r}")
            send({"ok": True, **res})
        except UserFacingError as e:
            send({"ok": False, "kind": e.kind, "error": str(e)})
        except Exception as e:  # reported to the app, which shows one line and logs the rest
            from engine.errors import DurationError

            if isinstance(e, DurationError):
                send({"ok": False, "kind": "duration", "error": str(e)})
                continue
            if type(e).__name__ == "OutOfMemoryError" or "out of memory" in str(e).lower():
                _free_gpu_cache()
                send({"ok": False, "kind": "model", "error": "the GPU ran out of memory: close other programs "
                      "using it, turn on fp16 in Preferences, or split the line"})
                continue
            send({"ok": False, "kind": "internal", "error": f"{type(e).__name__}: {e}",
                  "trace": traceback.format_exc()[-4000:]})
    return 0


if __name__ == "__main__":
    sys.exit(main())
