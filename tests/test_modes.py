"""Deployment mode names: both names read everywhere, the release's own name written, the canary form per
version and mode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from admission_helpers import admission_verdicts, errors, rendered
from conftest import tree_bytes
from kserve_gitops.inputs import modes
from kserve_gitops.inputs.config import load_config


@pytest.mark.parametrize(
    "mode, version, written",
    [
        ("Knative", "v0.20.0", "Knative"),
        ("Serverless", "v0.20.0", "Knative"),
        ("Standard", "v0.20.0", "Standard"),
        ("RawDeployment", "v0.20.0", "Standard"),
        ("Serverless", "v0.16.0", "Knative"),
        ("Knative", "v0.15.2", "Serverless"),  # the rename came with v0.16 (kserve/kserve#4608)
        ("Knative", "v0.14.1", "Serverless"),
        ("Standard", "v0.14.1", "RawDeployment"),
        ("RawDeployment", "v0.14.1", "RawDeployment"),
        ("Standard", "main", "Standard"),
        ("ModelMesh", "v0.20.0", "ModelMesh"),
    ],
)
def test_the_name_written_is_the_one_the_release_knows(mode: str, version: str, written: str) -> None:
    assert modes.name_for(mode, version) == written


@pytest.mark.parametrize(
    "version, mode, form",
    [
        ("v0.20.0", "Knative", "revision"),
        ("v0.20.0", "Serverless", "revision"),
        ("v0.20.0", "Standard", "list"),
        ("v0.20.0", "RawDeployment", "list"),
        ("main", "Standard", "list"),
        ("v0.14.1", "Serverless", "revision"),
        ("v0.14.1", "RawDeployment", None),
        ("v0.14.1", "Standard", None),
    ],
)
def test_canary_form_per_version_and_mode(version: str, mode: str, form: str | None) -> None:
    assert modes.canary_form(version, mode) == form


def _with_modes(repo: Path, dev: str, staging: str, prod: str) -> None:
    config = repo / "kserve-gitops.yaml"
    data = config.read_text()
    data = data.replace("deploymentMode: Knative", f"deploymentMode: {dev}", 1)
    data = data.replace("deploymentMode: Standard", f"deploymentMode: {staging}", 1)
    data = data.replace("deploymentMode: RawDeployment", f"deploymentMode: {prod}", 1)
    config.write_text(data)


def _annotations(repo: Path, env: str) -> set[str]:
    out = set()
    for path in (repo / "overlays" / env / "models").rglob("inferenceservice-*.yaml"):
        out.add(yaml.safe_load(path.read_text())["metadata"]["annotations"]["serving.kserve.io/deploymentMode"])
    return out


def _kserve_values(repo: Path, env: str) -> str:
    """The controller's deployment mode: the Helm value of the kserve Application, or (install.render) the
    rendered inferenceservice-config ConfigMap's deploy.defaultDeploymentMode."""
    app = repo / f"charts/install/{env}/application-argocd-acme-ml-{env}-kserve.yaml"
    if app.is_file():
        return yaml.safe_load(app.read_text())["spec"]["source"]["helm"]["valuesObject"]["kserve"]["controller"]["deploymentMode"]
    config = yaml.safe_load((repo / f"charts/install/{env}/kserve/configmap-kserve-inferenceservice-config.yaml").read_text())
    return json.loads(config["data"]["deploy"])["defaultDeploymentMode"]


def test_old_and_new_names_in_the_config_synthesize_the_same(example_repo: Path, cli) -> None:
    """kserve-gitops.yaml may name a mode either way: the output is byte for byte the same (but for the
    record of the inputs' hashes, since the file changed)."""
    assert cli("synth").exit_code == 0
    before = _output(example_repo)
    _with_modes(example_repo, "Serverless", "RawDeployment", "Standard")
    config = load_config(example_repo / "kserve-gitops.yaml")
    assert [config.environments[e].deployment_mode for e in ("dev", "staging", "prod")] == ["Knative", "Standard", "RawDeployment"]
    result = cli("synth")
    assert result.exit_code == 0, result.output
    assert _output(example_repo) == before


def _output(repo: Path) -> dict[str, bytes]:
    return {k: v for k, v in tree_bytes(repo).items() if not k.endswith(".kserve-gitops-inputs.json")}


def test_each_environment_writes_its_releases_names(example_repo: Path, cli) -> None:
    assert _annotations(example_repo, "dev") == {"Knative"}
    assert _annotations(example_repo, "staging") == {"Standard"}
    assert _annotations(example_repo, "prod") == {"RawDeployment"}  # KServe v0.14.1 knows only the old names
    assert [_kserve_values(example_repo, e) for e in ("dev", "staging", "prod")] == ["Knative", "Standard", "RawDeployment"]


def test_a_model_annotation_with_an_old_name_renders_the_environments_name(example_repo: Path, cli) -> None:
    base = example_repo / "models/sklearn-iris/inferenceservice.yaml"
    base.write_text(base.read_text().replace("  labels:\n", "  annotations:\n    serving.kserve.io/deploymentMode: Serverless\n  labels:\n", 1))
    assert cli("synth").exit_code == 0
    dev = rendered(cli("render", "dev").output)
    [iris] = [o for o in dev if o["kind"] == "InferenceService" and o["metadata"]["name"] == "sklearn-iris"]
    assert iris["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Knative"
    assert errors(admission_verdicts("v0.20.0", "Knative", dev), dev) == []


def test_an_unknown_mode_name_is_refused_at_its_line(example_repo: Path, cli) -> None:
    _with_modes(example_repo, "Knative", "Raw", "RawDeployment")
    result = cli("synth")
    assert result.exit_code == 2
    assert "environments.staging.kserve.deploymentMode" in result.output
    assert "'Knative', 'Standard', 'Serverless', 'RawDeployment'" in result.output
