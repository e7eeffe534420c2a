"""A static scan of what the learner wrote, for tampering, reported to the instructor with why.

In-process checks cannot be airtight; this scan flags code that tries to get around
them (rebinding the checker or NumPy's comparisons, reaching into sys.modules/builtins,
profilers and tracers, exec of code built at run time, reading the course's source or
gradebook). A flag is a prompt to look, not a verdict, so it must mean something:

- only the learner's code is scanned: solution cells and cells the learner added or
  changed. A cell whose code is the released notebook's (the chapter's own
  ``model.compile(...)``, say) is the course's, not the learner's, and so is any line
  that the released notebook has in the same place;
- only suspicious calls count: ``exec``/``eval``/``compile``/``__import__`` as the
  builtins, not methods of the same name (``model.compile``, ``re.compile``).
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.cells import nbgrader_meta

_CHECKER_NAMES = {"check", "CheckFailed", "autograder"}
_NUMPY = {"np", "numpy"}
#: builtins, suspicious only when called as the builtin (a bare name or builtins.<name>)
_BUILTIN_CALLS = {
    "exec": "runs code built at run time (exec)",
    "eval": "evaluates code built at run time (eval)",
    "compile": "compiles code at run time",
    "__import__": "imports modules dynamically",
}
#: functions suspicious however they are reached
_SUSPECT_CALLS = {
    "settrace": "installs a tracer (sys.settrace)",
    "setprofile": "installs a profiler (sys.setprofile)",
    "_exit": "kills the kernel (os._exit)",
    "reload": "reloads modules (importlib.reload)",
}
_BUILTINS_MODULES = {"builtins", "__builtins__"}
_SUSPECT_ATTRIBUTES = {
    "modules": "touches sys.modules",
    "builtins": "touches builtins",
    "pywrap_tfe": "touches TensorFlow's op dispatch",
    "__builtins__": "touches builtins",
}
_SECRET_WORDS = ("source/", "../source", "gradebook", ".git/")
_KERAS = {"tf", "tensorflow", "keras", "tf_keras"}
_FALLBACK = (
    "tries TensorFlow/Keras and falls back when it fails (try/except): a NumPy exercise that "
    "reaches for them scores zero even when the failure is caught"
)


def _keras_fallback(node: ast.Try) -> bool:
    """A ``try`` whose body reaches for TensorFlow or Keras, with a handler to fall back to."""
    uses = any(
        (isinstance(n, ast.Name) and n.id in _KERAS)
        or (isinstance(n, ast.Import | ast.ImportFrom) and _imports_keras(n))
        for statement in node.body
        for n in ast.walk(statement)
    )
    return uses and bool(node.handlers)


def _imports_keras(node: ast.Import | ast.ImportFrom) -> bool:
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").split(".")[0] in _KERAS
    names = [alias.name for alias in node.names]
    return any(name.split(".")[0] in _KERAS for name in names)


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


def _call_reason(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return _BUILTIN_CALLS.get(func.id) or _SUSPECT_CALLS.get(func.id)
    if isinstance(func, ast.Attribute):
        owner = func.value.id if isinstance(func.value, ast.Name) else ""
        if owner in _BUILTINS_MODULES and func.attr in _BUILTIN_CALLS:
            return _BUILTIN_CALLS[func.attr]
        return _SUSPECT_CALLS.get(func.attr)
    return None


def _assignment_flags(node: ast.Assign | ast.AugAssign | ast.AnnAssign, cell: str) -> list[Flag]:
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    flags = []
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
    return flags


def scan_source(source: str, cell: str, released: str = "") -> list[Flag]:
    """Flags for one cell's code (IPython magics skipped; lines of ``released`` not flagged)."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return []
    flags = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            flags += _assignment_flags(node, cell)
        elif isinstance(node, ast.Call):
            reason = _call_reason(node.func)
            if reason:
                flags.append(Flag(cell, node.lineno, reason))
        elif isinstance(node, ast.Try) and _keras_fallback(node):
            flags.append(Flag(cell, node.lineno, _FALLBACK))
        elif isinstance(node, ast.Attribute) and node.attr in _SUSPECT_ATTRIBUTES:
            flags.append(Flag(cell, node.lineno, _SUSPECT_ATTRIBUTES[node.attr]))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and any(word in node.value for word in _SECRET_WORDS)
        ):
            flags.append(Flag(cell, node.lineno, f"mentions a grader path: {node.value!r}"))
    course_lines = {line.strip() for line in released.splitlines() if line.strip()}
    flags = [f for f in flags if lines[f.line - 1].strip() not in course_lines]
    return sorted(set(flags), key=lambda f: (f.cell, f.line, f.reason))


def _text(source: Any) -> str:
    return "".join(map(str, source)) if isinstance(source, list) else str(source)


def _code_cells(notebook: Any) -> list[dict]:
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise ValueError("no list of cells")
    return [c for c in cells if isinstance(c, dict) and c.get("cell_type") == "code"]


def _released_cells(text: str | None) -> tuple[set[str], dict[str, str]]:
    """The release's code (every cell's, stripped) and its cells by grade_id and by id."""
    if text is None:
        return set(), {}
    cells = _code_cells(json.loads(text))
    by_name: dict[str, str] = {}
    for cell in cells:
        for key in (nbgrader_meta(cell).get("grade_id"), cell.get("id")):
            if isinstance(key, str):
                by_name.setdefault(key, _text(cell.get("source", "")))
    return {_text(c.get("source", "")).strip() for c in cells}, by_name


def scan_text(text: str, released: str | None = None) -> list[Flag]:
    """Flags for what the learner wrote in a notebook (its JSON text), given the release's.

    Raises ValueError when the notebook is not one (the report says so).
    """
    course_code, course_cells = _released_cells(released)
    flags = []
    for index, cell in enumerate(_code_cells(json.loads(text))):
        meta = nbgrader_meta(cell)
        if meta.get("locked") and not meta.get("solution"):
            continue  # locked cells are restored from the gradebook anyway
        source = _text(cell.get("source", ""))
        if source.strip() in course_code:
            continue  # the course's code as released
        grade_id = meta.get("grade_id")
        name = str(grade_id) if grade_id else f"cell {index}"
        same_place = course_cells.get(str(grade_id)) or course_cells.get(str(cell.get("id")), "")
        flags += scan_source(source, name, "" if meta.get("solution") else same_place)
    return flags


def scan_notebook(path: Path, release: Path | None = None) -> list[Flag]:
    """Flags for a submitted notebook file; unreadable → no flags."""
    try:
        released = release.read_text(encoding="utf-8") if release else None
        return scan_text(path.read_text(encoding="utf-8"), released)
    except (OSError, ValueError, UnicodeDecodeError):
        return []
