"""`dubline batch` in this process (no Ray): shared lines render once, a failing line does not stop the batch,
an unchanged batch loads no engine, and the outputs are `dubline render`'s bytes."""

from __future__ import annotations

import sys

import pytest

from cli.main import main
from project import batch
from project import model as pj
from tests.project.batch_projects import cache_keys, make_projects, reference_renders


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    # the thread count changes the last bits of the audio: the batch and the reference render run the same
    monkeypatch.setenv("DUBLINE_THREADS", "1")


def local(backend):
    return batch.LocalRunner(backend)


def test_local_batch_matches_render_shares_lines_and_reruns_from_the_caches(tmp_path, capsys):
    paths = make_projects(tmp_path / "p")
    ref = reference_renders(paths, tmp_path / "ref")
    s = batch.run_batch(paths, tmp_path / "out", ["wav", "srt"], local)
    assert not s.failed and not s.interrupted
    assert (s.lines, s.distinct, s.rendered, s.cached) == (7, 6, 6, 0)  # 你好。 is in ep1 and ep2: rendered once
    assert set(s.writes.values()) == {1}
    for p in paths:
        assert (tmp_path / "out" / f"{p.stem}.wav").read_bytes() == ref[p.stem]
        assert (tmp_path / "out" / f"{p.stem}.srt").is_file()
    assert cache_keys(paths[0]) & cache_keys(paths[1])  # the shared line is in both projects' caches
    assert len(cache_keys(paths[0])) == 3 and len(cache_keys(paths[1])) == 2

    def no_engine(backend):
        raise AssertionError("an unchanged batch must not start a runner")

    again = batch.run_batch(paths, tmp_path / "out", ["wav"], no_engine)
    assert (again.rendered, again.cached, again.failed) == (0, 6, [])
    assert again.wall_seconds < 0.5 * s.wall_seconds
    for p in paths:
        assert (tmp_path / "out" / f"{p.stem}.wav").read_bytes() == ref[p.stem]

    # one edited line: only it renders; the line another project's cache holds is copied, not rendered
    p = pj.load(paths[2])
    p.tracks[0].regions[0].text = "我们走吧。"  # ep1's line
    p.tracks[0].regions[1].text = "明天见。"
    pj.save(p, paths[2], backup=False)
    third = batch.run_batch(paths, tmp_path / "out", ["wav"], local)
    assert (third.distinct, third.rendered, third.cached, third.failed) == (5, 1, 4, [])
    assert len(cache_keys(paths[2]) & cache_keys(paths[0])) == 1


def test_a_line_failing_for_its_own_reason_is_reported_and_the_batch_goes_on(tmp_path):
    paths = make_projects(tmp_path / "p", (("你好。",), ("Thank you.",)))
    p = pj.load(paths[1])
    p.tracks[0].regions.append(pj.Region(start=3.0, end=3.15, text="这句话太长了，无论如何也说不完，真的说不完。"))
    pj.save(p, paths[1], backup=False)
    s = batch.run_batch(paths, tmp_path / "out", ["wav"], local)
    assert s.rendered == 2 and len(s.failed) == 1
    assert "ep2 00:03.000" in s.failed[0] and "too short" in s.failed[0]
    assert (tmp_path / "out" / "ep1.wav").is_file()  # the complete project got its output
    assert not (tmp_path / "out" / "ep2.wav").exists()  # the one with a failed line did not
    assert len(cache_keys(paths[1])) == 1  # its good line is kept


def test_cli_batch_summary_progress_and_errors(tmp_path, capsys, monkeypatch):
    paths = make_projects(tmp_path / "p", (("你好。",), ("你好。",)))
    assert main(["batch", *map(str, paths), "--out", str(tmp_path / "out"), "--format", "wav,srt"]) == 0
    cap = capsys.readouterr()
    assert str(tmp_path / "out" / "ep1.wav") in cap.out and str(tmp_path / "out" / "ep2.srt") in cap.out
    assert "2 lines (1 distinct): 1 rendered, 0 cached, 0 failed" in cap.err
    assert "lines/min" in cap.err and "batch 100%" in cap.err
    # without Ray installed, --ray says how to install it, in one line
    monkeypatch.setitem(sys.modules, "ray", None)
    assert main(["batch", str(paths[0]), "--out", str(tmp_path / "o2"), "--ray", "local"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "pip install 'dubline[cluster]'" in err
    for argv, says in ((["--format", "mp3"], "unknown format"), (["--workers", "2"], "add --ray"),
                       (["--ray", "local", "--workers", "0"], "give 1 to")):
        assert main(["batch", str(paths[0]), "--out", str(tmp_path / "o3"), *argv]) == 2
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err
    assert main(["batch", str(tmp_path / "nope.dubline"), "--out", str(tmp_path / "o4")]) == 2
    assert "no such project" in capsys.readouterr().err


def test_interrupting_keeps_what_was_rendered(tmp_path):
    paths = make_projects(tmp_path / "p", (("你好。", "走吧。"), ("谢谢。",)))

    def step(done, total, note):
        if done == 1:
            raise KeyboardInterrupt  # Ctrl+C as the first line comes back

    s = batch.run_batch(paths, tmp_path / "out", ["wav"], local, step=step)
    assert s.interrupted and s.rendered == 1 and not s.failed
    assert "interrupted" in s.text()[-1]
    assert sum(len(cache_keys(p)) for p in paths) == 1  # the line rendered is kept, verified
    again = batch.run_batch(paths, tmp_path / "out", ["wav"], local)
    assert (again.rendered, again.cached) == (2, 1)  # the rest, and only the rest
    assert sorted(f.name for f in (tmp_path / "out").iterdir()) == ["ep1.wav", "ep2.wav"]
