"""The KServe install, rendered and checked: every Helm value we set is a key of that release's chart (in
../shared/charts/kserve), install.render runs the pinned helm offline into charts/install/<env>/kserve, the
rendered objects validate against their schemas, and diff reads a KServe upgrade as one summary line."""

from __future__ import annotations

import dataclasses
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import SHARED_CHARTS, SHARED_CRDS, run_cli_process
from kserve_gitops.constructs.install import (
    INSTALL_LABEL,
    InstallProps,
    check_values,
    install_applications,
    install_summary,
    kserve_values,
    unknown_values,
)
from kserve_gitops.errors import SynthError
from kserve_gitops.inputs.config import load_config
from kserve_gitops.synth.app import load_inputs, synthesize
from kserve_gitops.synth.components.platform import install_props
from kserve_gitops.validate.base import index_stream
from kserve_gitops.validate.schemas import CrdLibrary, SchemaSet
from observability_helpers import repo_inputs

pytestmark = pytest.mark.skipif(not SHARED_CHARTS.is_dir(), reason="KServe's charts are not in ../shared/charts/kserve")


class _Ctx:
    def __init__(self, config):
        self.config = config


def _props(env_name: str, **changes) -> InstallProps:
    config, _ = repo_inputs()
    env = dataclasses.replace(config.environments[env_name], **changes)
    return install_props(_Ctx(config), env)


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_every_value_we_set_is_a_key_of_the_chart(env_name: str) -> None:
    props = _props(env_name)
    chart = "kserve-resources"
    assert unknown_values(kserve_values(props), SHARED_CHARTS / props.kserve_version / chart) == []
    mode = kserve_values(props)["kserve"]["controller"]["deploymentMode"]
    assert mode == {"dev": "Knative", "staging": "Standard", "prod": "RawDeployment"}[env_name]


@pytest.mark.parametrize("version", ["v0.14.1", "v0.20.0"])
def test_an_unknown_value_is_refused_naming_the_key_and_the_chart(version: str) -> None:
    # What the install passed before: no such switch in either release's chart.
    values = {"kserve": {"controller": {"deploymentMode": "Standard"}, "servingruntime": {"enabled": False}}}
    with pytest.raises(SynthError) as err:
        check_values(values, SHARED_CHARTS, version, "kserve-resources")
    assert "kserve.servingruntime.enabled" in err.value.message
    assert f"kserve-resources {version}" in err.value.message


def test_unknown_value_stops_synth_of_the_applications(monkeypatch: pytest.MonkeyPatch) -> None:
    import kserve_gitops.constructs.install as install

    props = _props("staging")
    assert props.charts_dir  # the example points charts.kserve at KServe's charts
    install_applications(props)  # our values are the chart's
    real = install.kserve_values
    monkeypatch.setattr(install, "kserve_values", lambda p: {**real(p), "kserve": {**real(p)["kserve"], "controler": {"x": 1}}})
    with pytest.raises(SynthError, match=r"kserve\.controler\.x is not a value of chart kserve-resources v0.20.0"):
        install_applications(props)


def test_open_maps_and_the_values_schema_are_honoured(tmp_path: Path) -> None:
    chart = tmp_path / "v1.0.0" / "c"
    chart.mkdir(parents=True)
    (chart / "values.yaml").write_text("a:\n  nodeSelector: {}\n  b: 1\n")
    (chart / "values.schema.json").write_text('{"properties": {"a": {"properties": {"fromSchema": {"type": "string"}}}}}')
    assert unknown_values({"a": {"nodeSelector": {"zone": "x"}, "b": 2, "fromSchema": "y"}}, chart) == []
    assert unknown_values({"a": {"c": 1}}, chart) == ["a.c"]


def _rendered(files: dict[str, bytes], env: str) -> list[dict]:
    prefix = f"charts/install/{env}/kserve/"
    return [yaml.safe_load(c) for p, c in sorted(files.items()) if p.startswith(prefix) and not p.endswith("kustomization.yaml")]


@pytest.fixture(scope="module")
def rendered_everywhere() -> dict[str, bytes]:
    """Every environment of the example with install.render on."""
    config, models = load_inputs(Path(__file__).resolve().parents[1])
    envs = {name: dataclasses.replace(env, render_install=True) for name, env in config.environments.items()}
    return synthesize(dataclasses.replace(config, environments=envs), models)


def test_render_writes_kserve_for_every_environment(rendered_everywhere: dict[str, bytes]) -> None:
    for env, version in (("dev", "v0.20.0"), ("staging", "v0.20.0"), ("prod", "v0.14.1")):
        objects = _rendered(rendered_everywhere, env)
        kinds = {o["kind"] for o in objects}
        assert {"CustomResourceDefinition", "Deployment", "ValidatingWebhookConfiguration", "Namespace"} <= kinds
        assert "ClusterServingRuntime" not in kinds  # charts/runtimes holds the platform's
        charts = {o["metadata"]["labels"][INSTALL_LABEL] for o in objects}
        assert charts == ({"kserve-crd", "kserve", "kserve-llmisvc-crd", "kserve-llmisvc"} if version == "v0.20.0" else {"kserve-crd", "kserve"})
        [controller] = [o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == "kserve-controller-manager"]
        [manager] = [c for c in controller["spec"]["template"]["spec"]["containers"] if c["name"] == "manager"]
        assert manager["image"].endswith(f":{version}")
        assert all(o["metadata"].get("namespace") in (None, "kserve") for o in objects)
        waves = {o["metadata"]["annotations"]["argocd.argoproj.io/sync-wave"] for o in objects if o["kind"] == "CustomResourceDefinition"}
        assert waves == {"-5"}
        # our values reached the chart: the mode in KServe's own config
        [config_map] = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "inferenceservice-config"]
        mode = {"dev": "Knative", "staging": "Standard", "prod": "RawDeployment"}[env]
        assert f'"defaultDeploymentMode": "{mode}"' in config_map["data"]["deploy"]
        overlay = rendered_everywhere[f"overlays/{env}/kustomization.yaml"].decode()
        assert f"../../charts/install/{env}/kserve" in overlay
        apps = [p for p in rendered_everywhere if p.startswith(f"charts/install/{env}/application-")]
        assert not any(p.endswith(("-kserve.yaml", "-kserve-crd.yaml")) for p in apps)  # no Helm at sync time


def test_rendered_install_validates_against_its_schemas(rendered_everywhere: dict[str, bytes], tmp_path: Path) -> None:
    config = load_config(Path(__file__).resolve().parents[1] / "kserve-gitops.yaml")
    for env_name in ("dev", "staging", "prod"):
        env = config.environments[env_name]
        objects = _rendered(rendered_everywhere, env_name)
        # The release's own CRDs (rendered beside) judge its custom objects, as the API server would.
        crd_dir = tmp_path / env_name
        crd_dir.mkdir()
        for obj in objects:
            if obj["kind"] == "CustomResourceDefinition":
                (crd_dir / f"{obj['metadata']['name']}.yaml").write_text(yaml.safe_dump(obj))
        schemas = SchemaSet(
            kubernetes_version=env.kubernetes_version,
            crd_files=[*CrdLibrary(roots=[SHARED_CRDS / "cert-manager"]).crd_files(None), *sorted(crd_dir.iterdir())],
            strict=True,
        )
        problems = []
        for obj in objects:
            validator = schemas.validator_for(obj["apiVersion"], obj["kind"])
            assert validator is not None, f"{env_name}: no schema for {obj['kind']}"
            problems += [f"{env_name} {obj['kind']}/{obj['metadata']['name']}: {e.message}" for e in validator.iter_errors(obj)]
        assert problems == []


def test_render_is_deterministic(rendered_everywhere: dict[str, bytes], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSERVE_GITOPS_NO_CACHE", "1")  # helm itself, not the cache
    config, models = load_inputs(Path(__file__).resolve().parents[1])
    envs = {"prod": dataclasses.replace(config.environments["prod"], render_install=True)}
    again = synthesize(dataclasses.replace(config, environments=envs, promotion_order=("prod",)), models, components=["install"])
    prod = {p: c for p, c in rendered_everywhere.items() if p.startswith("charts/install/prod/kserve/")}
    assert prod and {p: c for p, c in again.items() if p.startswith("charts/install/prod/kserve/")} == prod


def test_render_without_a_chart_folder_says_what_to_set(tmp_path: Path) -> None:
    (tmp_path / "kserve-gitops.yaml").write_text(
        (Path(__file__).resolve().parents[1] / "kserve-gitops.yaml").read_text().replace("  kserve: ../shared/charts/kserve\n", "  kserve: nowhere\n")
    )
    (tmp_path / "models").mkdir()
    result = run_cli_process("synth", cwd=tmp_path, env={"KSERVE_GITOPS_CHARTS": ""})
    assert result.returncode == 2, result.stderr
    assert "KServe chart" in result.stderr and "not found" in result.stderr and "charts.kserve" in result.stderr


def test_example_dev_is_rendered_and_committed() -> None:
    root = Path(__file__).resolve().parents[1]
    assert load_config(root / "kserve-gitops.yaml").environments["dev"].render_install
    assert (root / "charts/install/dev/kserve/deployment-kserve-kserve-controller-manager.yaml").is_file()
    assert "../../charts/install/dev/kserve" in (root / "overlays/dev/kustomization.yaml").read_text()


def test_install_summary_is_pure_data() -> None:
    def obj(kind, name, **extra):
        return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "labels": {INSTALL_LABEL: "kserve"}}, **extra}

    def deploy(tag):
        return obj("Deployment", "kserve-controller-manager", spec={"template": {"spec": {"containers": [{"name": "manager", "image": f"kserve/kserve-controller:{tag}"}]}}})

    old = {("apps", "Deployment", "kserve", "d"): deploy("v0.14.1"), ("x", "CustomResourceDefinition", "", "a"): obj("CustomResourceDefinition", "a", spec={"v": 1})}
    new = {
        ("apps", "Deployment", "kserve", "d"): deploy("v0.20.0"),
        ("x", "CustomResourceDefinition", "", "a"): obj("CustomResourceDefinition", "a", spec={"v": 2}),
        ("x", "ValidatingWebhookConfiguration", "", "w"): obj("ValidatingWebhookConfiguration", "w", webhooks=[{"name": "a"}, {"name": "b"}]),
    }
    lines, keys = install_summary(old, new)
    assert lines == ["KServe install: kserve-controller image v0.14.1 → v0.20.0, 1 CRD changed, 2 webhooks added"]
    assert keys == set(old) | set(new)
    assert install_summary({}, {}) == ([], set())


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)


def test_diff_of_a_kserve_upgrade_reads_object_by_object(example_repo: Path) -> None:
    """prod rendered at v0.14.1, then bumped to v0.20.0: one summary line, and every object in the diff."""
    config = example_repo / "kserve-gitops.yaml"
    text = config.read_text()
    # prod renders its install; the digests prod requires are for v0.14.1's images, so the test drops the
    # requirement on both sides (the digest check has its own tests).
    text = text.replace("      requireDigests: true\n", "      requireDigests: false\n")
    text = text.replace("      deploymentMode: RawDeployment\n    namespaces: [models-prod]", "      deploymentMode: RawDeployment\n    install:\n      render: true\n    namespaces: [models-prod]")
    config.write_text(text)
    assert run_cli_process("synth", cwd=example_repo).returncode == 0
    _git(example_repo, "init", "-q", "-b", "main")
    _git(example_repo, "config", "user.email", "test@example.com")
    _git(example_repo, "config", "user.name", "test")
    _git(example_repo, "add", "-A")
    _git(example_repo, "commit", "-q", "-m", "prod renders KServe v0.14.1")
    config.write_text(config.read_text().replace("      version: v0.14.1\n", "      version: v0.20.0\n"))
    result = run_cli_process("diff", "--no-admission", cwd=example_repo)
    assert result.returncode in (0, 1), result.stderr
    out = result.stdout
    [line] = [l for l in out.splitlines() if "KServe install:" in l]
    assert line.strip().startswith("prod: KServe install: kserve-controller image v0.14.1 → v0.20.0")
    assert "CRDs changed" in line and "webhooks added" in line
    assert "CustomResourceDefinition/inferenceservices.serving.kserve.io" in out  # object by object below
    assert "llmisvc-controller" in line  # v0.20's LLMInferenceService controller arrives
