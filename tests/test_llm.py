"""LLMInferenceService end to end: the model folder, the typed construct, per-environment defaults, allowed
presets, schema + CEL + webhook checks through validate, vLLM alerts under promtool, diff and the lifecycle."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import REPO
from kserve_gitops.constructs import llminferenceservice as llm
from kserve_gitops.errors import InputError, SynthError
from kserve_gitops.inputs.models import LLM_API_VERSION, load_models
from kserve_gitops.validate.promtool import check_rules, run_rule_tests, write_rules_file
from observability_helpers import objects_in, repo_inputs, synth_component_files, with_environment

PROMTOOL_TESTS = Path(__file__).resolve().parent / "promtool"
LLM_ALERTS = {"KServeLLMTimeToFirstTokenHigh", "KServeLLMInterTokenLatencyHigh", "KServeLLMKVCacheNearlyFull", "KServeLLMRequestsQueueing"}
MODEL = """\
apiVersion: serving.kserve.io/v1alpha2
kind: LLMInferenceService
metadata:
  name: chat
  annotations:
    kserve-gitops.io/environments: dev,staging
spec:
  model:
    uri: hf://Qwen/Qwen2.5-0.5B-Instruct
"""


def qwen():
    config, models = repo_inputs()
    return config, {m.name: m for m in models}["qwen-chat"]


def write_model(repo: Path, name: str, files: dict[str, str]) -> Path:
    folder = repo / "models" / name
    folder.mkdir(parents=True, exist_ok=True)
    for file, text in files.items():
        (folder / file).write_text(text)
    return folder


# --- the model folder -------------------------------------------------------------------------------


def test_the_example_llm_loads_as_an_llminferenceservice():
    config, model = qwen()
    assert (model.kind, model.is_llm, model.base_path) == ("LLMInferenceService", True, "models/qwen-chat/llminferenceservice.yaml")
    assert model.environments == ("dev", "staging")  # the v0.20.0 environments
    assert model.overlay_path("staging") == "models/qwen-chat/staging.yaml"


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"llminferenceservice.yaml": MODEL, "inferenceservice.yaml": MODEL}, "holds both inferenceservice.yaml and llminferenceservice.yaml"),
        ({"llminferenceservice.yaml": MODEL.replace("v1alpha2", "v1alpha1")}, "apiVersion must be serving.kserve.io/v1alpha2"),
        ({"llminferenceservice.yaml": MODEL.replace("    uri: hf://Qwen/Qwen2.5-0.5B-Instruct\n", "    name: x\n")}, "spec.model.uri is required"),
        ({"inferenceservice.yaml": MODEL}, "apiVersion must be serving.kserve.io/v1beta1"),
        ({"llminferenceservice.yaml": MODEL, "dev.yaml": "kind: InferenceService\n"}, "kind must be LLMInferenceService"),
    ],
)
def test_bad_llm_folders_are_refused(example_repo, files, message):
    write_model(example_repo, "chat", files)
    config, _ = repo_inputs()
    with pytest.raises(InputError) as err:
        load_models(config, example_repo)
    assert message in str(err.value)


def test_v1alpha1_is_refused_with_the_storage_version_in_the_hint(example_repo):
    write_model(example_repo, "chat", {"llminferenceservice.yaml": MODEL.replace("v1alpha2", "v1alpha1")})
    config, _ = repo_inputs()
    with pytest.raises(InputError) as err:
        load_models(config, example_repo)
    assert err.value.path.endswith("models/chat/llminferenceservice.yaml") and err.value.line == 1
    assert "storage version serving.kserve.io/v1alpha2" in (err.value.hint or "")


# --- per-environment defaults -----------------------------------------------------------------------


def test_dev_gets_replicas_and_the_vllm_resources_and_no_service_account_for_hf():
    config, model = qwen()
    out = llm.effective_manifest(model, config.environments["dev"])
    assert out["spec"]["replicas"] == 1
    [main] = out["spec"]["template"]["containers"]
    assert main["name"] == "main"
    assert main["resources"]["limits"]["nvidia.com/gpu"] == "1"
    assert "serviceAccountName" not in out["spec"]["template"]  # hf:// needs no AWS role
    assert out["spec"]["template"]["tolerations"][0]["key"] == "nvidia.com/gpu"  # the model's own fields stay


def test_staging_reads_s3_with_the_irsa_service_account_and_keeps_its_own_replicas():
    config, model = qwen()
    out = llm.effective_manifest(model, config.environments["staging"])
    assert out["spec"]["model"]["uri"].startswith("s3://acme-models-staging/")
    assert out["spec"]["template"]["serviceAccountName"] == config.environments["staging"].service_account
    assert out["spec"]["replicas"] == 2  # staging.yaml wins over llm.defaultReplicas
    assert out["spec"]["template"]["containers"][0]["resources"]["requests"]["memory"] == "12Gi"


@pytest.mark.parametrize("uri", ["pvc://models-cache/qwen", "oci://ghcr.io/acme/qwen:1.0"])
def test_pvc_and_oci_models_get_no_service_account(uri):
    config, model = qwen()
    model.overlays["dev"] = ("models/qwen-chat/dev.yaml", {"spec": {"model": {"uri": uri}}})
    out = llm.effective_manifest(model, config.environments["dev"])
    assert out["spec"]["model"]["uri"] == uri and "serviceAccountName" not in out["spec"]["template"]


def test_the_authors_resources_and_scaling_win():
    config, model = qwen()
    own = {"limits": {"nvidia.com/gpu": "1", "memory": "4Gi"}}
    model.overlays["dev"] = (
        "models/qwen-chat/dev.yaml",
        {"spec": {"scaling": {"minReplicas": 1, "maxReplicas": 2}, "template": {"containers": [{"name": "main", "resources": own}]}}},
    )
    out = llm.effective_manifest(model, config.environments["dev"])
    assert "replicas" not in out["spec"]  # replicas and scaling are mutually exclusive (the CRD's CEL rule)
    assert out["spec"]["template"]["containers"] == [{"name": "main", "resources": own}]


def test_a_preset_the_environment_does_not_allow_is_a_synth_error_at_its_line():
    config, model = qwen()
    config = with_environment(config, "staging", llm={**config.environments["staging"].llm, "allowedConfigs": ["kserve-config-llm-scheduler"]})
    with pytest.raises(SynthError) as err:
        llm.environment_patch(model, config.environments["staging"])
    assert "'kserve-config-llm-template' is not a preset environment 'staging' allows" in str(err.value)
    assert (err.value.path, err.value.field) == ("models/qwen-chat/llminferenceservice.yaml", "spec.baseRefs[0].name")
    assert err.value.line == 20  # the baseRefs entry in llminferenceservice.yaml


def test_an_environment_before_kserve_v0_20_is_refused():
    config, model = qwen()
    with pytest.raises(SynthError) as err:
        llm.environment_patch(model, config.environments["prod"])
    assert "needs KServe v0.20 or later; environment 'prod' runs v0.14.1" in str(err.value)


def test_an_unknown_storage_scheme_is_refused():
    config, model = qwen()
    model.overlays["dev"] = ("models/qwen-chat/dev.yaml", {"spec": {"model": {"uri": "file:///models/qwen"}}})
    with pytest.raises(SynthError) as err:
        llm.environment_patch(model, config.environments["dev"])
    assert err.value.path == "models/qwen-chat/dev.yaml"


# --- the typed construct ----------------------------------------------------------------------------


def test_the_typed_path_writes_the_storage_version_and_matches_the_yaml_path():
    props = llm.LLMInferenceServiceProps(
        name="qwen-chat",
        model=llm.LLMModelProps(uri="hf://Qwen/Qwen2.5-0.5B-Instruct", name="Qwen/Qwen2.5-0.5B-Instruct"),
        base_refs=("kserve-config-llm-template",),
        router=llm.LLMRouterProps(),
        node_selector={"nvidia.com/gpu.present": "true"},
        tolerations=({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},),
        labels={"team": "assistants", "owner": "llm-platform"},
        annotations={"kserve-gitops.io/environments": "dev,staging"},
    )
    manifest = llm.props_manifest(props)
    assert manifest["apiVersion"] == LLM_API_VERSION == "serving.kserve.io/v1alpha2"
    base = yaml.safe_load((REPO / "models/qwen-chat/llminferenceservice.yaml").read_text())
    assert manifest == base


def test_typed_gpus_go_into_requests_and_limits():
    manifest = llm.props_manifest(
        llm.LLMInferenceServiceProps(name="x", model=llm.LLMModelProps(uri="s3://b/k"), replicas=2, resources=llm.LLMResourcesProps(gpus=2), service_account_name="sa")
    )
    assert manifest["spec"]["replicas"] == 2
    assert manifest["spec"]["template"]["containers"] == [
        {"name": "main", "resources": {"requests": {"nvidia.com/gpu": "2"}, "limits": {"nvidia.com/gpu": "2"}}}
    ]
    with pytest.raises(SynthError):
        llm.props_manifest(llm.LLMInferenceServiceProps(name="x", model=llm.LLMModelProps(uri="gs://b/k")))


# --- vLLM alerts and dashboard ----------------------------------------------------------------------


def llm_rule(env_name: str, config=None) -> dict:
    files = synth_component_files(["llm-monitoring"], config=config)
    [rule] = [o for o in objects_in(files, f"charts/monitoring/{env_name}/") if o["kind"] == "PrometheusRule"]
    return rule


def test_llm_monitoring_only_where_an_llm_deploys():
    files = synth_component_files(["llm-monitoring"])
    assert {p.split("/")[2] for p in files} == {"dev", "staging"}
    kinds = sorted(o["kind"] for o in objects_in(files, "charts/monitoring/staging/"))
    assert kinds == ["ConfigMap", "PodMonitor", "PrometheusRule"]
    [monitor] = [o for o in objects_in(files, "charts/monitoring/staging/") if o["kind"] == "PodMonitor"]
    assert monitor["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/part-of": "llminferenceservice", "kserve.io/component": "workload"}
    assert monitor["spec"]["podMetricsEndpoints"][0]["portNumber"] == 8000


@pytest.mark.parametrize("env_name", ["dev", "staging"])
def test_promtool_checks_the_vllm_rules(env_name, tmp_path):
    rule = llm_rule(env_name)
    assert {r["alert"] for g in rule["spec"]["groups"] for r in g["rules"]} == LLM_ALERTS
    result = check_rules(write_rules_file(rule, tmp_path / "rules.yaml"))
    assert result.ok, result.output
    assert "SUCCESS: 4 rules found" in result.output


def test_promtool_unit_tests_of_the_vllm_alerts(tmp_path):
    result = run_rule_tests([PROMTOOL_TESTS / "vllm.test.yaml"], rules={"rules.yaml": llm_rule("staging")}, workdir=tmp_path)
    assert result.ok, result.output


def test_vllm_unit_tests_fail_on_dev_thresholds(tmp_path):
    # dev allows 5 s to first token, 0.5 s between tokens, 95 % KV cache and 20 waiting: staging's cases must fail
    result = run_rule_tests([PROMTOOL_TESTS / "vllm.test.yaml"], rules={"rules.yaml": llm_rule("dev")}, workdir=tmp_path)
    assert not result.ok and "FAILED" in result.output


def test_every_vllm_alert_has_a_firing_and_a_quiet_case():
    cases = [c for t in yaml.safe_load((PROMTOOL_TESTS / "vllm.test.yaml").read_text())["tests"] for c in t["alert_rule_test"]]
    assert {c["alertname"] for c in cases if c["exp_alerts"]} == LLM_ALERTS
    assert {c["alertname"] for c in cases if not c["exp_alerts"]} == LLM_ALERTS


def test_thresholds_default_when_the_environment_sets_none():
    config, _ = repo_inputs()
    rule = llm_rule("dev", config=with_environment(config, "dev", llm={}))
    exprs = {r["alert"]: r["expr"] for r in rule["spec"]["groups"][0]["rules"]}
    assert exprs["KServeLLMTimeToFirstTokenHigh"].endswith("> 2")
    assert exprs["KServeLLMKVCacheNearlyFull"].endswith("> 90")


def test_the_vllm_dashboard_queries_vllms_metrics():
    files = synth_component_files(["llm-monitoring"])
    [cm] = [o for o in objects_in(files, "charts/monitoring/staging/") if o["kind"] == "ConfigMap"]
    assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
    dashboard = json.loads(cm["data"]["kserve-llm.json"])
    exprs = " ".join(t["expr"] for p in dashboard["panels"] for t in p["targets"])
    for metric in ("vllm:time_to_first_token_seconds_bucket", "vllm:inter_token_latency_seconds_bucket", "vllm:time_per_output_token_seconds_bucket",
                   "vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc", "vllm:num_requests_waiting"):
        assert metric in exprs


# --- the whole repo: synth, render, validate (schemas, CEL, KServe's webhooks), diff, lifecycle --------


def test_the_example_repo_synthesizes_and_validates_in_dev_and_staging(example_repo, cli):
    check = cli("synth", "--check")
    assert "qwen-chat" not in check.output and "llm" not in check.output, check.output  # the committed LLM output is current
    assert cli("synth").exit_code == 0
    result = cli("validate", "-e", "dev", "-e", "staging", "-o", "json")
    report = json.loads(result.output)
    # schemas, the KServe-aware checks, the admission stage (CEL, KServe v0.20.0's webhooks) and policies
    llm_findings = [
        f for f in report["findings"]
        if f["object"]["kind"] == "LLMInferenceService" or "qwen-chat" in f["path"] or "llm" in f["object"].get("name", "")
    ]
    assert llm_findings == []
    assert all(e["objects"] > 0 for e in report["environments"])


def test_cel_and_schema_findings_point_at_the_model_file(example_repo, cli):
    staging = example_repo / "models/qwen-chat/staging.yaml"
    staging.write_text(staging.read_text() + "  scaling:\n    minReplicas: 1\n    maxReplicas: 3\n  parallelism:\n    tensor: -4\n")
    assert cli("synth").exit_code == 0
    result = cli("validate", "-e", "staging", "-o", "json")
    assert result.exit_code == 1
    findings = [f for f in json.loads(result.output)["findings"] if "qwen-chat" in json.dumps(f)]
    rules = {f["rule"] for f in findings}
    assert {"KSA001", "KSA002"} <= rules  # the API server's schema validation and the CRD's CEL rules
    assert all(f["path"].endswith("models/qwen-chat/staging.yaml") for f in findings if f["rule"] in ("KSA001", "KSA002"))
    assert any("replicas and scaling are mutually exclusive" in f["message"] for f in findings)


def test_lifecycle_commands_refuse_an_llm(example_repo, cli):
    for args in (
        ("canary", "qwen-chat", "--env", "staging", "--storage-uri", "s3://acme-models-staging/llm/v2", "--percent", "10"),
        ("promote", "qwen-chat", "--env", "staging"),
        ("rollback", "qwen-chat", "--env", "staging"),
    ):
        result = cli(*args)
        assert result.exit_code == 2, result.output
        assert "qwen-chat is an LLMInferenceService; canary, promote and rollback change InferenceServices only" in result.output


def test_diff_shows_an_llm_change(example_repo, cli):
    def git(*args):
        subprocess.run(["git", *args], cwd=example_repo, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "add", "-A")
    git("-c", "user.email=t@example.com", "-c", "user.name=t", "commit", "-q", "-m", "initial")
    staging = example_repo / "models/qwen-chat/staging.yaml"
    staging.write_text(staging.read_text().replace("qwen2.5-0.5b-instruct", "qwen2.5-1.5b-instruct"))
    assert cli("synth").exit_code == 0
    result = cli("diff", "--base", "HEAD")
    assert result.exit_code == 0, result.output
    assert "LLMInferenceService qwen-chat changed (spec.model.uri)" in result.output
    assert "+    uri: s3://acme-models-staging/llm/qwen2.5-1.5b-instruct" in result.output


def test_the_gpu_budget_counts_llm_replicas(example_repo, cli):
    # staging: budget 2 GPUs; qwen-chat at 3 replicas x 1 GPU needs 3
    staging = example_repo / "models/qwen-chat/staging.yaml"
    staging.write_text(staging.read_text().replace("replicas: 2", "replicas: 3"))
    assert cli("synth").exit_code == 0
    result = cli("validate", "-e", "staging", "-o", "json")
    findings = [f for f in json.loads(result.output)["findings"] if f["rule"] == "gpu-budget"]
    assert result.exit_code == 1
    assert [f["object"]["kind"] for f in findings] == ["LLMInferenceService"]
    assert "uses up to 3 GPUs" in findings[0]["message"] and "above the budget of 2" in findings[0]["message"]


def test_kserves_llm_webhook_refuses_an_inconsistent_router_at_the_model_file(example_repo, cli):
    # KServe v0.20.0's LLMInferenceService validator (KSA011), after its defaulter filled the route's defaults
    staging = example_repo / "models/qwen-chat/staging.yaml"
    staging.write_text(
        staging.read_text()
        + "  router:\n    route:\n      http:\n        refs:\n          - name: my-route\n        spec:\n          rules:\n"
        + "            - backendRefs:\n                - name: x\n                  port: 8000\n"
    )
    assert cli("synth").exit_code == 0
    result = cli("validate", "-e", "staging", "-o", "json")
    assert result.exit_code == 1
    webhook = [f for f in json.loads(result.output)["findings"] if f["rule"] == "KSA011"]
    assert any("cannot use both custom HTTPRoute refs" in f["message"] for f in webhook)
    assert any("cannot be used with a managed gateway" in f["message"] for f in webhook)
    assert all(f["path"].endswith("models/qwen-chat/staging.yaml") for f in webhook)
