"""Proxy media: a small all-intra copy of a video, for instant frame-exact scrubbing.

Seeking in long-GOP H.264 means decoding from the previous keyframe: at 1080p
that costs 100-200 ms per random seek on two cores, however clever the decoder.
Professional editors answer with proxies, and so do we: every frame of the
source is scaled to ``PROXY_HEIGHT`` lines and stored as MPEG-4 Part 2 with a
keyframe every ``PROXY_GOP`` frames and no B-frames (FFmpeg's native encoder,
no GPL codec) in Matroska, at the source frame rate, one proxy frame per
source frame *slot* (frame ``i`` of the proxy is what the source shows at
``i / fps``, variable frame rate included).  Any frame is then one seek plus
at most ``PROXY_GOP`` small decodes: about 5 ms at 540p (bench_seek.py).
Measured on a grainy 1080p test file: 7 Mbit/s; animation needs far less.

Proxies live in the user cache (``$DUBLINE_CACHE/proxies``), named by the
source's absolute path, size and modification time, so an edited source gets
a new proxy.  A proxy is written to a temporary name and renamed when complete:
a proxy file that exists is whole.

The build runs in a separate, low-priority process (``python -m project.proxy
SRC``) so the editor stays responsive and a cancel is a kill; it prints
``progress <fraction>`` lines and ``done <path>`` at the end.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

from engine.atomic import atomic_path

PROXY_HEIGHT = 540
PROXY_GOP = 6
PROXY_QSCALE = 6  # constant quantiser: sharp enough to judge lip sync and faces at 540p
PROXY_VERSION = 1
#: The proxy folder is kept under this size; the least recently used proxies go first.
PROXY_CACHE_BYTES = 20 << 30
#: Below this height the source seeks fast enough on its own.
MIN_SOURCE_HEIGHT = 720


class ProxyCancelled(Exception):
    pass


def proxy_root() -> Path:
    from engine.model_store import cache_root

    return cache_root() / "proxies"


def proxy_path_for(src: str | os.PathLike) -> Path:
    """Where the proxy of ``src`` lives (whether or not it exists yet)."""
    p = Path(src).resolve()
    st = p.stat()
    key = f"{p}|{st.st_size}|{st.st_mtime_ns}|{PROXY_HEIGHT}|{PROXY_VERSION}"
    digest = hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()[:20]
    return proxy_root() / f"{p.stem[:40]}-{digest}.mkv"


def find_proxy(src: str | os.PathLike) -> Path | None:
    """The finished proxy of ``src``, or None."""
    try:
        p = proxy_path_for(src)
    except OSError:
        return None
    return p if p.is_file() and p.stat().st_size > 0 else None


def wants_proxy(height: int) -> bool:
    return int(height) >= MIN_SOURCE_HEIGHT


def build_proxy(
    src: str | os.PathLike,
    dst: str | os.PathLike | None = None,
    progress: Callable[[float], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
    height: int = PROXY_HEIGHT,
) -> Path:
    """Write the proxy of ``src`` (atomically) and return its path."""
    import av

    from project.media import _check_file, _unreadable, video_pass

    srcp = _check_file(src)
    out_path = Path(dst) if dst is not None else proxy_path_for(srcp)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out_path, suffix=".part") as tmp, video_pass(srcp) as vp:
        vs, fps, total = vp.stream, vp.fps, vp.frame_count
        rate = Fraction(vs.average_rate) if vs.average_rate else Fraction(fps).limit_denominator(1001)
        ph = min(int(height), vp.height) // 2 * 2
        pw = max(2, int(round(vp.width * ph / vp.height)) // 2 * 2)
        out = av.open(str(tmp), mode="w", format="matroska")
        try:
            os_ = out.add_stream("mpeg4", rate=rate)
            os_.width, os_.height = pw, ph
            os_.pix_fmt = "yuv420p"
            os_.codec_context.gop_size = PROXY_GOP
            os_.codec_context.max_b_frames = 0
            os_.codec_context.thread_type = "SLICE"
            out_tb = Fraction(1) / rate
            os_.time_base = out_tb
            os_.codec_context.time_base = out_tb
            os_.codec_context.qmin = os_.codec_context.qmax = PROXY_QSCALE
            slot = 0
            prev = None
            start_pts = None
            tb = vs.time_base

            def emit(small) -> None:
                nonlocal slot
                small.pts = slot
                small.time_base = out_tb
                for packet in os_.encode(small):
                    out.mux(packet)
                slot += 1
                if progress and slot % 25 == 0:
                    progress(min(1.0, slot / total))
                if cancelled and slot % 5 == 0 and cancelled():
                    raise ProxyCancelled()

            for frame in vp.frames():
                # Scale at once: the decoder may reuse a frame's buffer once it moves on.
                small = frame.reformat(width=pw, height=ph, format="yuv420p")
                if frame.pts is None:
                    fi = float(slot)
                else:
                    if start_pts is None:
                        start_pts = frame.pts
                    fi = float((frame.pts - start_pts) * tb) * fps
                # Slots shown before this frame keep the previous one (VFR gaps).
                while prev is not None and slot <= fi - 0.5:
                    emit(prev)
                if prev is None:
                    while slot <= fi - 0.5:  # the first frame also covers any leading gap
                        emit(small)
                prev = small
            while prev is not None and slot < total:
                emit(prev)
            if slot == 0:
                raise _unreadable(srcp)
            for packet in os_.encode(None):
                out.mux(packet)
        finally:
            out.close()
    prune_proxies(keep=out_path)
    if progress:
        progress(1.0)
    return out_path


def prune_proxies(keep: Path | None = None, limit: int = PROXY_CACHE_BYTES) -> None:
    """Delete the least recently used proxies until the folder is under ``limit`` bytes."""
    root = proxy_root()
    try:
        files = [(p.stat().st_atime, p.stat().st_size, p) for p in root.glob("*.mkv")]
    except OSError:
        return
    total = sum(f[1] for f in files)
    for _atime, size, p in sorted(files):
        if total <= limit:
            break
        if keep is not None and p == keep:
            continue
        try:
            p.unlink()
            total -= size
        except OSError:
            pass


def main(argv: list[str] | None = None) -> int:
    """``python -m project.proxy SRC``: build the proxy at low priority, report on stdout."""
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 1:
        print("usage: python -m project.proxy VIDEO", file=sys.stderr)
        return 2
    try:
        os.nice(10)
    except OSError:
        pass
    from project.media import MediaError

    def report(f: float) -> None:
        print(f"progress {f:.4f}", flush=True)

    try:
        path = build_proxy(argv[0], progress=report)
    except (MediaError, OSError) as e:
        print(f"error {e}", flush=True)
        return 2
    print(f"done {path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
