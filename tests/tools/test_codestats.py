"""``python -m tools.codestats`` on a small tree built for it: sizes, long functions, cycles."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from tools import codestats


def write(root: Path, relative: str, source: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(source).lstrip(), "utf-8")


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for package in codestats.PACKAGES:
        write(tmp_path, f"{package}/__init__.py", "")
    body = "\n".join(f"    x{i} = {i}" for i in range(60))
    write(tmp_path, "catalog/a.py", f"import catalog.b\n\n\n@decorated\ndef long():\n{body}\n")
    # A lazy import still closes a cycle; one under TYPE_CHECKING never runs, so it does not.
    write(
        tmp_path,
        "catalog/b.py",
        """
        from typing import TYPE_CHECKING

        if TYPE_CHECKING:
            from scheduler import c


        def later():
            from catalog import a
            return a
        """,
    )
    write(tmp_path, "scheduler/c.py", "from catalog.b import later\n")
    write(tmp_path, "connectors/openedx.py", "x = 1\n" * 250)
    write(tmp_path, "catalog/migrations/versions/0001.py", "x = 1\n" * 900)  # never counted
    write(tmp_path, "catalog/site/__init__.py", "from . import build\n")  # not a self-cycle
    write(tmp_path, "catalog/site/build.py", "from catalog.site import fold\n")
    write(tmp_path, "catalog/site/fold.py", "")
    return tmp_path


def test_sizes_long_functions_connectors_and_cycles_are_measured(tree: Path) -> None:
    stats = codestats.measure(tree)

    assert "catalog/migrations/versions/0001.py" not in stats.modules
    assert stats.modules["catalog/a.py"] == 65
    [long] = [f for f in stats.functions if f.lines > codestats.FUNCTION_MAX]
    assert (long.module, long.name, long.line, long.lines) == ("catalog/a.py", "long", 4, 62)
    assert stats.cycles == [["catalog.a", "catalog.b"]]
    assert stats.missed() == [
        "catalog/a.py:4 long: 62 lines > 60",
        "connector openedx: 250 lines > 200",
        "import cycle: catalog.a → catalog.b → catalog.a",
    ]


def test_the_command_prints_the_figures_and_check_fails_while_a_target_is_missed(
    tree: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert codestats.main(["--root", str(tree)]) == 0
    out = capsys.readouterr().out
    assert "62  catalog/a.py:4 long" in out
    assert "import cycles: 1\n  catalog.a → catalog.b → catalog.a" in out
    assert codestats.main(["--root", str(tree), "--check"]) == 1
    capsys.readouterr()

    (tree / "catalog/b.py").write_text("def later():\n    return 1\n", "utf-8")
    (tree / "catalog/a.py").write_text("import catalog.b\n", "utf-8")
    (tree / "connectors/openedx.py").write_text("x = 1\n" * 200, "utf-8")
    assert codestats.main(["--root", str(tree), "--check", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["missed"] == [] and figures["cycles"] == []
    assert figures["modules"]["connectors/openedx.py"] == 200


def test_an_import_up_the_catalogs_floors_is_a_missed_target(tmp_path: Path) -> None:
    """derive < store < present: the storage floor reading a document (presentation) is named,
    and fails ``--check``; the same import the other way, and the ground modules, do not."""
    for package in codestats.PACKAGES:
        write(tmp_path, f"{package}/__init__.py", "")
    for floor in ("derive", "store", "present"):
        write(tmp_path, f"catalog/{floor}/__init__.py", "")
    write(tmp_path, "catalog/errors.py", "")
    write(tmp_path, "catalog/derive/fold.py", "from catalog import errors\n")
    write(tmp_path, "catalog/present/documents.py", "from catalog.store import tables\n")
    write(tmp_path, "catalog/store/tables.py", "from catalog.derive.fold import x\n")
    assert codestats.measure(tmp_path).upward == []
    assert codestats.main(["--root", str(tmp_path), "--check"]) == 0

    write(
        tmp_path, "catalog/store/offers.py", "def f():\n    from catalog.present import documents\n"
    )
    stats = codestats.measure(tmp_path)
    assert stats.upward == [("catalog.store.offers", "catalog.present.documents")]
    assert stats.missed() == [
        "upward import: catalog.store.offers imports catalog.present.documents"
    ]


def test_the_projects_catalog_floors_import_only_downward() -> None:
    """The real tree: no module of the catalog imports a floor above its own, and no cycle."""
    stats = codestats.measure()
    assert stats.upward == []
    assert stats.cycles == []
