"""The package's imports run in one direction: core <- data <- stats <- report <- pipeline <- cli.

A module may import from its own layer and the layers below it, never above: the statistics do
not know how they are reported, the report helpers do not know how a run is driven. Imports
inside functions and under ``TYPE_CHECKING`` count too, since they couple the layers as surely.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import analyse

PACKAGE = Path(analyse.__file__).resolve().parent
LAYERS = ("core", "data", "stats", "report", "pipeline", "cli")
CORE = {"__init__", "errors", "paths", "params", "reasons", "yaml_files", "suggest"}


def layer_of(module: str) -> str:
    """The layer of a dotted module name inside ``analyse`` (``analyse.stats.claim`` -> stats)."""
    parts = module.split(".")
    assert parts[0] == "analyse", module
    if len(parts) == 1:
        return "core"
    head = parts[1]
    if head in {"data", "stats", "report", "pipeline"}:
        return head
    if head in {"cli", "__main__"}:
        return "cli"
    if head in CORE:
        return "core"
    raise AssertionError(f"module {module} is in no layer: add it to a subpackage or to CORE")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def imported_modules(path: Path, source: str | None = None) -> list[tuple[int, str]]:
    """Every ``analyse`` module a file imports, anywhere in it, with its line."""
    tree = ast.parse(source if source is not None else path.read_text(encoding="utf-8"))
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name) for a in node.names if a.name.startswith("analyse")]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative import
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("analyse"):
                continue
            # ``from analyse.report import plots`` imports analyse.report.plots
            for alias in node.names:
                candidate = f"{target}.{alias.name}"
                is_module = (PACKAGE.parent / Path(*candidate.split("."))).with_suffix(".py")
                found.append((node.lineno, candidate if is_module.exists() else target))
    return found


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer():
    for path in SOURCES:
        layer_of(module_name(path))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_layers(path: Path):
    own = LAYERS.index(layer_of(module_name(path)))
    upward = [
        f"line {line}: {target} ({layer_of(target)})"
        for line, target in imported_modules(path)
        if LAYERS.index(layer_of(target)) > own
    ]
    assert not upward, f"{module_name(path)} ({LAYERS[own]}) imports upward: {upward}"


def test_the_checker_sees_an_upward_import():
    """The test above can fail: an upward import, even inside a function, is found."""
    probe = PACKAGE / "stats" / "probe.py"  # not written: its source is given
    source = "def f():\n    from analyse.report import tables\n"
    targets = [t for _, t in imported_modules(probe, source)]
    assert targets == ["analyse.report.tables"]
    assert LAYERS.index(layer_of(targets[0])) > LAYERS.index(layer_of("analyse.stats.probe"))
