"""Regions on the system clipboard: a Dubline MIME type (JSON) plus the lines as plain text.

Copying between two Dubline windows works through the JSON; pasting into a
text editor gives the lines, one per row.
"""

from __future__ import annotations

import json
from dataclasses import asdict, fields

from PySide6.QtCore import QMimeData
from PySide6.QtGui import QGuiApplication

from project.model import Region
from project.region_edits import ClipItem

MIME = "application/x-dubline-regions+json"
_FIELDS = {f.name for f in fields(Region)}


def to_mime(items: list[ClipItem]) -> QMimeData:
    data = QMimeData()
    payload = [{"region": asdict(i.region), "offset": i.offset, "track_offset": i.track_offset} for i in items]
    data.setData(MIME, json.dumps({"version": 1, "items": payload}, ensure_ascii=False).encode("utf-8"))
    data.setText("\n".join(i.region.text for i in items))
    return data


def from_mime(data: QMimeData | None) -> list[ClipItem]:
    """The copied regions, or [] when the clipboard holds none (or something malformed)."""
    if data is None or not data.hasFormat(MIME):
        return []
    try:
        root = json.loads(bytes(data.data(MIME)).decode("utf-8"))
        out = []
        for it in root["items"]:
            values = {k: v for k, v in dict(it["region"]).items() if k in _FIELDS}
            r = Region(**values)
            if not (isinstance(r.start, (int, float)) and isinstance(r.end, (int, float)) and r.end > r.start
                    and isinstance(r.text, str)):
                return []
            out.append(ClipItem(r, max(0.0, float(it["offset"])), max(0, int(it["track_offset"]))))
        return out
    except (ValueError, KeyError, TypeError, AttributeError):
        return []


_exit_hook = False


def _clear_offscreen_clipboard() -> None:
    app = QGuiApplication.instance()
    if app is not None and QGuiApplication.platformName() == "offscreen":
        QGuiApplication.clipboard().clear()


def put(items: list[ClipItem]) -> None:
    global _exit_hook
    QGuiApplication.clipboard().setMimeData(to_mime(items))
    if not _exit_hook:
        # PySide6 on Qt's offscreen platform (tests, headless runs) crashes at exit when the
        # clipboard still holds mime data set from Python; a real display hands it on normally
        import atexit

        atexit.register(_clear_offscreen_clipboard)
        _exit_hook = True


def get() -> list[ClipItem]:
    return from_mime(QGuiApplication.clipboard().mimeData())
