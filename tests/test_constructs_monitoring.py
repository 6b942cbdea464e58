"""Monitoring: PrometheusRule checked and unit-tested with the real promtool, scrape config, dashboards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import assert_golden
from kserve_gitops.tools import find_tool
from kserve_gitops.validate.promtool import check_rules, rule_groups, run_rule_tests, write_rules_file
from observability_helpers import GOLDEN, objects_in, repo_inputs, schema_errors, synth_component_files, with_environment

PROMTOOL_TESTS = Path(__file__).resolve().parent / "promtool"
ALERTS = {
    "KServeInferenceServiceDown",
    "KServeInferenceServiceNotReady",
    "KServeInferenceLatencyHigh",
    "KServeInferenceErrorRateHigh",
    "KServeStorageInitializerFailing",
    "KServePredictorCrashLooping",
    "KServeCanaryStuck",
}


def prometheus_rule(env_name: str, config=None) -> dict:
    files = synth_component_files(["monitoring"], config=config)
    [rule] = [o for o in objects_in(files, f"charts/monitoring/{env_name}/") if o["kind"] == "PrometheusRule"]
    return rule


def knative_staging_rule() -> dict:
    """staging's thresholds and namespace in Knative mode (staging itself runs Standard mode): what
    serverless.test.yaml is written against."""
    config, _ = repo_inputs()
    return prometheus_rule("staging", config=with_environment(config, "staging", deployment_mode="Knative"))


def rule_for(env_name: str) -> dict:
    return knative_staging_rule() if env_name == "staging-knative" else prometheus_rule(env_name)


def alerts_of(rule: dict) -> dict[str, dict]:
    return {r["alert"]: r for group in rule["spec"]["groups"] for r in group["rules"]}


def test_golden(update_golden):
    assert_golden(synth_component_files(["monitoring"]), GOLDEN / "monitoring", update_golden)


def test_promtool_is_the_real_one():
    assert Path(find_tool("promtool")).name == "promtool"


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_promtool_check_rules(env_name, tmp_path):
    rule = prometheus_rule(env_name)
    assert set(alerts_of(rule)) == ALERTS
    result = check_rules(write_rules_file(rule, tmp_path / "rules.yaml"))
    assert result.ok, result.output
    assert "SUCCESS: 7 rules found" in result.output


@pytest.mark.parametrize(
    ("env_name", "test_file"),
    [("staging-knative", "serverless.test.yaml"), ("prod", "rawdeployment.test.yaml"), ("dev", "dev-thresholds.test.yaml")],
)
def test_promtool_unit_tests(env_name, test_file, tmp_path):
    result = run_rule_tests([PROMTOOL_TESTS / test_file], rules={"rules.yaml": rule_for(env_name)}, workdir=tmp_path)
    assert result.ok, result.output
    assert "SUCCESS" in result.output


@pytest.mark.parametrize(("env_name", "test_file"), [("staging-knative", "serverless.test.yaml"), ("prod", "rawdeployment.test.yaml")])
def test_every_alert_has_a_firing_and_a_quiet_unit_test(env_name, test_file):
    import yaml

    cases = [c for t in yaml.safe_load((PROMTOOL_TESTS / test_file).read_text())["tests"] for c in t["alert_rule_test"]]
    firing = {c["alertname"] for c in cases if c["exp_alerts"]}
    quiet = {c["alertname"] for c in cases if not c["exp_alerts"]}
    assert firing == ALERTS and quiet == ALERTS


def test_unit_tests_fail_when_the_threshold_differs(tmp_path):
    # staging's tests expect the 1 s / 5 % alerts; dev's rules (2 s / 10 %) must make them fail.
    result = run_rule_tests([PROMTOOL_TESTS / "serverless.test.yaml"], rules={"rules.yaml": prometheus_rule("dev")}, workdir=tmp_path)
    assert not result.ok
    assert "FAILED" in result.output


def test_broken_rule_is_reported_by_check_rules(tmp_path):
    rule = prometheus_rule("staging")
    rule["spec"]["groups"][0]["rules"][0]["expr"] = "sum by (namespace (kube_deployment_spec_replicas)"
    result = check_rules(write_rules_file(rule, tmp_path / "rules.yaml"))
    assert not result.ok
    assert "parse error" in result.output


def test_thresholds_come_from_each_environment():
    dev, staging, prod = (alerts_of(prometheus_rule(e)) for e in ("dev", "staging", "prod"))
    assert dev["KServeInferenceLatencyHigh"]["expr"].endswith("> 2")
    assert staging["KServeInferenceLatencyHigh"]["expr"].endswith("> 1")
    assert dev["KServeInferenceErrorRateHigh"]["expr"].endswith("> 10")
    assert prod["KServeInferenceErrorRateHigh"]["expr"].endswith("> 5")
    assert (dev["KServeCanaryStuck"]["for"], staging["KServeCanaryStuck"]["for"], prod["KServeCanaryStuck"]["for"]) == ("120m", "60m", "30m")
    assert dev["KServeInferenceServiceNotReady"]["for"] == "10m"  # the default: no environment sets it


def test_defaults_and_not_ready_override():
    config, _ = repo_inputs()
    alerts = alerts_of(prometheus_rule("dev", config=with_environment(config, "dev", alerts={"notReadyMinutes": 3})))
    assert alerts["KServeInferenceServiceNotReady"]["for"] == "3m"
    assert alerts["KServeInferenceLatencyHigh"]["expr"].endswith("> 1")  # default 1 s
    assert alerts["KServeInferenceErrorRateHigh"]["expr"].endswith("> 5")  # default 5 %
    assert alerts["KServeCanaryStuck"]["for"] == "60m"


def test_metric_sources_follow_the_deployment_mode():
    # dev: Knative; staging: Standard (KServe v0.20.0's name); prod: RawDeployment (v0.14.1's name, the same mode)
    dev, staging, prod = (alerts_of(prometheus_rule(e)) for e in ("dev", "staging", "prod"))
    assert "revision_app_request_latencies_bucket" in dev["KServeInferenceLatencyHigh"]["expr"]
    for standard in (staging, prod):
        assert "request_predict_seconds_bucket" in standard["KServeInferenceLatencyHigh"]["expr"]
        assert "revision_app_request_count" not in standard["KServeCanaryStuck"]["expr"]
    files = synth_component_files(["monitoring"])
    monitors = {o["metadata"]["namespace"]: o for o in objects_in(files, "charts/monitoring/") if o["kind"] == "PodMonitor"}
    ports = {ns: [e.get("port", e.get("portNumber")) for e in m["spec"]["podMetricsEndpoints"]] for ns, m in monitors.items()}
    assert ports == {"models-dev": ["http-usermetric", 8080], "models-staging": [8080], "models-prod": [8080]}


def test_controller_service_monitor_uses_the_named_https_port():
    files = synth_component_files(["monitoring"])
    [monitor] = [o for o in objects_in(files, "charts/monitoring/prod/") if o["kind"] == "ServiceMonitor"]
    assert monitor["metadata"]["namespace"] == "kserve"
    assert monitor["spec"]["selector"]["matchLabels"] == {"control-plane": "kserve-controller-manager"}
    assert monitor["spec"]["endpoints"][0]["port"] == "https"


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_dashboards_are_valid_and_loaded_by_the_sidecar(env_name):
    files = synth_component_files(["monitoring"])
    maps = [o for o in objects_in(files, f"charts/monitoring/{env_name}/") if o["kind"] == "ConfigMap"]
    titles = set()
    for cm in maps:
        assert cm["metadata"]["labels"]["grafana_dashboard"] == "1"
        [(key, body)] = cm["data"].items()
        dashboard = json.loads(body)
        assert key == f"{dashboard['uid'].rsplit('-' + env_name, 1)[0]}.json"
        assert dashboard["panels"] and all(p["targets"] for p in dashboard["panels"])
        titles.add(dashboard["title"].split(" (")[0])
    assert titles == {
        "KServe inference performance",
        "KServe resource usage",
        "KServe canary rollouts",
        "KServe errors and SLOs",
    }


@pytest.mark.parametrize("env_name", ["dev", "staging", "prod"])
def test_every_object_is_schema_valid(env_name):
    config, _ = repo_inputs()
    objects = objects_in(synth_component_files(["monitoring"]), f"charts/monitoring/{env_name}/")
    assert {o["kind"] for o in objects} == {"PrometheusRule", "ServiceMonitor", "PodMonitor", "ConfigMap"}
    assert schema_errors(objects, config.environments[env_name]) == []


def test_rule_groups_refuses_other_kinds():
    from kserve_gitops.errors import SynthError

    with pytest.raises(SynthError):
        rule_groups({"kind": "ConfigMap"})


def test_whole_repo_synthesizes_and_validates(example_repo, cli):
    assert cli("synth").exit_code == 0
    assert (example_repo / "charts/monitoring/prod/prometheusrule-monitoring-kserve-alerts.yaml").is_file()
    result = cli("validate", "--strict")
    assert result.exit_code == 0, result.output
