"""The timeline: ruler, markers, source waveform and dub tracks on a pyqtgraph ViewBox."""

from editor.timeline.view import Hit, TimelineViewBox, TimelineWidget

__all__ = ["Hit", "TimelineViewBox", "TimelineWidget"]
