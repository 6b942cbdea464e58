"""Network, Istio security and monitoring components.

Each writes one kustomize base per environment (``charts/<component>/<env>/``): the objects carry the
environment's model namespaces, deployment mode and alert thresholds, so a per-environment base keeps
every value visible in the committed YAML instead of hiding it in overlay patches.
"""

from __future__ import annotations

from ...constructs.dashboards import GrafanaDashboards, VllmDashboard
from ...constructs.istio import GatewayJwtAuthentication, GatewayJwtProps, IstioModelSecurity, IstioSecurityProps
from ...constructs.kustomize import construct_id
from ...constructs.monitoring import KServeMonitoring, LLMMonitoringProps, MonitoringProps, VllmMonitoring
from ...constructs.network import ModelNetworkPolicies, ModelNetworkProps
from ..context import SynthContext


def network(ctx: SynthContext) -> None:
    """Default-deny NetworkPolicies and their allow-list in every model namespace."""
    for env in ctx.environments:
        base = ctx.base(f"network/{env.name}")
        for namespace in env.namespaces:
            ModelNetworkPolicies(base, construct_id(namespace), ModelNetworkProps.for_environment(env, namespace))
        ctx.include(env.name, base)


def istio(ctx: SynthContext) -> None:
    """mTLS and caller allow-list in every environment unless ``security.mtls: false``; the gateway JWT where
    there is an Istio ingress gateway (Knative mode)."""
    for env in ctx.environments:
        if not env.mesh:
            continue
        base = ctx.base(f"istio/{env.name}")
        if env.mtls:
            for namespace in env.namespaces:
                IstioModelSecurity(base, construct_id(namespace), IstioSecurityProps.for_environment(env, namespace))
        jwt = GatewayJwtProps.for_environment(env) if env.serverless else None
        if jwt is not None:
            GatewayJwtAuthentication(base, "gateway-jwt", jwt)
        ctx.include(env.name, base)


def monitoring(ctx: SynthContext) -> None:
    """PrometheusRule, ServiceMonitor/PodMonitors and Grafana dashboards per environment."""
    for env in ctx.environments:
        base = ctx.base(f"monitoring/{env.name}")
        props = MonitoringProps.for_environment(env)
        KServeMonitoring(base, "kserve", props)
        GrafanaDashboards(base, "dashboards", props)
        ctx.include(env.name, base)


def llm_monitoring(ctx: SynthContext) -> None:
    """vLLM alerts (``kserve-llm-alerts``), the vLLM pods' PodMonitors and the vLLM dashboard, in the
    monitoring base of every environment that deploys an LLMInferenceService."""
    for env in ctx.environments:
        if not any(m.is_llm and env.name in m.environments for m in ctx.models):
            continue
        base = ctx.base(f"monitoring/{env.name}")
        props = LLMMonitoringProps.for_environment(env)
        VllmMonitoring(base, "vllm", props)
        VllmDashboard(base, "vllm-dashboard", props)
        ctx.include(env.name, base)
