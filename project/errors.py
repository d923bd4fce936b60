"""The one error base of the project floor (project files, media, importers, keyframes, render, export).

Every problem a user can cause on this floor is a :class:`DublineError` whose
``str()`` is one line meant for them; the CLI maps it (like the engine's
``EngineError``) to that line and exit code 2.  Anything else escaping is a bug.

The floor's errors, all derived from it: ``project.model.ProjectError`` (project files),
``project.media.MediaError``, ``project.importers.SubtitleImportError``,
``project.keyframes.KeyframeError``, ``project.timecode.TimecodeError``,
``project.headless.RenderFailed``, ``project.export.ExportError`` and the two below.
"""

from __future__ import annotations


class DublineError(Exception):
    """Base for user-facing errors of the project floor; ``str(e)`` is one line."""


class UnsafePathError(DublineError):
    """A name or path from a project file (or the command line) would reach outside its folder."""


class OutputError(DublineError):
    """An output would overwrite something it must not (the project, its media, an input)."""
