"""Monitoring for KServe: a PrometheusRule with the platform's alerts, scrape configuration for the
KServe controller and the model pods (prometheus-operator CRDs).

Metric sources, all real upstream metric names:

* kube-state-metrics: ``kube_deployment_spec_replicas``, ``kube_deployment_status_replicas_available``,
  ``kube_pod_container_status_waiting_reason``, ``kube_pod_init_container_status_waiting_reason``.
* Knative mode (Knative queue-proxy, port ``http-usermetric``): ``revision_app_request_count`` and
  ``revision_app_request_latencies`` (milliseconds), labelled ``namespace_name``, ``configuration_name``,
  ``revision_name``, ``response_code_class``.
* Standard mode (formerly RawDeployment; no queue-proxy): KServe's Python model servers' ``request_predict_seconds`` histogram
  (label ``model_name``) for latency, ingress-nginx's ``nginx_ingress_controller_requests`` for errors;
  KServe splits traffic by revision only in Knative mode, so a stuck rollout there is a Deployment update that
  does not finish (``kube_deployment_status_replicas_updated``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from ..inputs.config import Environment
from .kustomize import api_object

MONITORING_API = "monitoring.coreos.com/v1"
KSERVE_COMPONENT_DEPLOYMENTS = ".+-(predictor|transformer|explainer).*"


@dataclass(frozen=True)
class AlertThresholds:
    """Alert thresholds; ``kserve-gitops.yaml`` ``alerts`` overrides each one per environment."""

    latency_p95_seconds: float = 1.0
    error_rate_percent: float = 5.0
    canary_stuck_minutes: int = 60
    not_ready_minutes: int = 10
    down_minutes: int = 5
    crashloop_minutes: int = 5

    @classmethod
    def for_environment(cls, env: Environment) -> "AlertThresholds":
        a = env.alerts
        d = cls()
        return cls(
            latency_p95_seconds=a.get("latencyP95Seconds", d.latency_p95_seconds),
            error_rate_percent=a.get("errorRatePercent", d.error_rate_percent),
            canary_stuck_minutes=a.get("canaryStuckMinutes", d.canary_stuck_minutes),
            not_ready_minutes=a.get("notReadyMinutes", d.not_ready_minutes),
        )


@dataclass(frozen=True)
class MonitoringProps:
    """Monitoring for one environment's model namespaces."""

    environment: str
    model_namespaces: tuple[str, ...]
    serverless: bool = True
    thresholds: AlertThresholds = field(default_factory=AlertThresholds)
    namespace: str = "monitoring"  # where the PrometheusRule and dashboards live
    kserve_namespace: str = "kserve"
    rate_window: str = "5m"
    labels: dict[str, str] = field(default_factory=dict)  # e.g. the label your Prometheus ruleSelector wants

    @classmethod
    def for_environment(cls, env: Environment) -> "MonitoringProps":
        return cls(
            environment=env.name,
            model_namespaces=env.namespaces,
            serverless=env.serverless,
            thresholds=AlertThresholds.for_environment(env),
        )

    @property
    def namespace_regex(self) -> str:
        return "|".join(self.model_namespaces)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _alert(name: str, expr: str, minutes: int, severity: str, summary: str, description: str) -> dict[str, Any]:
    return {
        "alert": name,
        "expr": expr,
        "for": f"{minutes}m",
        "labels": {"severity": severity},
        "annotations": {"summary": summary, "description": description},
    }


def alert_rules(props: MonitoringProps) -> list[dict[str, Any]]:
    """The alert rules, in the order they appear in the PrometheusRule."""
    t = props.thresholds
    ns = props.namespace_regex
    w = props.rate_window
    deploy = f'namespace=~"{ns}", deployment=~"{KSERVE_COMPONENT_DEPLOYMENTS}"'
    rules = [
        _alert(
            "KServeInferenceServiceDown",
            f"sum by (namespace, deployment) (kube_deployment_spec_replicas{{{deploy}}}) > 0\n"
            f"and on (namespace, deployment)\n"
            f"sum by (namespace, deployment) (kube_deployment_status_replicas_available{{{deploy}}}) == 0",
            t.down_minutes,
            "critical",
            "InferenceService component {{ $labels.deployment }} has no available replicas",
            "{{ $labels.namespace }}/{{ $labels.deployment }} wants replicas but none is available.",
        ),
        _alert(
            "KServeInferenceServiceNotReady",
            f"sum by (namespace, deployment) (kube_deployment_status_replicas_available{{{deploy}}})\n"
            f"< on (namespace, deployment)\n"
            f"sum by (namespace, deployment) (kube_deployment_spec_replicas{{{deploy}}})",
            t.not_ready_minutes,
            "warning",
            "InferenceService component {{ $labels.deployment }} is not ready",
            f"{{{{ $labels.namespace }}}}/{{{{ $labels.deployment }}}} has had fewer available replicas than wanted "
            f"for {t.not_ready_minutes} minutes.",
        ),
    ]
    if props.serverless:
        sel = f'namespace_name=~"{ns}"'
        by = "namespace_name, configuration_name"
        latency = (
            f"histogram_quantile(0.95, sum by ({by}, le) (rate(revision_app_request_latencies_bucket{{{sel}}}[{w}]))) / 1000\n"
            f"> {_num(t.latency_p95_seconds)}"
        )
        errors = (
            f'100 * sum by ({by}) (rate(revision_app_request_count{{{sel}, response_code_class="5xx"}}[{w}]))\n'
            f"/ sum by ({by}) (rate(revision_app_request_count{{{sel}}}[{w}]))\n"
            f"> {_num(t.error_rate_percent)}"
        )
        # Two revisions of one predictor serving at once is a split in progress; promote or roll back ends it.
        canary = (
            f"count by ({by}) (sum by ({by}, revision_name) (rate(revision_app_request_count{{{sel}}}[{w}])) > 0)\n> 1"
        )
        subject = "{{ $labels.namespace_name }}/{{ $labels.configuration_name }}"
    else:
        latency = (
            f'histogram_quantile(0.95, sum by (namespace, model_name, le) (rate(request_predict_seconds_bucket{{namespace=~"{ns}"}}[{w}])))\n'
            f"> {_num(t.latency_p95_seconds)}"
        )
        isel = f'exported_namespace=~"{ns}"'
        errors = (
            f'100 * sum by (exported_namespace, ingress) (rate(nginx_ingress_controller_requests{{{isel}, status=~"5.."}}[{w}]))\n'
            f"/ sum by (exported_namespace, ingress) (rate(nginx_ingress_controller_requests{{{isel}}}[{w}]))\n"
            f"> {_num(t.error_rate_percent)}"
        )
        # Standard mode has no split by revision: a new version rolls out as a Deployment update, and a
        # rollout is stuck while fewer replicas run the new template than are wanted.
        canary = (
            f"sum by (namespace, deployment) (kube_deployment_status_replicas_updated{{{deploy}}})\n"
            f"< on (namespace, deployment)\n"
            f"sum by (namespace, deployment) (kube_deployment_spec_replicas{{{deploy}}})"
        )
        subject = "{{ $labels.namespace }}/{{ $labels.deployment }}"
    latency_subject = subject if props.serverless else "{{ $labels.namespace }}/{{ $labels.model_name }}"
    error_subject = subject if props.serverless else "{{ $labels.exported_namespace }}/{{ $labels.ingress }}"
    rules += [
        _alert(
            "KServeInferenceLatencyHigh",
            latency,
            10,
            "warning",
            f"p95 inference latency above {_num(t.latency_p95_seconds)}s",
            f"{latency_subject} p95 latency is {{{{ $value | humanizeDuration }}}} "
            f"(threshold {_num(t.latency_p95_seconds)}s).",
        ),
        _alert(
            "KServeInferenceErrorRateHigh",
            errors,
            5,
            "critical",
            f"inference error rate above {_num(t.error_rate_percent)}%",
            f"{error_subject} answers {{{{ $value | humanize }}}}% of requests with 5xx "
            f"(threshold {_num(t.error_rate_percent)}%).",
        ),
        _alert(
            "KServeStorageInitializerFailing",
            f'max by (namespace, pod) (max_over_time(kube_pod_init_container_status_waiting_reason{{namespace=~"{ns}", '
            f'container="storage-initializer", reason=~"CrashLoopBackOff|ErrImagePull|ImagePullBackOff|CreateContainerConfigError"}}[{w}])) >= 1',
            t.crashloop_minutes,
            "critical",
            "model download failing in {{ $labels.pod }}",
            "The storage-initializer of {{ $labels.namespace }}/{{ $labels.pod }} cannot fetch the model "
            "(check storageUri, the service account's IAM role and the storage-config secret).",
        ),
        _alert(
            "KServePredictorCrashLooping",
            f'max by (namespace, pod) (max_over_time(kube_pod_container_status_waiting_reason{{namespace=~"{ns}", '
            f'container="kserve-container", reason="CrashLoopBackOff"}}[{w}])) >= 1',
            t.crashloop_minutes,
            "critical",
            "model server crash-looping in {{ $labels.pod }}",
            "The kserve-container of {{ $labels.namespace }}/{{ $labels.pod }} keeps crashing (model fails to load?).",
        ),
        _alert(
            "KServeCanaryStuck",
            canary,
            t.canary_stuck_minutes,
            "warning",
            f"rollout unchanged for more than {t.canary_stuck_minutes} minutes",
            (
                f"{subject} has split traffic between stable and canary for {t.canary_stuck_minutes} minutes; "
                "promote or roll back."
                if props.serverless
                else f"{subject} has not finished rolling out its new version in {t.canary_stuck_minutes} minutes."
            ),
        ),
    ]
    return rules


class KServeMonitoring(Construct):
    """PrometheusRule, the controller's ServiceMonitor and the model pods' PodMonitors."""

    def __init__(self, scope: Construct, id: str, props: MonitoringProps) -> None:
        super().__init__(scope, id)
        self.props = props
        labels = {"app.kubernetes.io/part-of": "kserve", **props.labels}
        self.rule = api_object(
            self,
            {
                "apiVersion": MONITORING_API,
                "kind": "PrometheusRule",
                "metadata": {"name": "kserve-alerts", "namespace": props.namespace, "labels": labels},
                "spec": {"groups": [{"name": f"kserve.{props.environment}", "rules": alert_rules(props)}]},
            },
        )
        # The controller serves metrics through kube-rbac-proxy on the named port "https" (8443).
        self.controller_monitor = api_object(
            self,
            {
                "apiVersion": MONITORING_API,
                "kind": "ServiceMonitor",
                "metadata": {"name": "kserve-controller-manager", "namespace": props.kserve_namespace, "labels": labels},
                "spec": {
                    "selector": {"matchLabels": {"control-plane": "kserve-controller-manager"}},
                    "endpoints": [
                        {
                            "port": "https",
                            "scheme": "https",
                            "path": "/metrics",
                            "bearerTokenFile": "/var/run/secrets/kubernetes.io/serviceaccount/token",
                            "tlsConfig": {"insecureSkipVerify": True},
                        }
                    ],
                },
            },
        )
        self.pod_monitors = [self._pod_monitor(ns, labels) for ns in props.model_namespaces]

    def _pod_monitor(self, namespace: str, labels: dict[str, str]):
        endpoints: list[dict[str, Any]] = []
        if self.props.serverless:
            # queue-proxy's request metrics, on its named port.
            endpoints.append({"port": "http-usermetric", "path": "/metrics", "interval": "30s"})
        # KServe's Python model servers expose /metrics on the serving port.
        endpoints.append({"portNumber": 8080, "path": "/metrics", "interval": "30s"})
        return api_object(
            self,
            {
                "apiVersion": MONITORING_API,
                "kind": "PodMonitor",
                "metadata": {"name": "kserve-models", "namespace": namespace, "labels": labels},
                "spec": {
                    "selector": {"matchExpressions": [{"key": "serving.kserve.io/inferenceservice", "operator": "Exists"}]},
                    "podMetricsEndpoints": endpoints,
                },
            },
        )


# --- LLMInferenceService: vLLM's own metrics ------------------------------------------------------------
#
# vLLM serves Prometheus metrics on its serving port (8000, HTTPS when KServe's llmisvc TLS is on) under
# /metrics, labelled ``model_name``; Prometheus adds ``namespace`` and ``pod``. Names changed across vLLM
# releases, so each alert reads both: ``vllm:inter_token_latency_seconds`` (V1 engine) or the older
# ``vllm:time_per_output_token_seconds``, ``vllm:kv_cache_usage_perc`` (V1) or ``vllm:gpu_cache_usage_perc``
# (0 to 1, 1 = the whole KV cache in use).

# Labels KServe's llmisvc controller puts on the vLLM pods (the presets' InferencePool selects them so).
LLM_WORKLOAD_LABELS = {"app.kubernetes.io/part-of": "llminferenceservice", "kserve.io/component": "workload"}
VLLM_PORT = 8000


@dataclass(frozen=True)
class LLMAlertThresholds:
    """vLLM alert thresholds; ``kserve-gitops.yaml`` ``llm.alerts`` overrides each one per environment."""

    time_to_first_token_p95_seconds: float = 2.0
    inter_token_latency_p95_seconds: float = 0.2
    kv_cache_usage_percent: float = 90.0
    queue_length: int = 10
    minutes: int = 10  # how long a condition holds before it fires
    queue_minutes: int = 5

    @classmethod
    def for_environment(cls, env: Environment) -> "LLMAlertThresholds":
        a = (env.llm or {}).get("alerts") or {}
        d = cls()
        return cls(
            time_to_first_token_p95_seconds=a.get("timeToFirstTokenP95Seconds", d.time_to_first_token_p95_seconds),
            inter_token_latency_p95_seconds=a.get("interTokenLatencyP95Seconds", d.inter_token_latency_p95_seconds),
            kv_cache_usage_percent=a.get("kvCacheUsagePercent", d.kv_cache_usage_percent),
            queue_length=a.get("queueLength", d.queue_length),
        )


@dataclass(frozen=True)
class LLMMonitoringProps:
    """vLLM monitoring for one environment's model namespaces."""

    environment: str
    model_namespaces: tuple[str, ...]
    thresholds: LLMAlertThresholds = field(default_factory=LLMAlertThresholds)
    namespace: str = "monitoring"
    rate_window: str = "5m"
    labels: dict[str, str] = field(default_factory=dict)

    @classmethod
    def for_environment(cls, env: Environment) -> "LLMMonitoringProps":
        return cls(environment=env.name, model_namespaces=env.namespaces, thresholds=LLMAlertThresholds.for_environment(env))

    @property
    def namespace_regex(self) -> str:
        return "|".join(self.model_namespaces)


def vllm_queries(props: LLMMonitoringProps) -> dict[str, str]:
    """The PromQL the alerts and the dashboard share: p95 time to first token and inter-token latency by
    model (seconds), KV-cache usage by pod (percent), requests waiting by model."""
    sel = f'namespace=~"{props.namespace_regex}"'
    w = props.rate_window
    by = "namespace, model_name"
    return {
        "ttft_p95": f"histogram_quantile(0.95, sum by ({by}, le) (rate(vllm:time_to_first_token_seconds_bucket{{{sel}}}[{w}])))",
        "itl_p95": (
            f"histogram_quantile(0.95, sum by ({by}, le) (rate(vllm:inter_token_latency_seconds_bucket{{{sel}}}[{w}]) "
            f"or rate(vllm:time_per_output_token_seconds_bucket{{{sel}}}[{w}])))"
        ),
        "kv_cache_percent": f"100 * max by (namespace, pod, model_name) (vllm:kv_cache_usage_perc{{{sel}}} or vllm:gpu_cache_usage_perc{{{sel}}})",
        "waiting": f"sum by ({by}) (vllm:num_requests_waiting{{{sel}}})",
        "running": f"sum by ({by}) (vllm:num_requests_running{{{sel}}})",
        "generation_tps": f"sum by ({by}) (rate(vllm:generation_tokens_total{{{sel}}}[{w}]))",
    }


def llm_alert_rules(props: LLMMonitoringProps) -> list[dict[str, Any]]:
    t = props.thresholds
    q = vllm_queries(props)
    model = "{{ $labels.namespace }}/{{ $labels.model_name }}"
    return [
        _alert(
            "KServeLLMTimeToFirstTokenHigh",
            f"{q['ttft_p95']}\n> {_num(t.time_to_first_token_p95_seconds)}",
            t.minutes,
            "warning",
            f"p95 time to first token above {_num(t.time_to_first_token_p95_seconds)}s",
            f"{model} p95 time to first token is {{{{ $value | humanizeDuration }}}} "
            f"(threshold {_num(t.time_to_first_token_p95_seconds)}s).",
        ),
        _alert(
            "KServeLLMInterTokenLatencyHigh",
            f"{q['itl_p95']}\n> {_num(t.inter_token_latency_p95_seconds)}",
            t.minutes,
            "warning",
            f"p95 inter-token latency above {_num(t.inter_token_latency_p95_seconds)}s",
            f"{model} p95 inter-token latency is {{{{ $value | humanizeDuration }}}} "
            f"(threshold {_num(t.inter_token_latency_p95_seconds)}s).",
        ),
        _alert(
            "KServeLLMKVCacheNearlyFull",
            f"{q['kv_cache_percent']}\n> {_num(t.kv_cache_usage_percent)}",
            t.minutes,
            "warning",
            "vLLM KV cache of {{ $labels.pod }} nearly full",
            f"{{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} ({{{{ $labels.model_name }}}}) uses {{{{ $value | humanize }}}}% "
            f"of its KV cache (threshold {_num(t.kv_cache_usage_percent)}%); requests will queue or be preempted.",
        ),
        _alert(
            "KServeLLMRequestsQueueing",
            f"{q['waiting']}\n> {t.queue_length}",
            t.queue_minutes,
            "warning",
            f"more than {t.queue_length} LLM requests waiting",
            f"{model} has {{{{ $value | humanize }}}} requests waiting for a slot (threshold {t.queue_length}); "
            "add replicas or GPUs.",
        ),
    ]


class VllmMonitoring(Construct):
    """PrometheusRule ``kserve-llm-alerts`` and a PodMonitor for the vLLM pods in each model namespace."""

    def __init__(self, scope: Construct, id: str, props: LLMMonitoringProps) -> None:
        super().__init__(scope, id)
        self.props = props
        labels = {"app.kubernetes.io/part-of": "kserve", **props.labels}
        self.rule = api_object(
            self,
            {
                "apiVersion": MONITORING_API,
                "kind": "PrometheusRule",
                "metadata": {"name": "kserve-llm-alerts", "namespace": props.namespace, "labels": labels},
                "spec": {"groups": [{"name": f"kserve-llm.{props.environment}", "rules": llm_alert_rules(props)}]},
            },
        )
        self.pod_monitors = [
            api_object(
                self,
                {
                    "apiVersion": MONITORING_API,
                    "kind": "PodMonitor",
                    "metadata": {"name": "kserve-llm-workloads", "namespace": ns, "labels": labels},
                    "spec": {
                        "selector": {"matchLabels": dict(LLM_WORKLOAD_LABELS)},
                        "podMetricsEndpoints": [
                            {
                                "portNumber": VLLM_PORT,
                                "path": "/metrics",
                                "interval": "30s",
                                # KServe serves vLLM with its own self-signed certificate when llmisvc TLS is on
                                "scheme": "https",
                                "tlsConfig": {"insecureSkipVerify": True},
                            }
                        ],
                    },
                },
            )
            for ns in props.model_namespaces
        ]
