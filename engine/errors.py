"""Errors the engine raises.  Every one of them carries a message fit for a user.

``EngineError`` subclasses are "the user can fix this" problems (bad text, bad
duration, missing model package); anything else escaping the engine is a bug.
"""

from __future__ import annotations


class EngineError(Exception):
    """Base for problems a user can cause or fix.  ``str(e)`` is one line."""


class RequestError(EngineError):
    """The request itself is invalid (duration, emotion, voice, ...)."""


class ModelError(EngineError):
    """The model files are missing or damaged."""


class DurationError(RequestError):
    """The requested duration (or an anchor) cannot be met."""
