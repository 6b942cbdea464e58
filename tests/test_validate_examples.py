"""The example corpora: every positive case is clean, every negative case reports exactly its findings
(rule, severity, line, column, JSON path), with the real CRDs of ../shared/crds and real kustomize."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kserve_gitops.validate.run import ValidateOptions, validate_paths

EXAMPLES = Path(__file__).resolve().parent / "examples"
POSITIVE = sorted(p for p in (EXAMPLES / "positive").iterdir() if p.is_dir())
NEGATIVE = sorted(p for p in (EXAMPLES / "negative").iterdir() if p.is_dir())


def case_paths(case: Path) -> list[str]:
    if (case / "kustomization.yaml").is_file():
        return [str(case)]
    return [str(p) for p in sorted(case.iterdir()) if p.name != "case.yaml"]


def case_options(case: Path) -> ValidateOptions:
    meta = yaml.safe_load((case / "case.yaml").read_text()) or {}
    return ValidateOptions(**{"policies": False, **(meta.get("options") or {})})


@pytest.mark.parametrize("case", POSITIVE, ids=lambda p: p.name)
def test_positive_example_is_clean(case: Path) -> None:
    report = validate_paths(case_paths(case), case_options(case))
    assert [(f.rule, f.path, f.line, f.message) for f in report.findings] == []
    assert report.exit_code() == 0
    assert report.environments[0].objects >= 1


@pytest.mark.parametrize("case", NEGATIVE, ids=lambda p: p.name)
def test_negative_example_reports_exactly_its_findings(case: Path) -> None:
    expected = yaml.safe_load((case / "case.yaml").read_text())["findings"]
    report = validate_paths(case_paths(case), case_options(case))
    got = [
        {"rule": f.rule, "severity": f.severity, "line": f.line, "column": f.column, "json_path": f.json_path}
        for f in report.findings
    ]
    assert got == expected
    assert all(f.path.endswith(f"{case.name}/input.yaml") for f in report.findings)
    assert all(f.message for f in report.findings)
    assert report.exit_code() == (1 if any(f["severity"] == "error" for f in expected) else 0)


def test_every_kserve_check_has_a_negative_example() -> None:
    from kserve_gitops.validate.checks import RULES as RULE_DESCRIPTIONS

    covered = {f["rule"] for case in NEGATIVE for f in yaml.safe_load((case / "case.yaml").read_text())["findings"]}
    # KSV020 is about kserve-gitops.yaml, not an object: test_constructs_network holds its cases
    environment_rules = {"KSV020"}
    kserve_rules = {rule for rule in RULE_DESCRIPTIONS if rule.startswith("KSV")} - environment_rules
    assert len(kserve_rules) >= 12 and kserve_rules <= covered
    assert {"schema", "schema-missing", "duplicate-key"} <= covered


def test_findings_are_sorted_and_deterministic() -> None:
    paths = [str(c / "input.yaml") for c in NEGATIVE]
    first = validate_paths(paths, ValidateOptions(kserve_version="v0.20.0", policies=False)).findings
    second = validate_paths(list(reversed(paths)), ValidateOptions(kserve_version="v0.20.0", policies=False)).findings
    assert first == sorted(first, key=lambda f: f.sort_key())
    assert first == second
