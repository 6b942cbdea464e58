"""render with real kustomize; validate against the real CRDs of each environment's KServe version."""

from __future__ import annotations

from pathlib import Path

import yaml

from conftest import REPO, run_cli_process
from kserve_gitops.render.kustomize import find_renderer, render
from kserve_gitops.validate.run import ValidateOptions, validate_repo

EXPECTED = {
    "dev": {"sklearn-iris", "pytorch-cifar10", "custom-transformer", "fraud-detector", "churn-predictor", "mnist-art", "customer-ltv"},
    "staging": {"sklearn-iris", "pytorch-cifar10", "custom-transformer", "fraud-detector", "churn-predictor", "mnist-art"},
    "prod": {"sklearn-iris", "pytorch-cifar10", "fraud-detector"},
}
# LLMInferenceServices (models/<name>/llminferenceservice.yaml): the KServe v0.20.0 environments only
LLM_MODELS = {"dev": {"qwen-chat"}, "staging": {"qwen-chat"}, "prod": set()}


def rendered_isvcs(env: str) -> dict[str, dict]:
    docs = [d for d in yaml.safe_load_all(render(REPO / "overlays" / env)) if d]
    return {d["metadata"]["name"]: d for d in docs if d["kind"] == "InferenceService"}


def test_renderer_is_the_pinned_kustomize() -> None:
    assert Path(find_renderer().command[0]).name == "kustomize"


def test_every_environment_renders_its_models() -> None:
    for env, names in EXPECTED.items():
        isvcs = rendered_isvcs(env)
        assert set(isvcs) == names
        for isvc in isvcs.values():
            assert isvc["metadata"]["namespace"] == f"models-{env}"
            assert isvc["metadata"]["labels"]["kserve-gitops.io/environment"] == env
        docs = [d for d in yaml.safe_load_all(render(REPO / "overlays" / env)) if d]
        llms = {d["metadata"]["name"]: d for d in docs if d["kind"] == "LLMInferenceService"}
        assert set(llms) == LLM_MODELS[env]
        assert all(d["metadata"]["namespace"] == f"models-{env}" for d in llms.values())


def test_canary_follows_each_environments_kserve_version_and_mode() -> None:
    staging = rendered_isvcs("staging")["pytorch-cifar10"]  # v0.20.0: list-form spec.canary
    assert staging["spec"]["canary"][0]["trafficPercent"] == 10
    assert staging["spec"]["canary"][0]["predictor"]["serviceAccountName"] == "kserve-models"
    assert "canaryTrafficPercent" not in staging["spec"]["predictor"]
    dev = rendered_isvcs("dev")["pytorch-cifar10"]  # Serverless: canary by revision
    assert dev["spec"]["predictor"]["canaryTrafficPercent"] == 20
    assert dev["spec"]["predictor"]["model"]["storageUri"].endswith("/v2")
    prod = rendered_isvcs("prod")["pytorch-cifar10"]  # v0.14.1 RawDeployment: cannot split traffic
    assert "canaryTrafficPercent" not in prod["spec"]["predictor"]
    assert "canary" not in prod["spec"]
    assert prod["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "RawDeployment"


def test_transformer_example_keeps_predictor_host() -> None:
    isvc = rendered_isvcs("dev")["custom-transformer"]
    env = isvc["spec"]["transformer"]["containers"][0]["env"]
    assert {"name": "PREDICTOR_HOST", "value": "custom-transformer-predictor"} in env


def test_example_repo_validates_clean_against_each_environments_crds() -> None:
    report = validate_repo(REPO)
    assert [e.name for e in report.environments] == ["dev", "staging", "prod", "argocd", "automation"]
    assert [f for f in report.findings if f.severity != "waived"] == []
    assert report.exit_code() == 0
    expected_models = {k: len(v) + len(LLM_MODELS[k]) for k, v in EXPECTED.items()}
    assert {e.name: e.models for e in report.environments} == {**expected_models, "argocd": 0, "automation": 0}


def test_list_form_canary_is_invalid_against_kserve_v0_14_1(example_repo: Path) -> None:
    """The same staging model, checked against prod's KServe version, is rejected by the CRD (strict)."""
    report = validate_repo(example_repo, ValidateOptions(environments=["staging"], kserve_version="v0.14.1", strict=True))
    messages = [(f.path, f.json_path, f.message) for f in report.findings]
    assert any(f.json_path in ("spec", "spec.canary") and "canary" in f.message for f in report.findings), messages
    finding = next(f for f in report.findings if "canary" in f.message)
    assert finding.object.name == "pytorch-cifar10"


def test_schema_error_points_at_the_model_file_and_line(example_repo: Path) -> None:
    patch = example_repo / "models/sklearn-iris/prod.yaml"
    patch.write_text(patch.read_text().replace("minReplicas: 2", "minReplicas: two"))
    run = run_cli_process("synth", cwd=example_repo)
    assert run.returncode == 0, run.stderr
    result = run_cli_process("validate", cwd=example_repo)
    assert result.returncode == 1
    line = next(i for i, t in enumerate(patch.read_text().splitlines(), 1) if "minReplicas: two" in t)
    assert f"models/sklearn-iris/prod.yaml:{line}:5" in result.stdout
    assert "spec.predictor.minReplicas" in result.stdout
    assert "InferenceService/models-prod/sklearn-iris" in result.stdout


def test_make_demo_table_lists_every_environment() -> None:
    result = run_cli_process("validate", cwd=REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    for env in EXPECTED:
        assert env in result.stdout
    assert "pass" in result.stdout
