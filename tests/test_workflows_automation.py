"""Argo Workflows automation: the synthesized WorkflowTemplates are valid against the real Argo Workflows CRD,
take explicit parameters, never hold a credential value, gate prod behind a manual approval and follow the
promotion order; synth output is compared with golden files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from kserve_gitops.synth.app import synth_repo
from kserve_gitops.validate.schemas import CrdLibrary, SchemaSet
from conftest import GOLDEN, SHARED_CRDS, assert_golden

ARGO_CRDS = SHARED_CRDS / "argo-workflows"
KUSTOMIZE = Path(__file__).resolve().parents[1] / ".tools" / "bin" / "kustomize"


def _rendered(root: Path) -> list[dict]:
    out = subprocess.run([str(KUSTOMIZE), "build", str(root / "overlays" / "automation")], capture_output=True, text=True, check=True)
    return [d for d in yaml.safe_load_all(out.stdout) if d]


@pytest.fixture
def synthesized(example_repo: Path) -> Path:
    synth_repo(example_repo)
    return example_repo


def _by_name(objects: list[dict]) -> dict[str, dict]:
    return {o["metadata"]["name"]: o for o in objects}


def test_templates_are_valid_against_the_argo_crd(synthesized):
    objects = _rendered(synthesized)
    assert sorted(o["metadata"]["name"] for o in objects) == ["acme-ml-model-release", "acme-ml-promote-canary"]
    for strict in (False, True):
        schemas = SchemaSet(kubernetes_version="1.32", crd_files=CrdLibrary(roots=[ARGO_CRDS]).crd_files(None), strict=strict)
        for obj in objects:
            validator = schemas.validator_for(obj["apiVersion"], obj["kind"])
            assert validator is not None
            assert [e.message for e in validator.iter_errors(obj)] == []


def test_an_invalid_template_is_caught_by_the_same_schema(synthesized):
    obj = _rendered(synthesized)[0]
    obj["spec"]["templates"][0]["steps"] = "clone"  # steps is a list of parallel step lists
    schemas = SchemaSet(kubernetes_version="1.32", crd_files=CrdLibrary(roots=[ARGO_CRDS]).crd_files(None), strict=True)
    assert list(schemas.validator_for(obj["apiVersion"], obj["kind"]).iter_errors(obj))


def test_release_template_runs_model_add_validate_and_opens_a_pr(synthesized):
    release = _by_name(_rendered(synthesized))["acme-ml-model-release"]
    params = {p["name"]: p.get("value") for p in release["spec"]["arguments"]["parameters"]}
    assert set(params) >= {"registered-model", "version", "model", "repo-url", "branch", "base-branch", "environment", "tracking-uri"}
    assert params["environment"] == "dev"  # first in the promotion order
    assert params["repo-url"] == "https://github.com/acme/ml-platform.git"
    main = next(t for t in release["spec"]["templates"] if t["name"] == "main")
    assert [step[0]["template"] for step in main["steps"]] == ["clone", "model-add", "validate", "pull-request"]
    add = next(t for t in release["spec"]["templates"] if t["name"] == "model-add")
    assert add["container"]["command"] == ["kserve-gitops", "--repo", "/workspace/repo"]
    assert add["container"]["args"][:3] == ["model", "add", "{{workflow.parameters.model}}"]
    assert "models:/{{workflow.parameters.registered-model}}/{{workflow.parameters.version}}" in add["container"]["args"]


def test_promotion_steps_through_the_environments_with_approval_before_prod(synthesized):
    promotion = _by_name(_rendered(synthesized))["acme-ml-promote-canary"]
    main = next(t for t in promotion["spec"]["templates"] if t["name"] == "main")
    names = [step[0]["name"] for step in main["steps"]]
    # dev and staging are Serverless: canary, bake, promote; prod is RawDeployment: one rollout after approval
    assert names.index("canary-dev") < names.index("bake-dev") < names.index("promote-dev") < names.index("canary-staging")
    assert names.index("promote-staging") < names.index("approve-prod") < names.index("rollout-prod")
    assert "canary-prod" not in names
    templates = {t["name"]: t for t in promotion["spec"]["templates"]}
    assert templates["approval"]["suspend"] == {}
    assert templates["bake"]["suspend"] == {"duration": "{{workflow.parameters.bake-duration}}"}
    assert templates["rollout-prod"]["container"]["args"][:2] == ["model", "add"]


def test_no_credential_values_only_secret_names(synthesized):
    text = "".join(p.read_text() for p in sorted((synthesized / "charts" / "automation").glob("*.yaml")))
    for obj in _rendered(synthesized):
        for template in obj["spec"]["templates"]:
            body = template.get("script") or template.get("container") or {}
            for env in body.get("env", []):
                if env["name"] == "GH_TOKEN":
                    assert env == {"name": "GH_TOKEN", "valueFrom": {"secretKeyRef": {"name": "kserve-gitops-git", "key": "token"}}}
                else:
                    assert "value" in env
    assert "ghp_" not in text and "password" not in text.lower()


def test_parameters_never_reach_a_shell_as_code(synthesized):
    for obj in _rendered(synthesized):
        for template in obj["spec"]["templates"]:
            source = (template.get("script") or {}).get("source", "")
            # {{workflow.name}} is Argo's own value; user parameters come in as environment variables only
            assert "{{inputs." not in source and "{{workflow.parameters" not in source


def test_golden_files(synthesized, update_golden):
    files = {p.relative_to(synthesized).as_posix(): p.read_bytes()
             for top in ("charts/automation", "overlays/automation") for p in sorted((synthesized / top).rglob("*")) if p.is_file()}
    assert_golden(files, GOLDEN / "automation", update_golden)


def _set_automation(root: Path, settings: dict | None, **top) -> None:
    path = root / "kserve-gitops.yaml"
    data = yaml.safe_load(path.read_text())
    if settings is None:
        data.pop("automation", None)
    else:
        data["automation"] = {"argoWorkflows": settings}
    data.update(top)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def test_disabled_writes_nothing(example_repo, cli):
    _set_automation(example_repo, {"enabled": False})
    assert cli("synth").exit_code == 0
    assert not (example_repo / "overlays" / "automation").exists()
    assert not (example_repo / "charts" / "automation").exists()


def test_enabled_needs_image_account_and_secret_name(example_repo, cli):
    _set_automation(example_repo, {"enabled": True, "image": "ghcr.io/acme/kserve-gitops:0.1.0"})
    result = cli("synth")
    assert result.exit_code == 2
    assert "kserve-gitops.yaml" in result.output and "required" in result.output


def test_enabled_without_repository_is_refused(example_repo, cli):
    path = example_repo / "kserve-gitops.yaml"
    data = yaml.safe_load(path.read_text())
    data.pop("repository")
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    result = cli("synth")
    assert result.exit_code == 2
    assert "repository.url" in result.output
