"""The command line's progress bar (cli/progress.py)."""

import io

from cli.progress import ProgressBar


def test_terminal_bar_shows_percentage_rate_and_eta():
    out = io.StringIO()
    bar = ProgressBar(200, "render", unit="lines", stream=out, tty=True)
    bar.start -= 10.0  # ten seconds in
    bar.update(50, "Dub 1: 你好")
    text = out.getvalue()
    assert text.startswith("\r[") and " 25%" in text and "50/200 lines" in text
    assert "5.0 lines/s" in text and "ETA 0:30" in text and "你好" in text
    bar.message("loading the speech model")
    assert "loading the speech model\n" in out.getvalue()
    bar.update(200)
    bar.close()
    assert out.getvalue().rstrip().endswith("elapsed") and out.getvalue().endswith("\n")


def test_plain_lines_when_not_a_terminal():
    out = io.StringIO()
    bar = ProgressBar(1000, "keyframes", unit="frames", stream=out, tty=False)
    for i in range(1001):
        bar.update(i)
    bar.close()
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert 10 <= len(lines) <= 12  # about one line per 10%, not one per frame
    assert lines[-1].startswith("keyframes 100%")
