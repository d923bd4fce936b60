"""The protocol every speech backend implements, and device selection.

The embedded Kokoro backend implements it now; the CUDA IndexTTS2 backend will
join behind the same methods, so the editor and CLI never care which one runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from engine.types import SynthesisRequest, SynthesisResult

ProgressFn = Callable[[str], None]


class Backend(Protocol):
    name: str
    sample_rate: int
    device: str

    def generate(self, request: SynthesisRequest) -> SynthesisResult:
        """Speak one line (raises EngineError subclasses for user errors)."""

    def natural_seconds(self, text: str, voice: str, glossary: tuple[tuple[str, str], ...] = ()) -> float:
        """Natural length of a line without synthesising it (fast)."""

    def phonemes(self, text: str, glossary: tuple[tuple[str, str], ...] = ()) -> str:
        """The phoneme string the model will read, for debugging pronunciations."""

    def voices(self) -> list[str]:
        """Names of the voices this backend can speak with."""

    def model_version(self) -> str:
        """Identifies the model and engine version: part of render cache keys."""


def pick_onnx_providers(device: str) -> list[str]:
    """onnxruntime providers for ``device`` ("auto", "cpu", "cuda")."""
    import onnxruntime as ort

    available = ort.get_available_providers()
    if device == "cpu":
        return ["CPUExecutionProvider"]
    if device in ("auto", "cuda") and "CUDAExecutionProvider" in available:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    if device == "cuda":
        from engine.errors import RequestError

        raise RequestError("CUDA was asked for but onnxruntime-gpu with a working GPU is not available")
    return ["CPUExecutionProvider"]
