"""Undo/redo of every command type returns the model to its exact earlier state."""

from __future__ import annotations

import copy

import pytest

from editor import commands as cmd
from editor.document import Document, place_span
from project.model import Marker, MediaRef, Project, Region, Track, to_dict


@pytest.fixture
def doc(qapp, make_project):
    p = make_project(regions=((1.0, 3.0, "你好"), (5.0, 7.0, "再见"), (8.0, 9.0, "")), markers=(4.0, 10.0))
    p.tracks.append(Track(name="Dub 2", default_voice="jm_kumo",
                          regions=[Region(start=2.0, end=4.0, text="hello", voice="jf_nezumi")]))
    return Document(p)


def roundtrip(doc: Document, command) -> tuple[dict, dict]:
    """Push, undo, redo (twice) and check each state is exact; returns (before, after)."""
    before = copy.deepcopy(to_dict(doc.project))
    doc.push(command)
    after = copy.deepcopy(to_dict(doc.project))
    assert after != before, "the command changed nothing"
    for _ in range(2):
        doc.undo_stack.undo()
        assert to_dict(doc.project) == before
        doc.undo_stack.redo()
        assert to_dict(doc.project) == after
    return before, after


def rid(doc: Document, track: int, i: int) -> str:
    return doc.project.tracks[track].regions[i].id


def test_add_region_inserts_in_order_and_undoes(doc):
    t = doc.project.tracks[0]
    roundtrip(doc, cmd.AddRegion(doc, t.id, Region(start=3.5, end=4.5, text="新")))
    assert [r.start for r in t.regions] == [1.0, 3.5, 5.0, 8.0]


def test_delete_regions_across_tracks_restores_order(doc):
    ids = [rid(doc, 0, 1), rid(doc, 1, 0), rid(doc, 0, 0)]
    doc.select(ids)
    roundtrip(doc, cmd.DeleteRegions(doc, ids))
    assert doc.undo_stack.undoText() == "Delete 3 regions"


@pytest.mark.parametrize("mode,start,end,expected", [
    ("move", 2.8, 4.8, (2.8, 4.8)),
    ("move", 4.5, 6.5, (3.0, 5.0)),  # pushed back against the next region
    ("start", 0.2, 3.0, (0.2, 3.0)),
    ("end", 1.0, 6.0, (1.0, 5.0)),  # stops at the neighbour
    ("span", 0.5, 2.5, (0.5, 2.5)),
])
def test_move_resize_region(doc, mode, start, end, expected):
    c = cmd.MoveResizeRegion(doc, rid(doc, 0, 0), start, end, mode)
    assert c.after == pytest.approx(expected)
    assert c.clamped == (c.after != (start, end))
    roundtrip(doc, c)


def test_move_across_a_neighbour_reorders_and_undo_restores_order(doc):
    first = rid(doc, 0, 0)
    roundtrip(doc, cmd.MoveResizeRegion(doc, first, 9.5, 11.5, "move"))
    assert [r.id for r in doc.project.tracks[0].regions][-1] == first


def test_a_drag_is_one_undo_step(doc):
    r = rid(doc, 0, 0)
    before = copy.deepcopy(to_dict(doc.project))
    drag = cmd.new_drag_id()
    for x in (1.1, 1.3, 1.6, 2.0):
        doc.push(cmd.MoveResizeRegion(doc, r, x, x + 2.0, "move", drag_id=drag))
    assert doc.undo_stack.count() == 1
    assert doc.region(r).start == 2.0
    doc.undo_stack.undo()
    assert to_dict(doc.project) == before
    # a second drag is a second step
    doc.undo_stack.redo()
    doc.push(cmd.MoveResizeRegion(doc, r, 2.5, 4.5, "move", drag_id=cmd.new_drag_id()))
    assert doc.undo_stack.count() == 2


def test_a_drag_back_to_the_start_leaves_no_step(doc):
    r = rid(doc, 0, 0)
    drag = cmd.new_drag_id()
    doc.push(cmd.MoveResizeRegion(doc, r, 1.5, 3.5, "move", drag_id=drag))
    doc.push(cmd.MoveResizeRegion(doc, r, 1.0, 3.0, "move", drag_id=drag))
    assert doc.undo_stack.count() == 0


@pytest.mark.parametrize("make", [
    lambda d, r: cmd.SetRegionText(d, r, "雨停了，我们出发[fā]吧！"),
    lambda d, r: cmd.SetRegionVoice(d, r, "jm_kumo"),
    lambda d, r: cmd.SetRegionEmotion(d, r, {"intensity": 0.5, "text": "happy"}),
    lambda d, r: cmd.SetRegionDurationMode(d, r, "ratio", 1.25),
    lambda d, r: cmd.SetRegionDurationMode(d, r, "free"),
])
def test_region_field_commands(doc, make):
    roundtrip(doc, make(doc, rid(doc, 0, 0)))


def test_set_voice_back_to_track_default(doc):
    roundtrip(doc, cmd.SetRegionVoice(doc, rid(doc, 1, 0), None))
    assert doc.undo_stack.undoText() == "Use track voice"


def test_marker_commands(doc):
    m = Marker(time=2.5, name="beat")
    roundtrip(doc, cmd.AddMarker(doc, m, index=1))
    assert [x.name for x in doc.project.markers] == ["m4", "beat", "m10"]
    roundtrip(doc, cmd.RenameMarker(doc, m.id, "door slam"))
    drag = cmd.new_drag_id()
    before = copy.deepcopy(to_dict(doc.project))
    for t in (2.6, 2.9, 3.3):
        doc.push(cmd.MoveMarker(doc, m.id, t, drag_id=drag))
    assert doc.project.marker(m.id).time == 3.3
    doc.undo_stack.undo()
    assert to_dict(doc.project) == before
    doc.undo_stack.redo()
    roundtrip(doc, cmd.DeleteMarker(doc, m.id))


def test_track_commands(doc):
    roundtrip(doc, cmd.AddTrack(doc, Track(name="Dub 3"), index=1))
    assert [t.name for t in doc.project.tracks] == ["Dub 1", "Dub 3", "Dub 2"]
    t0 = doc.project.tracks[0].id
    roundtrip(doc, cmd.RemoveTrack(doc, t0))
    roundtrip(doc, cmd.SetTrackProperty(doc, doc.project.tracks[0].id, "name", "Narrator"))
    roundtrip(doc, cmd.SetTrackProperty(doc, doc.project.tracks[0].id, "default_voice", "jf_nezumi"))
    roundtrip(doc, cmd.SetTrackProperty(doc, doc.project.tracks[0].id, "mute", True))
    roundtrip(doc, cmd.SetTrackProperty(doc, doc.project.tracks[0].id, "solo", True))
    before = copy.deepcopy(to_dict(doc.project))
    tid = doc.project.tracks[0].id
    for g in (-1.0, -3.0, -6.0):  # a slider drag folds into one step
        doc.push(cmd.SetTrackProperty(doc, tid, "gain_db", g, merge_key=7))
    n = doc.undo_stack.count()
    doc.undo_stack.undo()
    assert to_dict(doc.project) == before
    assert doc.undo_stack.index() == n - 1


def test_remove_track_forgets_selection(doc):
    doc.select([rid(doc, 1, 0)])
    doc.push(cmd.RemoveTrack(doc, doc.project.tracks[1].id))
    assert doc.selected_ids == [] and doc.current_region_id is None


def test_import_regions_is_one_step(doc):
    regions = [Region(start=20.0 + 3 * i, end=21.5 + 3 * i, text=f"line {i}") for i in range(5)]
    roundtrip(doc, cmd.ImportRegions(doc, doc.project.tracks[0].id, regions))
    assert doc.undo_stack.count() == 1
    new = Track(name="Actor B")
    roundtrip(doc, cmd.ImportRegions(doc, None, [Region(start=1.0, end=2.0, text="hi")], new_track=new))
    assert doc.project.tracks[-1].name == "Actor B" and len(doc.project.tracks[-1].regions) == 1


def test_relink_media(doc):
    roundtrip(doc, cmd.RelinkMedia(doc, MediaRef(path="/x/clip.mp4", abs_path="/x/clip.mp4", duration=9.0)))


def test_modified_state_follows_the_clean_index(doc, tmp_path):
    assert not doc.is_modified()
    doc.push(cmd.SetRegionText(doc, rid(doc, 0, 0), "改了"))
    assert doc.is_modified()
    doc.undo_stack.undo()
    assert not doc.is_modified()
    doc.undo_stack.redo()
    saved = doc.save(tmp_path / "p")
    assert saved.name == "p.dubline" and not doc.is_modified()


def test_command_names_for_the_edit_menu(doc):
    doc.push(cmd.SetRegionText(doc, rid(doc, 0, 0), "一句很长很长很长很长很长很长很长很长很长的台词"))
    assert doc.undo_stack.undoText().startswith("Edit text “一句")


# ---------------------------------------------------------------- placement rule (pure)
def test_place_span_move_jumps_to_the_nearest_gap_that_fits():
    others = [(2.0, 4.0), (6.0, 8.0)]
    assert place_span(others, 3.0, 4.0, "move") == (4.0, 5.0, True)  # overlapping: pushed to the nearer side
    assert place_span(others, 2.1, 3.1, "move") == (1.0, 2.0, True)
    s, e, c = place_span(others, 5.5, 7.5, "move")  # a 2 s span does not fit the 2 s gap's inside
    assert (s, e) == (4.0, 6.0) and c
    assert place_span(others, -1.0, 0.5, "move") == (0.0, 1.5, True)
    assert place_span(others, 9.0, 10.0, "move") == (9.0, 10.0, False)


def test_place_span_edges_stop_at_neighbours():
    others = [(2.0, 4.0), (6.0, 8.0)]
    assert place_span(others, 3.0, 5.5, "start", orig=(4.5, 5.5)) == (4.0, 5.5, True)
    assert place_span(others, 4.5, 7.0, "end", orig=(4.5, 5.5)) == (4.5, 6.0, True)
    s, e, c = place_span(others, 5.6, 5.5, "start", orig=(4.5, 5.5))  # never shorter than the minimum
    assert e - s == pytest.approx(0.1) and c


def test_fit_new_region(qapp):
    p = Project()
    p.tracks[0].regions = [Region(start=2.0, end=4.0)]
    d = Document(p)
    tid = p.tracks[0].id
    assert d.fit_new_region(tid, 0.5, 3.0) == (0.5, 2.0)
    assert d.fit_new_region(tid, 3.0, 5.0) is None
    assert d.fit_new_region(tid, 4.0, 6.0) == (4.0, 6.0)
