"""init: the scaffolded repo synthesizes, validates, runs its policy tests and takes a canary at once; the
built-in policy library enforces its kserve-gitops.yaml from the first validate."""

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
        "policies/library.yaml",
        "policies/exceptions.yaml",
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


def test_policy_tests_of_the_built_in_library_pass(scaffold: Path, cli) -> None:
    assert not list((scaffold / "policies").glob("*.rego"))  # nothing that duplicates the built-in library
    result = cli("policy", "test")
    assert result.exit_code == 0, result.output
    assert "/policy_library/" in result.output
    listed = cli("policy", "list").output
    assert "replicas-max\terror\tkserve.replicas\tbuiltin\t" in listed


def _validate_after(cli, edit) -> str:
    edit()
    assert cli("synth").exit_code == 0
    result = cli("validate", "-o", "json")
    assert result.exit_code == 1, result.output
    return result.output


def test_config_limits_are_enforced_from_the_first_validate(scaffold: Path, cli) -> None:
    """limits.maxReplicas and the bucket of each environment, from kserve-gitops.yaml, by the built-in library."""
    model = scaffold / "models/sklearn-iris/inferenceservice.yaml"
    text = model.read_text()
    output = _validate_after(cli, lambda: model.write_text(text.replace("  predictor:\n", "  predictor:\n    minReplicas: 100000\n")))
    assert '"rule": "replicas-max"' in output and "100000" in output
    model.write_text(text)
    prod = scaffold / "models/sklearn-iris/prod.yaml"
    output = _validate_after(cli, lambda: prod.write_text(prod.read_text().replace("s3://models-prod/", "s3://models-dev/")))
    assert '"rule": "storage-uri-allowed"' in output and '"environment": "prod"' in output


def test_owner_labels_and_registries_are_enforced(scaffold: Path, cli) -> None:
    model = scaffold / "models/sklearn-iris/inferenceservice.yaml"
    output = _validate_after(cli, lambda: model.write_text(model.read_text().replace("    owner: data-science\n", "")))
    assert '"rule": "owner-labels"' in output
    config = scaffold / "kserve-gitops.yaml"
    output = _validate_after(cli, lambda: config.write_text(config.read_text().replace("docker.io/kserve, ", "", 1)))
    assert '"rule": "image-registry"' in output


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


@pytest.mark.parametrize("no_synth", [False, True])
def test_a_project_name_that_fails_writes_nothing(tmp_path: Path, cli, no_synth: bool) -> None:
    # "My Project" is no DNS label: the config does not load, and not one of the scaffold's files stays behind
    root = tmp_path / "new"
    result = cli("init", str(root), "--project", "My Project", *(["--no-synth"] if no_synth else []))
    assert result.exit_code == 2, result.output
    assert "project" in result.output and f"{root}/kserve-gitops.yaml" in result.output
    assert not root.exists()
    assert list(tmp_path.iterdir()) == []  # no staging folder left either


def test_a_failing_synth_into_an_existing_folder_leaves_it_as_it_was(tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    from kserve_gitops.errors import SynthError
    from kserve_gitops.operate import scaffold

    root = tmp_path / "repo"
    root.mkdir()
    (root / "notes.txt").write_text("mine\n")

    def broken_synth(path: Path):
        (path / "charts").mkdir()
        (path / "charts" / "half.yaml").write_text("kind: Half\n")
        raise SynthError("synth failed half-way", path=path / "kserve-gitops.yaml")

    monkeypatch.setattr(scaffold, "synth_repo", broken_synth)
    result = cli("init", str(root))
    assert result.exit_code == 2 and "synth failed half-way" in result.output
    assert sorted(p.name for p in root.iterdir()) == ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["repo"]
