"""Which of a submission's code cells its grades depend on: the only ones ``autograder grade`` runs.

A chapter's demonstrations (plots, training runs, printed tables) are most of its run time
and never graded. The judge needs only the learner's answers, the test cells it does not
decide itself, and every cell that binds a name those read, directly or through the
functions they call (a fixpoint over names, computed with :mod:`symtable`). What a cell
reads as it runs must be bound by a cell before it; what a function reads, by any cell
(it runs whenever it is called, so the analysis assumes it may be called last). A cell is run
whatever it binds when it cannot be read (a syntax error), imports ``*``, runs magics, or
calls something that sets global state (``np.seterr``, ``keras.config.set_floatx``,
``warnings.filterwarnings``, ...: not random seeds, since the judge seeds every random case
and every model it builds itself); and every cell is run when a cell that runs reads the
namespace dynamically (``eval``, ``exec``, ``globals()``, ...). The analysis errs on the side
of running: a cell kept needlessly costs time, a cell skipped wrongly could cost marks.
"""

from __future__ import annotations

import ast
import re
import symtable
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: names whose use means a cell reads or writes the namespace in ways names do not show
DYNAMIC = frozenset(
    {"eval", "exec", "globals", "locals", "vars", "__import__", "__builtins__", "__name__"}
)
#: calls that write files (``open`` in a writing mode aside): another cell may read what they
#: write, so a cell that makes one runs (drawing figures aside: ``savefig`` is a picture)
WRITES_FILES = re.compile(
    r"^(save|savez|savez_compressed|savetxt|tofile|to_csv|to_json|to_parquet|to_pickle"
    r"|write_text|write_bytes|mkdir|makedirs|touch|copyfile|copytree|symlink_to|save_weights"
    r"|save_model)$"
)
#: what a cell that writes files binds (and a function that does, when it is called)
FILES = "<files>"
#: a call to one of these on a module changes global state that later code may depend on
SETS_STATE = re.compile(
    r"^(set|seed|use$|enable|disable|filterwarnings|simplefilter|resetwarnings|chdir|putenv"
    r"|run_functions_eagerly|register|clear_session|reset)"
)
#: seeding is not state a grade depends on (the judge seeds what it asks for)
SEEDS = re.compile("seed")
#: methods that change the object they are called on (``history.append(...)``, ``a.fill(0)``)
CHANGES_OBJECT = re.compile(
    r"^(set|append|extend|insert|update|pop|remove|clear|sort|reverse|add$|discard|fill$"
    r"|resize|put|itemset|assign|compile$|fit$|build$|train_on_batch|load|reset|__set)"
)


@dataclass
class CellNames:
    """What one code cell binds and reads at the notebook's top level."""

    binds: set[str] = field(default_factory=set)
    #: the globals it reads while it runs (the top level, not its functions' bodies)
    runs_with: set[str] = field(default_factory=set)
    #: names its functions assign as ``global`` (bound when they are called), per function
    assigns_globally: dict[str, set[str]] = field(default_factory=dict)
    #: global names each of its top-level functions reads (the functions it may call)
    function_uses: dict[str, set[str]] = field(default_factory=dict)
    #: functions it calls at the top level
    calls: set[str] = field(default_factory=set)
    #: names it binds by ``import``
    imports: set[str] = field(default_factory=set)
    #: dotted calls at the top level (``np.seterr``, ``history.append``): a module's may set
    #: global state, another object's may change it; which is which, the notebook's imports say
    attribute_calls: list[list[str]] = field(default_factory=list)
    #: run it whatever it binds
    always: bool = False
    #: reads the namespace dynamically: if it runs, every cell runs
    dynamic: bool = False

    def in_functions(self) -> set[str]:
        """The globals its functions and classes read."""
        return set().union(*self.function_uses.values())

    def uses(self) -> set[str]:
        """Every global it reads, as it runs or in its functions and classes."""
        return self.runs_with | self.in_functions()


def _transformed(source: str) -> str:
    """The cell as IPython runs it (magics become calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def _scope_names(table: symtable.SymbolTable, names: CellNames, top: str = "") -> None:
    """Globals read, and assigned, by the functions and classes nested in ``table`` (``top``:
    the top-level function they are in)."""
    for child in table.get_children():
        function = top or child.get_name()
        for symbol in child.get_symbols():
            if not symbol.is_global():
                continue
            if symbol.is_referenced():
                names.function_uses.setdefault(function, set()).add(symbol.get_name())
            if symbol.is_declared_global() and symbol.is_assigned():
                owner = child.get_name() if table.get_type() == "module" else "*"
                names.assigns_globally.setdefault(owner, set()).add(symbol.get_name())
        _scope_names(child, names, function)


def _root(node: ast.expr) -> str | None:
    """``a`` of ``a.b[c].d``."""
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _dotted(node: ast.expr) -> list[str]:
    """``["np", "random", "seed"]`` of ``np.random.seed``; [] for anything else."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    return [node.id, *reversed(parts)] if isinstance(node, ast.Name) else []


def _top_level(tree: ast.Module) -> Iterable[ast.AST]:
    """The nodes run when the cell runs (function and lambda bodies are not)."""
    stack: list[ast.AST] = list(tree.body)
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            stack += [d for d in node.args.defaults + node.args.kw_defaults if d is not None]
            if not isinstance(node, ast.Lambda):
                stack += node.decorator_list
            continue
        stack += ast.iter_child_nodes(node)


def _writes_files(node: ast.Call) -> bool:
    """Does this call write a file (``open(path, "w")``, ``np.save``, ``path.write_text``)?"""
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    if name != "open":
        return bool(WRITES_FILES.match(name))
    # open(path, mode), or path.open(mode); a mode it cannot read counts as writing
    given = node.args[0:2] if isinstance(func, ast.Attribute) else node.args[1:2]
    modes = given + [k.value for k in node.keywords if k.arg == "mode"]
    return any(
        not (isinstance(m, ast.Constant) and isinstance(m.value, str)) or set(m.value) & set("wax+")
        for m in modes
    )


def _file_writers(tree: ast.Module, names: CellNames) -> None:
    """Functions that write files bind :data:`FILES` when called, as do the cell's own writes."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "modules":
            names.dynamic = True  # sys.modules[__name__]: the namespace, read by name
    for node in tree.body:
        if not any(isinstance(n, ast.Call) and _writes_files(n) for n in ast.walk(node)):
            continue
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.assigns_globally.setdefault(node.name, set()).add(FILES)
        else:
            names.binds.add(FILES)


def _effects(tree: ast.Module, names: CellNames) -> None:
    """In-place changes and calls made at the top level."""
    _file_writers(tree, names)
    for node in _top_level(tree):
        if isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names):
            names.always = True
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign | ast.Delete):
            targets = list(node.targets)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for target in targets:
            for part in ast.walk(target):
                if isinstance(part, ast.Attribute | ast.Subscript) and (root := _root(part)):
                    names.binds.add(root)  # x.attr = ..., x[i] = ..., del x[i]
        if not isinstance(node, ast.Call):
            continue
        dotted = _dotted(node.func)
        if not dotted:
            continue
        if dotted[0] == "get_ipython":
            names.always = True  # a magic, a shell command
        if len(dotted) == 1:
            names.calls.add(dotted[0])
        else:
            names.attribute_calls.append(dotted)


def _resolve_calls(names: CellNames, modules: set[str]) -> None:
    """Sort a cell's dotted calls, given the notebook's imported ``modules``: a module's may set
    global state (the cell always runs), another object's method may change that object."""
    for dotted in names.attribute_calls:
        if dotted[0] in modules:
            sets = any(SETS_STATE.match(p) for p in dotted[1:])
            if sets and not any(SEEDS.search(p) for p in dotted[1:]):
                names.always = True
        elif CHANGES_OBJECT.match(dotted[-1]):
            names.binds.add(dotted[0])  # data.sort(), history.append(...): changes it


def cell_names(source: str) -> CellNames:
    """What a cell binds, uses, imports and calls (its dotted calls resolved later, by
    :func:`cells_to_run`, once every cell's imports are known)."""
    names = CellNames()
    try:
        code = _transformed(source)
        table = symtable.symtable(code, "<cell>", "exec")
        tree = ast.parse(code)
    except (SyntaxError, ValueError):
        names.always = True
        return names
    for symbol in table.get_symbols():
        if symbol.is_assigned() or symbol.is_imported():
            names.binds.add(symbol.get_name())
        if symbol.is_imported():
            names.imports.add(symbol.get_name())
        if symbol.is_referenced():
            names.runs_with.add(symbol.get_name())
    _scope_names(table, names)
    _effects(tree, names)
    names.dynamic = names.dynamic or bool(names.uses() & DYNAMIC) or "__main__" in code
    return names


def cells_to_run(sources: Sequence[str], required: set[int], checked: set[str]) -> set[int] | None:
    """The indices of the cells to run, or None for all of them.

    ``sources``: the notebook's code cells; ``required``: those that run in any case (the
    learner's answers, test cells the judge does not decide); ``checked``: the names of the
    functions the judge calls.
    """
    cells = [cell_names(source) for source in sources]
    modules = set().union(*(names.imports for names in cells))
    for names in cells:
        _resolve_calls(names, modules)
    globals_of: dict[str, set[str]] = {}
    uses_of: dict[str, set[str]] = {}
    for names in cells:
        for function, assigned in names.assigns_globally.items():
            globals_of.setdefault(function, set()).update(assigned)
        for function, used in names.function_uses.items():
            uses_of.setdefault(function, set()).update(used)
    changed = True
    while changed:  # a function binds what the functions it calls assign as global
        changed = False
        for function, used in uses_of.items():
            reached = set().union(*(globals_of.get(name, set()) for name in used))
            if not reached <= globals_of.get(function, set()):
                globals_of.setdefault(function, set()).update(reached)
                changed = True
    for names in cells:  # a top-level call binds what the function assigns as global
        for function in names.calls:
            names.binds |= globals_of.get(function, set()) | globals_of.get("*", set())
    run = set(required) | {i for i, n in enumerate(cells) if n.always or FILES in n.binds}
    # a name read as cell i runs must be bound by a cell before i; a name read in a function
    # (which runs whenever it is called) by any cell
    end = len(cells)
    needed_before: dict[str, int] = dict.fromkeys(checked, end)
    read: set[int] = set()
    while True:
        for i in run - read:
            for name in cells[i].runs_with | cells[i].calls:
                needed_before[name] = max(needed_before.get(name, 0), i)
            needed_before.update(dict.fromkeys(cells[i].in_functions(), end))
        read |= run
        more = {
            i
            for i, names in enumerate(cells)
            if i not in run and any(needed_before.get(name, 0) > i for name in names.binds)
        }
        if not more:
            break
        run |= more
    if any(cells[i].dynamic for i in run):
        return None
    return run
