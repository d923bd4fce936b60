"""Checks and text tools for the line list (the project floor: no Qt).

* :func:`reading_chars` / :func:`chars_per_second`: reading speed of a line
  (pinyin overrides like ``行[háng]`` and spaces do not count).
* :func:`overlapping_ids`: regions that overlap a region on another track
  (one sweep over all regions sorted by start).
* :func:`line_issues`: the problems of one line: overlap, too short for its
  text (the engine's shortest exact length), reading speed over a threshold.
* :func:`replace_text` / :func:`compile_find`: find and replace (plain or regex).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

DEFAULT_MAX_CPS = 17.0  # a common subtitle reading-speed limit; Chinese lines read well under ~9

_OVERRIDE = re.compile(r"\[[^\]]*\]|【[^】]*】")


def reading_chars(text: str) -> int:
    """Characters a viewer reads: no spaces, no pinyin override brackets."""
    return sum(1 for c in _OVERRIDE.sub("", text) if not c.isspace())


def chars_per_second(text: str, seconds: float) -> float:
    n = reading_chars(text)
    return n / seconds if seconds > 0 and n else 0.0


def overlapping_ids(spans: list[tuple[float, float, str, str]]) -> dict[str, str]:
    """``spans``: (start, end, region id, track id).  Returns region id -> id of one region on
    another track that it overlaps (touching ends do not count)."""
    out: dict[str, str] = {}
    active: list[tuple[float, str, str]] = []  # (end, id, track) of spans still open
    for start, end, rid, tid in sorted(spans):
        active = [a for a in active if a[0] > start + 1e-9]
        for _a_end, a_id, a_tid in active:
            if a_tid != tid:
                out.setdefault(rid, a_id)
                out.setdefault(a_id, rid)
        active.append((end, rid, tid))
    return out


@dataclass(frozen=True)
class Issue:
    kind: str  # overlap | too_short | fast
    text: str


def line_issues(duration: float, text: str, mode: str, overlaps_with: str | None, shortest: float | None,
                max_cps: float = DEFAULT_MAX_CPS, overlap_label: str = "") -> list[Issue]:
    """The problems of one line.  ``shortest``: the engine's shortest exact length for this text
    (None while unknown); only regions the render must fit exactly (``mode == "fit"``) can be too short."""
    issues: list[Issue] = []
    if overlaps_with is not None:
        issues.append(Issue("overlap", f"overlaps {overlap_label or 'another line'}"))
    if mode == "fit" and shortest is not None and shortest > 0 and duration < shortest - 1e-6:
        need = math.ceil(shortest * 100 - 1e-9) / 100  # as the engine says it: typing it back in is enough
        issues.append(Issue("too_short", f"too short: needs at least {need:.2f} s"))
    cps = chars_per_second(text, duration)
    if max_cps > 0 and cps > max_cps:
        issues.append(Issue("fast", f"{cps:.1f} chars/s (over {max_cps:g})"))
    return issues


def compile_find(pattern: str, regex: bool, case_sensitive: bool = False) -> re.Pattern:
    """The search pattern; ValueError with a readable message for a bad regular expression."""
    flags = 0 if case_sensitive else re.IGNORECASE
    try:
        return re.compile(pattern if regex else re.escape(pattern), flags)
    except re.error as e:
        raise ValueError(f"not a valid regular expression: {e}") from None


def replace_text(text: str, pattern: re.Pattern, replacement: str, regex: bool) -> tuple[str, int]:
    """(new text, number of replacements); with ``regex`` the replacement may use \\1 groups."""
    if not pattern.pattern:
        return text, 0
    repl = replacement if regex else (lambda _m: replacement)
    try:
        return pattern.subn(repl, text)
    except (re.error, IndexError) as e:
        raise ValueError(f"bad replacement: {e}") from None
