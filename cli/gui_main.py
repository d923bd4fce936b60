"""``dubline-editor``: the editor's launcher for desktops (a gui-script: no console window on Windows).

Same as ``dubline [PROJECT]``.  Without a console (Windows' pythonw, a
desktop launcher) there is no stderr; messages then go to
``<cache>/dubline-editor.log`` so a failed start can still be read.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if sys.stderr is None or sys.stdout is None:
        from engine.user_dirs import cache_dir

        try:
            folder = cache_dir()
            folder.mkdir(parents=True, exist_ok=True)
            log = open(folder / "dubline-editor.log", "a", encoding="utf-8", buffering=1)  # noqa: SIM115
        except OSError:
            import os

            log = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115
        sys.stderr = sys.stderr or log
        sys.stdout = sys.stdout or log
    from cli.main import main as cli_main

    return cli_main(["edit", *argv])


if __name__ == "__main__":
    raise SystemExit(main())
