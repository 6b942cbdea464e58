"""``model add --from-mlflow`` against a real MLflow registry in a temporary folder: a SQLite tracking and
registry store, a scikit-learn model logged with ``mlflow.sklearn.log_model`` and registered. No network.

MLflow cannot register a version in an ``s3://`` artifact root without uploading to it, so the registry logs
to a local ``file://`` artifact root and the tests map it with ``--artifact-uri-map file://...=s3://...``,
the option a platform uses when its tracking server's artifact root is mounted or proxied."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import yaml

REGISTERED = "Iris Classifier"  # a name with a space: labels must still be valid


def _tree_digest(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted((root / "models").rglob("*")):
        if path.is_file():
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


@pytest.fixture(scope="module")
def registry(tmp_path_factory) -> dict:
    """A registry with 'Iris Classifier' v1 and v2 (alias champion -> 2) and a pyfunc-only 'Custom Scorer'."""
    import mlflow
    import mlflow.pyfunc
    import mlflow.sklearn
    import numpy as np
    from mlflow import MlflowClient
    from sklearn.linear_model import LogisticRegression

    folder = tmp_path_factory.mktemp("mlflow")
    tracking_uri = f"sqlite:///{folder}/mlflow.db"
    artifacts = f"file://{folder}/artifacts"
    mlflow.set_tracking_uri(tracking_uri)
    mlflow.set_registry_uri(tracking_uri)
    experiment = mlflow.create_experiment("iris", artifact_location=artifacts)
    X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [3.0, 0.0]])
    y = np.array([0, 0, 1, 1])
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    client.create_registered_model(REGISTERED, tags={"team": "data-science", "owner": "iris-squad"})
    for c in (1.0, 0.5):
        with mlflow.start_run(experiment_id=experiment):
            info = mlflow.sklearn.log_model(LogisticRegression(C=c).fit(X, y), name="model")
        mlflow.register_model(info.model_uri, REGISTERED)
    client.set_registered_model_alias(REGISTERED, "champion", "2")

    class Scorer(mlflow.pyfunc.PythonModel):
        def predict(self, context, model_input, params=None):
            return model_input

    with mlflow.start_run(experiment_id=experiment):
        info = mlflow.pyfunc.log_model(name="scorer", python_model=Scorer())
    mlflow.register_model(info.model_uri, "Custom Scorer")
    return {"tracking_uri": tracking_uri, "artifacts": artifacts, "client": client}


def _map(registry: dict, bucket: str = "acme-models-dev") -> list[str]:
    return ["--artifact-uri-map", f"{registry['artifacts']}=s3://{bucket}/mlflow"]


def _add(cli, registry, *args: str):
    return cli("model", "add", *args, "--tracking-uri", registry["tracking_uri"])


def test_new_model_from_the_registry(example_repo, cli, registry):
    result = _add(cli, registry, "iris-mlflow", "--from-mlflow", f"models:/{REGISTERED}/1", *_map(registry))
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load((example_repo / "models/iris-mlflow/inferenceservice.yaml").read_text())
    model = doc["spec"]["predictor"]["model"]
    assert model["modelFormat"] == {"name": "sklearn", "version": "1"}  # scikit-learn 1.x, from the sklearn flavor
    source = registry["client"].get_model_version_download_uri(REGISTERED, "1")
    assert model["storageUri"] == source.replace(registry["artifacts"], "s3://acme-models-dev/mlflow")
    labels = doc["metadata"]["labels"]
    assert labels["kserve-gitops.io/mlflow-model"] == "Iris-Classifier"
    assert labels["kserve-gitops.io/mlflow-version"] == "1"
    assert (labels["team"], labels["owner"]) == ("data-science", "iris-squad")  # from the registered model's tags
    assert doc["metadata"]["annotations"]["kserve-gitops.io/mlflow-registered-model"] == REGISTERED
    assert doc["metadata"]["annotations"]["kserve-gitops.io/environments"] == "dev"
    # the generated output was regenerated too, and the repo validates
    assert (example_repo / "overlays/dev/models/iris-mlflow/kustomization.yaml").is_file()
    assert cli("validate", "--env", "dev").exit_code == 0


def test_alias_resolves_to_its_version(example_repo, cli, registry):
    result = _add(cli, registry, "iris-mlflow", "--from-mlflow", f"models:/{REGISTERED}/champion", *_map(registry), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "kserve-gitops.io/mlflow-version: '2'" in result.output
    assert not (example_repo / "models/iris-mlflow").exists()  # dry run


def test_existing_model_gets_a_canary_in_the_first_environment(example_repo, cli, registry):
    base_before = (example_repo / "models/sklearn-iris/inferenceservice.yaml").read_bytes()
    result = _add(cli, registry, "sklearn-iris", "--from-mlflow", f"models:/{REGISTERED}/2", *_map(registry), "--percent", "20")
    assert result.exit_code == 0, result.output
    assert (example_repo / "models/sklearn-iris/inferenceservice.yaml").read_bytes() == base_before
    dev = yaml.safe_load((example_repo / "models/sklearn-iris/dev.yaml").read_text())
    # dev runs KServe v0.20.0 in Knative mode: the canary by revision (its webhook refuses spec.canary there)
    assert "canary" not in dev["spec"]
    assert dev["spec"]["predictor"]["canaryTrafficPercent"] == 20
    uri = registry["client"].get_model_version_download_uri(REGISTERED, "2")
    assert dev["spec"]["predictor"]["model"]["storageUri"] == uri.replace(registry["artifacts"], "s3://acme-models-dev/mlflow")
    assert dev["metadata"]["annotations"]["kserve-gitops.io/stable-storage-uri"] == "s3://acme-models-dev/sklearn/iris/v1"
    # the labels describe the version that serves (v1, which has none): version 2's wait beside the canary
    assert "kserve-gitops.io/mlflow-version" not in (dev["metadata"].get("labels") or {})
    assert dev["metadata"]["annotations"]["canary.kserve-gitops.io/mlflow-version"] == "2"
    assert dev["metadata"]["annotations"]["canary.kserve-gitops.io/mlflow-source"] == f"models:/{REGISTERED}/2"


@pytest.mark.parametrize("action", ["promote", "rollback"])
def test_version_labels_follow_the_version_that_serves(example_repo, cli, registry, action):
    result = _add(cli, registry, "sklearn-iris", "--from-mlflow", f"models:/{REGISTERED}/2", *_map(registry), "--percent", "20")
    assert result.exit_code == 0, result.output
    result = cli(action, "sklearn-iris", "--env", "dev")
    assert result.exit_code == 0, result.output
    path = example_repo / "models/sklearn-iris/dev.yaml"
    dev = yaml.safe_load(path.read_text()) if path.exists() else {}
    meta = dev.get("metadata") or {}
    assert not any(k.startswith("canary.") for k in meta.get("annotations") or {})
    if action == "promote":
        assert meta["labels"]["kserve-gitops.io/mlflow-version"] == "2"
        assert meta["annotations"]["kserve-gitops.io/mlflow-source"] == f"models:/{REGISTERED}/2"
    else:
        assert "kserve-gitops.io/mlflow-version" not in (meta.get("labels") or {})
        rendered = cli("render", "dev").output
        assert "mlflow-version: '2'" not in rendered and 'mlflow-version: "2"' not in rendered


def test_raw_deployment_environment_gets_a_rollout_in_its_own_bucket(example_repo, cli, registry):
    result = _add(cli, registry, "sklearn-iris", "--from-mlflow", f"models:/{REGISTERED}/2", *_map(registry), "--env", "prod")
    assert result.exit_code == 0, result.output
    prod = yaml.safe_load((example_repo / "models/sklearn-iris/prod.yaml").read_text())
    uri = prod["spec"]["predictor"]["model"]["storageUri"]
    assert uri.startswith("s3://acme-models-prod/mlflow/")  # the dev bucket is not prod's: same key in prod's bucket
    assert "canaryTrafficPercent" not in prod["spec"]["predictor"]


@pytest.mark.parametrize(
    "reference, message",
    [
        (f"models:/{REGISTERED}/9", "no 'Iris Classifier' version '9'"),
        (f"models:/{REGISTERED}/nightly", "no 'Iris Classifier' alias 'nightly'"),
        ("models:/Nobody/1", "no 'Nobody' version '1'"),
        ("Iris Classifier/1", "not a registry reference"),
        ("models:/Custom Scorer/1", "no KServe runtime"),
    ],
)
def test_refusals_write_nothing(example_repo, cli, registry, reference, message):
    before = _tree_digest(example_repo)
    result = _add(cli, registry, "iris-mlflow", "--from-mlflow", reference, *_map(registry))
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert _tree_digest(example_repo) == before


def test_local_only_artifacts_are_refused(example_repo, cli, registry):
    before = _tree_digest(example_repo)
    result = _add(cli, registry, "iris-mlflow", "--from-mlflow", f"models:/{REGISTERED}/1")
    assert result.exit_code == 2
    assert "cannot download" in result.output and "--artifact-uri-map" in result.output
    assert _tree_digest(example_repo) == before


def test_new_model_without_owner_is_refused(example_repo, cli, registry):
    result = cli("model", "add", "plain", "--storage-uri", "s3://acme-models-dev/plain/v1", "--format", "sklearn")
    assert result.exit_code == 2
    assert "team and an owner" in result.output
    assert not (example_repo / "models/plain").exists()


def test_storage_uri_source_for_a_new_model(example_repo, cli):
    result = cli("model", "add", "plain", "--storage-uri", "s3://acme-models-dev/plain/v1", "--format", "xgboost",
                 "--team", "t", "--owner", "o")
    assert result.exit_code == 0, result.output
    doc = yaml.safe_load((example_repo / "models/plain/inferenceservice.yaml").read_text())
    assert doc["spec"]["predictor"]["model"]["modelFormat"] == {"name": "xgboost"}


def test_mlflow_is_not_imported_by_other_commands(example_repo):
    from conftest import run_cli_process

    probe = "import sys, kserve_gitops.cli.main as m; sys.argv=['kserve-gitops','--help']\ntry:\n m.main()\nexcept SystemExit: pass\nprint('mlflow' in sys.modules)"
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=example_repo)
    assert out.stdout.strip().endswith("False")
