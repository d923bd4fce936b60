"""Size limits (issue 16): no source file over 800 lines and no function over 80 lines in the four floors
(engine/, project/, editor/, cli/), checked on the source with ``ast`` (nothing is imported).

Tables are exempt: a module that holds only data (a docstring, imports and assignments of literals) may
be as long as its data; a long literal inside a function still counts, so big tables belong in their own
module.  A function's length runs from its ``def`` line to its last line (decorators excluded); a nested
function counts on its own and inside the function that holds it.

What still breaks the limits is listed below, each entry with the reason it is there.  An entry that is no
longer needed fails the test too, so the list only shrinks.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("engine", "project", "editor", "cli")
MAX_FILE_LINES = 800
MAX_FUNCTION_LINES = 80

#: Files over MAX_FILE_LINES, by path from the repository root.
ALLOWED_LONG_FILES: set[str] = set()

#: Functions over MAX_FUNCTION_LINES, as "path::qualified.name".
ALLOWED_LONG_FUNCTIONS: set[str] = set()


def _is_table_module(tree: ast.Module) -> bool:
    """Only a docstring, imports and assignments of literal data (``X = {...}``, ``X: T = [...]``)."""
    for node in tree.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            continue
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            try:
                ast.literal_eval(node.value)
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                return False
            continue
        return False
    return True


def _functions(tree: ast.AST, prefix: str = ""):
    """(qualified name, length in lines) of every function, methods and nested functions included."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            name = prefix + node.name
            yield name, node.end_lineno - node.lineno + 1
            yield from _functions(node, name + ".")
        elif isinstance(node, ast.ClassDef):
            yield from _functions(node, prefix + node.name + ".")
        else:
            yield from _functions(node, prefix)


def measure(root: Path = ROOT) -> tuple[dict[str, int], dict[str, int]]:
    """({file: lines} over the file limit, {"file::function": lines} over the function limit)."""
    long_files: dict[str, int] = {}
    long_functions: dict[str, int] = {}
    for pkg in PACKAGES:
        for path in sorted((root / pkg).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            text = path.read_text(encoding="utf-8")
            tree = ast.parse(text, rel)
            lines = len(text.splitlines())
            if lines > MAX_FILE_LINES and not _is_table_module(tree):
                long_files[rel] = lines
            for name, n in _functions(tree):
                if n > MAX_FUNCTION_LINES:
                    long_functions[f"{rel}::{name}"] = n
    return long_files, long_functions


def test_no_file_over_800_lines_and_no_function_over_80():
    long_files, long_functions = measure()
    files = {f: n for f, n in long_files.items() if f not in ALLOWED_LONG_FILES}
    functions = {f: n for f, n in long_functions.items() if f not in ALLOWED_LONG_FUNCTIONS}
    assert not files, f"files over {MAX_FILE_LINES} lines (split them along a real seam): {files}"
    assert not functions, f"functions over {MAX_FUNCTION_LINES} lines (split them): {functions}"


def test_the_allow_lists_only_shrink():
    long_files, long_functions = measure()
    stale = sorted((ALLOWED_LONG_FILES - set(long_files)) | (ALLOWED_LONG_FUNCTIONS - set(long_functions)))
    assert not stale, f"no longer too long: remove them from tests/test_sizes.py's allow-lists: {stale}"


def test_the_check_sees_long_code_and_spares_tables(tmp_path):
    pkg = tmp_path / "engine"
    pkg.mkdir()
    for other in PACKAGES[1:]:
        (tmp_path / other).mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (pkg / "long_function.py").write_text(f"class A:\n    def f(self):\n    {body.replace(chr(10), chr(10) + '    ')}\n")
    (pkg / "short.py").write_text(f"def g():\n{chr(10).join(body.splitlines()[:MAX_FUNCTION_LINES - 1])}\n")
    rows = ",\n".join(f"    {i!r}: 'x'" for i in range(MAX_FILE_LINES + 10))
    (pkg / "table.py").write_text(f'"""A table."""\n\nTABLE = {{\n{rows}\n}}\n')
    (pkg / "long_file.py").write_text("\n".join(f"y{i} = len('{i}')" for i in range(MAX_FILE_LINES + 1)) + "\n")
    long_files, long_functions = measure(tmp_path)
    assert long_files == {"engine/long_file.py": MAX_FILE_LINES + 1}
    assert long_functions == {"engine/long_function.py::A.f": MAX_FUNCTION_LINES + 1}
