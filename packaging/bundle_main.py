"""Entry point of the frozen app (PyInstaller): ``dubline ...`` as on the command line.

The app starts helper processes as ``sys.executable -m MODULE ...`` (the native
kernels' self-test, the preview-proxy builder).  Frozen, ``sys.executable`` is
this program, so those module runs are dispatched here; nothing else is.
"""

import runpy
import sys

HELPERS = {"engine.embedded.native.selftest", "project.proxy"}


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "-m" and sys.argv[2] in HELPERS:
        module = sys.argv[2]
        sys.argv = [module, *sys.argv[3:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    if getattr(sys, "frozen", False) and sys.argv[0].endswith(("dubline-editor", "dubline-editor.exe")):
        from cli.gui_main import main as gui_main

        return gui_main()
    from cli.main import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
