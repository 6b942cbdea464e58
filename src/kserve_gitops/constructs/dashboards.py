"""Grafana dashboards as ConfigMaps that Grafana's dashboard sidecar loads (label ``grafana_dashboard: "1"``).

Four dashboards: inference performance, resource usage, canary rollouts, errors and SLOs. Queries use the
same metrics as the alerts (see ``monitoring.py``), so a dashboard shows what an alert fired on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from .kustomize import api_object
from .monitoring import LLMMonitoringProps, MonitoringProps, vllm_queries

SIDECAR_LABEL = {"grafana_dashboard": "1"}
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}


@dataclass(frozen=True)
class Panel:
    title: str
    queries: tuple[tuple[str, str], ...]  # (PromQL, legend)
    unit: str = "short"
    thresholds: tuple[float, ...] = ()


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    panels: tuple[Panel, ...] = field(default_factory=tuple)

    def to_json(self, environment: str) -> dict[str, Any]:
        panels = []
        for i, panel in enumerate(self.panels):
            steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
            steps += [{"color": "red", "value": v} for v in panel.thresholds]
            panels.append(
                {
                    "id": i + 1,
                    "type": "timeseries",
                    "title": panel.title,
                    "datasource": DATASOURCE,
                    "gridPos": {"h": 8, "w": 12, "x": (i % 2) * 12, "y": (i // 2) * 8},
                    "fieldConfig": {
                        "defaults": {"unit": panel.unit, "thresholds": {"mode": "absolute", "steps": steps}},
                        "overrides": [],
                    },
                    "targets": [
                        {"refId": chr(ord("A") + j), "datasource": DATASOURCE, "expr": expr, "legendFormat": legend}
                        for j, (expr, legend) in enumerate(panel.queries)
                    ],
                }
            )
        return {
            "uid": f"{self.uid}-{environment}",
            "title": f"{self.title} ({environment})",
            "tags": ["kserve", "kserve-gitops", environment],
            "schemaVersion": 39,
            "editable": False,
            "time": {"from": "now-6h", "to": "now"},
            "refresh": "1m",
            "templating": {
                "list": [{"name": "datasource", "type": "datasource", "query": "prometheus", "label": "Data source"}]
            },
            "panels": panels,
        }


def dashboards(props: MonitoringProps) -> list[Dashboard]:
    ns = props.namespace_regex
    t = props.thresholds
    w = props.rate_window
    pods = f'namespace=~"{ns}", container="kserve-container"'
    if props.serverless:
        sel = f'namespace_name=~"{ns}"'
        by = "namespace_name, configuration_name"
        rps = (f"sum by ({by}) (rate(revision_app_request_count{{{sel}}}[{w}]))", "{{configuration_name}}")
        p95 = (
            f"histogram_quantile(0.95, sum by ({by}, le) (rate(revision_app_request_latencies_bucket{{{sel}}}[{w}]))) / 1000",
            "p95 {{configuration_name}}",
        )
        p50 = (
            f"histogram_quantile(0.50, sum by ({by}, le) (rate(revision_app_request_latencies_bucket{{{sel}}}[{w}]))) / 1000",
            "p50 {{configuration_name}}",
        )
        err = (
            f'100 * sum by ({by}) (rate(revision_app_request_count{{{sel}, response_code_class="5xx"}}[{w}])) '
            f"/ sum by ({by}) (rate(revision_app_request_count{{{sel}}}[{w}]))",
            "{{configuration_name}}",
        )
        split = (
            f"sum by (configuration_name, revision_name) (rate(revision_app_request_count{{{sel}}}[{w}]))",
            "{{revision_name}}",
        )
        availability = (
            f'100 * (1 - sum(rate(revision_app_request_count{{{sel}, response_code_class="5xx"}}[1h])) '
            f"/ sum(rate(revision_app_request_count{{{sel}}}[1h])))",
            "availability 1h",
        )
    else:
        sel = f'namespace=~"{ns}"'
        isel = f'exported_namespace=~"{ns}"'
        rps = (f"sum by (namespace, model_name) (rate(request_predict_seconds_count{{{sel}}}[{w}]))", "{{model_name}}")
        p95 = (
            f"histogram_quantile(0.95, sum by (namespace, model_name, le) (rate(request_predict_seconds_bucket{{{sel}}}[{w}])))",
            "p95 {{model_name}}",
        )
        p50 = (
            f"histogram_quantile(0.50, sum by (namespace, model_name, le) (rate(request_predict_seconds_bucket{{{sel}}}[{w}])))",
            "p50 {{model_name}}",
        )
        err = (
            f'100 * sum by (ingress) (rate(nginx_ingress_controller_requests{{{isel}, status=~"5.."}}[{w}])) '
            f"/ sum by (ingress) (rate(nginx_ingress_controller_requests{{{isel}}}[{w}]))",
            "{{ingress}}",
        )
        split = (
            f'sum by (deployment) (kube_deployment_status_replicas_updated{{{sel}, deployment=~".+-predictor"}})',
            "{{deployment}} updated replicas",
        )
        availability = (
            f'100 * (1 - sum(rate(nginx_ingress_controller_requests{{{isel}, status=~"5.."}}[1h])) '
            f"/ sum(rate(nginx_ingress_controller_requests{{{isel}}}[1h])))",
            "availability 1h",
        )
    slo = 100 - t.error_rate_percent
    return [
        Dashboard(
            "kserve-inference",
            "KServe inference performance",
            (
                Panel("Requests per second", (rps,), "reqps"),
                Panel("Latency p50 / p95", (p50, p95), "s", (t.latency_p95_seconds,)),
            ),
        ),
        Dashboard(
            "kserve-resources",
            "KServe resource usage",
            (
                Panel("CPU (cores)", ((f"sum by (namespace, pod) (rate(container_cpu_usage_seconds_total{{{pods}}}[{w}]))", "{{pod}}"),)),
                Panel("Memory (working set)", ((f"sum by (namespace, pod) (container_memory_working_set_bytes{{{pods}}})", "{{pod}}"),), "bytes"),
                Panel("GPU requested", ((f'sum by (namespace, pod) (kube_pod_container_resource_requests{{namespace=~"{ns}", resource="nvidia_com_gpu"}})', "{{pod}}"),)),
                Panel("Replicas available", ((f'sum by (deployment) (kube_deployment_status_replicas_available{{namespace=~"{ns}"}})', "{{deployment}}"),)),
            ),
        ),
        Dashboard(
            "kserve-canary",
            "KServe canary rollouts",
            (Panel("Traffic by revision" if props.serverless else "Replicas on the new version", (split,)),),
        ),
        Dashboard(
            "kserve-errors-slo",
            "KServe errors and SLOs",
            (
                Panel("5xx error rate (%)", (err,), "percent", (t.error_rate_percent,)),
                Panel(f"Availability vs SLO {slo:g}%", (availability,), "percent"),
                Panel(
                    "Container restarts",
                    ((f"sum by (pod) (increase(kube_pod_container_status_restarts_total{{{pods}}}[1h]))", "{{pod}}"),),
                ),
            ),
        ),
    ]


class GrafanaDashboards(Construct):
    """One ConfigMap per dashboard in the monitoring namespace."""

    def __init__(self, scope: Construct, id: str, props: MonitoringProps) -> None:
        super().__init__(scope, id)
        self.config_maps = []
        for dashboard in dashboards(props):
            body = json.dumps(dashboard.to_json(props.environment), indent=2, sort_keys=True) + "\n"
            self.config_maps.append(
                api_object(
                    self,
                    {
                        "apiVersion": "v1",
                        "kind": "ConfigMap",
                        "metadata": {
                            "name": f"grafana-dashboard-{dashboard.uid}",
                            "namespace": props.namespace,
                            "labels": {**SIDECAR_LABEL, **props.labels},
                        },
                        "data": {f"{dashboard.uid}.json": body},
                    },
                )
            )


# --- LLMInferenceService: vLLM ------------------------------------------------------------------------


def llm_dashboard(props: LLMMonitoringProps) -> Dashboard:
    """vLLM's own metrics, the same queries as the alerts in ``monitoring.llm_alert_rules``."""
    q = vllm_queries(props)
    t = props.thresholds
    return Dashboard(
        "kserve-llm",
        "KServe LLM serving (vLLM)",
        (
            Panel("Time to first token p95", ((q["ttft_p95"], "{{model_name}}"),), "s", (t.time_to_first_token_p95_seconds,)),
            Panel("Inter-token latency p95", ((q["itl_p95"], "{{model_name}}"),), "s", (t.inter_token_latency_p95_seconds,)),
            Panel("KV-cache usage (%)", ((q["kv_cache_percent"], "{{pod}}"),), "percent", (t.kv_cache_usage_percent,)),
            Panel(
                "Requests waiting / running",
                ((q["waiting"], "waiting {{model_name}}"), (q["running"], "running {{model_name}}")),
                "short",
                (float(t.queue_length),),
            ),
            Panel("Generated tokens per second", ((q["generation_tps"], "{{model_name}}"),)),
        ),
    )


class VllmDashboard(Construct):
    """The vLLM dashboard as a ConfigMap Grafana's sidecar loads."""

    def __init__(self, scope: Construct, id: str, props: LLMMonitoringProps) -> None:
        super().__init__(scope, id)
        dashboard = llm_dashboard(props)
        body = json.dumps(dashboard.to_json(props.environment), indent=2, sort_keys=True) + "\n"
        self.config_map = api_object(
            self,
            {
                "apiVersion": "v1",
                "kind": "ConfigMap",
                "metadata": {
                    "name": f"grafana-dashboard-{dashboard.uid}",
                    "namespace": props.namespace,
                    "labels": {**SIDECAR_LABEL, **props.labels},
                },
                "data": {f"{dashboard.uid}.json": body},
            },
        )
