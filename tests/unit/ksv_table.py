"""Table tests for the KSV rules, yamllint style: a YAML snippet, and the findings it must produce.

A snippet marks in place where each finding must point, so the tables stay readable and the line and
column are still asserted exactly:

- ``key: value  # <- a`` tags this line as ``a``, at the column of its key (after any ``- ``);
- a comment line ``#      ^ a`` tags the line above it as ``a``, at the caret's column (for a value
  inside a flow sequence, or anything the first rule does not point at).

``Expect("KSV007", "a", "spec.predictor.model.name")`` then reads: rule KSV007, severity error, at the line
and column of tag ``a``, with that JSON path. The snippet is written to a file and read back by validate's
own loader (``validate.inputs.load_paths``), so every position comes from the product's YAML position
lookup, exactly as ``validate FILE`` reports it.
"""

from __future__ import annotations

import dataclasses
import functools
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable

from conftest import REPO, SHARED_CHARTS, SHARED_CRDS

from kserve_gitops.inputs.config import Environment, load_config
from kserve_gitops.inputs.yamlsrc import clear_position_cache
from kserve_gitops.results import ERROR, Finding, LoadedObject, shaped_like_an_object
from kserve_gitops.validate.checks.base import CheckContext
from kserve_gitops.validate.inputs import load_paths
from kserve_gitops.validate.options import ValidateOptions
from kserve_gitops.validate.schemas import CrdLibrary, SchemaSet

# The CRD set validate reads for this repo: the shared CRD folders, completed by KServe's CRD charts.
LIBRARY = CrdLibrary(roots=[SHARED_CRDS], chart_dirs=[SHARED_CHARTS])

_EOL_MARK = re.compile(r"\s#\s*<-\s*(?P<tags>[\w ]+?)\s*$")
_CARET_MARK = re.compile(r"^(?P<lead>\s*#.*?)\^\s*(?P<tags>[\w ]+?)\s*$")


@dataclass(frozen=True)
class Expect:
    """One finding a snippet must produce: rule, tag in the snippet, JSON path, severity, message part."""

    rule: str
    tag: str
    path: str
    severity: str = ERROR
    message: str = ""


@dataclass(frozen=True)
class Case:
    """A row of a rule's table: what the user wrote, under which environment/versions, and the findings."""

    id: str
    snippet: str
    expect: tuple[Expect, ...] = ()
    env: str | None = None  # an environment of the repo's kserve-gitops.yaml (dev, staging, prod)
    mode: str | None = None  # overrides that environment's deploymentMode
    kserve: str | None = None  # --kserve-version
    schemas: bool = True  # False: --no-schemas (no CRD set at all)
    strict: bool = False
    extra: dict[str, Any] = field(default_factory=dict)  # charts: False drops KServe's CRD charts

    @property
    def text(self) -> str:
        return self.snippet


def case(id: str, snippet: str | tuple[str, ...], *expect: Expect, **options: Any) -> Case:
    """A row; ``snippet`` is one YAML text, or several documents joined into one stream."""
    return Case(id, docs(*snippet) if isinstance(snippet, tuple) else docs(snippet), tuple(expect), **options)


def docs(*parts: str) -> str:
    """YAML documents, each dedented on its own, as one stream."""
    return "---\n".join(textwrap.dedent(part).strip("\n") + "\n" for part in parts)


def marks(text: str) -> dict[str, tuple[int, int]]:
    """Tag -> (line, column), both 1-based, read from the snippet's ``# <-`` and ``^`` comments."""
    out: dict[str, tuple[int, int]] = {}
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        caret = _CARET_MARK.match(line)
        if caret and line.lstrip().startswith("#"):
            target = number - 1
            while target > 0 and lines[target - 1].lstrip().startswith("#"):
                target -= 1  # several caret lines may point at the same line
            for tag in caret.group("tags").split():
                _put(out, tag, (target, len(caret.group("lead")) + 1))
            continue
        eol = _EOL_MARK.search(line)
        if eol:
            content = line[: eol.start()]
            stripped = content.lstrip()
            while stripped.startswith("- "):
                stripped = stripped[2:].lstrip()
            column = len(content) - len(stripped) + 1
            for tag in eol.group("tags").split():
                _put(out, tag, (number, column))
    return out


def _put(out: dict[str, tuple[int, int]], tag: str, where: tuple[int, int]) -> None:
    assert tag not in out, f"tag {tag!r} is marked twice in the snippet"
    out[tag] = where


@functools.lru_cache(maxsize=None)
def repo_environment(name: str) -> Environment:
    return load_config(REPO / "kserve-gitops.yaml").environment(name)


# Without KServe's CRD charts: only the CRD folders (v0.20.0's has no local model cache CRDs).
FOLDERS_ONLY = CrdLibrary(roots=[SHARED_CRDS])


@functools.lru_cache(maxsize=None)
def schema_set(kserve_version: str | None, kubernetes_version: str, strict: bool, charts: bool = True) -> SchemaSet:
    library = LIBRARY if charts else FOLDERS_ONLY
    return SchemaSet(kubernetes_version=kubernetes_version, crd_files=library.crd_files(kserve_version), strict=strict)


def load(path: Path, text: str) -> list[LoadedObject]:
    """The objects of ``text`` as ``validate PATH`` reads them (and, like validate, only those shaped
    like objects reach the KServe checks)."""
    clear_position_cache()  # positions are cached by path for the process: never read a former file's
    path.write_text(text)
    loaded = load_paths([str(path)])
    assert not loaded.errors, loaded.errors
    return [o for o in loaded.objects if shaped_like_an_object(o.data)]


def environment_of(row: Case) -> Environment | None:
    if row.env is None:
        return None
    env = repo_environment(row.env)
    return dataclasses.replace(env, deployment_mode=row.mode) if row.mode else env


def context_for(row: Case, objects: list[LoadedObject]) -> CheckContext:
    env = environment_of(row)
    options = ValidateOptions(kserve_version=row.kserve, strict=row.strict, schemas=row.schemas)
    schemas = None
    if row.schemas:
        version = row.kserve or (env.kserve_version if env else None)
        charts = row.extra.get("charts", True)
        schemas = schema_set(version, env.kubernetes_version if env else "1.32", row.strict, charts)
    return CheckContext(environment=env, options=options, schema_set=schemas, all_objects=objects)


Check = Callable[[list[LoadedObject], CheckContext], Iterable[Finding]]


def run_case(check: Check, row: Case, tmp_path: Path) -> list[Finding]:
    path = tmp_path / "input.yaml"
    objects = load(path, row.text)
    return list(check(objects, context_for(row, objects)))


def assert_case(check: Check, row: Case, tmp_path: Path) -> list[Finding]:
    """The check finds exactly the snippet's expected findings: rule, severity, line, column, JSON path,
    in the file the snippet was written to, each with its message fragment."""
    findings = run_case(check, row, tmp_path)
    where = marks(row.text)
    missing = {e.tag for e in row.expect} - set(where)
    assert not missing, f"tags {sorted(missing)} are not marked in the snippet"
    got = sorted(findings, key=lambda f: (f.line, f.column, f.json_path, f.rule))
    want = sorted(row.expect, key=lambda e: (*where[e.tag], e.path, e.rule))
    assert [(f.rule, f.severity, f.line, f.column, f.json_path) for f in got] == [
        (e.rule, e.severity, *where[e.tag], e.path) for e in want
    ], [f.message for f in got]
    for finding, expected in zip(got, want):
        assert expected.message in finding.message, finding.message
        assert Path(finding.path).resolve() == (tmp_path / "input.yaml").resolve()
    return got
