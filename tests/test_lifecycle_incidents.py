"""Lifecycle under pressure: an incident rollback judged by what it changes, undoing the last promotion from
git history, the classic canary's instant rollback (--pin). Real git in temporary repos."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import REPO

DEV = "models/sklearn-iris/dev.yaml"
V1 = "s3://acme-models-dev/sklearn/iris/v1"
V2 = "s3://acme-models-dev/sklearn/iris/v2"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def commit_all(repo: Path, message: str = "state") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


@pytest.fixture
def repo(example_repo: Path, cli) -> Path:
    if (REPO / "schemas").is_dir() and not (example_repo / "schemas").exists():
        shutil.copytree(REPO / "schemas", example_repo / "schemas")  # the repo's own CRDs (schemas import)
    git(example_repo, "init", "-q", "-b", "main")
    git(example_repo, "config", "user.email", "test@example.com")
    git(example_repo, "config", "user.name", "test")
    assert cli("synth").exit_code == 0
    commit_all(example_repo, "initial")
    return example_repo


def _dev(repo: Path) -> dict:
    path = repo / DEV
    return yaml.safe_load(path.read_text()) if path.exists() else {}


def _canary(cli, repo: Path, percent: int = 20) -> None:
    result = cli("canary", "sklearn-iris", "--env", "dev", "--storage-uri", V2, "--percent", str(percent))
    assert result.exit_code == 0, result.output
    commit_all(repo, "canary")


def test_incident_rollback_is_not_refused_for_another_models_finding(repo: Path, cli) -> None:
    _canary(cli, repo)
    # a colleague's model now breaks a limit in dev (maxReplicas above the environment's limit of 4)
    other = repo / "models" / "customer-ltv" / "dev.yaml"
    other.write_text("spec:\n  predictor:\n    maxReplicas: 40\n")
    assert cli("synth").exit_code == 0
    commit_all(repo, "unrelated breakage")
    assert cli("validate", "-e", "dev", "--no-admission").exit_code == 1  # the environment has a finding
    result = cli("rollback", "sklearn-iris", "--env", "dev")
    assert result.exit_code == 0, result.output
    assert "not this rollback's" in result.output
    assert "canaryTrafficPercent" not in (repo / DEV).read_text() if (repo / DEV).exists() else True
    assert cli("synth", "--check").exit_code == 0


def test_rollback_still_refuses_a_finding_of_the_model_itself(repo: Path, cli) -> None:
    _canary(cli, repo)
    # the model's own base breaks a limit: rolling back does not fix it, and it is this model's
    base = repo / "models" / "sklearn-iris" / "inferenceservice.yaml"
    base.write_text(base.read_text().replace("  predictor:\n", "  predictor:\n    maxReplicas: 40\n", 1))
    assert cli("synth").exit_code == 0
    commit_all(repo, "own breakage")
    before = (repo / DEV).read_bytes()
    result = cli("rollback", "sklearn-iris", "--env", "dev")
    assert result.exit_code == 1, result.output
    assert (repo / DEV).read_bytes() == before


def test_pin_is_the_instant_rollback_of_a_classic_canary(repo: Path, cli) -> None:
    _canary(cli, repo)
    result = cli("rollback", "sklearn-iris", "--env", "dev", "--pin")
    assert result.exit_code == 0, result.output
    dev = _dev(repo)
    assert dev["spec"]["predictor"]["canaryTrafficPercent"] == 0
    assert dev["spec"]["predictor"]["model"]["storageUri"] == V2  # the canary's revision stays for a retry
    assert dev["metadata"]["annotations"]["kserve-gitops.io/stable-storage-uri"] == V1
    rendered = cli("render", "dev").output
    assert "canaryTrafficPercent: 0" in rendered
    assert cli("rollback", "sklearn-iris", "--env", "dev", "--pin").exit_code == 2  # already pinned
    commit_all(repo, "pinned")
    # a later rollback restores the stable version as recorded
    assert cli("rollback", "sklearn-iris", "--env", "dev").exit_code == 0
    assert "canaryTrafficPercent" not in (repo / DEV).read_text() if (repo / DEV).exists() else True


def test_pin_is_refused_for_the_list_form(repo: Path, cli) -> None:
    result = cli("canary", "sklearn-iris", "--env", "staging", "--storage-uri", "s3://acme-models-staging/sklearn/iris/v2", "--percent", "10")
    assert result.exit_code == 0, result.output
    result = cli("rollback", "sklearn-iris", "--env", "staging", "--pin")
    assert result.exit_code == 2 and "canaryTrafficPercent: 0" in result.output


def test_last_promotion_restores_the_previous_stable_version_from_git(repo: Path, cli) -> None:
    original = (repo / DEV).read_bytes() if (repo / DEV).exists() else None
    _canary(cli, repo)
    assert cli("promote", "sklearn-iris", "--env", "dev").exit_code == 0
    commit_all(repo, "promote v2")
    assert _dev(repo)["spec"]["predictor"]["model"]["storageUri"] == V2
    result = cli("rollback", "sklearn-iris", "--env", "dev", "--last-promotion")
    assert result.exit_code == 0, result.output
    assert V1 in result.output
    after = (repo / DEV).read_bytes() if (repo / DEV).exists() else None
    assert after == original  # the file reads as before the canary
    assert cli("synth", "--check").exit_code == 0


def test_last_promotion_without_an_earlier_version_is_refused(repo: Path, cli) -> None:
    result = cli("rollback", "sklearn-iris", "--env", "dev", "--last-promotion")
    assert result.exit_code == 2 and "no earlier storageUri" in result.output


def test_last_promotion_with_a_canary_in_progress_is_refused(repo: Path, cli) -> None:
    _canary(cli, repo)
    result = cli("rollback", "sklearn-iris", "--env", "dev", "--last-promotion")
    assert result.exit_code == 2 and "canary in progress" in result.output
