"""Launch the editor N times (default 20), type into a line and quit; fail on any traceback.

    python scripts/quit_cycles.py [N]

Each cycle is a fresh process on Qt's offscreen platform (or the display in
$DISPLAY when DUBLINE_QUIT_CYCLES_DISPLAY=1) with the real engine and the
demo project, quitting at a different moment each time (0.5-3 s after the
window shows, while the demo renders).  Prints one line per cycle and a summary.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMessageBox
import editor.mainwindow as mw

delay = int(sys.argv[1])
_show = mw.MainWindow.show

def show(self):
    _show(self)
    self._ask_unsaved = lambda: QMessageBox.StandardButton.Discard

    def edit():
        regions = [r for _, r in self.doc.project.all_regions()]
        if regions:
            self.doc.select([regions[0].id])
            self.inspector.text.setFocus()
            self.inspector.text.insertPlainText("x")

    QTimer.singleShot(delay // 2, edit)
    QTimer.singleShot(delay, self.act_quit.trigger)

mw.MainWindow.show = show
from editor.app import run_editor
sys.exit(run_editor(None))
"""


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    bad = 0
    with tempfile.TemporaryDirectory(prefix="dubline-quit-") as home:
        sys.path.insert(0, str(ROOT))
        from engine.model_store import cache_root

        # a fresh home, but the model cache of this machine (no graph rebuild per cycle)
        env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=f"{home}/config", XDG_DATA_HOME=f"{home}/data",
                   DUBLINE_CACHE=str(cache_root()),
                   PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
        if os.environ.get("DUBLINE_QUIT_CYCLES_DISPLAY") != "1":
            env["QT_QPA_PLATFORM"] = "offscreen"
        for i in range(n):
            delay = 500 + (i * 137) % 2500
            try:
                proc = subprocess.run([sys.executable, "-c", CHILD, str(delay)], cwd=home, env=env,
                                      capture_output=True, text=True, timeout=180)
            except subprocess.TimeoutExpired as e:
                out = (e.stdout or b"").decode(errors="replace") + (e.stderr or b"").decode(errors="replace")
                print(f"cycle {i + 1:2d}: did not quit within 180 s")
                print(out[-2000:])
                bad += 1
                continue
            out = proc.stdout + proc.stderr
            ok = proc.returncode == 0 and "Traceback" not in out
            bad += not ok
            print(f"cycle {i + 1:2d}: quit after {delay} ms: {'ok' if ok else 'TRACEBACK / exit ' + str(proc.returncode)}")
            if not ok:
                print(out[-2000:])
    print(f"{n - bad}/{n} cycles quit cleanly")
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
