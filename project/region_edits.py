"""Planning of multi-region edits, without Qt: paste, duplicate, group move, nudge, split, ripple delete.

Each planner takes the project and returns the new region list of every track
it changes (``{track_id: [Region, ...]}``, sorted by start, never
overlapping) or raises :class:`EditError` with a message for the status bar.
:class:`editor.edit_commands.TrackRegionsEdit` applies such a plan as one undo
step.  Pure functions on plain model objects (the project floor: no Qt).
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass

from project.errors import DublineError
from project.model import Project, Region, new_id

EPS = 1e-9


class EditError(DublineError, ValueError):
    """An edit that cannot be done as asked (the message says why)."""


@dataclass
class ClipItem:
    """One copied region: its offset from the first copied start and its track offset."""

    region: Region
    offset: float  # seconds after the earliest copied region's start
    track_offset: int  # tracks below the topmost copied region's track


def copy_items(project: Project, ids: list[str]) -> list[ClipItem]:
    """The selected regions as clipboard items (voice, emotion, pins and all)."""
    index = {t.id: i for i, t in enumerate(project.tracks)}
    found = [(index[t.id], r) for t, r in project.all_regions() if r.id in set(ids)]
    if not found:
        return []
    t0 = min(r.start for _, r in found)
    top = min(i for i, _ in found)
    return [ClipItem(copy.deepcopy(r), r.start - t0, i - top) for i, r in sorted(found, key=lambda x: x[1].start)]


def _free(regions: list[Region], start: float, end: float, ignore: set[str] = frozenset()) -> bool:
    return all(r.end <= start + EPS or r.start >= end - EPS for r in regions if r.id not in ignore)


def _with(regions: list[Region], added: list[Region], removed: set[str] = frozenset()) -> list[Region]:
    out = [r for r in regions if r.id not in removed] + added
    out.sort(key=lambda r: r.start)
    return out


def plan_paste(project: Project, items: list[ClipItem], at: float, track_index: int) -> tuple[dict, list[str]]:
    """Put ``items`` at ``at`` on the track ``track_index`` (and the ones below, as copied).

    Fresh ids; when the place is taken the whole group moves later, to the first
    time where every item fits.  Returns (plan, new region ids).
    """
    if not items:
        raise EditError("Nothing to paste: copy some regions first (Ctrl+C)")
    tracks = project.tracks
    if track_index + max(i.track_offset for i in items) >= len(tracks):
        raise EditError("Not enough tracks below the active one for what was copied: add a track")
    at = max(0.0, at)
    targets = {i.track_offset for i in items}
    candidates = sorted({at} | {r.end - i.offset for i in items for r in tracks[track_index + i.track_offset].regions
                                if r.end - i.offset > at})
    for t in candidates:
        if all(_free(tracks[track_index + i.track_offset].regions, t + i.offset, t + i.offset + i.region.duration)
               for i in items):
            break
    else:  # pragma: no cover - the last candidate is after every region
        raise EditError("No room to paste")
    plan: dict[str, list[Region]] = {}
    new_ids: list[str] = []
    for off in sorted(targets):
        track = tracks[track_index + off]
        added = []
        for i in items:
            if i.track_offset != off:
                continue
            r = copy.deepcopy(i.region)
            r.id = new_id()
            d = r.duration
            r.start = t + i.offset
            r.end = r.start + d
            r.render_hash = None
            added.append(r)
            new_ids.append(r.id)
        plan[track.id] = _with(track.regions, added)
    return plan, new_ids


def plan_move(project: Project, ids: list[str], dt: float, track_delta: int = 0) -> dict:
    """Move regions together by ``dt`` seconds and ``track_delta`` tracks (a group drag, a nudge).

    Refused (EditError) when a region would go before 0, off the tracks, or onto another region.
    """
    chosen = set(ids)
    tracks = project.tracks
    moving: list[tuple[int, Region]] = [(ti, r) for ti, t in enumerate(tracks) for r in t.regions if r.id in chosen]
    if not moving:
        raise EditError("Select regions to move")
    if min(r.start for _, r in moving) + dt < -EPS:
        raise EditError("Cannot move before the start of the timeline")
    if any(not 0 <= ti + track_delta < len(tracks) for ti, _ in moving):
        raise EditError("No track there")
    added: dict[int, list[Region]] = {}
    for ti, r in moving:
        m = copy.deepcopy(r)
        m.start, m.end = max(0.0, r.start + dt), max(0.0, r.start + dt) + r.duration
        added.setdefault(ti + track_delta, []).append(m)
    plan: dict[str, list[Region]] = {}
    touched = {ti for ti, _ in moving} | set(added)
    for ti in sorted(touched):
        track = tracks[ti]
        staying = [r for r in track.regions if r.id not in chosen]
        for m in added.get(ti, []):
            if not _free(staying, m.start, m.end):
                raise EditError(f"Blocked by a region on {track.name}: regions on a track cannot overlap")
        plan[track.id] = _with(staying, added.get(ti, []))
    for ti in touched:  # the moved regions must not overlap each other either
        rs = plan[tracks[ti].id]
        if any(b.start < a.end - EPS for a, b in zip(rs, rs[1:], strict=False)):
            raise EditError("The moved regions would overlap each other")
    return plan


_SPACE = re.compile(r"\s+")


def split_point(text: str, rel_seconds: float, duration: float, units=None) -> int:
    """Where to cut a line's text when its region is cut ``rel_seconds`` into it.

    With the render's timings (``units``: engine UnitTiming, ``src_start`` a
    character index, ``start_seconds`` from the clip's start) the cut goes at
    the start of the word heard nearest that instant; without them, at the
    space nearest the same fraction of the text (or that character, for text
    without spaces).
    """
    spoken = [u for u in (units or []) if getattr(u, "kind", "") not in ("space", "pause")
              and 0 < u.src_start < len(text)]
    if spoken:
        u = min(spoken, key=lambda u: abs(u.start_seconds - rel_seconds))
        return int(u.src_start)
    if not text:
        return 0
    want = round(len(text) * min(max(rel_seconds / duration, 0.0), 1.0)) if duration > 0 else 0
    spaces = [m.end() for m in _SPACE.finditer(text) if 0 < m.start()]
    if spaces:
        return min(spaces, key=lambda k: abs(k - want))
    return want


def plan_split(project: Project, rid: str, t: float, units=None) -> tuple[dict, str]:
    """Cut region ``rid`` at time ``t``: two regions, the text cut at the nearest word.

    Both keep the voice, emotion and duration mode; word pins go with their half
    (shifted for the second).  Returns (plan, id of the second half).
    """
    found = project.find_region(rid)
    if found is None:
        raise EditError("Select a region to split")
    track, r = found
    if not (r.start + 0.05 < t < r.end - 0.05):
        raise EditError("Put the playhead inside the selected region to split it")
    cut = split_point(r.text, t - r.start, r.duration, units)
    a, b = copy.deepcopy(r), copy.deepcopy(r)
    b.id = new_id()
    a.end, b.start = t, t
    a.text, b.text = r.text[:cut].rstrip(), r.text[cut:].lstrip()
    a.anchors = [x for x in r.anchors if int(x[0]) < cut and x[1] < t - r.start]
    shift = len(r.text[cut:]) - len(b.text)
    b.anchors = [[int(x[0]) - cut - shift, round(x[1] - (t - r.start), 4)] for x in r.anchors
                 if int(x[0]) >= cut + shift and x[1] > t - r.start]
    a.bound_markers = b.bound_markers = None
    a.render_hash = b.render_hash = None
    return {track.id: _with(track.regions, [a, b], {r.id})}, b.id


def plan_ripple_delete(project: Project, ids: list[str]) -> dict:
    """Delete regions and close their gaps: later regions on the same track move left."""
    chosen = set(ids)
    plan: dict[str, list[Region]] = {}
    for track in project.tracks:
        gone = [r for r in track.regions if r.id in chosen]
        if not gone:
            continue
        out = []
        for r in track.regions:
            if r.id in chosen:
                continue
            shift = sum(g.duration for g in gone if g.end <= r.start + EPS)
            m = copy.deepcopy(r)
            m.start, m.end = r.start - shift, r.end - shift
            out.append(m)
        plan[track.id] = out
    if not plan:
        raise EditError("Select regions to delete")
    return plan
