"""The embedded speech engine (Kokoro ONNX graph, cut into stages, with Dubline's duration control).

Its backend (``kokoro_backend``), graph preparation (``kokoro_graph``, ``onnx_speed``, the native
kernels in ``native``), Mandarin tone shaping (``tones``), the heard-timing and warping maths
(``heard``, ``warp``).  Other backends (``engine.indextts2``) are handed a factory for it by
``engine.api`` instead of importing it.

The bytes of ``onnx_speed.py`` and ``native/ortops.c`` key the graph and kernel caches (editing even a
comment rebuilds them, and worktrees with different keys prune each other's graphs), so the old paths
named in their comments (``engine/native``, ``engine/onnx_speed.py``) were left as they were.
"""
