"""canary / promote / rollback against real git repositories: exact file bytes, refusals, fail-closed writes."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from conftest import run_cli_process
from kserve_gitops.validate import checks
from kserve_gitops.validate.checks.base import finding_for

STAGING = "models/sklearn-iris/staging.yaml"
PROD = "models/sklearn-iris/prod.yaml"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def commit_all(repo: Path, message: str = "state") -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


def status(repo: Path) -> str:
    return git(repo, "status", "--porcelain")


@pytest.fixture
def repo(example_repo: Path, cli) -> Path:
    """The example repo as a git repository with freshly synthesized output committed."""
    git(example_repo, "init", "-q", "-b", "main")
    git(example_repo, "config", "user.email", "test@example.com")
    git(example_repo, "config", "user.name", "test")
    assert cli("synth").exit_code == 0
    commit_all(example_repo, "initial")
    return example_repo


@pytest.fixture
def serverless_prod(repo: Path, cli) -> Path:
    """prod on KServe v0.14.1 in Serverless mode: the revision-based (canaryTrafficPercent) canary."""
    config = repo / "kserve-gitops.yaml"
    config.write_text(config.read_text().replace("deploymentMode: RawDeployment", "deploymentMode: Serverless"))
    assert cli("synth").exit_code == 0
    commit_all(repo, "prod serverless")
    return repo


# --- KServe v0.20.0 in Standard mode (staging): list-form spec.canary, named predictors -------------


CANARY_BLOCK = """\
  canary:
    - trafficPercent: {percent}
      predictor:
        name: v2
        model:
          name: kserve-container
          modelFormat:
            name: sklearn
          storageUri: s3://acme-models-staging/sklearn/iris/v2
          resources:
            requests:
              cpu: 100m
              memory: 256Mi
            limits:
              cpu: "1"
              memory: 1Gi
"""


def test_canary_list_form_appends_the_canary_and_regenerates_output(repo: Path, cli) -> None:
    before = (repo / STAGING).read_text()
    result = cli("canary", "sklearn-iris", "--env", "staging", "--storage-uri", "s3://acme-models-staging/sklearn/iris/v2", "--percent", "10")
    assert result.exit_code == 0, result.output
    after = (repo / STAGING).read_text()
    assert after == before + CANARY_BLOCK.format(percent=10)
    assert f"+++ b/{STAGING}" in result.output and "+  canary:" in result.output
    # The generated output was rewritten with the model file: synth --check is clean, only staging changed.
    assert cli("synth", "--check").exit_code == 0
    changed = {line[3:] for line in status(repo).splitlines()}
    assert STAGING in changed
    inputs_record = "overlays/.kserve-gitops-inputs.json"  # the hashes of the inputs synth was run on
    assert all(path in (STAGING, inputs_record) or path.startswith("overlays/staging/") for path in changed), changed


def test_shift_then_promote_makes_the_canary_the_predictor(repo: Path, cli) -> None:
    uri = "s3://acme-models-staging/sklearn/iris/v2"
    assert cli("canary", "sklearn-iris", "--env", "staging", "--storage-uri", uri, "--percent", "10").exit_code == 0
    shifted = cli("canary", "sklearn-iris", "--env", "staging", "--percent", "50")
    assert shifted.exit_code == 0, shifted.output
    assert "-    - trafficPercent: 10\n+    - trafficPercent: 50" in shifted.output
    assert (repo / STAGING).read_text().endswith(CANARY_BLOCK.format(percent=50))
    promoted = cli("promote", "sklearn-iris", "--env", "staging")
    assert promoted.exit_code == 0, promoted.output
    # The predictor takes the canary's name too, so KServe keeps the canary's Deployment.
    assert (repo / STAGING).read_text() == f"spec:\n  predictor:\n    name: v2\n    model:\n      storageUri: {uri}\n"
    assert cli("synth", "--check").exit_code == 0


def test_list_canary_rollback_restores_every_byte(repo: Path, cli) -> None:
    uri = "s3://acme-models-staging/sklearn/iris/v2"
    assert cli("canary", "sklearn-iris", "--env", "staging", "--storage-uri", uri, "--percent", "10").exit_code == 0
    assert status(repo)
    result = cli("rollback", "sklearn-iris", "--env", "staging")
    assert result.exit_code == 0, result.output
    assert status(repo) == ""  # the model file and the generated output are as committed


def test_existing_staging_canary_promotes(repo: Path, cli) -> None:
    """The example's pytorch-cifar10 staging canary (written by hand) is promoted; its comments stay."""
    path = repo / "models/pytorch-cifar10/staging.yaml"
    header = "".join(line for line in path.read_text().splitlines(keepends=True) if line.startswith("#"))
    result = cli("promote", "pytorch-cifar10", "--env", "staging")
    assert result.exit_code == 0, result.output
    assert path.read_text() == header + (
        "spec:\n  predictor:\n    name: v2\n    model:\n      storageUri: s3://acme-models-staging/pytorch/cifar10/v2\n"
    )


# --- Knative (Serverless) mode, here KServe v0.14.1: canaryTrafficPercent, stable URI recorded --------


def test_revision_canary_records_the_stable_uri_and_rollback_restores_bytes(serverless_prod: Path, cli) -> None:
    repo = serverless_prod
    before = (repo / PROD).read_text()
    result = cli("canary", "sklearn-iris", "--env", "prod", "--storage-uri", "s3://acme-models-prod/sklearn/iris/v2", "--percent", "10")
    assert result.exit_code == 0, result.output
    assert (repo / PROD).read_text() == (
        "# prod serves the same artifact, copied to the prod bucket by the release job.\n"
        "metadata:\n"
        "  annotations:\n"
        "    kserve-gitops.io/stable-storage-uri: s3://acme-models-prod/sklearn/iris/v1\n"
        "spec:\n"
        "  predictor:\n"
        "    minReplicas: 2\n"
        "    maxReplicas: 4\n"
        "    canaryTrafficPercent: 10\n"
        "    model:\n"
        "      storageUri: s3://acme-models-prod/sklearn/iris/v2\n"
    )
    rendered = cli("render", "prod")
    assert "canaryTrafficPercent: 10" in rendered.output
    assert cli("canary", "sklearn-iris", "--env", "prod", "--percent", "40").exit_code == 0
    assert "canaryTrafficPercent: 40" in (repo / PROD).read_text()
    result = cli("rollback", "sklearn-iris", "--env", "prod")
    assert result.exit_code == 0, result.output
    assert (repo / PROD).read_text() == before
    assert status(repo) == ""


def test_revision_promote_keeps_the_new_uri(serverless_prod: Path, cli) -> None:
    repo = serverless_prod
    uri = "s3://acme-models-prod/sklearn/iris/v2"
    assert cli("canary", "sklearn-iris", "--env", "prod", "--storage-uri", uri, "--percent", "10").exit_code == 0
    assert cli("promote", "sklearn-iris", "--env", "prod").exit_code == 0
    before = git(repo, "show", f"HEAD:{PROD}")
    assert (repo / PROD).read_text() == before.replace("iris/v1", "iris/v2")


CHURN = """\
apiVersion: serving.kserve.io/v1beta1
kind: InferenceService
metadata:
  name: xgb-churn
  labels:
    owner: growth
    team: data-science
  annotations:
    kserve-gitops.io/environments: prod
spec:
  predictor:
    model:
      modelFormat:
        name: xgboost
      storageUri: s3://acme-models-prod/xgboost/churn/v1
"""


def test_canary_creates_the_environment_file_and_rollback_removes_it(serverless_prod: Path, cli) -> None:
    repo = serverless_prod
    (repo / "models/xgb-churn").mkdir()
    (repo / "models/xgb-churn/inferenceservice.yaml").write_text(CHURN)
    assert cli("synth").exit_code == 0
    commit_all(repo, "a prod-only model without a prod patch")
    patch = repo / "models/xgb-churn/prod.yaml"
    result = cli("canary", "xgb-churn", "--env", "prod", "--storage-uri", "s3://acme-models-prod/xgboost/churn/v2", "--percent", "5")
    assert result.exit_code == 0, result.output
    assert "--- /dev/null" in result.output
    assert patch.read_text() == (
        "metadata:\n"
        "  annotations:\n"
        "    kserve-gitops.io/stable-storage-uri: s3://acme-models-prod/xgboost/churn/v1\n"
        "spec:\n"
        "  predictor:\n"
        "    canaryTrafficPercent: 5\n"
        "    model:\n"
        "      storageUri: s3://acme-models-prod/xgboost/churn/v2\n"
    )
    rolled_back = cli("rollback", "xgb-churn", "--env", "prod")
    assert rolled_back.exit_code == 0, rolled_back.output
    assert not patch.exists()
    assert status(repo) == ""


# --- comments, quoting and blank lines ---------------------------------------------------------------


COMMENTED = """\
# Staging patch for the iris model.   (header comment, trailing spaces kept)

spec:   # the spec
  predictor:
    # replicas: staging keeps one warm
    minReplicas: 1

    model:
      storageUri: "s3://acme-models-staging/sklearn/iris/v1"  # quoted on purpose
      runtimeVersion: '1.5.0'
# a comment at column 0 at the end
"""


def test_comments_quotes_and_blank_lines_survive_byte_for_byte(serverless_prod: Path, cli) -> None:
    repo = serverless_prod
    path = repo / "models/sklearn-iris/prod.yaml"
    path.write_text(COMMENTED.replace("staging", "prod").replace("Staging", "Prod").replace("minReplicas: 1", "minReplicas: 2"))
    assert cli("synth").exit_code == 0
    commit_all(repo, "commented prod")
    original = path.read_text()
    result = cli("canary", "sklearn-iris", "--env", "prod", "--storage-uri", "s3://acme-models-prod/sklearn/iris/v2", "--percent", "10")
    assert result.exit_code == 0, result.output
    edited = path.read_text()
    removed = [line for line in original.splitlines() if line not in edited.splitlines()]
    added = [line for line in edited.splitlines() if line not in original.splitlines()]
    # Exactly the storageUri line changed (keeping its double quotes and comment); the rest is additions.
    assert removed == ['      storageUri: "s3://acme-models-prod/sklearn/iris/v1"  # quoted on purpose']
    assert '      storageUri: "s3://acme-models-prod/sklearn/iris/v2"  # quoted on purpose' in added
    assert "    kserve-gitops.io/stable-storage-uri: s3://acme-models-prod/sklearn/iris/v1" in added
    assert any("canaryTrafficPercent: 10" in line for line in added)
    assert cli("rollback", "sklearn-iris", "--env", "prod").exit_code == 0
    assert path.read_text() == original


def test_list_canary_keeps_a_commented_file_intact(repo: Path, cli) -> None:
    path = repo / STAGING
    path.write_text(COMMENTED)
    assert cli("synth").exit_code == 0
    commit_all(repo, "commented staging")
    result = cli("canary", "sklearn-iris", "--env", "staging", "--storage-uri", "s3://acme-models-staging/sklearn/iris/v2", "--percent", "10")
    assert result.exit_code == 0, result.output
    edited = path.read_text()
    original_lines = COMMENTED.splitlines()
    # Every original line is still there, in order.
    it = iter(edited.splitlines())
    assert all(any(line == e for e in it) for line in original_lines)
    # The comment that closed the file still closes it, after the new block.
    assert edited.endswith("          runtimeVersion: '1.5.0'\n# a comment at column 0 at the end\n")
    assert cli("rollback", "sklearn-iris", "--env", "staging").exit_code == 0
    assert path.read_text() == COMMENTED
    assert cli("canary", "sklearn-iris", "--env", "staging", "--storage-uri", "s3://acme-models-staging/sklearn/iris/v2", "--percent", "10").exit_code == 0
    assert cli("promote", "sklearn-iris", "--env", "staging").exit_code == 0
    # The predictor takes the canary's name, placed before its first block; the rest reads as before.
    assert path.read_text() == COMMENTED.replace("iris/v1", "iris/v2").replace("\n    model:", "\n    name: v2\n    model:")


# --- refusals ----------------------------------------------------------------------------------------


def test_raw_deployment_refuses_a_canary(repo: Path, cli) -> None:
    result = cli("canary", "sklearn-iris", "--env", "prod", "--storage-uri", "s3://acme-models-prod/sklearn/iris/v2", "--percent", "10")
    assert result.exit_code == 2
    assert "RawDeployment" in result.output and "Serverless" in result.output
    assert status(repo) == ""


def test_refusal_exit_code_in_a_real_process(repo: Path) -> None:
    proc = run_cli_process("canary", "sklearn-iris", "--env", "prod", "--percent", "10", cwd=repo)
    assert proc.returncode == 2
    assert "KServe v0.14.1 in RawDeployment mode, where KServe cannot split traffic" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args, message",
    [
        (["canary", "nope", "--env", "staging", "--percent", "10"], "no model named 'nope'"),
        (["canary", "sklearn-iris", "--env", "nowhere", "--percent", "10"], "unknown environment 'nowhere'"),
        (["canary", "sklearn-iris", "--env", "staging", "--percent", "100", "--storage-uri", "s3://x/y"], "between 1 and 99"),
        (["canary", "sklearn-iris", "--env", "staging", "--percent", "10"], "no canary in progress"),
        (["promote", "sklearn-iris", "--env", "staging"], "no canary to promote"),
        (["rollback", "sklearn-iris", "--env", "dev"], "no canary to roll back"),
        (["canary", "custom-transformer", "--env", "prod", "--percent", "10"], "does not deploy to prod"),
        (
            ["canary", "pytorch-cifar10", "--env", "staging", "--percent", "10", "--storage-uri", "s3://acme-models-staging/pytorch/cifar10/v3"],
            "already in progress",
        ),
        (
            ["canary", "sklearn-iris", "--env", "staging", "--percent", "10", "--storage-uri", "s3://acme-models-staging/sklearn/iris/v1"],
            "already serves",
        ),
    ],
)
def test_refusals_change_nothing(repo: Path, cli, args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert status(repo) == ""


def test_rollback_without_a_recorded_stable_uri_is_refused(serverless_prod: Path, cli) -> None:
    # A hand-written canary that keeps its stable URI only in a comment.
    path = serverless_prod / "models/pytorch-cifar10/prod.yaml"
    path.write_text(
        "# Stable: s3://acme-models-prod/pytorch/cifar10/v1\n"
        "spec:\n  predictor:\n    canaryTrafficPercent: 10\n    minReplicas: 2\n"
        "    model:\n      storageUri: s3://acme-models-prod/pytorch/cifar10/v2\n"
    )
    commit_all(serverless_prod, "hand-written canary")
    result = cli("rollback", "pytorch-cifar10", "--env", "prod")
    assert result.exit_code == 2
    assert "stable storageUri is not recorded" in result.output
    assert status(serverless_prod) == ""


def test_list_canary_is_refused_in_knative_mode(repo: Path, cli) -> None:
    """KServe v0.20.0 has the list form but refuses it in Knative mode (dev): shifting one is refused."""
    dev = repo / "models/sklearn-iris/dev.yaml"
    dev.write_text((repo / STAGING).read_text().replace("staging", "dev") + CANARY_BLOCK.format(percent=10).replace("staging", "dev"))
    commit_all(repo, "a hand-written list canary in dev")
    result = cli("canary", "sklearn-iris", "--env", "dev", "--percent", "20")
    assert result.exit_code == 2, result.output
    assert "only in Standard mode" in result.output
    rolled_back = cli("rollback", "sklearn-iris", "--env", "dev")  # the way out
    assert rolled_back.exit_code == 0, rolled_back.output
    assert not dev.exists() or "canary" not in dev.read_text()


def test_revision_canary_is_refused_in_standard_mode(repo: Path, cli) -> None:
    """canaryTrafficPercent splits nothing in Standard mode (staging): shifting one is refused, promote cleans up."""
    (repo / STAGING).write_text(
        "metadata:\n  annotations:\n    kserve-gitops.io/stable-storage-uri: s3://acme-models-staging/sklearn/iris/v1\n"
        "spec:\n  predictor:\n    canaryTrafficPercent: 10\n    model:\n      storageUri: s3://acme-models-staging/sklearn/iris/v2\n"
    )
    commit_all(repo, "a hand-written revision canary in staging")
    result = cli("canary", "sklearn-iris", "--env", "staging", "--percent", "20")
    assert result.exit_code == 2, result.output
    assert "splits traffic between Knative revisions" in result.output
    promoted = cli("promote", "sklearn-iris", "--env", "staging")
    assert promoted.exit_code == 0, promoted.output
    assert (repo / STAGING).read_text() == "spec:\n  predictor:\n    model:\n      storageUri: s3://acme-models-staging/sklearn/iris/v2\n"


def test_list_canary_is_refused_on_kserve_without_it(serverless_prod: Path, cli) -> None:
    repo = serverless_prod
    (repo / PROD).write_text((repo / STAGING).read_text().replace("staging", "prod") + CANARY_BLOCK.format(percent=10).replace("staging", "prod"))
    result = cli("canary", "sklearn-iris", "--env", "prod", "--percent", "20")
    assert result.exit_code == 2
    assert "has no list-form spec.canary" in result.output


# --- an invalid result writes nothing ---------------------------------------------------------------


def test_an_invalid_result_writes_nothing(repo: Path, cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """A validation check (registered like any other) rejects canaries: the command exits 1 and no file moves."""

    def no_canaries(objects, ctx):
        for obj in objects:
            if obj.data.get("kind") == "InferenceService" and obj.data["spec"].get("canary"):
                yield finding_for(obj, ["spec", "canary"], rule="test-no-canary", message="canaries are frozen")

    monkeypatch.setitem(checks.CHECKS, "test-no-canary", no_canaries)
    # pytorch-cifar10 already has a staging canary: take it out of the way so only the new one trips the check.
    (repo / "models/pytorch-cifar10/staging.yaml").write_text("spec:\n  predictor:\n    model:\n      storageUri: s3://acme-models-staging/pytorch/cifar10/v1\n")
    assert cli("synth").exit_code == 0
    commit_all(repo, "no staging canary")
    result = cli("canary", "sklearn-iris", "--env", "staging", "--storage-uri", "s3://acme-models-staging/sklearn/iris/v2", "--percent", "10")
    assert result.exit_code == 1, result.output
    assert "canaries are frozen" in result.output
    assert "nothing was written" in result.output
    assert f"{STAGING}:" in result.output  # the finding names the real file, not the temporary copy
    assert status(repo) == ""


def test_dry_run_writes_nothing(repo: Path, cli) -> None:
    result = cli("canary", "sklearn-iris", "--env", "staging", "--storage-uri", "s3://acme-models-staging/sklearn/iris/v2", "--percent", "10", "--dry-run")
    assert result.exit_code == 0, result.output
    assert "+  canary:" in result.output and "dry run" in result.output
    assert status(repo) == ""


def test_output_write_failure_puts_the_model_file_back(repo: Path) -> None:
    """If charts/ and overlays/ cannot be written, the edited model file is restored: nothing half-written."""
    before = (repo / STAGING).read_bytes()
    # A file where synth stages its new tree makes the output write fail for real.
    (repo / ".kserve-gitops-synth.new").write_text("in the way\n")
    proc = run_cli_process(
        "canary", "sklearn-iris", "--env", "staging", "--storage-uri", "s3://acme-models-staging/sklearn/iris/v2", "--percent", "10", cwd=repo
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert (repo / STAGING).read_bytes() == before
    assert [line for line in status(repo).splitlines() if not line.endswith(".kserve-gitops-synth.new")] == []


@pytest.mark.parametrize(
    "uri, stable, name",
    [
        ("s3://acme-models-staging/sklearn/iris/v2", None, "v2"),
        ("s3://acme-models-staging/sklearn/iris/3/", None, "v3"),  # a DNS label starts with a letter
        ("s3://acme-models-staging/sklearn/iris/Model_V2.pt", None, "model-v2-pt"),
        ("s3://acme-models-staging/sklearn/iris/v2", "v2", "canary"),  # never the stable predictor's name
        ("s3://acme-models-staging/sklearn/iris/canary", "canary", "canary-2"),
        ("pvc://claim/___", None, "canary"),
        ("s3://b/" + "x" * 80, None, "x" * (63 - len("--predictor") - len("sklearn-iris"))),
    ],
)
def test_a_list_canary_predictor_is_named_after_its_version(uri: str, stable: str | None, name: str) -> None:
    from kserve_gitops.operate.lifecycle import canary_predictor_name

    assert canary_predictor_name("sklearn-iris", uri, stable) == name
