"""canary / promote / rollback write only what KServe's own admission webhooks accept, per KServe version and
deployment mode; and so does the example repo in every environment.

Each lifecycle test drives the commands in a real git repository (a copy of the example), renders the
environment and hands every object to the release's webhooks (``admission_helpers.admission_verdicts``): as a
CREATE, and as an UPDATE of the environment's render before the command, as the API server sees the sync.

| environment                        | canary form                                 |
|------------------------------------|---------------------------------------------|
| staging: KServe v0.20.0, Standard  | spec.canary list, named predictors          |
| dev: KServe v0.20.0, Knative       | canaryTrafficPercent (by revision)          |
| prod made Serverless: v0.14.1      | canaryTrafficPercent (by revision)          |
| prod: v0.14.1, RawDeployment       | refused                                     |
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from admission_helpers import admission_verdicts, errors, rendered
from kserve_gitops.inputs.config import load_config

IRIS = "sklearn-iris"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)


@pytest.fixture
def repo(example_repo: Path, cli) -> Path:
    git(example_repo, "init", "-q", "-b", "main")
    git(example_repo, "config", "user.email", "test@example.com")
    git(example_repo, "config", "user.name", "test")
    assert cli("synth").exit_code == 0
    commit_all(example_repo, "initial")
    return example_repo


def set_mode(repo: Path, cli, old: str, new: str) -> None:
    config = repo / "kserve-gitops.yaml"
    config.write_text(config.read_text().replace(f"deploymentMode: {old}", f"deploymentMode: {new}"))
    assert cli("synth").exit_code == 0
    commit_all(repo, f"{old} -> {new}")


def _key(obj: dict[str, Any]) -> tuple:
    return obj.get("apiVersion"), obj.get("kind"), obj["metadata"].get("namespace"), obj["metadata"]["name"]


def admitted(repo: Path, cli, env: str, before: list[dict[str, Any]] | None = None) -> list[dict[str, Any]]:
    """Render ``env`` and assert its release's webhooks accept every object (as UPDATEs of ``before``)."""
    environment = load_config(repo / "kserve-gitops.yaml").environments[env]
    result = cli("render", env)
    assert result.exit_code == 0, result.output
    objects = rendered(result.output)
    verdicts = admission_verdicts(environment.kserve_version, environment.deployment_mode, objects)
    assert errors(verdicts, objects) == [], f"{env} as CREATE"
    if before is not None:
        stored = {_key(o): o for o in before}
        old = [stored.get(_key(o)) for o in objects]
        assert any(old)
        verdicts = admission_verdicts(environment.kserve_version, environment.deployment_mode, objects, old)
        assert errors(verdicts, objects) == [], f"{env} as UPDATE"
    return objects


def isvc(objects: list[dict[str, Any]], name: str = IRIS) -> dict[str, Any]:
    [found] = [o for o in objects if o["kind"] == "InferenceService" and o["metadata"]["name"] == name]
    return found


def run(cli, *args: str) -> None:
    result = cli(*args)
    assert result.exit_code == 0, result.output


# --- the example as committed -----------------------------------------------------------------------


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_the_example_passes_kserve_admission(example_repo: Path, cli, env: str) -> None:
    objects = admitted(example_repo, cli, env)
    cifar = isvc(objects, "pytorch-cifar10")
    mode = cifar["metadata"]["annotations"]["serving.kserve.io/deploymentMode"]
    assert mode == {"dev": "Knative", "staging": "Standard", "prod": "RawDeployment"}[env]
    if env == "staging":  # the list form, with a named canary at fixed replicas
        [canary] = cifar["spec"]["canary"]
        assert canary["predictor"]["name"] == "v2" and cifar["spec"]["predictor"]["name"] == "v1"
        assert "maxReplicas" not in canary["predictor"]
    if env == "dev":  # the canary by revision
        assert cifar["spec"]["predictor"]["canaryTrafficPercent"] == 20 and "canary" not in cifar["spec"]


def test_the_webhook_refuses_what_the_tests_must_catch(example_repo: Path, cli) -> None:
    """The harness is not vacuous: the list form in Knative mode and a canary with maxReplicas are refused."""
    staging = rendered(cli("render", "staging").output)
    cifar = isvc(staging, "pytorch-cifar10")
    as_knative = yaml.safe_load(yaml.safe_dump(cifar))
    as_knative["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] = "Knative"
    with_max = yaml.safe_load(yaml.safe_dump(cifar))
    with_max["spec"]["canary"][0]["predictor"]["maxReplicas"] = 3
    unnamed = yaml.safe_load(yaml.safe_dump(cifar))
    del unnamed["spec"]["canary"][0]["predictor"]["name"]
    verdicts = admission_verdicts("v0.20.0", "Standard", [as_knative, with_max, unnamed])
    messages = [[f["message"] for f in v if f["severity"] == "error"] for v in verdicts]
    assert messages == [
        ["canary is only supported in Standard deployment mode"],
        ['canary "v2" must not set maxReplicas (canary uses fixed replicas)'],
        ["canary[0] predictor.name is required"],
    ]


# --- KServe v0.20.0, Standard mode: the list form ---------------------------------------------------


def test_list_canary_lifecycle_in_standard_mode(repo: Path, cli) -> None:
    start = admitted(repo, cli, "staging")
    run(cli, "canary", IRIS, "--env", "staging", "--storage-uri", "s3://acme-models-staging/sklearn/iris/v2", "--percent", "10")
    canaried = admitted(repo, cli, "staging", before=start)
    spec = isvc(canaried)["spec"]
    [entry] = spec["canary"]
    assert entry["trafficPercent"] == 10 and entry["predictor"]["name"] == "v2"
    assert entry["predictor"]["minReplicas"] == 1 and "maxReplicas" not in entry["predictor"]
    assert "name" not in spec["predictor"]  # an unnamed stable keeps no name: renaming it alone is refused

    run(cli, "canary", IRIS, "--env", "staging", "--percent", "50")
    shifted = admitted(repo, cli, "staging", before=canaried)
    assert isvc(shifted)["spec"]["canary"][0]["trafficPercent"] == 50

    run(cli, "promote", IRIS, "--env", "staging")
    promoted = admitted(repo, cli, "staging", before=shifted)
    predictor = isvc(promoted)["spec"]["predictor"]
    assert "canary" not in isvc(promoted)["spec"]
    assert predictor["name"] == "v2" and predictor["model"]["storageUri"].endswith("/iris/v2")
    assert "name" not in predictor["model"]  # the canary's container name is not carried over
    commit_all(repo, "v2 promoted")

    # The next canary beside the named stable predictor gets a name of its own; rollback drops it.
    run(cli, "canary", IRIS, "--env", "staging", "--storage-uri", "s3://acme-models-staging/sklearn/iris/v3", "--percent", "10")
    again = admitted(repo, cli, "staging", before=promoted)
    assert isvc(again)["spec"]["canary"][0]["predictor"]["name"] == "v3"
    run(cli, "rollback", IRIS, "--env", "staging")
    admitted(repo, cli, "staging", before=again)
    assert git(repo, "status", "--porcelain") == ""


def test_promoting_the_examples_named_canary_passes_as_an_update(repo: Path, cli) -> None:
    start = admitted(repo, cli, "staging")
    run(cli, "promote", "pytorch-cifar10", "--env", "staging")
    promoted = admitted(repo, cli, "staging", before=start)
    assert isvc(promoted, "pytorch-cifar10")["spec"]["predictor"]["name"] == "v2"


def test_list_canary_replicas_never_exceed_the_stable_predictors(repo: Path, cli) -> None:
    """The environment's replica defaults give a canary minReplicas only, capped at the stable predictor's:
    KServe refuses maxReplicas on a canary and a canary minReplicas above the stable's."""
    config = repo / "kserve-gitops.yaml"
    text = config.read_text()
    staging = text.index("  staging:\n")
    config.write_text(text[:staging] + text[staging:].replace("defaultMinReplicas: 1", "defaultMinReplicas: 3", 1))
    patch = repo / "models/sklearn-iris/staging.yaml"
    patch.write_text(patch.read_text().replace("  predictor:\n", "  predictor:\n    minReplicas: 2\n", 1))
    assert cli("synth").exit_code == 0
    commit_all(repo, "staging: 3 replicas by default, iris pinned at 2")
    start = admitted(repo, cli, "staging")
    run(cli, "canary", IRIS, "--env", "staging", "--storage-uri", "s3://acme-models-staging/sklearn/iris/v2", "--percent", "10")
    spec = isvc(admitted(repo, cli, "staging", before=start))["spec"]
    assert spec["predictor"]["minReplicas"] == 2 and spec["predictor"]["maxReplicas"] == 3
    assert spec["canary"][0]["predictor"]["minReplicas"] == 2
    assert "maxReplicas" not in spec["canary"][0]["predictor"]


# --- KServe v0.20.0, Knative mode and v0.14.1, Serverless mode: by revision -------------------------


@pytest.mark.parametrize(
    "env, mode_change, uri",
    [
        ("dev", None, "s3://acme-models-dev/sklearn/iris/v2"),
        ("prod", ("RawDeployment", "Serverless"), "s3://acme-models-prod/sklearn/iris/v2"),
    ],
    ids=["v0.20.0-Knative", "v0.14.1-Serverless"],
)
def test_revision_canary_lifecycle(repo: Path, cli, env: str, mode_change: tuple[str, str] | None, uri: str) -> None:
    if mode_change:
        set_mode(repo, cli, *mode_change)
    start = admitted(repo, cli, env)
    stable = isvc(start)["spec"]["predictor"]["model"]["storageUri"]

    run(cli, "canary", IRIS, "--env", env, "--storage-uri", uri, "--percent", "10")
    canaried = admitted(repo, cli, env, before=start)
    spec = isvc(canaried)["spec"]
    assert "canary" not in spec
    assert spec["predictor"]["canaryTrafficPercent"] == 10 and spec["predictor"]["model"]["storageUri"] == uri

    run(cli, "canary", IRIS, "--env", env, "--percent", "40")
    shifted = admitted(repo, cli, env, before=canaried)
    run(cli, "rollback", IRIS, "--env", env)
    rolled_back = admitted(repo, cli, env, before=shifted)
    assert isvc(rolled_back)["spec"]["predictor"]["model"]["storageUri"] == stable
    assert git(repo, "status", "--porcelain") == ""

    run(cli, "canary", IRIS, "--env", env, "--storage-uri", uri, "--percent", "10")
    canaried = admitted(repo, cli, env, before=rolled_back)
    run(cli, "promote", IRIS, "--env", env)
    promoted = isvc(admitted(repo, cli, env, before=canaried))["spec"]["predictor"]
    assert promoted["model"]["storageUri"] == uri and "canaryTrafficPercent" not in promoted


# --- Standard/RawDeployment before v0.20.0: refused -------------------------------------------------


@pytest.mark.parametrize("name", ["RawDeployment", "Standard"])
def test_standard_mode_on_v0_14_1_refuses_a_canary(repo: Path, cli, name: str) -> None:
    if name != "RawDeployment":
        set_mode(repo, cli, "RawDeployment", name)
    before = git(repo, "status", "--porcelain")
    result = cli("canary", IRIS, "--env", "prod", "--storage-uri", "s3://acme-models-prod/sklearn/iris/v2", "--percent", "10")
    assert result.exit_code == 2, result.output
    assert "KServe v0.14.1 in RawDeployment mode, where KServe cannot split traffic" in result.output
    assert git(repo, "status", "--porcelain") == before
    # What prod renders is still what v0.14.1 accepts (the old name, the only one it knows).
    objects = admitted(repo, cli, "prod")
    assert isvc(objects)["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "RawDeployment"
