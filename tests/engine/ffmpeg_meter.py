"""ffmpeg's ebur128 filter as an independent loudness meter (tests and benchmarks)."""

from __future__ import annotations

import math
import re
import subprocess
import tempfile
from pathlib import Path


def ffmpeg_ebur128(path: str | Path) -> dict:
    """{"I": LUFS, "LRA": LU, "TP": dBTP} read by ffmpeg's ebur128 filter (three decimals)."""
    import imageio_ffmpeg

    with tempfile.TemporaryDirectory() as d:
        log = Path(d) / "meta.txt"
        proc = subprocess.run(
            [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostats", "-nostdin", "-i", str(path), "-map", "0:a:0",
             "-af", f"ebur128=peak=true:metadata=1,ametadata=print:file={log.as_posix()}", "-f", "null", "-"],
            capture_output=True)
        assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-500:]
        last = log.read_text().split("frame:")[-1]

    def value(key: str) -> float:
        m = re.search(rf"lavfi\.r128\.{re.escape(key)}=(\S+)", last)
        assert m, f"ffmpeg printed no {key}"
        return float(m.group(1))

    tp = value("true_peak")
    return {"I": value("I"), "LRA": value("LRA"), "TP": 20 * math.log10(tp) if tp > 0 else -math.inf}
