"""A static scan of learner cells for tampering, reported to the instructor with the reason.

In-process checks cannot be airtight; this scan flags code that tries to get
around them (rebinding the checker or NumPy's comparisons, reaching into
sys.modules/builtins, profilers and tracers, exec of foreign code, reading the
course's source or gradebook). A flag is a prompt to look, not a verdict.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

_CHECKER_NAMES = {"check", "CheckFailed", "autograder"}
_NUMPY = {"np", "numpy"}
_SUSPECT_CALLS = {
    "exec": "runs code built at run time (exec)",
    "eval": "evaluates code built at run time (eval)",
    "compile": "compiles code at run time",
    "__import__": "imports modules dynamically",
    "settrace": "installs a tracer (sys.settrace)",
    "setprofile": "installs a profiler (sys.setprofile)",
    "_exit": "kills the kernel (os._exit)",
    "reload": "reloads modules (importlib.reload)",
}
_SUSPECT_ATTRIBUTES = {
    "modules": "touches sys.modules",
    "builtins": "touches builtins",
    "pywrap_tfe": "touches TensorFlow's op dispatch",
    "__builtins__": "touches builtins",
}
_SECRET_WORDS = ("source/", "../source", "gradebook", ".git/")


@dataclass(frozen=True)
class Flag:
    """One suspicious line in one cell."""

    cell: str
    line: int
    reason: str


def _target_names(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Name):
        return [node.id]
    if isinstance(node, ast.Attribute):
        return [ast.unparse(node)]
    if isinstance(node, ast.Tuple | ast.List):
        return [name for element in node.elts for name in _target_names(element)]
    return []


def scan_source(source: str, cell: str) -> list[Flag]:
    """Flags for one cell's code (IPython magics are skipped)."""
    code = "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()
    )
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    flags = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for name in (n for t in targets for n in _target_names(t)):
                root = name.split(".")[0]
                if name in _CHECKER_NAMES:
                    flags.append(Flag(cell, node.lineno, f"rebinds the checker name {name!r}"))
                elif root == "autograder":
                    flags.append(Flag(cell, node.lineno, f"patches the grader ({name})"))
                elif root in _NUMPY and "." in name:
                    flags.append(Flag(cell, node.lineno, f"reassigns {name}"))
                elif root in {"sys", "builtins"}:
                    flags.append(Flag(cell, node.lineno, f"assigns to {name}"))
        elif isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in _SUSPECT_CALLS:
                flags.append(Flag(cell, node.lineno, _SUSPECT_CALLS[called]))
        elif isinstance(node, ast.Attribute) and node.attr in _SUSPECT_ATTRIBUTES:
            flags.append(Flag(cell, node.lineno, _SUSPECT_ATTRIBUTES[node.attr]))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and any(word in node.value for word in _SECRET_WORDS)
        ):
            flags.append(Flag(cell, node.lineno, f"mentions a grader path: {node.value!r}"))
    return sorted(set(flags), key=lambda f: (f.cell, f.line, f.reason))


def scan_notebook(path: Path) -> list[Flag]:
    """Flags for every learner (solution) cell of a submitted notebook; unreadable → no flags."""
    try:
        notebook = json.loads(path.read_text(encoding="utf-8"))
        cells = notebook["cells"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    flags = []
    for index, cell in enumerate(cells):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("locked") and not meta.get("solution"):
            continue  # locked cells are restored from the gradebook anyway
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else str(source)
        flags += scan_source(source, meta.get("grade_id") or f"cell {index}")
    return flags
