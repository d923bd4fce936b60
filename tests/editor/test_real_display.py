"""The real editor on a real X server (Xvfb, the xcb platform plugin; not offscreen).

CI installs Xvfb (scripts/setup-env.sh --test) and sets DUBLINE_REQUIRE_XVFB=1,
so there a missing Xvfb fails instead of skipping.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from editor import qt_platform

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
from xvfb_server import Xvfb, XvfbError  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]


def _xvfb_or_skip() -> str:
    exe = shutil.which("Xvfb")
    if exe is None:
        if os.environ.get("DUBLINE_REQUIRE_XVFB") == "1":
            pytest.fail("Xvfb is missing (scripts/setup-env.sh --test installs it)")
        pytest.skip("Xvfb is not installed")
    return exe


@pytest.fixture
def xvfb():
    """A fresh X server on a display number proven free and answering (scripts/xvfb_server.py); yields ``":N"``."""
    _xvfb_or_skip()
    server = Xvfb()
    try:
        yield server.start()
    except XvfbError as e:
        pytest.fail(str(e))
    finally:
        server.close()


def _editor_env(tmp_path: Path, display: str | None) -> dict[str, str]:
    from engine.model_store import cache_root

    env = {k: v for k, v in os.environ.items() if not k.startswith(("QT_", "WAYLAND", "XDG_"))}
    env.pop("DISPLAY", None)
    env.pop("XAUTHORITY", None)
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update(HOME=str(home), DUBLINE_DATA=str(tmp_path / "data"),
               DUBLINE_CACHE=str(cache_root()),  # the test session's model cache: no rebuild of the graphs
               PYTHONPATH=os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    if display:
        env["DISPLAY"] = display
    return env


def test_editor_opens_a_real_window_and_renders(xvfb, tmp_path, engine):
    out = tmp_path / "check"
    env = _editor_env(tmp_path, xvfb)
    env["DUBLINE_STARTUP_CHECK"] = str(out)
    env["DUBLINE_STARTUP_CHECK_TIMEOUT"] = "150"
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-m", "cli.main"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rep = json.loads((out / "startup.json").read_text(encoding="utf-8"))
    assert rep["ok"], rep
    assert rep["platform"] == "xcb"
    assert rep["window_title"].startswith("demo")
    assert rep["rendered_samples"] > 0
    # the grab is what the X server shows: a blank or black window has a handful of colours and no contrast
    shot = rep["screenshot"]
    assert shot["width"] >= 800 and shot["height"] >= 500, shot
    assert shot["colours"] > 200 and shot["grey_std"] > 20, shot
    assert (out / "window.png").stat().st_size > 10_000
    assert rep["fonts"] > 0  # labels are text, not boxes
    print(f"window on screen {rep['window_exposed_at'] - t0:.2f} s after start; "
          f"first line rendered after {rep['first_render_at'] - t0:.2f} s")


def test_unreachable_display_is_one_line_not_an_abort(tmp_path):
    _xvfb_or_skip()  # only meaningful where the xcb plugin can load at all
    if qt_platform.missing_packages("xcb")[0]:
        pytest.skip("the xcb plugin's libraries are missing here")
    env = _editor_env(tmp_path, ":4242")  # nothing listens there
    proc = subprocess.run([sys.executable, "-m", "cli.main"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("dubline: error: cannot connect to the display :4242")


def test_plugin_with_missing_libraries_names_the_packages(tmp_path):
    """Wherever a platform plugin lacks a library (here: wayland's on a plain X machine), the editor says which."""
    plugin = next((p for p in ("wayland", "xcb", "eglfs") if qt_platform.missing_packages(p)[0]), None)
    if plugin is None:
        pytest.skip("every platform plugin loads here")
    libs, pkgs = qt_platform.missing_packages(plugin)
    env = _editor_env(tmp_path, None)
    env["QT_QPA_PLATFORM"] = plugin
    env["WAYLAND_DISPLAY"] = "wayland-4242"
    env["DISPLAY"] = ":4242"
    proc = subprocess.run([sys.executable, "-m", "cli.main"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=60)
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert libs[0] in lines[0] and f"apt-get install {' '.join(pkgs)}" in lines[0]


# ---------------------------------------------------------------- the pieces, without a display

LDD_OUTPUT = """\
\tlinux-vdso.so.1 (0x00007ffd)
\tlibQt6XcbQpa.so.6 => /opt/x/PySide6/Qt/lib/libQt6XcbQpa.so.6 (0x00007f)
\tlibxcb-icccm.so.4 => not found
\tlibxcb-keysyms.so.1 => not found
\tlibxcb-cursor.so.0 => /lib/x86_64-linux-gnu/libxcb-cursor.so.0 (0x00007f)
\tlibxcb-icccm.so.4 => not found
"""


def test_parse_ldd_lists_each_missing_library_once():
    assert qt_platform.parse_ldd(LDD_OUTPUT) == ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"]


@pytest.mark.parametrize("soname, package", [
    ("libxcb-icccm.so.4", "libxcb-icccm4"),
    ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxcb-cursor.so.0", "libxcb-cursor0"),
    ("libxcb-render-util.so.0", "libxcb-render-util0"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"),
    ("libX11-xcb.so.1", "libx11-xcb1"),
    ("libdbus-1.so.3", "libdbus-1-3"),
    ("libfontconfig.so.1", "libfontconfig1"),
    ("libEGL.so.1", "libegl1"),
    ("libglib-2.0.so.0", "libglib2.0-0"),
    ("libwayland-cursor.so.0", "libwayland-cursor0"),
])
def test_debian_package_names(soname, package):
    assert qt_platform.debian_package(soname) == package


def test_failure_message_names_libraries_and_packages(monkeypatch):
    monkeypatch.setattr(qt_platform, "missing_packages", lambda name=None, resolve_with_apt=False: (
        ["libxcb-icccm.so.4", "libxcb-keysyms.so.1"], ["libxcb-icccm4", "libxcb-keysyms1"]))
    msg = qt_platform.failure_message(['Could not load the Qt platform plugin "xcb" in "" even though it was found.'],
                                      "xcb")
    assert "\n" not in msg
    assert "libxcb-icccm.so.4, libxcb-keysyms.so.1" in msg
    assert msg.endswith("apt-get install libxcb-icccm4 libxcb-keysyms1 (Debian/Ubuntu names)")


def test_platform_name_follows_the_environment():
    assert qt_platform.platform_name({"QT_QPA_PLATFORM": "offscreen"}) == "offscreen"
    assert qt_platform.platform_name({"QT_QPA_PLATFORM": "xcb;wayland"}) == "xcb"
    if sys.platform.startswith("linux"):
        assert qt_platform.platform_name({"DISPLAY": ":0"}) == "xcb"
        assert qt_platform.platform_name({"XDG_SESSION_TYPE": "wayland", "WAYLAND_DISPLAY": "wayland-0"}) == "wayland"


def test_qt_import_failure_names_the_packages(monkeypatch):
    """On a bare system importing QtCore fails (libglib): `dubline` says what to install, in one line."""
    monkeypatch.setattr(qt_platform, "missing_packages", lambda name=None, resolve_with_apt=False, unknown=None: (
        ["libglib-2.0.so.0", "libGL.so.1"], ["libglib2.0-0", "libgl1"]))
    err = ImportError("libglib-2.0.so.0: cannot open shared object file: No such file or directory")
    msg = qt_platform.import_failure_message(err)
    assert msg == ("Qt cannot start: missing libglib-2.0.so.0, libGL.so.1; "
                   "install them with: apt-get install libglib2.0-0 libgl1 (Debian/Ubuntu names)")
    assert qt_platform.import_failure_message(ImportError("No module named 'PySide6'")) is None


def test_the_checked_files_include_the_qt_modules_the_editor_imports():
    files = [f.name for f in qt_platform.plugin_files("xcb")]
    if not files:
        pytest.skip("PySide6 is not installed as a folder here")
    assert any(f.startswith("QtWidgets.") for f in files) and "libqxcb.so" in files


def test_a_display_whose_abstract_socket_is_taken_is_not_used():
    """Another network-namespace neighbour's X server holds only the abstract socket: not free, and refused."""
    import socket

    import xvfb_server

    n = 987
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(f"\0/tmp/.X11-unix/X{n}")
    s.listen(1)
    try:
        assert not xvfb_server._free(n)
        assert xvfb_server.handshake(n, timeout=0.5) != "ok"
    finally:
        s.close()
    assert xvfb_server._free(n) or os.path.exists(f"/tmp/.X{n}-lock")
