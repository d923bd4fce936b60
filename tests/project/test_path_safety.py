"""Nothing a project file says reaches outside its folder, and hostile values are one clear ProjectError.

Regressions for issue #15: ids used as file names, voice paths, media paths that are too long,
numbers and strings no file should hold, and the file itself being a device or huge.
"""

import json
import os
import stat
import time

import pytest

from project import model as pj
from project.errors import DublineError, UnsafePathError
from project.paths import check_identifier, check_readable_file, confined, guard_output


def _valid() -> dict:
    p = pj.Project()
    p.tracks[0].regions = [pj.Region(id="r1", start=0.5, end=1.5, text="你好")]
    p.markers = [pj.Marker(id="m1", time=1.0)]
    return pj.to_dict(p)


def _load_dict(d) -> pj.Project:
    return pj.loads(json.dumps(d, ensure_ascii=False))


@pytest.mark.parametrize("rid", ["/home/u/recording", "../../../x", "a/b", "..", ".hidden", "", "x" * 65,
                                 "a\x00b", "C:\\x", "id with space"])
def test_region_ids_that_are_not_plain_names_are_refused_at_load(rid):
    d = _valid()
    d["tracks"][0]["regions"][0]["id"] = rid
    with pytest.raises(pj.ProjectError, match=r"tracks\[0\]\.regions\[0\]\.id"):
        _load_dict(d)


@pytest.mark.parametrize("where", ["track", "marker", "bound"])
def test_track_marker_and_bound_ids_are_checked_too(where):
    d = _valid()
    if where == "track":
        d["tracks"][0]["id"] = "../t"
    elif where == "marker":
        d["markers"][0]["id"] = "/etc/passwd"
    else:
        d["tracks"][0]["regions"][0]["bound_markers"] = ["m1", "../m2"]
    with pytest.raises(pj.ProjectError, match="not a valid id"):
        _load_dict(d)


def test_ordinary_ids_still_load():
    d = _valid()
    d["tracks"][0]["regions"][0]["id"] = "line_01-a.v2"
    assert _load_dict(d).tracks[0].regions[0].id == "line_01-a.v2"


@pytest.mark.parametrize("path", ["/abs/voice.dvoice", "../voices/x.dvoice", "voices/../../x.dvoice", "~/x.dvoice"])
def test_project_voice_paths_must_stay_in_the_project_folder(path):
    d = _valid()
    d["voices"] = [{"name": "Li", "path": path}]
    with pytest.raises(pj.ProjectError, match="inside the project folder"):
        _load_dict(d)


@pytest.mark.parametrize("name", ["../x", "a/b", ".x", ""])
def test_project_voice_names_are_voice_names(name):
    d = _valid()
    d["voices"] = [{"name": name, "path": "voices/x.dvoice"}]
    with pytest.raises(pj.ProjectError):
        _load_dict(d)


def test_a_symlinked_voice_file_pointing_outside_counts_as_missing(tmp_path):
    outside = tmp_path / "outside.dvoice"
    outside.write_bytes(b"x")
    proj = tmp_path / "p"
    (proj / "voices").mkdir(parents=True)
    (proj / "voices" / "li.dvoice").symlink_to(outside)
    p = pj.Project(voices=[pj.VoiceRef("Li", "voices/li.dvoice")])
    assert pj.register_project_voices(p, proj / "p.dubline") == ["Li"]


def test_confined_catches_every_way_out(tmp_path):
    assert confined(tmp_path, "a.wav") == (tmp_path / "a.wav").resolve()
    for bad in ("../a.wav", "/etc/passwd", "x/../../a"):
        with pytest.raises(UnsafePathError):
            confined(tmp_path, bad)
    (tmp_path / "link").symlink_to("/")
    with pytest.raises(UnsafePathError):
        confined(tmp_path, "link/etc/passwd")
    with pytest.raises(UnsafePathError):
        check_identifier("../x", "where")


def test_readable_file_check_refuses_devices_folders_and_huge_files(tmp_path):
    with pytest.raises(DublineError, match="not a regular file"):
        check_readable_file("/dev/zero", 1 << 20)
    with pytest.raises(DublineError, match="folder"):
        check_readable_file(tmp_path, 1 << 20)
    big = tmp_path / "big"
    with open(big, "wb") as f:
        f.truncate(2 << 20)  # sparse: no disk used
    with pytest.raises(DublineError, match="larger than"):
        check_readable_file(big, 1 << 20)


# ------------------------------------------------------------ hostile values
def _with(path, value):
    d = _valid()
    node = d
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = value
    return d


HOSTILE = [
    (("tracks", 0, "regions", 0, "end"), 1e308),
    (("media",), {"path": "x" * 5000, "duration": 1.0}),
    (("media",), {"path": "v.mp4", "duration": 20000}),
    (("sample_rate",), 10_000_000),
    (("sample_rate",), 1_000_000_000),
    (("tracks", 0, "regions", 0, "emotion"), {"text": ["a"]}),
    (("tracks", 0, "regions", 0, "emotion"), {"audio": 5}),
    (("tracks", 0, "regions", 0, "emotion"), {"vector": [2, 0, 0, 0, 0, 0, 0, 0]}),
    (("tracks", 0, "regions", 0, "emotion"), {"vector": "happy"}),
    (("tracks", 0, "regions", 0, "emotion"), {"intensity": "loud"}),
    (("tracks", 0, "regions", 0, "anchors"), [[1e308, 0.1]]),
    (("tracks", 0, "regions", 0, "anchors"), [[1.5, 0.1]]),
    (("tracks", 0, "regions", 0, "text"), "x" * 100_000),
    (("glossary",), {"a" * 500: "b"}),
    (("markers", 0, "time"), 1e20),
]


@pytest.mark.parametrize("path,value", HOSTILE, ids=[".".join(map(str, p)) for p, _ in HOSTILE])
def test_hostile_values_are_one_project_error(path, value):
    with pytest.raises(pj.ProjectError) as e:
        _load_dict(_with(path, value))
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("raw", [
    '"end": 1' + "0" * 5000,  # > 4300 digits: int() itself would refuse with a ValueError
    '"end": 1e400',
    '"end": NaN',
    '"end": Infinity',
    '"end": -Infinity',
])
def test_numbers_json_should_not_hold(raw):
    text = json.dumps(_valid()).replace('"end": 1.5', raw)
    assert raw in text
    with pytest.raises(pj.ProjectError):
        pj.loads(text)


@pytest.mark.parametrize("field", ["text", "voice"])
def test_lone_surrogates_are_refused_at_load(field):
    text = json.dumps(_valid()).replace('"text": "\\u4f60\\u597d"', f'"{field}": "\\u4f60\\u597d\\ud800"')
    if field == "voice":
        text = text.replace('"voice": null, ', "")
    with pytest.raises(pj.ProjectError, match="surrogate"):
        pj.loads(text)
    d = json.loads(json.dumps(_valid()))
    d["glossary"] = {"你好\ud800": "ni hao"}
    with pytest.raises(pj.ProjectError, match="surrogate"):
        pj.loads(json.dumps(d))


@pytest.mark.parametrize("bad", ["nan", "surrogate", "overlap"])
def test_saving_a_project_holding_unwritable_values_is_a_project_error_and_writes_nothing(tmp_path, bad):
    path = tmp_path / "p.dubline"
    good = pj.Project()
    pj.save(good, path)
    before = path.read_bytes()
    p = pj.Project()
    r = pj.Region(id="r1", start=0.0, end=1.0, text="hi")
    if bad == "nan":
        r.end = float("nan")
    elif bad == "surrogate":
        r.text = "你好\ud800"
    p.tracks[0].regions = [r]
    if bad == "overlap":
        p.tracks[0].regions.append(pj.Region(id="r2", start=0.5, end=2.0, text="x"))
    with pytest.raises(pj.ProjectError):
        pj.save(p, path)
    assert path.read_bytes() == before
    assert [x.name for x in tmp_path.iterdir() if x.name.endswith(".tmp")] == []


def test_project_file_that_is_a_device_or_huge_is_refused_without_reading(tmp_path):
    with pytest.raises(pj.ProjectError, match="device or pipe"):
        pj.load("/dev/zero")
    fifo = tmp_path / "f.dubline"
    os.mkfifo(fifo)
    with pytest.raises(pj.ProjectError, match="device or pipe"):
        pj.load(fifo)  # opening a FIFO for reading would block forever
    big = tmp_path / "big.dubline"
    with open(big, "wb") as f:
        f.truncate(pj.MAX_PROJECT_BYTES + 1)
    with pytest.raises(pj.ProjectError, match="too large"):
        pj.load(big)


def test_media_path_of_5000_characters_resolves_to_nothing(tmp_path):
    p = pj.Project(media=pj.MediaRef(path="x" * 4000, abs_path="/" + "y/" * 2000, duration=1.0))
    assert pj.resolve_media(p, tmp_path / "p.dubline") is None


def test_media_search_by_name_takes_the_name_literally(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.mp4").write_bytes(b"x")
    p = pj.Project(media=pj.MediaRef(path="gone/*.mp4", duration=1.0))
    assert pj.resolve_media(p, tmp_path / "p.dubline") is None  # no glob: '*' matches nothing
    (tmp_path / "sub" / "clip.mp4").write_bytes(b"x")
    p.media.path = "gone/clip.mp4"
    assert pj.resolve_media(p, tmp_path / "p.dubline") == tmp_path / "sub" / "clip.mp4"


# ------------------------------------------------------------ file modes and orphans
def test_saved_files_respect_the_umask_and_keep_an_overwritten_mode(tmp_path):
    old = os.umask(0o027)
    try:
        path = tmp_path / "p.dubline"
        pj.save(pj.Project(), path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o640
        os.chmod(path, 0o664)
        pj.save(pj.Project(), path)
        assert stat.S_IMODE(path.stat().st_mode) == 0o664
    finally:
        os.umask(old)


def test_orphan_temp_files_of_a_killed_save_are_cleaned_by_the_next_save(tmp_path):
    path = tmp_path / "p.dubline"
    pj.save(pj.Project(), path)
    old_tmp = tmp_path / ".p.dubline.abc123.tmp"
    old_tmp.write_text("half a proj")
    fresh_tmp = tmp_path / ".p.dubline.zzz999.tmp"  # maybe another process saving right now
    fresh_tmp.write_text("in flight")
    other = tmp_path / ".other.dubline.abc.tmp"
    other.write_text("not ours")
    past = time.time() - 3600
    os.utime(old_tmp, (past, past))
    os.utime(other, (past, past))
    pj.save(pj.Project(), path)
    assert not old_tmp.exists()
    assert fresh_tmp.exists() and other.exists()


def test_guard_output_refuses_inputs_and_projects_unless_forced(tmp_path):
    proj = tmp_path / "p.dubline"
    pj.save(pj.Project(), proj)
    media = tmp_path / "v.mp4"
    media.write_bytes(b"v")
    with pytest.raises(DublineError, match="it is the media"):
        guard_output(media, [("the media", media)])
    with pytest.raises(DublineError, match="Dubline project"):
        guard_output(proj, [])
    renamed = tmp_path / "p.json"
    proj.rename(renamed)
    with pytest.raises(DublineError, match="Dubline project"):
        guard_output(renamed, [])  # recognised by content too
    guard_output(renamed, [], force=True)
    guard_output(tmp_path / "new.wav", [("the media", media)])
