"""Environments checked in parallel processes give the same report as one after another, errors included."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import run_cli_process
from kserve_gitops.errors import PolicyError
from kserve_gitops.validate import run as validate_run
from kserve_gitops.validate.run import ValidateOptions, validate_repo


def _report(repo: Path, monkeypatch: pytest.MonkeyPatch, threshold: int):
    monkeypatch.setenv("KSERVE_GITOPS_PARALLEL_MIN_OBJECTS", str(threshold))
    return validate_repo(repo, ValidateOptions())


def test_parallel_report_equals_serial_report(example_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    patch = example_repo / "models/sklearn-iris/prod.yaml"
    patch.write_text(patch.read_text().replace("minReplicas: 2", "minReplicas: 1"))  # a policy finding in prod
    assert run_cli_process("synth", cwd=example_repo).returncode == 0
    jobs_seen = []
    real = validate_run._parallel_workers

    def spy(jobs, options):
        workers = real(jobs, options)
        jobs_seen.append(workers)
        return workers

    monkeypatch.setattr(validate_run, "_parallel_workers", spy)
    parallel = _report(example_repo, monkeypatch, 0)
    serial = _report(example_repo, monkeypatch, 10**9)
    assert jobs_seen[0] >= 2 and jobs_seen[1] == 1  # worker processes, then none
    assert [e.name for e in parallel.environments] == ["dev", "staging", "prod", "argocd", "automation"]
    assert parallel.findings == serial.findings
    assert any(f.environment == "prod" and f.severity == "error" for f in parallel.findings)
    assert [(e.objects, e.models) for e in parallel.environments] == [(e.objects, e.models) for e in serial.environments]


def test_an_error_in_a_worker_keeps_its_file_and_line(example_repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (example_repo / "policies" / "broken.rego").write_text(
        "package kserve.broken\n\nimport rego.v1\n\ndeny contains msg if {\n\tmsg := sprintf(\"%d\", [input.kind / 0])\n}\n"
    )
    monkeypatch.setenv("KSERVE_GITOPS_PARALLEL_MIN_OBJECTS", "0")
    with pytest.raises(PolicyError) as err:
        validate_repo(example_repo, ValidateOptions())
    assert err.value.exit_code == 3
    result = run_cli_process("validate", cwd=example_repo, env={"KSERVE_GITOPS_PARALLEL_MIN_OBJECTS": "0"})
    assert result.returncode == 3, result.stdout + result.stderr
    assert "broken.rego" in result.stderr and "Traceback" not in result.stderr
