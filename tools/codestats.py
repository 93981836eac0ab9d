"""Module and function sizes, import cycles and the catalog's floors, of the project's own code.

``python -m tools.codestats`` prints what issue 17 sets targets for: each room's modules by size
(median, largest, how many over 400 lines), every function over 60 lines, the connectors' sizes,
every import cycle, and every import that goes up the catalog's floors. ``--check`` exits 1
while a target is missed, so a refactoring can be steered by it; ``--json`` prints the same
figures for scripts.

Measured with :mod:`ast`, never by importing the code: lines are physical lines of the file;
a function's size runs from its first decorator to its last line, nested functions counted in
their parent and on their own. Migrations are left out (generated, and never edited once
released). Imports inside functions count (a lazy import hides a cycle, it does not break it);
imports under ``if TYPE_CHECKING:`` do not (they never run).
"""

from __future__ import annotations

import argparse
import ast
import json
import statistics
import sys
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("connectors", "catalog", "scheduler")
#: Hand-written front-end code counted with the modules (no build step: it ships as written).
SCRIPTS = "catalog/present/site/assets/*.js"
EXCLUDED_PARTS = frozenset({"migrations", "__pycache__"})

MODULE_MEDIAN, MODULE_MAX, FUNCTION_MAX = 150, 400, 60
#: Line budgets per connector module (issue 17): a connector is options, requests and mapping.
CONNECTOR_MAX = {"openedx": 200, "discovery": 200, "moochub": 200, "oaipmh": 200, "xuetangx": 300}
#: The catalog's floors, lowest first: a module may import its own floor and the ones below.
#: ``catalog``'s own modules (errors, ids, memo) are the ground, below every floor.
FLOORS = ("catalog", "catalog.derive", "catalog.store", "catalog.present")


@dataclass(frozen=True, slots=True)
class Function:
    module: str
    name: str  # qualified: Class.method, outer.inner
    line: int
    lines: int


@dataclass(slots=True)
class Stats:
    modules: dict[str, int] = field(default_factory=dict)  # path → lines
    functions: list[Function] = field(default_factory=list)
    cycles: list[list[str]] = field(default_factory=list)
    upward: list[tuple[str, str]] = field(default_factory=list)  # (importer, imported)

    @property
    def median(self) -> float:
        return statistics.median(self.modules.values()) if self.modules else 0.0

    def missed(self) -> list[str]:
        """Each target this tree misses, in one line."""
        out = []
        if self.median > MODULE_MEDIAN:
            out.append(f"module median {self.median:g} lines > {MODULE_MEDIAN}")
        out += [f"{p}: {n} lines > {MODULE_MAX}" for p, n in self.modules.items() if n > MODULE_MAX]
        out += [
            f"{f.module}:{f.line} {f.name}: {f.lines} lines > {FUNCTION_MAX}"
            for f in self.functions
            if f.lines > FUNCTION_MAX
        ]
        for name, budget in CONNECTOR_MAX.items():
            lines = self.modules.get(f"connectors/{name}.py")
            if lines is not None and lines > budget:
                out.append(f"connector {name}: {lines} lines > {budget}")
        out += [f"import cycle: {' → '.join([*c, c[0]])}" for c in self.cycles]
        out += [f"upward import: {a} imports {b}" for a, b in self.upward]
        return out


def python_files(root: Path) -> Iterator[Path]:
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")):
            if not EXCLUDED_PARTS & set(path.relative_to(root).parts):
                yield path


def measure(root: Path = ROOT) -> Stats:
    stats = Stats()
    graph: dict[str, set[str]] = {}
    modules = {module_name(p, root): p for p in python_files(root)}
    for name, path in modules.items():
        source = path.read_text("utf-8")
        tree = ast.parse(source, str(path))
        rel = path.relative_to(root).as_posix()
        stats.modules[rel] = len(source.splitlines())
        stats.functions += functions(tree, rel)
        graph[name] = set(imported(tree, name, path.name == "__init__.py", set(modules)))
    for script in sorted(root.glob(SCRIPTS)):
        rel = script.relative_to(root).as_posix()
        stats.modules[rel] = len(script.read_text("utf-8").splitlines())
    stats.cycles = cycles(graph)
    stats.upward = upward_imports(graph)
    return stats


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def functions(tree: ast.Module, module: str) -> list[Function]:
    found: list[Function] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([child.lineno, *(d.lineno for d in child.decorator_list)])
                size = (child.end_lineno or child.lineno) - first + 1
                found.append(Function(module, prefix + child.name, first, size))
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            elif not _type_checking_block(child):
                visit(child, prefix)

    visit(tree, "")
    return found


def imported(tree: ast.Module, module: str, is_package: bool, known: set[str]) -> Iterator[str]:
    """The project modules (``known``) that ``module`` imports when it runs. ``from a import b``
    is an import of ``a.b`` when that is a module, else of ``a``: a package's ``__init__`` that
    imports its own submodules is no cycle with them."""
    package = module if is_package else module.rpartition(".")[0]
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                target = f"{base}.{alias.name}"
                if target in known:
                    yield target
                elif base in known and base != module:
                    yield base


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    for child in ast.iter_child_nodes(tree):
        if _type_checking_block(child):
            continue
        yield child
        yield from _runtime_nodes(child)


def _type_checking_block(node: ast.AST) -> bool:
    if not isinstance(node, ast.If):
        return False
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (or a module importing
    itself), by Tarjan's algorithm, each from its alphabetically first module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1 or node in graph.get(node, ()):
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph) + 100))
    for node in sorted(graph):
        if node not in index:
            connect(node)
    return sorted(found)


def floor_of(module: str) -> int | None:
    """The floor of a catalog module (its index in :data:`FLOORS`), None outside the catalog."""
    parts = module.split(".")
    if parts[0] != "catalog":
        return None
    name = ".".join(parts[:2])
    return FLOORS.index(name) if name in FLOORS else 0


def upward_imports(graph: dict[str, set[str]]) -> list[tuple[str, str]]:
    """Every (importer, imported) pair where a catalog module imports a floor above its own."""
    found = []
    for module, targets in graph.items():
        own = floor_of(module)
        if own is None:
            continue
        for target in targets:
            theirs = floor_of(target)
            if theirs is not None and theirs > own:
                found.append((module, target))
    return sorted(found)


def report(stats: Stats) -> Iterable[str]:
    sizes = sorted(stats.modules.items(), key=lambda item: -item[1])
    yield (
        f"{len(sizes)} modules: median {stats.median:g} lines (target ≤ {MODULE_MEDIAN}), "
        f"largest {sizes[0][1] if sizes else 0}, "
        f"{sum(n > MODULE_MAX for _, n in sizes)} over {MODULE_MAX}"
    )
    for path, lines in sizes:
        if lines > MODULE_MAX:
            yield f"  {lines:5}  {path}"
    long = sorted((f for f in stats.functions if f.lines > FUNCTION_MAX), key=lambda f: -f.lines)
    yield f"{len(stats.functions)} functions: {len(long)} over {FUNCTION_MAX} lines"
    for f in long:
        yield f"  {f.lines:5}  {f.module}:{f.line} {f.name}"
    yield "connectors:"
    for name, budget in CONNECTOR_MAX.items():
        size = stats.modules.get(f"connectors/{name}.py")
        if size is not None:
            yield f"  {size:5}  {name} (target ≤ {budget}){'' if size <= budget else '  ✗'}"
    yield f"import cycles: {len(stats.cycles)}"
    for cycle in stats.cycles:
        yield "  " + " → ".join([*cycle, cycle[0]])
    yield f"catalog floors ({' < '.join(FLOORS)}): {len(stats.upward)} upward imports"
    for importer, imported in stats.upward:
        yield f"  {importer} imports {imported}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.codestats", description=__doc__)
    parser.add_argument("--root", type=Path, default=ROOT, help="the repository (default: this)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--check", action="store_true", help="exit 1 while a target is missed")
    args = parser.parse_args(argv)
    stats = measure(args.root)
    if args.json:
        print(json.dumps({**asdict(stats), "median": stats.median, "missed": stats.missed()}))
    else:
        print("\n".join(report(stats)))
    return 1 if args.check and stats.missed() else 0


if __name__ == "__main__":
    sys.exit(main())
