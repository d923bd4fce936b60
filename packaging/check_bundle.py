"""Check a built app bundle the way a person uses it, on a real X server (Xvfb), and print its figures.

    python3 packaging/check_bundle.py [dist/bundle/dubline] [--keep DIR]

With a fresh home folder (so nothing is shared with the developer's caches):

1. ``dubline say`` renders a line (the first run also builds the model cache);
2. the editor starts twice on Xvfb with ``DUBLINE_STARTUP_CHECK``: the time from
   starting the program to its main window being exposed on the X server,
   and to the first demo line rendered inside the editor; the window is grabbed
   from the screen and must not be blank (many colours, real contrast).

Prints the bundle's size and those times; exits 1 when a check fails.
Only the standard library is used (any python3 runs it).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "scripts"))
from xvfb_server import Xvfb, XvfbError, client_env  # noqa: E402


def folder_size_mib(p: Path) -> float:
    return sum(f.stat().st_size for f in p.rglob("*") if f.is_file() and not f.is_symlink()) / 2**20


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("bundle", nargs="?", default="dist/bundle/dubline", type=Path)
    ap.add_argument("--keep", type=Path, help="copy the screenshots and reports here")
    ap.add_argument("--max-window-seconds", type=float, default=15.0,
                    help="fail when the main window takes longer (default 15; the goal is 5 on two idle cores)")
    args = ap.parse_args()
    args.bundle = args.bundle.resolve()
    exe = args.bundle / "dubline"
    if not exe.is_file():
        sys.exit(f"check-bundle: {exe} is missing (bash packaging/build-bundle.sh)")
    failures: list[str] = []
    work = Path(tempfile.mkdtemp(prefix="dubline-bundle-check-"))
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("QT_", "XDG_", "DUBLINE_", "PYTHON", "WAYLAND")) and k != "DISPLAY"}
    env["HOME"] = str(work / "home")
    (work / "home").mkdir()
    xvfb = None
    try:
        t = time.time()
        say = subprocess.run([str(exe), "say", "雨停了，我们出发吧！", "-o", str(work / "line.wav"), "--duration", "2.5",
                              "--json"], env=env, cwd=work, capture_output=True, text=True, timeout=600)
        say_s = time.time() - t
        if say.returncode != 0:
            failures.append(f"dubline say failed: {say.stderr.strip()[-500:]}")
        elif json.loads(say.stdout)["samples"] != 60000:
            failures.append("dubline say: the line is not 2.5 s")
        xvfb = Xvfb()
        try:
            env = client_env(env, xvfb.start())
        except XvfbError as e:
            sys.exit(f"check-bundle: {e}")
        runs = []
        for i in (1, 2):
            out = work / f"start{i}"
            run_env = dict(env, DUBLINE_STARTUP_CHECK=str(out), DUBLINE_STARTUP_CHECK_TIMEOUT="180")
            t0 = time.time()
            proc = subprocess.run([str(exe)], env=run_env, cwd=work, capture_output=True, text=True, timeout=300)
            rep_path = out / "startup.json"
            if proc.returncode != 0 or not rep_path.is_file():
                failures.append(f"editor start {i}: exit {proc.returncode}: {proc.stderr.strip()[-500:]}"
                                f" (Xvfb on {xvfb.display}: {xvfb.log[-500:] or 'no output'})")
                continue
            rep = json.loads(rep_path.read_text(encoding="utf-8"))
            shot = rep.get("screenshot", {})
            if not rep.get("ok"):
                failures.append(f"editor start {i}: {rep.get('error', 'no line rendered in time')}")
            if rep.get("platform") != "xcb":
                failures.append(f"editor start {i}: platform {rep.get('platform')}, not xcb")
            if not rep.get("fonts"):
                failures.append(f"editor start {i}: no fonts on this system: every label shows as boxes")
            if shot.get("colours", 0) <= 200 or shot.get("grey_std", 0) <= 20:
                failures.append(f"editor start {i}: the window looks blank ({shot})")
            window_s = rep["window_exposed_at"] - t0 if "window_exposed_at" in rep else float("inf")
            render_s = rep["first_render_at"] - t0 if "first_render_at" in rep else float("inf")
            if window_s > args.max_window_seconds:
                failures.append(f"editor start {i}: main window after {window_s:.2f} s")
            runs.append((window_s, render_s, shot))
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                for f in out.iterdir():
                    shutil.copy2(f, args.keep / f"start{i}-{f.name}")
        size = folder_size_mib(args.bundle)
        print(f"check-bundle: {args.bundle}: {size:.0f} MiB; `dubline say` (first run, builds the model cache) "
              f"{say_s:.1f} s")
        for i, (window_s, render_s, shot) in enumerate(runs, 1):
            print(f"check-bundle: editor start {i}: main window on screen after {window_s:.2f} s, first line rendered "
                  f"in it after {render_s:.2f} s; screen grab {shot.get('width')}x{shot.get('height')}, "
                  f"{shot.get('colours')} colours")
    finally:
        if xvfb is not None:
            xvfb.close()
        shutil.rmtree(work, ignore_errors=True)
    for f in failures:
        print(f"check-bundle: FAILED: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
