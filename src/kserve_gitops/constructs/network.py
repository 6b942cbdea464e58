"""NetworkPolicies for a model namespace: deny everything, then open exactly what KServe needs.

Ports are the ones the pods listen on *after* Service translation, which is what NetworkPolicies see:
in Knative mode traffic enters through Knative's queue-proxy (8012 HTTP/1, 8013 h2c), whose metrics
are on 9090 (autoscaler) and 9091 (Prometheus); in Standard mode the model server listens itself
(8080 HTTP, 8081 gRPC). With Istio sidecars (Knative mode, and Standard mode with mTLS) the sidecar takes
traffic on the same pod ports, needs istiod (15012) and serves merged metrics on 15020 and Envoy's on 15090.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from constructs import Construct

from ..inputs.config import Environment
from .kustomize import api_object

NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"  # set by Kubernetes on every namespace
COMPONENT_LABEL = "component"  # KServe labels pods predictor / transformer / explainer

SERVERLESS_SERVING_PORTS = (8012, 8013)  # queue-proxy
RAW_SERVING_PORTS = (8080, 8081)  # model server HTTP, gRPC
SERVERLESS_METRICS_PORTS = (8080, 9088, 9091, 15020)  # model server, KServe aggregation, queue-proxy, Istio merged
RAW_METRICS_PORTS = (8080, 8082)  # KServe Python servers, TorchServe
KNATIVE_SYSTEM_PORTS = (8012, 8013, 9090)  # activator proxies/probes, autoscaler scrapes 9090
ISTIO_EGRESS_PORTS = (15012, 8081)  # istiod (xDS, certificates), knative-local-gateway
ISTIOD_PORTS = (15012,)  # Standard mode with sidecars: xDS and certificates from istiod only
SIDECAR_METRICS_PORTS = (15020, 15090)  # Istio's merged Prometheus metrics, Envoy's own stats


@dataclass(frozen=True)
class ModelNetworkProps:
    """What the model pods of one namespace may talk to.

    ``ingress_namespace`` is where the ingress gateway runs: Istio's ``istio-system`` in Knative mode;
    Standard-mode environments in this repo run without Istio behind ingress-nginx.
    ``storage_cidrs`` limit HTTPS egress; the default (anywhere) is needed for S3's changing addresses.
    """

    namespace: str
    serverless: bool = True
    ingress_namespace: str | None = None
    knative_namespace: str = "knative-serving"
    istio_namespace: str = "istio-system"
    monitoring_namespace: str = "monitoring"
    dns_namespace: str = "kube-system"
    storage_cidrs: tuple[str, ...] = ("0.0.0.0/0",)
    labels: dict[str, str] = field(default_factory=dict)
    # Istio sidecars in the namespace; None: Knative mode only
    mesh: bool | None = None

    @property
    def sidecars(self) -> bool:
        return self.serverless if self.mesh is None else (self.mesh or self.serverless)

    @property
    def gateway_namespace(self) -> str:
        if self.ingress_namespace:
            return self.ingress_namespace
        return self.istio_namespace if self.serverless else "ingress-nginx"

    @property
    def serving_ports(self) -> tuple[int, ...]:
        return SERVERLESS_SERVING_PORTS if self.serverless else RAW_SERVING_PORTS

    @property
    def metrics_ports(self) -> tuple[int, ...]:
        if self.serverless:
            return SERVERLESS_METRICS_PORTS
        return RAW_METRICS_PORTS + SIDECAR_METRICS_PORTS if self.sidecars else RAW_METRICS_PORTS

    @classmethod
    def for_environment(cls, env: Environment, namespace: str) -> "ModelNetworkProps":
        return cls(namespace=namespace, serverless=env.serverless, mesh=env.mesh)


def _ports(ports: tuple[int, ...], protocol: str = "TCP") -> list[dict[str, Any]]:
    return [{"port": p, "protocol": protocol} for p in ports]


def _namespace(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: name}}}


def _components(*names: str) -> dict[str, Any]:
    return {"matchExpressions": [{"key": COMPONENT_LABEL, "operator": "In", "values": list(names)}]}


class ModelNetworkPolicies(Construct):
    """Default deny plus the allow-list for one model namespace."""

    def __init__(self, scope: Construct, id: str, props: ModelNetworkProps) -> None:
        super().__init__(scope, id)
        self.props = props
        self.policies = [self._policy(name, spec) for name, spec in self.specs()]

    def specs(self) -> list[tuple[str, dict[str, Any]]]:
        p = self.props
        everything: dict[str, Any] = {}
        specs: list[tuple[str, dict[str, Any]]] = [
            ("default-deny-all", {"podSelector": everything, "policyTypes": ["Ingress", "Egress"]}),
            (
                "allow-ingress-gateway",
                {
                    "podSelector": everything,
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": [_namespace(p.gateway_namespace)], "ports": _ports(p.serving_ports)}],
                },
            ),
        ]
        if p.serverless:
            specs.append(
                (
                    "allow-knative-system",
                    {
                        "podSelector": everything,
                        "policyTypes": ["Ingress"],
                        "ingress": [
                            {
                                "from": [
                                    {
                                        **_namespace(p.knative_namespace),
                                        "podSelector": {
                                            "matchExpressions": [
                                                {"key": "app", "operator": "In", "values": ["activator", "autoscaler"]}
                                            ]
                                        },
                                    }
                                ],
                                "ports": _ports(KNATIVE_SYSTEM_PORTS),
                            }
                        ],
                    },
                )
            )
        specs += [
            (
                "allow-prometheus-scrape",
                {
                    "podSelector": everything,
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": [_namespace(p.monitoring_namespace)], "ports": _ports(p.metrics_ports)}],
                },
            ),
            (
                "allow-transformer-to-predictor",
                {
                    "podSelector": {"matchLabels": {COMPONENT_LABEL: "predictor"}},
                    "policyTypes": ["Ingress"],
                    "ingress": [{"from": [{"podSelector": _components("transformer", "explainer")}], "ports": _ports(p.serving_ports)}],
                },
            ),
            (
                "allow-egress-to-predictor",
                {
                    "podSelector": _components("transformer", "explainer"),
                    "policyTypes": ["Egress"],
                    "egress": [
                        {"to": [{"podSelector": {"matchLabels": {COMPONENT_LABEL: "predictor"}}}], "ports": _ports(p.serving_ports)}
                    ],
                },
            ),
            (
                "allow-dns-egress",
                {
                    "podSelector": everything,
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [{**_namespace(p.dns_namespace), "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}],
                            "ports": _ports((53,), "UDP") + _ports((53,), "TCP"),
                        }
                    ],
                },
            ),
            (
                "allow-object-storage-egress",
                {
                    "podSelector": everything,
                    "policyTypes": ["Egress"],
                    "egress": [{"to": [{"ipBlock": {"cidr": c}} for c in p.storage_cidrs], "ports": _ports((443,))}],
                },
            ),
        ]
        if p.serverless:
            # Sidecars fetch config and certificates from istiod; a transformer reaches its predictor
            # through knative-local-gateway.
            specs.append(
                (
                    "allow-istio-egress",
                    {
                        "podSelector": everything,
                        "policyTypes": ["Egress"],
                        "egress": [{"to": [_namespace(p.istio_namespace)], "ports": _ports(ISTIO_EGRESS_PORTS)}],
                    },
                )
            )
        elif p.sidecars:
            # Standard mode with mTLS: the sidecars fetch config and certificates from istiod.
            specs.append(
                (
                    "allow-istio-egress",
                    {
                        "podSelector": everything,
                        "policyTypes": ["Egress"],
                        "egress": [{"to": [_namespace(p.istio_namespace)], "ports": _ports(ISTIOD_PORTS)}],
                    },
                )
            )
        return specs

    def _policy(self, name: str, spec: dict[str, Any]):
        metadata: dict[str, Any] = {"name": name, "namespace": self.props.namespace}
        if self.props.labels:
            metadata["labels"] = dict(self.props.labels)
        return api_object(
            self,
            {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": metadata, "spec": spec},
        )
