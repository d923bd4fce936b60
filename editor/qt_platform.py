"""Can Qt open a window here?  The display plugin's system libraries, and its fatal start-up error.

Qt's xcb plugin (``libqxcb.so``) links against a dozen X libraries that a
minimal Linux install lacks (``libxcb-icccm4``, ``libxcb-keysyms1``,
``libxcb-cursor0``, ...).  When one is missing, constructing ``QApplication``
prints a vague hint and aborts the process.  This module

* finds what the plugin cannot load by running ``ldd`` on the plugin files
  (their whole dependency tree), not from a fixed list;
* names the Debian packages that hold those libraries (the Debian library
  naming policy plus a few exceptions, checked against ``apt-cache`` when it is
  there, for the ``t64`` renames of newer releases);
* installs a Qt message handler for the start-up only, which turns Qt's fatal
  "could not load the platform plugin" / "could not connect to display" into
  one line on stderr and exit code 2 instead of an abort.

``python -m editor.qt_platform`` prints the missing packages, one a line
(``--libraries`` prints the missing files instead); ``scripts/run.sh`` installs
what it prints.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

EXIT_USER_ERROR = 2

# Sonames whose Debian package does not follow the policy rule below (``libfoo.so.N`` -> ``libfooN``).
_DEBIAN_EXCEPTIONS = {
    "libglib-2.0.so.0": "libglib2.0-0",
    "libgobject-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0",
    "libgmodule-2.0.so.0": "libglib2.0-0",
    "libgio-2.0.so.0": "libglib2.0-0",
    "libstdc++.so.6": "libstdc++6",
    "libgcc_s.so.1": "libgcc-s1",
    "libz.so.1": "zlib1g",
    "libGLX.so.0": "libglx0",
    "libOpenGL.so.0": "libopengl0",
    "libGLdispatch.so.0": "libglvnd0",
    "libEGL.so.1": "libegl1",
    "libGL.so.1": "libgl1",
    "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libpulse.so.0": "libpulse0",
    "libpulse-mainloop-glib.so.0": "libpulse-mainloop-glib0",
    "libasound.so.2": "libasound2",
}

_NOT_FOUND = re.compile(r"^\s*(\S+)\s*=>\s*not found", re.MULTILINE)
_DLOPEN_ERROR = re.compile(r"([\w.+-]+\.so[\w.]*): cannot open shared object file")


def platform_name(environ: dict[str, str] | None = None) -> str:
    """The platform plugin Qt will try first: ``$QT_QPA_PLATFORM`` or, on Linux, xcb (wayland in a Wayland session)."""
    env = os.environ if environ is None else environ
    explicit = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if explicit:
        return explicit
    if sys.platform.startswith("linux"):
        if env.get("XDG_SESSION_TYPE") == "wayland" and env.get("WAYLAND_DISPLAY"):
            return "wayland"
        return "xcb"
    return {"darwin": "cocoa", "win32": "windows"}.get(sys.platform, "")


# The Qt modules the editor imports (PySide6's extension modules); their libraries must load too.
EDITOR_QT_MODULES = ("QtCore", "QtGui", "QtWidgets", "QtMultimedia")


def qt_dir() -> Path | None:
    """PySide6's ``Qt`` folder (libraries and plugins), found without importing any Qt module.

    Importing QtCore is what fails on a bare system (it needs libglib), so nothing here imports it.
    """
    import importlib.util

    try:
        spec = importlib.util.find_spec("PySide6")
    except (ImportError, ValueError):
        spec = None
    for loc in (spec.submodule_search_locations or []) if spec else []:
        p = Path(loc) / "Qt"
        if p.is_dir():
            return p
    return None


def plugins_dir() -> Path | None:
    """Qt's plugin folder inside the installed PySide6 (or a frozen bundle)."""
    qt = qt_dir()
    if qt is not None and (qt / "plugins").is_dir():
        return qt / "plugins"
    try:
        from PySide6.QtCore import QLibraryInfo
    except ImportError:
        return None
    p = Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.PluginsPath))
    return p if p.is_dir() else None


def plugin_files(name: str, plugins: Path | None = None) -> list[Path]:
    """What must load for the editor to open a window with platform ``name``: PySide6's modules the
    editor imports, the platform plugin, and for xcb its OpenGL integrations."""
    plugins = plugins or plugins_dir()
    if plugins is None:
        return []
    files: list[Path] = []
    package = plugins.parent.parent  # .../PySide6
    for module in EDITOR_QT_MODULES:
        files += sorted(package.glob(f"{module}.*.so"))[:1]
    files += sorted((plugins / "platforms").glob(f"libq{name}.so"))
    if name == "xcb":
        files += sorted((plugins / "xcbglintegrations").glob("*.so"))
    return files


def import_failure_message(exc: BaseException) -> str | None:
    """One line for an ImportError of Qt caused by a missing system library, naming the packages; else None."""
    m = _DLOPEN_ERROR.search(str(exc))
    if not m:
        return None
    libs, pkgs = missing_packages()
    libs = libs or [m.group(1)]
    pkgs = pkgs or [debian_package(m.group(1))]
    return (f"Qt cannot start: missing {', '.join(libs)}; "
            f"install them with: apt-get install {' '.join(pkgs)} (Debian/Ubuntu names)")


def parse_ldd(output: str) -> list[str]:
    """The libraries ``ldd`` reports as not found, in order, once each."""
    seen: dict[str, None] = {}
    for m in _NOT_FOUND.finditer(output):
        seen.setdefault(m.group(1), None)
    return list(seen)


def missing_libraries(files: list[Path]) -> list[str]:
    """Shared libraries that ``files`` (or anything they load) need and the system cannot find."""
    missing: dict[str, None] = {}
    ldd = shutil.which("ldd")
    for f in files:
        if ldd:
            try:
                out = subprocess.run([ldd, str(f)], capture_output=True, text=True, timeout=30).stdout
            except (OSError, subprocess.SubprocessError):
                out = ""
            for lib in parse_ldd(out):
                missing.setdefault(lib, None)
        else:  # no ldd (a stripped-down system): the loader names the first missing library only
            import ctypes

            try:
                ctypes.CDLL(str(f))
            except OSError as e:
                m = _DLOPEN_ERROR.search(str(e))
                if m:
                    missing.setdefault(m.group(1), None)
    return list(missing)


def debian_package(soname: str) -> str:
    """The Debian package that normally holds ``soname`` (its library packaging policy: libfoo.so.N -> libfooN)."""
    if soname in _DEBIAN_EXCEPTIONS:
        return _DEBIAN_EXCEPTIONS[soname]
    m = re.match(r"^(.+?)\.so\.(\d+)", soname)
    if not m:
        return re.sub(r"\.so.*$", "", soname).lower()
    stem, major = m.group(1).lower().replace("_", "-"), m.group(2)
    return f"{stem}-{major}" if stem[-1].isdigit() else f"{stem}{major}"


def apt_candidates(packages: list[str], unknown: list[str] | None = None) -> list[str]:
    """``packages`` as this system's apt knows them; a name without a candidate is tried with ``t64``.

    Names apt has no candidate for either way are left out (and added to ``unknown``); without
    apt-cache the names are returned as they are.
    """
    if not shutil.which("apt-cache"):
        return list(packages)
    out: list[str] = []
    for pkg in packages:
        chosen = None
        for name in (pkg, pkg + "t64"):
            try:
                r = subprocess.run(["apt-cache", "policy", name], capture_output=True, text=True, timeout=30)
            except (OSError, subprocess.SubprocessError):
                return list(packages)
            cand = re.search(r"Candidate:\s*(\S+)", r.stdout)
            if cand and cand.group(1) != "(none)":
                chosen = name
                break
        if chosen is None:
            if unknown is not None:
                unknown.append(pkg)
        elif chosen not in out:
            out.append(chosen)
    return out


def missing_packages(name: str | None = None, resolve_with_apt: bool = False,
                     unknown: list[str] | None = None) -> tuple[list[str], list[str]]:
    """(missing libraries, Debian packages for them) for the platform plugin ``name`` (default: the one Qt uses).

    ``resolve_with_apt`` checks the names against apt-cache; those it does not know go to ``unknown``.
    """
    libs = missing_libraries(plugin_files(name or platform_name()))
    pkgs: list[str] = []
    for lib in libs:
        p = debian_package(lib)
        if p not in pkgs:
            pkgs.append(p)
    if resolve_with_apt:
        pkgs = apt_candidates(pkgs, unknown)
    return libs, pkgs


def failure_message(qt_messages: list[str], name: str | None = None) -> str:
    """One line for a fatal Qt start-up error, naming the packages to install when libraries are missing."""
    name = name or platform_name()
    text = " ".join(qt_messages)
    if "connect to display" in text:
        disp = os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or "(none)"
        return (f"cannot connect to the display {disp}: is the X server running and are you allowed to use it? "
                "(with no display, `dubline demo` renders the demo headlessly)")
    libs, pkgs = missing_packages(name)
    if libs:
        return (f"Qt's {name} display plugin cannot load: missing {', '.join(libs)}; "
                f"install them with: apt-get install {' '.join(pkgs)} (Debian/Ubuntu names)")
    if "platform plugin" in text:
        return (f"Qt could not start its {name} display plugin "
                f"({qt_messages[-1].splitlines()[0] if qt_messages else 'no reason given'}); "
                "try QT_QPA_PLATFORM=xcb or wayland")
    first = (qt_messages[-1] if qt_messages else "unknown error").splitlines()[0]
    return f"Qt failed to start: {first}"


class StartupGuard:
    """While active, Qt's fatal start-up errors end the process with one line and exit code 2.

    Qt's other messages meanwhile are held back and printed afterwards when the start-up succeeded
    (a failed start prints only the one line).  Use around
    ``QApplication(...)``; the default handler is back afterwards.
    """

    def __init__(self, stream=None):
        self.stream = stream
        self.messages: list[str] = []
        self.held: list[str] = []

    def _handler(self, mode, context, message):
        from PySide6.QtCore import QtMsgType

        stream = self.stream or sys.stderr
        self.messages.append(message)
        if mode == QtMsgType.QtFatalMsg:
            try:
                stream.write(f"dubline: error: {failure_message(self.messages)}\n")
                stream.flush()
            finally:
                os._exit(EXIT_USER_ERROR)  # Qt aborts when a fatal handler returns
        if mode != QtMsgType.QtDebugMsg:  # held back: printed only if the start-up succeeds
            category = getattr(context, "category", None)
            self.held.append(f"{category}: {message}" if category and category != "default" else message)

    def __enter__(self):
        from PySide6.QtCore import qInstallMessageHandler

        qInstallMessageHandler(self._handler)
        return self

    def __exit__(self, *exc):
        from PySide6.QtCore import qInstallMessageHandler

        qInstallMessageHandler(None)
        stream = self.stream or sys.stderr
        for line in self.held:
            stream.write(line + "\n")
        self.held.clear()
        return False


def font_problem() -> str | None:
    """What is wrong with the system's fonts for the editor's text (needs a QGuiApplication), or None."""
    from PySide6.QtGui import QFontDatabase

    if not QFontDatabase.families():
        return ("no fonts found: every label will show as boxes; install fonts "
                "(Debian/Ubuntu: apt-get install fontconfig fonts-noto-cjk)")
    if not QFontDatabase.families(QFontDatabase.WritingSystem.SimplifiedChinese):
        return "no Chinese font: Chinese lines will show as boxes (Debian/Ubuntu: apt-get install fonts-noto-cjk)"
    return None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m editor.qt_platform",
                                 description="Print the Debian packages the Qt display plugin needs and lacks.")
    ap.add_argument("--platform", help="platform plugin to check (default: the one Qt would use here)")
    ap.add_argument("--libraries", action="store_true", help="print the missing library files instead")
    ap.add_argument("--apt", action="store_true", help="check the names against apt-cache (t64 renames)")
    args = ap.parse_args(argv)
    unknown: list[str] = []
    libs, pkgs = missing_packages(args.platform or platform_name(), resolve_with_apt=args.apt, unknown=unknown)
    for item in libs if args.libraries else pkgs:
        print(item)
    if unknown:
        print(f"dubline: note: apt knows no package {', '.join(unknown)} (guessed from the library names)",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
