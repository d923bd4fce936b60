"""Progress of long command-line work: a bar with percentage, rate and ETA on a terminal, plain lines
otherwise (logs, CI), on stderr.  No Qt.

    bar = ProgressBar(270, "render", unit="regions")
    bar.update(12, "Dub 1: 你好")     # as often as you like: the terminal is redrawn at most 10 times a second
    bar.message("loading the speech model")   # a line of its own, the bar redrawn under it
    bar.close()
"""

from __future__ import annotations

import sys
import time


def _clock(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    h, rest = divmod(seconds, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ProgressBar:
    def __init__(self, total: int, label: str, unit: str = "items", stream=None, tty: bool | None = None,
                 width: int = 24, line_every: float = 5.0):
        self.total = max(0, int(total))
        self.label = label
        self.unit = unit
        self.stream = stream if stream is not None else sys.stderr
        if tty is None:
            isatty = getattr(self.stream, "isatty", None)
            tty = bool(isatty and isatty())
        self.tty = tty
        self.width = width
        self.line_every = line_every  # plain lines: at most one per this many seconds (and each 10%)
        self.start = time.perf_counter()
        self.done = 0
        self.note = ""
        self._drawn = 0.0
        self._last_line = -1.0
        self._last_tenth = -1
        self._shown = False
        self._printed = -1

    # ------------------------------------------------------------ figures
    def fraction(self) -> float:
        return 1.0 if self.total == 0 else min(1.0, self.done / self.total)

    def rate(self) -> float:
        elapsed = time.perf_counter() - self.start
        return self.done / elapsed if elapsed > 0 else 0.0

    def eta(self) -> float | None:
        r = self.rate()
        if r <= 0 or self.done == 0:
            return None
        return (self.total - self.done) / r

    def text(self) -> str:
        pct = 100.0 * self.fraction()
        rate = self.rate()
        eta = self.eta()
        parts = [f"{self.label} {pct:3.0f}%", f"{self.done}/{self.total} {self.unit}"]
        if self.done:
            parts.append(f"{rate:.1f} {self.unit}/s" if rate >= 1 or rate == 0 else f"{1 / rate:.1f} s each")
        parts.append(f"ETA {_clock(eta)}" if eta is not None and self.done < self.total
                     else f"{_clock(time.perf_counter() - self.start)} elapsed")
        return "  ".join(parts)

    # ------------------------------------------------------------ output
    def update(self, done: int, note: str = "") -> None:
        self.done = max(0, min(int(done), self.total)) if self.total else int(done)
        self.note = note
        now = time.perf_counter()
        if self.tty:
            if now - self._drawn >= 0.1 or self.done >= self.total:
                self._draw()
                self._drawn = now
            return
        tenth = int(10 * self.fraction())
        if tenth > self._last_tenth or now - self._last_line >= self.line_every:
            self._last_tenth = tenth
            self._last_line = now
            self._printed = self.done
            print(self.text() + (f"  {note}" if note else ""), file=self.stream, flush=True)

    def _draw(self) -> None:
        filled = int(round(self.width * self.fraction()))
        bar = "#" * filled + "." * (self.width - filled)
        line = f"[{bar}] {self.text()}"
        if self.note:
            line += f"  {self.note}"
        cols = 100
        print("\r" + line[:cols].ljust(cols), end="", file=self.stream, flush=True)
        self._shown = True

    def message(self, text: str) -> None:
        """A line of its own (loading the model, a note), without breaking the bar."""
        if self.tty and self._shown:
            print("\r" + " " * 100 + "\r", end="", file=self.stream)
        print(text, file=self.stream, flush=True)
        if self.tty and self._shown:
            self._draw()

    def close(self) -> None:
        if self.tty:
            if self._shown or self.total:
                self._draw()
                print(file=self.stream, flush=True)
        elif self._printed != self.done:
            print(self.text(), file=self.stream, flush=True)


class StepProgress:
    """The ``step`` and ``message`` callbacks a long project job takes (render, batch): the bar is made on
    the first step, when the total is known; a message is a line above the bar, or a plain line on stderr
    before there is one.  ``prefix`` goes before every message."""

    def __init__(self, label: str, unit: str = "items", prefix: str = ""):
        self.label = label
        self.unit = unit
        self.prefix = prefix
        self.bar: ProgressBar | None = None

    def step(self, done: int, total: int, note: str = "") -> None:
        if self.bar is None:
            self.bar = ProgressBar(total, self.label, unit=self.unit)
        self.bar.update(done, note)

    def message(self, m) -> None:
        text = f"{self.prefix}{m}"
        if self.bar is not None:
            self.bar.message(text)
        else:
            print(text, file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
