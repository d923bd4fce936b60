"""Dubline's speech engine: one request (text, voice, emotion, duration) in,
audio plus per-character timings out.  No Qt in here.

    from engine import generate, SynthesisRequest, DurationSpec
    result = generate(SynthesisRequest("你好，世界。", duration=DurationSpec.exact(2.0)))
"""

from engine.errors import DurationError, EngineError, ModelError, RequestError
from engine.types import (
    EMOTIONS,
    DurationSpec,
    EmotionSpec,
    SynthesisRequest,
    SynthesisResult,
    UnitTiming,
)

__all__ = [
    "EMOTIONS",
    "DurationError",
    "DurationSpec",
    "EmotionSpec",
    "EngineError",
    "ModelError",
    "RequestError",
    "SynthesisRequest",
    "SynthesisResult",
    "UnitTiming",
    "generate",
    "get_engine",
]


def get_engine(backend: str = "embedded", device: str = "auto"):
    """The shared engine for ``backend`` (loaded once, on first use)."""
    from engine.api import get_engine as _get

    return _get(backend=backend, device=device)


def generate(request: SynthesisRequest, backend: str = "embedded", device: str = "auto") -> SynthesisResult:
    """Speak one line.  Raises :class:`EngineError` subclasses for user errors."""
    return get_engine(backend, device).generate(request)
