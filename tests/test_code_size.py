"""Size goals of issue #16 for the Qt editor and the CLI: no file over 800 lines, no function over 80.

A file or a function that grows past them is a sign that two concerns share it: split along a real seam
(a controller, a builder per UI section, a handler per drag kind, a function per sub-command).  Checked on
the source with ``ast``; nothing is imported."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("editor", "cli")
MAX_FILE_LINES = 800
MAX_FUNCTION_LINES = 80


def _files() -> list[Path]:
    return [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py"))]


@pytest.mark.parametrize("path", _files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_file_and_function_sizes(path: Path):
    src = path.read_text(encoding="utf-8")
    problems = []
    n = len(src.splitlines())
    if n > MAX_FILE_LINES:
        problems.append(f"{n} lines (at most {MAX_FILE_LINES})")
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                problems.append(f"{node.name} (line {node.lineno}) is {length} lines (at most {MAX_FUNCTION_LINES})")
    assert not problems, f"{path.relative_to(ROOT)}: " + "; ".join(problems)
