"""Platform constructs: serving runtimes, model namespaces and identity, the KServe install, ArgoCD.

Golden files per construct (byte for byte), schema validity of every object per environment (core kinds from
kubernetes-validate, CRDs from ../shared/crds), one test per environment-specific behaviour, and the example
repo's synth + validate through the CLI.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import GOLDEN, REPO, SHARED_CRDS, assert_golden
from kserve_gitops.constructs.argocd import INFERENCESERVICE_IGNORE_DIFFERENCES
from kserve_gitops.constructs.runtimes import RUNTIMES, runtime_images
from kserve_gitops.errors import ConfigError, SynthError
from kserve_gitops.inputs.config import PlatformConfig, load_config
from kserve_gitops.render.kustomize import render
from kserve_gitops.synth.app import synthesize
from kserve_gitops.synth.output import write_tree
from kserve_gitops.validate.schemas import CrdLibrary, SchemaSet

COMPONENTS = ["runtimes", "identity", "argocd"]
KSERVE_VERSIONS = ("v0.14.1", "v0.20.0")  # the releases the example repo runs and pins
# Where each construct's output lands (prefixes of repo paths).
CONSTRUCT_OUTPUT = {
    "runtimes": ("charts/runtimes/",),
    "identity": ("charts/identity/",),
    "install": ("charts/install/", "charts/knative-serving/"),
    "argocd": ("charts/argocd/", "overlays/argocd/"),
}
SYNC_WAVE = "argocd.argoproj.io/sync-wave"


# --- helpers -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def config() -> PlatformConfig:
    return load_config(REPO / "kserve-gitops.yaml")


@pytest.fixture(scope="module")
def files(config: PlatformConfig) -> dict[str, bytes]:
    return synthesize(config, [], components=COMPONENTS)


def objects_under(files: dict[str, bytes], *prefixes: str) -> list[dict[str, Any]]:
    out = []
    for path, content in files.items():
        if path.startswith(prefixes) and not path.endswith("/kustomization.yaml"):
            out.append(yaml.safe_load(content))
    return out


def by_name(objects: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in objects}


def write_config(tmp_path: Path, mutate) -> Path:
    data = yaml.safe_load((REPO / "kserve-gitops.yaml").read_text())
    mutate(data)
    path = tmp_path / "kserve-gitops.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def schema_errors(schemas: SchemaSet, obj: dict[str, Any]) -> list[str]:
    validator = schemas.validator_for(obj["apiVersion"], obj["kind"])
    assert validator is not None, f"no schema for {obj['kind']} ({obj['apiVersion']})"
    return [f"{'/'.join(map(str, e.instance_path))}: {e.message}" for e in validator.iter_errors(obj)]


def render_go_if(template: str, automated: bool) -> str:
    """The two constructs the sync-mode patch uses, evaluated the way Go's text/template does."""
    inline = re.sub(
        r"\{\{ if \.automatedSync \}\}(.*?)\{\{ else \}\}(.*?)\{\{ end \}\}",
        lambda m: m.group(1) if automated else m.group(2),
        template,
    )
    block = re.compile(r"\s*\{\{- if \.automatedSync \}\}(.*?)\s*\{\{- end \}\}", re.S)
    out = block.sub(lambda m: m.group(1) if automated else "", inline)
    assert "{{" not in out, out
    return out


# --- golden files ------------------------------------------------------------------------------------


@pytest.mark.parametrize("construct", sorted(CONSTRUCT_OUTPUT))
def test_construct_output_matches_golden_files(construct: str, files: dict[str, bytes], update_golden: bool) -> None:
    selected = {p: c for p, c in files.items() if p.startswith(CONSTRUCT_OUTPUT[construct])}
    assert selected, f"{construct} synthesized nothing"
    assert_golden(selected, GOLDEN / "platform" / construct, update_golden)


def test_environment_overlays_include_runtimes_and_identity_but_no_control_plane(files: dict[str, bytes]) -> None:
    for env, runtimes in (("dev", "v0.20.0"), ("staging", "v0.20.0"), ("prod", "v0.14.1-prod")):
        kustomization = yaml.safe_load(files[f"overlays/{env}/kustomization.yaml"])
        assert f"../../charts/runtimes/{runtimes}" in kustomization["resources"]
        assert f"../../charts/identity/{env}" in kustomization["resources"]
        assert not any("argocd" in r or "install" in r for r in kustomization["resources"])
    argocd = yaml.safe_load(files["overlays/argocd/kustomization.yaml"])
    assert argocd["resources"] == [
        "../../charts/argocd",
        "../../charts/install/dev",
        "../../charts/install/prod",
        "../../charts/install/staging",
    ]


# --- schema validity ---------------------------------------------------------------------------------


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_every_environment_object_is_schema_valid(env_name: str, config: PlatformConfig, tmp_path: Path) -> None:
    """Render overlays/<env> with the real kustomize and check each object against the environment's schemas."""
    env = config.environment(env_name)
    write_tree(tmp_path, synthesize(config, [], components=COMPONENTS))
    rendered = [d for d in yaml.safe_load_all(render(tmp_path / "overlays" / env_name)) if d]
    kinds = sorted({o["kind"] for o in rendered})
    assert kinds == ["ClusterServingRuntime", "Namespace", "Role", "RoleBinding", "Secret", "ServiceAccount"]
    schemas = SchemaSet(
        kubernetes_version=env.kubernetes_version,
        crd_files=CrdLibrary(roots=[SHARED_CRDS]).crd_files(env.kserve_version),
        strict=True,
    )
    for obj in rendered:
        assert schema_errors(schemas, obj) == [], f"{obj['kind']}/{obj['metadata']['name']}"


@pytest.mark.parametrize("kserve_version", KSERVE_VERSIONS)
def test_runtimes_are_valid_against_their_own_kserve_version(kserve_version: str, files: dict[str, bytes]) -> None:
    schemas = SchemaSet(
        kubernetes_version="1.32", crd_files=CrdLibrary(roots=[SHARED_CRDS]).crd_files(kserve_version), strict=True
    )
    runtimes = objects_under(files, "charts/runtimes/")
    assert len(runtimes) == 2 * len(RUNTIMES)
    for obj in runtimes:
        assert schema_errors(schemas, obj) == []


def test_control_plane_objects_are_schema_valid(config: PlatformConfig, tmp_path: Path) -> None:
    """overlays/argocd renders with kustomize; every Application, AppProject and ApplicationSet is valid
    against ArgoCD's CRDs (strict: unknown fields are errors)."""
    write_tree(tmp_path, synthesize(config, [], components=COMPONENTS))
    rendered = [d for d in yaml.safe_load_all(render(tmp_path / "overlays" / "argocd")) if d]
    assert {o["kind"] for o in rendered} == {"Application", "AppProject", "ApplicationSet"}
    schemas = SchemaSet(kubernetes_version=None, crd_files=sorted((SHARED_CRDS / "argo-cd").glob("*.yaml")), strict=True)
    for obj in rendered:
        assert schema_errors(schemas, obj) == [], f"{obj['kind']}/{obj['metadata']['name']}"


def test_knative_serving_object_is_the_only_one_without_a_schema(files: dict[str, bytes]) -> None:
    """The KnativeServing object (operator.knative.dev) has no CRD in ../shared/crds; every other kind we
    synthesize does. Its shape is checked here by hand: the fields the Knative Operator reads."""
    library = CrdLibrary(roots=[SHARED_CRDS])
    schemas = SchemaSet(kubernetes_version="1.32", crd_files=library.crd_files("v0.20.0"))
    missing = {o["kind"] for o in objects_under(files, "charts/") if schemas.schema_for(o["apiVersion"], o["kind"]) is None}
    assert missing == {"KnativeServing"}
    serving = yaml.safe_load(files["charts/knative-serving/dev/knativeserving-knative-serving-knative-serving.yaml"])
    assert serving["spec"]["ingress"] == {"istio": {"enabled": True}}
    assert serving["spec"]["config"]["domain"] == {"dev.ml.acme.example": ""}


# --- runtimes ----------------------------------------------------------------------------------------


def test_runtimes_cover_the_frameworks_the_platform_promises(files: dict[str, bytes]) -> None:
    runtimes = by_name(objects_under(files, "charts/runtimes/v0.20.0/"))
    formats = {f["name"] for r in runtimes.values() for f in r["spec"]["supportedModelFormats"]}
    assert {"sklearn", "xgboost", "lightgbm", "pytorch", "tensorflow", "triton", "mlflow", "huggingface"} <= formats
    torchserve = runtimes["kserve-torchserve"]["spec"]
    assert torchserve["protocolVersions"] == ["v1", "v2", "grpc-v2"]
    assert torchserve["annotations"]["prometheus.kserve.io/port"] == "8082"
    assert torchserve["containers"][0]["ports"] == [{"containerPort": 8080, "protocol": "TCP"}]
    for runtime in runtimes.values():
        assert runtime["metadata"]["annotations"][SYNC_WAVE] == "-1"  # before the models (wave 0)
        assert runtime["spec"]["containers"][0]["resources"]["limits"] == {"cpu": "1", "memory": "2Gi"}


def test_runtime_images_are_pinned_per_kserve_version(files: dict[str, bytes], config: PlatformConfig) -> None:
    dev = by_name(objects_under(files, "charts/runtimes/v0.20.0/"))
    assert dev["kserve-sklearnserver"]["spec"]["containers"][0]["image"] == "docker.io/kserve/sklearnserver:v0.20.0"
    assert dev["kserve-mlserver"]["spec"]["containers"][0]["image"] == "docker.io/seldonio/mlserver:1.7.1"
    for version in KSERVE_VERSIONS:
        for image in runtime_images(config.release_images[version], version):
            assert ":latest" not in image and "@" not in image


def test_a_new_kserve_release_is_an_entry_in_the_config_not_a_change_to_the_tool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # (with charts.kserve set, the release's charts must be there too: the Helm values are checked against them)
    monkeypatch.delenv("KSERVE_GITOPS_CHARTS", raising=False)

    def new_release(d):
        d.pop("charts")
        images = {name: ref.replace(":v0.20.0", ":v0.21.0") for name, ref in d["kserveReleases"]["v0.20.0"]["images"].items()}
        images["kserve-mlserver"] = "docker.io/seldonio/mlserver:1.8.0"
        d["kserveReleases"]["v0.21.0"] = {"images": images}
        d["environments"]["staging"]["kserve"]["version"] = "v0.21.0"

    files = synthesize(load_config(write_config(tmp_path, new_release)), [], components=["runtimes", "argocd"])
    runtimes = by_name(objects_under(files, "charts/runtimes/v0.21.0/"))
    assert len(runtimes) == len(RUNTIMES)
    assert runtimes["kserve-sklearnserver"]["spec"]["containers"][0]["image"] == "docker.io/kserve/sklearnserver:v0.21.0"
    assert runtimes["kserve-mlserver"]["spec"]["containers"][0]["image"] == "docker.io/seldonio/mlserver:1.8.0"
    assert runtimes["kserve-sklearnserver"]["metadata"]["labels"]["kserve-gitops.io/kserve-version"] == "v0.21.0"
    install = yaml.safe_load(files["charts/install/staging/application-argocd-acme-ml-staging-kserve.yaml"])
    assert install["spec"]["source"]["chart"] == "kserve-resources" and install["spec"]["source"]["targetRevision"] == "v0.21.0"
    storage = install["spec"]["source"]["helm"]["valuesObject"]["kserve"]["storage"]
    assert (storage["image"], storage["tag"]) == ("docker.io/kserve/storage-initializer", "v0.21.0")


def test_a_release_without_a_runtime_image_fails_synth_at_its_entry(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda d: d["kserveReleases"]["v0.20.0"]["images"].pop("kserve-tritonserver"))
    with pytest.raises(SynthError, match="kserveReleases.v0.20.0.images has no image for kserve-tritonserver") as err:
        synthesize(load_config(path), [], components=["runtimes"])
    assert err.value.path == str(path) and err.value.field == "kserveReleases.v0.20.0.images.kserve-tritonserver"
    assert path.read_text().splitlines()[err.value.line - 1].strip() == "images:"


def test_prod_runtimes_carry_the_configured_digests(files: dict[str, bytes], config: PlatformConfig) -> None:
    prod = config.environment("prod")
    assert prod.require_image_digests
    for runtime in objects_under(files, "charts/runtimes/v0.14.1-prod/"):
        image = runtime["spec"]["containers"][0]["image"]
        ref, _, digest = image.partition("@")
        assert ref.endswith(("v0.14.1", "2.6.2", "0.9.0", "23.05-py3", "1.5.0"))
        assert digest == prod.image_digests[ref]
    install = yaml.safe_load(files["charts/install/prod/application-argocd-acme-ml-prod-kserve.yaml"])
    storage = install["spec"]["source"]["helm"]["valuesObject"]["kserve"]["storage"]
    assert storage["tag"] == "v0.14.1@" + prod.image_digests["docker.io/kserve/storage-initializer:v0.14.1"]
    # Environments that do not require digests stay on tags, even when digests are listed.
    dev_sklearn = files["charts/runtimes/v0.20.0/clusterservingruntime-kserve-sklearnserver.yaml"].decode()
    assert "sha256:" not in dev_sklearn


def test_missing_required_digest_fails_synth_at_the_environment(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda d: d["environments"]["prod"]["images"]["digests"].pop("docker.io/seldonio/mlserver:1.5.0"))
    with pytest.raises(SynthError) as err:
        synthesize(load_config(path), [], components=["runtimes"])
    text = str(err.value)
    assert "requires image digests, but none is given for docker.io/seldonio/mlserver:1.5.0" in text
    assert err.value.path == str(path) and err.value.line is not None
    assert "crane digest docker.io/seldonio/mlserver:1.5.0" in text


def test_missing_storage_initializer_digest_fails_the_install(tmp_path: Path) -> None:
    path = write_config(
        tmp_path, lambda d: d["environments"]["prod"]["images"]["digests"].pop("docker.io/kserve/storage-initializer:v0.14.1")
    )
    with pytest.raises(SynthError, match="storage-initializer:v0.14.1"):
        synthesize(load_config(path), [], components=["argocd"])


def test_malformed_digest_is_a_config_error(tmp_path: Path) -> None:
    def bad(d):
        d["environments"]["prod"]["images"]["digests"]["docker.io/kserve/lgbserver:v0.14.1"] = "sha256:abc"

    with pytest.raises(ConfigError) as err:
        load_config(write_config(tmp_path, bad))
    assert err.value.field == "environments.prod.images.digests.docker.io/kserve/lgbserver:v0.14.1"
    assert err.value.line is not None


def test_unpinned_kserve_version_is_refused(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda d: d["environments"]["dev"]["kserve"].update(version="v0.15.0"))
    with pytest.raises(SynthError, match="no images are pinned for KServe v0.15.0 under kserveReleases") as err:
        synthesize(load_config(path), [], components=["runtimes"])
    assert err.value.line is not None and "v0.14.1, v0.20.0" in str(err.value)
    assert err.value.field == "environments.dev.kserve.version"


# --- identity ----------------------------------------------------------------------------------------


def test_every_model_namespace_gets_istio_injection(files: dict[str, bytes]) -> None:
    """mTLS everywhere: Knative mode as before, Standard mode (staging, prod) through sidecars."""
    dev = yaml.safe_load(files["charts/identity/dev/namespace-models-dev.yaml"])
    prod = yaml.safe_load(files["charts/identity/prod/namespace-models-prod.yaml"])
    staging = yaml.safe_load(files["charts/identity/staging/namespace-models-staging.yaml"])
    for ns in (dev, prod, staging):
        assert ns["metadata"]["labels"]["istio-injection"] == "enabled"
    for ns in (dev, prod):
        labels = ns["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] == "baseline"
        assert labels["pod-security.kubernetes.io/warn"] == "restricted"


def test_storage_config_describes_the_bucket_and_holds_no_credentials(files: dict[str, bytes]) -> None:
    secret = yaml.safe_load(files["charts/identity/prod/secret-models-prod-storage-config.yaml"])
    assert set(secret["stringData"]) == {"default"}
    storage = json.loads(secret["stringData"]["default"])
    assert storage == {
        "type": "s3",
        "bucket": "acme-models-prod",
        "region": "eu-west-1",
        "endpoint_url": "https://s3.eu-west-1.amazonaws.com",
    }
    assert not any("key" in k or "secret" in k or "token" in k for k in storage)
    assert "data" not in secret


def test_service_account_carries_the_environment_role_and_s3_settings(files: dict[str, bytes]) -> None:
    sa = yaml.safe_load(files["charts/identity/staging/serviceaccount-models-staging-kserve-models.yaml"])
    annotations = sa["metadata"]["annotations"]
    assert annotations["eks.amazonaws.com/role-arn"] == "arn:aws:iam::222222222222:role/kserve-models-staging"
    assert annotations["serving.kserve.io/s3-endpoint"] == "s3.eu-west-1.amazonaws.com"
    assert annotations["serving.kserve.io/s3-region"] == "eu-west-1"
    assert annotations["serving.kserve.io/s3-usehttps"] == "1"
    assert "secrets" not in sa


def test_model_deployers_may_manage_inferenceservices_and_nothing_else(files: dict[str, bytes]) -> None:
    role = yaml.safe_load(files["charts/identity/dev/role-models-dev-inferenceservice-deployer.yaml"])
    binding = yaml.safe_load(files["charts/identity/dev/rolebinding-models-dev-inferenceservice-deployer.yaml"])
    assert {r for rule in role["rules"] for r in rule["resources"]} == {"inferenceservices", "inferenceservices/status"}
    assert {g for rule in role["rules"] for g in rule["apiGroups"]} == {"serving.kserve.io"}
    assert not any("*" in rule["verbs"] for rule in role["rules"])
    assert binding["subjects"] == [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "model-deployers"}]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]


# --- install -----------------------------------------------------------------------------------------


def _apps(files: dict[str, bytes], env: str) -> dict[str, dict[str, Any]]:
    return {a["metadata"]["name"].removeprefix(f"acme-ml-{env}-"): a for a in objects_under(files, f"charts/install/{env}/")}


def test_serverless_install_order(files: dict[str, bytes]) -> None:
    apps = _apps(files, "dev")
    waves = {name: int(a["metadata"]["annotations"][SYNC_WAVE]) for name, a in apps.items()}
    assert waves == {
        "cert-manager": 0,
        "istio-base": 1,
        "istio-cni": 2,
        "istiod": 2,
        "istio-ingressgateway": 3,
        "knative-operator": 3,
        "knative-serving": 4,
    }  # dev renders KServe (install.render): its objects come with overlays/dev, CRDs at wave -5
    assert apps["knative-serving"]["spec"]["source"]["path"] == "charts/knative-serving/dev"
    staging = {name: int(a["metadata"]["annotations"][SYNC_WAVE]) for name, a in _apps(files, "staging").items()}
    assert staging == {"cert-manager": 0, "istio-base": 1, "istio-cni": 2, "istiod": 2, "kserve-crd": 5, "kserve": 6}


def test_raw_deployment_install_has_istio_control_plane_and_no_knative(files: dict[str, bytes]) -> None:
    apps = _apps(files, "prod")
    assert sorted(apps) == ["cert-manager", "istio-base", "istio-cni", "istiod", "kserve", "kserve-crd"]
    assert not any(p.startswith("charts/knative-serving/prod") for p in files)
    assert apps["istiod"]["spec"]["source"]["helm"]["valuesObject"] == {"pilot": {"cni": {"enabled": True}}}
    values = apps["kserve"]["spec"]["source"]["helm"]["valuesObject"]["kserve"]["controller"]
    assert values == {"deploymentMode": "RawDeployment", "gateway": {"domain": "ml.acme.example"}}


def test_kserve_version_picks_the_charts_and_values(files: dict[str, bytes]) -> None:
    staging, prod = _apps(files, "staging"), _apps(files, "prod")
    assert (staging["kserve"]["spec"]["source"]["chart"], staging["kserve"]["spec"]["source"]["targetRevision"]) == (
        "kserve-resources",
        "v0.20.0",
    )
    assert (prod["kserve"]["spec"]["source"]["chart"], prod["kserve"]["spec"]["source"]["targetRevision"]) == ("kserve", "v0.14.1")
    assert prod["kserve-crd"]["spec"]["source"]["targetRevision"] == "v0.14.1"
    values = staging["kserve"]["spec"]["source"]["helm"]["valuesObject"]["kserve"]
    assert values["controller"] == {"deploymentMode": "Standard", "gateway": {"domain": "staging.ml.acme.example"}}
    assert "servingruntime" not in values  # not a key of either release's chart
    # Knative mode (dev renders; the values are the same ones helm template gets)
    from kserve_gitops.constructs.install import kserve_values
    from kserve_gitops.synth.components.platform import install_props

    class Ctx:
        config = load_config(REPO / "kserve-gitops.yaml")

    controller = kserve_values(install_props(Ctx, Ctx.config.environments["dev"]))["kserve"]["controller"]
    assert controller["deploymentMode"] == "Knative"  # v0.20.0's name for it
    assert controller["gateway"] == {
        "domain": "dev.ml.acme.example",
        "ingressGateway": {"gateway": "knative-serving/knative-ingress-gateway", "className": "istio"},
    }


def test_crd_charts_are_applied_server_side(files: dict[str, bytes]) -> None:
    for env in ("staging", "prod"):
        apps = _apps(files, env)
        assert "ServerSideApply=true" in apps["kserve-crd"]["spec"]["syncPolicy"]["syncOptions"]
        assert "ServerSideApply=true" in apps["cert-manager"]["spec"]["syncPolicy"]["syncOptions"]


def test_automated_sync_follows_the_environment(files: dict[str, bytes]) -> None:
    for env, automated in (("dev", True), ("staging", True), ("prod", False)):
        for app in _apps(files, env).values():
            policy = app["spec"]["syncPolicy"]
            assert ("automated" in policy) is automated, app["metadata"]["name"]
            if automated:
                assert policy["automated"] == {"prune": True, "selfHeal": True}
            assert policy["retry"]["limit"] == 5


# --- ArgoCD control plane ----------------------------------------------------------------------------


def test_application_set_lists_every_environment_with_its_sync_mode(files: dict[str, bytes]) -> None:
    appset = yaml.safe_load(files["charts/argocd/applicationset-argocd-acme-ml-environments.yaml"])
    elements = appset["spec"]["generators"][0]["list"]["elements"]
    assert [(e["env"], e["server"], e["automatedSync"]) for e in elements] == [
        ("dev", "https://dev.k8s.acme.example", True),
        ("staging", "https://staging.k8s.acme.example", True),
        ("prod", "https://prod.k8s.acme.example", False),
    ]
    template = appset["spec"]["template"]
    assert template["spec"]["source"] == {
        "repoURL": "https://github.com/acme/ml-platform.git",
        "targetRevision": "main",
        "path": "overlays/{{.env}}",
    }
    # Manual by default; the Go-template patch adds automated sync only where automatedSync is true.
    assert "automated" not in template["spec"]["syncPolicy"]
    patch = appset["spec"]["templatePatch"]
    assert "{{- if .automatedSync }}\nspec:\n  syncPolicy:\n    automated:\n      prune: true\n      selfHeal: true\n{{- end }}" in patch
    # What the patch renders to per mode (Go's {{if}} on a boolean): valid YAML either way.
    for automated, mode in ((True, "automated"), (False, "manual")):
        rendered = render_go_if(patch, automated)
        doc = yaml.safe_load(rendered)
        assert doc["metadata"]["annotations"]["kserve-gitops.io/sync-mode"] == mode
        assert ("spec" in doc) is automated
    assert template["spec"]["ignoreDifferences"] == INFERENCESERVICE_IGNORE_DIFFERENCES
    assert int(appset["metadata"]["annotations"][SYNC_WAVE]) > 6  # after the kserve Application


def test_app_project_allows_only_the_platform_sources_and_destinations(files: dict[str, bytes]) -> None:
    project = yaml.safe_load(files["charts/argocd/appproject-argocd-acme-ml.yaml"])["spec"]
    assert project["sourceRepos"] == sorted(
        [
            "https://github.com/acme/ml-platform.git",
            "https://charts.jetstack.io",
            "https://istio-release.storage.googleapis.com/charts",
            "https://knative.github.io/operator",
            "ghcr.io/kserve/charts",
        ]
    )
    destinations = {(d["server"], d["namespace"]) for d in project["destinations"]}
    assert ("https://prod.k8s.acme.example", "models-prod") in destinations
    assert ("https://prod.k8s.acme.example", "models-dev") not in destinations
    assert {"group": "", "kind": "Namespace"} in project["clusterResourceWhitelist"]
    assert {"group": "*", "kind": "*"} not in project["clusterResourceWhitelist"]


def test_no_repository_url_means_no_argocd_objects(tmp_path: Path) -> None:
    path = write_config(tmp_path, lambda d: d.pop("repository"))
    out = synthesize(load_config(path), [], components=COMPONENTS)
    assert not any(p.startswith(("charts/argocd", "charts/install", "overlays/argocd")) for p in out)
    assert any(p.startswith("charts/runtimes/") for p in out)


def test_an_environment_called_argocd_is_refused(tmp_path: Path) -> None:
    def rename(d):
        d["environments"]["argocd"] = copy.deepcopy(d["environments"].pop("dev"))
        d["promotionOrder"] = ["argocd", "staging", "prod"]

    with pytest.raises(SynthError, match="may not be called 'argocd'"):
        synthesize(load_config(write_config(tmp_path, rename)), [], components=["argocd"])


# --- the example repo, end to end --------------------------------------------------------------------


def test_example_repo_synthesizes_and_validates(example_repo: Path, cli) -> None:
    assert cli("synth").exit_code == 0
    assert (example_repo / "charts" / "runtimes" / "v0.14.1-prod" / "kustomization.yaml").is_file()
    result = cli("validate")
    assert result.exit_code == 0, result.output
