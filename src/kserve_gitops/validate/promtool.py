"""Prometheus rules through the real ``promtool``: ``check rules`` and ``test rules``.

A PrometheusRule's ``spec.groups`` is exactly a Prometheus rules file, so the groups are written out and
given to promtool unchanged. Failures are data (``PromtoolResult``); a missing promtool is ``ToolNotFound``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable

import yaml

from ..errors import SynthError
from ..tools import find_tool, run_tool

PROMTOOL_HINT = "install the Debian package 'prometheus' (apt-get install prometheus), which ships promtool"


@dataclass(frozen=True)
class PromtoolResult:
    command: list[str]
    returncode: int
    output: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0


def rule_groups(prometheus_rule: dict[str, Any]) -> dict[str, Any]:
    """The rules-file form (``{groups: [...]}``) of a PrometheusRule object."""
    if prometheus_rule.get("kind") != "PrometheusRule":
        raise SynthError(f"expected a PrometheusRule, got {prometheus_rule.get('kind')!r}")
    groups = (prometheus_rule.get("spec") or {}).get("groups")
    if not isinstance(groups, list):
        raise SynthError("the PrometheusRule has no spec.groups list")
    return {"groups": groups}


def write_rules_file(prometheus_rule: dict[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(rule_groups(prometheus_rule), sort_keys=False), encoding="utf-8")
    return path


def _run(args: list[str], cwd: Path | None) -> PromtoolResult:
    promtool = find_tool("promtool", hint=PROMTOOL_HINT)
    command = [str(promtool), *args]
    proc = run_tool(command, cwd=cwd, check=False, timeout=120)
    output = (proc.stdout + proc.stderr).decode(errors="replace")
    return PromtoolResult(command=command, returncode=proc.returncode, output=output)


def check_rules(*rule_files: Path) -> PromtoolResult:
    """``promtool check rules``: syntax, PromQL and template validity."""
    return _run(["check", "rules", *map(str, rule_files)], cwd=None)


def run_rule_tests(test_files: Iterable[Path], *, rules: dict[str, dict[str, Any]] | None = None, workdir: Path) -> PromtoolResult:
    """``promtool test rules`` on ``test_files``, run in ``workdir``.

    ``rules`` maps a rules-file name (as the tests' ``rule_files`` name it) to a PrometheusRule object;
    each is written into ``workdir`` first, beside a copy of every test file.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    for name, obj in (rules or {}).items():
        write_rules_file(obj, workdir / name)
    copies = []
    for test in test_files:
        target = workdir / Path(test).name
        if Path(test).resolve() != target.resolve():
            shutil.copyfile(test, target)
        copies.append(target.name)
    return _run(["test", "rules", *copies], cwd=workdir)
