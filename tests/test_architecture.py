"""The package's shape: inputs → constructs → synth → render → validate → report, CLI on top. Every import
(module level or inside a function: a lazy import that dodges a loop is still a loop) is read from the
source, and the layers are checked: no import circle in validate/, synth/, cli/ or report/, no arrow from
constructs/ to synth/, from report/ to validate/ or operate/, from render/ to validate/, or from one CLI
command to another; and validate never reaches the code that writes schemas/."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "kserve_gitops"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def imports_of(name: str) -> set[str]:
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            submodules = {f"{target}.{alias.name}" for alias in node.names} & MODULES.keys()
            # "from . import kserve" depends on the module kserve, not on the package that holds it
            out |= submodules or ({target} & MODULES.keys())
        elif isinstance(node, ast.Import):
            out |= {alias.name for alias in node.names} & MODULES.keys()
    out.discard(name)
    return out


GRAPH = {name: imports_of(name) for name in MODULES}


def circles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(GRAPH):
        if v not in index:
            visit(v)
    return found


def test_the_graph_is_read_from_real_imports() -> None:
    assert "kserve_gitops.validate.checks.base" in GRAPH["kserve_gitops.validate.run"]
    assert "kserve_gitops.validate.checks.kserve" in GRAPH["kserve_gitops.validate.checks.kserve_features"]
    assert "kserve_gitops.synth.components" in GRAPH["kserve_gitops.synth.app"]  # inside build_app


def test_no_import_circle() -> None:
    assert circles() == []


@pytest.mark.parametrize(
    "source,forbidden",
    [
        ("kserve_gitops.constructs", "kserve_gitops.synth"),
        ("kserve_gitops.report", "kserve_gitops.validate"),
        ("kserve_gitops.report", "kserve_gitops.operate"),
        ("kserve_gitops.render", "kserve_gitops.validate"),
        ("kserve_gitops.render", "kserve_gitops.operate"),
        ("kserve_gitops.inputs", "kserve_gitops.render"),
        ("kserve_gitops.inputs", "kserve_gitops.validate"),
        ("kserve_gitops.results", "kserve_gitops.validate"),
    ],
)
def test_no_arrow_against_the_layers(source: str, forbidden: str) -> None:
    arrows = sorted(
        (name, target)
        for name, targets in GRAPH.items()
        if name == source or name.startswith(source + ".")
        for target in targets
        if target == forbidden or target.startswith(forbidden + ".")
    )
    assert arrows == []


def reachable(start: str) -> set[str]:
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(GRAPH[name])
    return seen


def test_validate_does_not_load_schemas_import() -> None:
    # validate only reads schemas/; the import/fetch code (YAML streams in, files and URLs out) stays unloaded
    assert "kserve_gitops.operate.schemas_import" in GRAPH["kserve_gitops.cli.schemas_cmd"]
    assert "kserve_gitops.operate.schemas_import" not in reachable("kserve_gitops.cli.validate_cmd")


def test_cli_commands_import_no_other_command() -> None:
    commands = {name for name in MODULES if name.startswith("kserve_gitops.cli.") and name.endswith("_cmd")}
    arrows = sorted((name, target) for name in commands for target in GRAPH[name] if target in commands)
    assert arrows == []


def test_every_relative_import_names_a_module_of_the_package() -> None:
    # a lazy import inside a function fails only when that function runs: find them all here
    unresolved = []
    for name, path in MODULES.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                if target not in MODULES and not all(f"{target}.{alias.name}" in MODULES for alias in node.names):
                    unresolved.append((name, node.lineno, target))
    assert unresolved == []


def test_no_name_is_used_that_is_not_defined() -> None:
    # a module split in two leaves names behind; pyflakes finds them before the code path runs
    from pyflakes import messages
    from pyflakes.api import checkPath
    from pyflakes.reporter import Reporter

    class Collect(Reporter):
        def __init__(self) -> None:
            self.found: list[str] = []

        def flake(self, message) -> None:
            if isinstance(message, (messages.UndefinedName, messages.UndefinedExport, messages.UndefinedLocal)):
                self.found.append(str(message))

        def syntaxError(self, filename, msg, lineno, offset, text) -> None:
            self.found.append(f"{filename}:{lineno}: {msg}")

        def unexpectedError(self, filename, msg) -> None:
            self.found.append(f"{filename}: {msg}")

    reporter = Collect()
    for path in sorted(MODULES.values()):
        checkPath(str(path), reporter)
    assert reporter.found == []
