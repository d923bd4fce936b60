"""Data Dubline ships: demo media and lines, emotion anchors, icons, sample keyframes, model weights.

Installed, this folder is the package ``dubline_resources``; read it through
``engine.resources`` (importlib.resources), never by a path relative to the code.
"""
