"""The project floor: everything about a dubbing project that needs no Qt.

The model and its file format (``project.model``), timecode, importers, keyframes, media decoding
and proxies, render orchestration and its cache, mixing and exports.  It imports the engine below
it and never ``editor`` (Qt), ``cli`` or PySide6/pyqtgraph (checked by ``tests/test_layers.py``).
Every problem a user can cause here is a :class:`project.errors.ProjectError`.
"""
