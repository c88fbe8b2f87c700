"""The import graph, checked from the source: layers point one way (docs/architecture.md), no package cycle, and no
private name crosses a module boundary. Imports inside functions count: a lazy import is still a dependency."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What each top-level package may import of the project: the layers, bottom first.
ALLOWED = {
    "atelier_io": set(),
    "weights": {"atelier_io"},
    "tryon": {"atelier_io", "weights"},
    "recsys": {"atelier_io", "weights", "tryon"},
    "style": {"atelier_io", "weights", "tryon"},
    "ui": {"atelier_io", "weights", "tryon", "recsys", "style"},
    "atelier_cli": {"atelier_io", "weights", "tryon", "recsys", "style", "ui"},
}
PROJECT = set(ALLOWED)
# Modules reached past their package's __init__: the command line's training, evaluation and batch tools (heavy,
# imported only by the command that runs them) and the ONNX export cache both model packages share.
TOOL_MODULES = {"recsys.train_encoder", "recsys.train_sentiment", "recsys.evaluate", "recsys.embed_job",
                "recsys.sentiment", "tryon.train_parser", "weights.onnx_cache"}


def source_files() -> list[Path]:
    files = [ROOT / "atelier_cli.py"]
    for package in PROJECT - {"atelier_cli"}:
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def imports(path: Path) -> list[tuple[str, list[str], int]]:
    """(absolute module, imported names, line) for every import in the file, relative ones resolved."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, [], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found.append((module, [alias.name for alias in node.names], node.lineno))
    return found


def owner(path: Path) -> str:
    relative = path.relative_to(ROOT)
    return relative.parts[0] if len(relative.parts) > 1 else relative.stem


def project_imports():
    """(file, its package, imported project module, imported names, line) for every project import."""
    for path in source_files():
        here = owner(path)
        for module, names, line in imports(path):
            if module.split(".")[0] in PROJECT:
                yield path.relative_to(ROOT), here, module, names, line


def test_layers_point_one_way():
    wrong = [f"{path}:{line} {here} imports {module}" for path, here, module, _, line in project_imports()
             if module.split(".")[0] not in (ALLOWED[here] | {here})]
    assert not wrong, "imports against the layers:\n" + "\n".join(wrong)


def test_no_private_name_crosses_a_module():
    crossing = []
    for path, _, module, names, line in project_imports():
        if module == ".".join(path.with_suffix("").parts):
            continue
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        private += [part for part in module.split(".") if part.startswith("_") and part != "__init__"]
        if private:
            crossing.append(f"{path}:{line} imports {private} from {module}")
    assert not crossing, "private names used across modules:\n" + "\n".join(crossing)


def test_other_packages_are_used_through_their_init():
    """A package's __init__ is its public API: ``from tryon import Ask``, not ``from tryon.ask import Ask``."""
    reaching = [f"{path}:{line} imports {module}" for path, here, module, _, line in project_imports()
                if module.split(".")[0] != here and "." in module and module not in TOOL_MODULES]
    assert not reaching, "imports past another package's __init__:\n" + "\n".join(reaching)


@pytest.mark.parametrize("package", sorted(PROJECT))
def test_the_allowed_graph_has_no_cycle(package):
    """The table itself is acyclic, so code that follows it cannot build a package cycle."""
    seen, stack = set(), [package]
    while stack:
        for dependency in ALLOWED[stack.pop()]:
            assert dependency != package, f"{package} can reach itself through {dependency}"
            if dependency not in seen:
                seen.add(dependency)
                stack.append(dependency)


def test_the_checker_sees_lazy_and_relative_imports(tmp_path):
    """A case whose answer is known: a function-level import and a relative one are both found."""
    sample = ROOT / "tryon" / "pipeline.py"
    modules = {module for module, _, _ in imports(sample)}
    assert "atelier_io" in modules and "tryon.ask" in modules
