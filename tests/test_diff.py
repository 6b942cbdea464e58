"""diff against real git history: the base ref is rendered in a temporary worktree, the summary names the change."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import run_cli_process
from kserve_gitops.operate.diff import compare, index_objects

FRAUD = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: fraud-xgb
  labels:
    owner: risk
    team: risk
  annotations:
    kserve-gitops.io/environments: staging
spec:
  predictor:
    model:
      modelFormat:
        name: xgboost
      storageUri: s3://acme-models-staging/xgboost/fraud/v1
      resources:
        limits:
          nvidia.com/gpu: 1
"""


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


@pytest.fixture
def repo(example_repo: Path) -> Path:
    git(example_repo, "init", "-q", "-b", "main")
    git(example_repo, "config", "user.email", "test@example.com")
    git(example_repo, "config", "user.name", "test")
    commit_all(example_repo, "initial")
    return example_repo


def test_no_change(repo: Path, cli) -> None:
    result = cli("diff", "--exit-code")
    assert result.exit_code == 0, result.output
    assert "no changes to any environment" in result.output


def test_canary_shift_is_summarized_first(repo: Path, cli) -> None:
    config = repo / "kserve-gitops.yaml"
    config.write_text(config.read_text().replace("deploymentMode: RawDeployment", "deploymentMode: Serverless"))
    assert cli("canary", "sklearn-iris", "--env", "prod", "--storage-uri", "s3://acme-models-prod/sklearn/iris/v2", "--percent", "10").exit_code == 0
    commit_all(repo, "prod canary at 10%")
    assert cli("canary", "sklearn-iris", "--env", "prod", "--percent", "50").exit_code == 0
    result = cli("diff", "--base", "HEAD", "--exit-code")
    assert result.exit_code == 1  # --exit-code: something changed
    lines = result.output.splitlines()
    summary = lines[lines.index("summary:") + 1 : lines.index("summary:") + 2]
    assert summary == ["  prod: sklearn-iris canary 10% → 50%"]
    assert "prod: 0 added, 1 changed, 0 removed" in result.output
    assert "-    canaryTrafficPercent: 10\n+    canaryTrafficPercent: 50" in result.output
    assert "dev:" not in result.output.split("summary:")[1].split("prod:")[0]


def test_new_model_names_framework_and_gpus(repo: Path, cli) -> None:
    (repo / "models/fraud-xgb").mkdir()
    (repo / "models/fraud-xgb/inferenceservice.yaml").write_text(FRAUD)
    result = cli("diff")
    assert result.exit_code == 0, result.output
    assert "  staging: new model fraud-xgb (xgboost, 1 GPU)" in result.output.splitlines()
    assert "added    InferenceService/models-staging/fraud-xgb" in result.output


def test_a_change_everywhere_reads_all(repo: Path, cli) -> None:
    base = repo / "models/sklearn-iris/inferenceservice.yaml"
    base.write_text(base.read_text().replace("cpu: 100m", "cpu: 200m"))
    result = cli("diff", "-o", "markdown")
    assert result.exit_code == 0, result.output
    assert "- all: sklearn-iris changed: spec.predictor.model.resources.requests.cpu 100m → 200m" in result.output
    assert "prod: sklearn-iris" not in result.output
    for env in ("dev", "staging", "prod"):
        assert f"| {env} | 0 | 1 | 0 |" in result.output
    assert "```diff" in result.output and "<details>" in result.output


def test_runtime_image_change(repo: Path, cli) -> None:
    config = repo / "kserve-gitops.yaml"
    text = config.read_text()
    line = next(ln for ln in text.splitlines() if "sklearnserver:v0.14.1: \"sha256:" in ln)  # prod's digest pin
    key = line.split(': "sha256:')[0]
    config.write_text(text.replace(line, f'{key}: "sha256:{"1" * 64}"'))
    result = cli("diff")
    assert result.exit_code == 0, result.output
    assert "  prod: runtime image changed" in result.output.splitlines()


def test_promote_and_rollback_are_named(repo: Path, cli) -> None:
    # staging's example canary (list form): promoting it reads as a promotion.
    assert cli("promote", "pytorch-cifar10", "--env", "staging").exit_code == 0
    assert "  staging: pytorch-cifar10 canary s3://acme-models-staging/pytorch/cifar10/v2 promoted" in cli("diff").output.splitlines()
    git(repo, "checkout", "-q", "--", ".")
    assert cli("rollback", "pytorch-cifar10", "--env", "staging").exit_code == 0
    out = cli("diff").output
    assert "staging: pytorch-cifar10 canary s3://acme-models-staging/pytorch/cifar10/v2 rolled back" in out


def test_worktree_is_removed_and_committed_output_untouched(repo: Path, cli) -> None:
    base = repo / "models/sklearn-iris/inferenceservice.yaml"
    base.write_text(base.read_text().replace("cpu: 100m", "cpu: 200m"))
    assert cli("diff").exit_code == 0
    assert len(git(repo, "worktree", "list").splitlines()) == 1
    assert git(repo, "status", "--porcelain").splitlines() == [" M models/sklearn-iris/inferenceservice.yaml"]


def test_bad_base_ref_and_no_repository(repo: Path, tmp_path: Path, cli) -> None:
    result = cli("diff", "--base", "no-such-branch")
    assert result.exit_code == 2
    assert "no-such-branch" in result.output
    proc = run_cli_process("diff", cwd=tmp_path)
    assert proc.returncode == 2
    assert "not inside a git repository" in proc.stderr


def test_environment_added_against_an_empty_base(tmp_path: Path, example_repo: Path, cli) -> None:
    git(example_repo, "init", "-q", "-b", "main")
    git(example_repo, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "--allow-empty", "-m", "empty")
    result = cli("diff")
    assert result.exit_code == 0, result.output
    for env in ("dev", "staging", "prod"):
        assert f"  {env}: new environment" in result.output.splitlines()


def test_compare_is_pure_data() -> None:
    old = index_objects("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\ndata: {k: '1'}\n")
    new = index_objects("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, namespace: x}\ndata: {k: '2'}\n")
    result = compare({"dev": old}, {"dev": new})
    assert result.summary == ["dev: ConfigMap a changed (data.k)"]
    assert [c.status for c in result.environments[0].changes] == ["changed"]


def test_platform_repo_in_a_subfolder_of_the_git_repository(tmp_path: Path, example_repo: Path, cli) -> None:
    top = example_repo.parent
    git(top, "init", "-q", "-b", "main")
    git(top, "add", "-A")
    git(top, "-c", "user.name=t", "-c", "user.email=t@e", "commit", "-q", "-m", "platform in a subfolder")
    base = example_repo / "models/sklearn-iris/inferenceservice.yaml"
    base.write_text(base.read_text().replace("cpu: 100m", "cpu: 300m"))
    result = cli("diff")
    assert result.exit_code == 0, result.output
    assert "  all: sklearn-iris changed: spec.predictor.model.resources.requests.cpu 100m → 300m" in result.output.splitlines()
