"""init: the scaffolded repo synthesizes, validates, runs its policy tests and takes a canary at once."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from kserve_gitops.tools import find_tool


@pytest.fixture
def scaffold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli) -> Path:
    root = tmp_path / "acme-ml"
    result = cli("init", str(root))
    assert result.exit_code == 0, result.output
    monkeypatch.chdir(root)  # policies/ is read from the working directory, as in CI
    return root


def test_files_and_first_synth(scaffold: Path, cli) -> None:
    for rel in (
        "kserve-gitops.yaml",
        "models/sklearn-iris/inferenceservice.yaml",
        "policies/starter.rego",
        "policies/starter_test.rego",
        "cdk8s.yaml",
        ".github/workflows/kserve-gitops.yaml",
        ".pre-commit-config.yaml",
    ):
        assert (scaffold / rel).is_file(), rel
    assert "project: acme-ml" in (scaffold / "kserve-gitops.yaml").read_text()
    assert (scaffold / "overlays/dev/kustomization.yaml").is_file()
    assert cli("synth", "--check").exit_code == 0


def test_validate_passes_at_once(scaffold: Path, cli) -> None:
    result = cli("validate")
    assert result.exit_code == 0, result.output


def test_policy_tests_pass_in_opa_and_the_cli(scaffold: Path, cli) -> None:
    opa = find_tool("opa")
    proc = subprocess.run([opa, "test", "policies"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASS: 2/2" in proc.stdout
    result = cli("policy", "test")
    assert result.exit_code == 0, result.output


def test_the_starter_policy_guards_owner_labels(scaffold: Path, cli) -> None:
    model = scaffold / "models/sklearn-iris/inferenceservice.yaml"
    model.write_text(model.read_text().replace("    owner: data-science\n", ""))
    assert cli("synth").exit_code == 0
    result = cli("validate")
    assert result.exit_code == 1
    assert "InferenceService sklearn-iris has no owner label" in result.output


def test_day_one_canary(scaffold: Path, cli) -> None:
    subprocess.run(["git", "init", "-q"], cwd=scaffold, check=True)
    subprocess.run(["git", "add", "-A"], cwd=scaffold, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "init"], cwd=scaffold, check=True)
    result = cli("canary", "sklearn-iris", "--env", "prod", "--storage-uri", "s3://models-prod/sklearn/iris/v2", "--percent", "10")
    assert result.exit_code == 0, result.output
    # The scaffold's prod runs KServe v0.20.0 in Knative mode: the canary by revision, which its webhook accepts.
    assert "canaryTrafficPercent: 10" in (scaffold / "models/sklearn-iris/prod.yaml").read_text()
    assert "prod: sklearn-iris canary s3://models-prod/sklearn/iris/v2 started at 10%" in cli("diff").output


def test_scaffolded_workflow_passes_actionlint(scaffold: Path) -> None:
    actionlint = find_tool("actionlint")
    proc = subprocess.run([actionlint, "-no-color", ".github/workflows/kserve-gitops.yaml"], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_refuses_to_overwrite(tmp_path: Path, cli) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "kserve-gitops.yaml").write_text("# mine\n")
    result = cli("init", str(root))
    assert result.exit_code == 2
    assert "would overwrite kserve-gitops.yaml" in result.output
    assert (root / "kserve-gitops.yaml").read_text() == "# mine\n"
    assert sorted(p.name for p in root.iterdir()) == ["kserve-gitops.yaml"]


def test_no_synth_and_explicit_project(tmp_path: Path, cli) -> None:
    root = tmp_path / "x"
    result = cli("init", str(root), "--no-synth", "--project", "vision")
    assert result.exit_code == 0, result.output
    assert not (root / "charts").exists()
    assert "project: vision" in (root / "kserve-gitops.yaml").read_text()
