"""migrate on the legacy examples: golden output, comments kept, idempotence, list form, and the result
synthesizes and validates."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import GOLDEN, assert_golden

LEGACY = Path(__file__).resolve().parent / "examples" / "legacy" / "models"


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*.yaml"))}


@pytest.fixture
def legacy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The legacy examples in a git repository of their own."""
    root = tmp_path / "legacy"
    shutil.copytree(LEGACY, root / "models")
    monkeypatch.chdir(root)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-qm", "legacy"], cwd=root, check=True)
    return root


def test_migrate_matches_golden_and_is_idempotent(legacy: Path, cli, update_golden: bool) -> None:
    result = cli("migrate", "models")
    assert result.exit_code == 0, result.output
    assert "5 of 5 file(s) migrated" in result.output
    assert_golden(tree(legacy / "models"), GOLDEN / "migrate" / "revision", update_golden)
    again = cli("migrate", "models", "--check")
    assert again.exit_code == 0
    assert "0 of 5 file(s) need migrating" in again.output


def test_check_reports_and_writes_nothing(legacy: Path, cli) -> None:
    before = tree(legacy / "models")
    result = cli("migrate", "models", "--check")
    assert result.exit_code == 1
    assert "5 of 5 file(s) need migrating" in result.output
    assert "-apiVersion: serving.kubeflow.org/v1alpha2" in result.output
    assert tree(legacy / "models") == before
    status = subprocess.run(["git", "status", "--porcelain"], cwd=legacy, capture_output=True, text=True, check=True).stdout
    assert status == ""


@pytest.mark.parametrize(
    "path, comment",
    [
        ("sklearn-iris/inferenceservice.yaml", "    owner: iris-squad  # who gets paged"),
        ("sklearn-iris/inferenceservice.yaml", "# with the traffic split at spec level."),
        ("sklearn-iris/inferenceservice.yaml", "    # the candidate"),
        ("pytorch-cifar10/inferenceservice.yaml", "      protocolVersion: v1  # TorchServe's own protocol"),
        ("pytorch-cifar10/staging.yaml", "# staging reads its own bucket"),
        ("flowers-transformer/inferenceservice.yaml", "        image: ghcr.io/acme/image-transformer:1.4.2  # pre-processing"),
    ],
)
def test_comments_survive_at_their_new_indentation(legacy: Path, cli, path: str, comment: str) -> None:
    assert cli("migrate", "models").exit_code == 0
    assert comment in (legacy / "models" / path).read_text().splitlines()


def test_list_canary_form(legacy: Path, cli) -> None:
    result = cli("migrate", "models/sklearn-iris/inferenceservice.yaml", "--canary-form", "list")
    assert result.exit_code == 0, result.output
    text = (legacy / "models/sklearn-iris/inferenceservice.yaml").read_text()
    assert text.split("spec:\n", 1)[1] == (
        "  predictor:\n"
        "    # the stable model\n"
        "    model:\n"
        "      modelFormat:\n"
        "        name: sklearn\n"
        '      storageUri: "s3://acme-models-dev/sklearn/iris/v1"\n'
        "  canary:\n"
        "    - trafficPercent: 10\n"
        "      predictor:\n"
        "        # the candidate\n"
        "        name: v2\n"  # KServe v0.20.0's webhook requires a named canary predictor
        "        model:\n"
        "          name: kserve-container\n"  # and its CRD a container name on the canary's model
        "          modelFormat:\n"
        "            name: sklearn\n"
        '          storageUri: "s3://acme-models-dev/sklearn/iris/v2"\n'
    )
    assert "stable-storage-uri" not in text


@pytest.mark.parametrize("old, new", [("Serverless", "Knative"), ("RawDeployment", "Standard")])
def test_old_deployment_mode_names_are_rewritten(tmp_path: Path, cli, old: str, new: str) -> None:
    model = tmp_path / "models" / "iris" / "dev.yaml"
    model.parent.mkdir(parents=True)
    text = (
        "# dev's differences\n"
        "metadata:\n"
        "  annotations:\n"
        f'    serving.kserve.io/deploymentMode: "{old}"  # the mode\n'
        "spec:\n"
        "  predictor:\n"
        "    minReplicas: 1\n"
    )
    model.write_text(text)
    check = cli("migrate", str(model), "--check")
    assert check.exit_code == 1 and f"{old} is {new} since KServe v0.16" in check.output
    assert cli("migrate", str(model)).exit_code == 0
    migrated = model.read_text()
    assert [line for line in migrated.splitlines() if line not in text.splitlines()] == [
        f'    serving.kserve.io/deploymentMode: "{new}"' + " " * (len(old) - len(new) + 2) + "# the mode"
    ]
    assert cli("migrate", str(model), "--check").exit_code == 0


def test_other_kinds_keep_their_api_version(tmp_path: Path, cli) -> None:
    """serving.kserve.io/v1alpha2 is legacy for an InferenceService, current for an LLMInferenceService."""
    llm = tmp_path / "llminferenceservice.yaml"
    llm.write_text("apiVersion: serving.kserve.io/v1alpha2\nkind: LLMInferenceService\nmetadata:\n  name: chat\n")
    assert cli("migrate", str(llm), "--check").exit_code == 0


def test_current_deployment_mode_names_are_left_alone(tmp_path: Path, cli) -> None:
    model = tmp_path / "dev.yaml"
    model.write_text("metadata:\n  annotations:\n    serving.kserve.io/deploymentMode: Standard\n")
    assert cli("migrate", str(model), "--check").exit_code == 0


def test_legacy_models_are_refused_until_migrated(example_repo: Path, cli) -> None:
    shutil.rmtree(example_repo / "models")
    shutil.copytree(LEGACY, example_repo / "models")
    result = cli("synth")
    assert result.exit_code == 2
    assert "migrate" in result.output


def test_migrated_examples_synthesize_and_validate(example_repo: Path, cli) -> None:
    shutil.rmtree(example_repo / "models")
    shutil.copytree(LEGACY, example_repo / "models")
    assert cli("migrate").exit_code == 0
    assert cli("synth").exit_code == 0
    # dev: the examples read the dev bucket (other environments' bucket policies would rightly object), and
    # their canaries are canaryTrafficPercent, which KServe honours in Serverless mode only.
    result = cli("validate", "-e", "dev")
    assert result.exit_code == 0, result.output


def test_current_models_need_no_migration(example_repo: Path, cli) -> None:
    result = cli("migrate", "--check")
    assert result.exit_code == 0, result.output


def test_unparseable_file_is_an_input_error(tmp_path: Path, cli) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("spec: [unclosed\n")
    result = cli("migrate", str(bad))
    assert result.exit_code == 2
    assert "bad.yaml" in result.output
