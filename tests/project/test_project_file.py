"""Project files: exact round trips, atomic saves, clear errors for bad files."""

import json
import os
import subprocess
import sys
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from project import model as pj

finite = st.floats(min_value=0, max_value=7200, allow_nan=False, allow_infinity=False)
texts = st.text(max_size=40)


@st.composite
def regions(draw):
    start = draw(finite)
    length = draw(st.floats(min_value=0.01, max_value=60, allow_nan=False))
    emotion = draw(st.one_of(
        st.just({}),
        st.builds(lambda v, a: {"vector": v, "intensity": a},
                  st.lists(st.floats(0, 1, allow_nan=False), min_size=8, max_size=8),
                  st.floats(0, 1, allow_nan=False)),
        st.builds(lambda t: {"text": t, "intensity": 0.7}, st.text(min_size=1, max_size=10)),
    ))
    return pj.Region(
        start=start, end=start + length, text=draw(texts),
        voice=draw(st.one_of(st.none(), st.sampled_from(["jf_alpha", "jm_kumo"]))),
        emotion=emotion,
        duration_mode=draw(st.sampled_from(pj.DURATION_MODES)),
        ratio=draw(st.floats(0.2, 5.0, allow_nan=False)),
        anchors=[[draw(st.integers(0, 50)), draw(st.floats(0, 10, allow_nan=False))]
                 for _ in range(draw(st.integers(0, 2)))],
        render_hash=draw(st.one_of(st.none(), st.text(alphabet="0123456789abcdef", min_size=8, max_size=8))),
    )


@st.composite
def projects(draw):
    p = pj.Project(fps=draw(st.sampled_from([23.976, 24.0, 25.0, 29.97, 30.0, 60.0])),
                   sample_rate=draw(st.sampled_from([44100, 48000])))
    p.tracks = []
    for _k in range(draw(st.integers(1, 3))):
        rs = sorted(draw(st.lists(regions(), max_size=6)), key=lambda r: r.start)
        kept = []
        for r in rs:  # a track's regions never overlap
            if not kept or r.start >= kept[-1].end:
                kept.append(r)
        p.tracks.append(pj.Track(name=draw(texts), default_voice="jf_alpha", gain_db=draw(st.floats(-30, 6)),
                                 mute=draw(st.booleans()), solo=draw(st.booleans()), regions=kept))
    p.markers = [pj.Marker(time=draw(finite), name=draw(texts), kind=draw(st.sampled_from(["marker", "keyframe"])))
                 for _ in range(draw(st.integers(0, 4)))]
    p.glossary = draw(st.dictionaries(st.text(min_size=1, max_size=4), st.text(max_size=10), max_size=3))
    p.view.selected_region = draw(st.one_of(st.none(), st.text(max_size=12)))
    return p


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(projects())
def test_any_project_round_trips_exactly(p):
    text = pj.dumps(p)
    q = pj.loads(text)
    assert pj.to_dict(q) == pj.to_dict(p)
    assert pj.dumps(q) == text  # stable, diff-friendly formatting


def test_save_load_with_relative_media_and_backup(tmp_path):
    media = tmp_path / "media" / "clip.mp4"
    media.parent.mkdir()
    media.write_bytes(b"x")
    p = pj.Project(media=pj.MediaRef(abs_path=str(media)))
    p.tracks[0].regions.append(pj.Region(start=1.0, end=2.5, text="你好"))
    f = tmp_path / "ep1.dubline"
    pj.save(p, f)
    assert json.loads(f.read_text())["media"]["path"] == os.path.join("media", "clip.mp4")
    p.tracks[0].regions[0].text = "再见"
    pj.save(p, f)
    assert pj.load(f.with_name("ep1.dubline.bak")).tracks[0].regions[0].text == "你好"
    assert pj.load(f).tracks[0].regions[0].text == "再见"
    # moved together with its media: still found
    moved = tmp_path / "moved"
    moved.mkdir()
    (moved / "clip.mp4").write_bytes(b"x")
    (moved / "ep1.dubline").write_text(f.read_text())
    media.unlink()
    q = pj.load(moved / "ep1.dubline")
    assert pj.resolve_media(q, moved / "ep1.dubline") == moved / "clip.mp4"


@pytest.mark.parametrize(
    "content, fragment",
    [
        ("", "not valid JSON"),
        ('{"schema_version": 1, "fps": 25', "not valid JSON"),
        ("[]", "expected an object"),
        ('{"schema_version": 99, "fps": 25, "sample_rate": 48000, "tracks": []}', "newer Dubline"),
        ('{"schema_version": 1, "fps": "fast", "sample_rate": 48000, "tracks": []}', "fps: expected a number"),
        ('{"schema_version": 1, "fps": 25, "sample_rate": 48000, "tracks": [{"id": "a", "regions": '
         '[{"id": "r", "start": 2, "end": 1}]}]}', "end (1"),
        ('{"schema_version": 1, "fps": 25, "sample_rate": 48000, "tracks": [{"id": "a", "regions": '
         '[{"id": "r", "start": 0, "end": 2}, {"id": "s", "start": 1, "end": 3}]}]}', "overlap"),
        ('{"schema_version": 1, "fps": 25, "sample_rate": 48000, "tracks": [{"id": "a", "regions": '
         '[{"id": "r", "start": 0, "end": 2, "emotion": {"intensity": 3}}]}]}', "intensity"),
    ],
)
def test_bad_files_get_a_clear_message(tmp_path, content, fragment):
    f = tmp_path / "bad.dubline"
    f.write_text(content)
    with pytest.raises(pj.ProjectError) as e:
        pj.load(f)
    assert fragment in str(e.value) and "bad.dubline" in str(e.value)
    assert f.read_text() == content  # never touched


@settings(max_examples=300, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=12), c, max_size=5),
                    max_leaves=30))
def test_fuzzed_json_never_escapes_as_an_unexpected_exception(data):
    try:
        pj.from_dict(data)
    except pj.ProjectError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000))
def test_truncated_files_give_project_errors(cut):
    p = pj.Project()
    p.tracks[0].regions = [pj.Region(start=i, end=i + 0.5, text=f"line {i}") for i in range(20)]
    text = pj.dumps(p)
    cut = cut % len(text)
    try:
        pj.loads(text[:cut])
    except pj.ProjectError:
        pass


def test_save_killed_halfway_leaves_old_or_new(tmp_path):
    """Kill a process in the middle of saving many times: the file always loads."""
    f = tmp_path / "p.dubline"
    p = pj.Project()
    p.tracks[0].regions = [pj.Region(start=i, end=i + 0.5, text="x" * 200) for i in range(2000)]
    pj.save(p, f)
    script = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {os.getcwd()!r})
        from project import model as pj
        p = pj.load({str(f)!r})
        n = 0
        while True:
            n += 1
            p.tracks[0].regions[0].text = str(n)
            pj.save(p, {str(f)!r})
    """)
    for delay in (0.15, 0.3, 0.45, 0.6):
        proc = subprocess.Popen([sys.executable, "-c", script])
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        q = pj.load(f)
        assert len(q.tracks[0].regions) == 2000
    leftovers = [x for x in os.listdir(tmp_path) if x.endswith(".tmp")]
    # a killed writer may leave a temp file behind, never a damaged project
    assert all(x.startswith(".p.dubline") for x in leftovers)
